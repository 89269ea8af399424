//! Join requests (issue 22, item 2): through an invite link that needs
//! approval, joining asks; a manager approves (the membership is made then,
//! with the link's use and the team's seats in the same write) or denies; the
//! person sees their requests and may cancel one; a request waits a week.

use chrono::TimeDelta;
use serde_json::{json, Value};

use integration_tests::{call_handlers, token_of, Call, Resp, User, World};

/// A link of the world's team that needs approval, made by the owner: (id, token).
async fn approval_link(w: &World, max_uses: u32) -> (String, String) {
    let body = json!({"role": "member", "maxUses": max_uses, "approval": true});
    let resp = w.call(Call::create_link(&w.team, body).by(&w.owner)).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.body["approval"], true);
    (resp.body["id"].as_str().unwrap().to_owned(), token_of(resp.body["url"].as_str().unwrap()))
}

fn person(w: &World, name: &str) -> User {
    User::new(&format!("{name}-{}", w.tag), &w.email(name))
}

async fn ask(w: &World, who: &User, link: &str, token: &str) -> Resp {
    w.call(Call::join_link(&w.team, link, token).by(who)).await
}

async fn requests(w: &World) -> Vec<Value> {
    let resp = w.call(Call::join_requests(&w.team).by(&w.owner)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["requests"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_manager_approves_or_denies_and_the_person_sees_and_may_cancel_their_requests() {
    let w = World::new().await;
    let (link, token) = approval_link(&w, 5).await;
    let (ada, bo, cy) = (person(&w, "ada"), person(&w, "bo"), person(&w, "cy"));
    let page = w.call(Call::preview_link(&w.team, &link, &token).by(&ada)).await;
    assert_eq!(page.body["approval"], true, "the page says a manager answers");

    let asked = ask(&w, &ada, &link, &token).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let r = &asked.body["request"];
    assert_eq!(
        (r["status"].as_str(), r["role"].as_str(), r["email"].as_str()),
        (Some("pending"), Some("member"), Some(ada.email.as_str()))
    );
    assert_eq!((r["linkId"].as_str(), r["decidedBy"].is_null()), (Some(link.as_str()), true));
    assert_eq!(w.membership(&w.team, &ada).await, None, "asking makes no member");
    let again = ask(&w, &ada, &link, &token).await;
    assert_eq!((again.status, again.code()), (409, "join_request_pending"));
    assert_eq!(ask(&w, &bo, &link, &token).await.status, 202);
    assert_eq!(ask(&w, &cy, &link, &token).await.status, 202);

    // The team's managers see them; its members do not.
    assert_eq!(w.call(Call::join_requests(&w.team).by(&w.member)).await.status, 403);
    let listed = requests(&w).await;
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|r| r["status"] == "pending"), "{listed:?}");
    // The person sees theirs, in every team.
    let mine = w.call(Call::my_join_requests().by(&ada)).await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["requests"].as_array().unwrap().len(), 1);
    assert_eq!(mine.body["requests"][0]["teamName"], "Acme Rockets");

    // Approved: a member with the link's role, the link's use taken.
    let approved = w.call(Call::approve_join(&w.team, &ada.sub).by(&w.admin)).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(
        (approved.body["status"].as_str(), approved.body["decidedBy"].as_str()),
        (Some("approved"), Some(w.admin.sub.as_str()))
    );
    assert_eq!(w.membership(&w.team, &ada).await.map(|m| m.role.to_string()), Some("member".into()));
    let links = w.call(Call::links(&w.team).by(&w.owner)).await;
    assert_eq!(links.body["links"][0]["uses"], 1);
    let twice = w.call(Call::approve_join(&w.team, &ada.sub).by(&w.owner)).await;
    assert_eq!((twice.status, twice.body["requestStatus"].as_str()), (409, Some("approved")));
    assert_eq!(
        w.call(Call::approve_join(&w.team, &bo.sub).by(&w.member)).await.status,
        403,
        "a member answers none"
    );
    let unknown = w.call(Call::approve_join(&w.team, "nobody").by(&w.owner)).await;
    assert_eq!(unknown.status, 404);

    // Denied: no member; the person may ask again.
    let denied = w.call(Call::deny_join(&w.team, &bo.sub).by(&w.owner)).await;
    assert_eq!((denied.status, denied.body["status"].as_str()), (200, Some("denied")));
    assert_eq!(w.membership(&w.team, &bo).await, None);
    assert_eq!(ask(&w, &bo, &link, &token).await.status, 202, "asked again after a denial");

    // Cancelled by the person; then nothing to cancel.
    let cancelled = w.call(Call::cancel_join(&w.team).by(&cy)).await;
    assert_eq!((cancelled.status, cancelled.body["status"].as_str()), (200, Some("cancelled")));
    let late = w.call(Call::cancel_join(&w.team).by(&cy)).await;
    assert_eq!((late.status, late.body["requestStatus"].as_str()), (409, Some("cancelled")));
    assert_eq!(w.call(Call::cancel_join(&w.other_team).by(&cy)).await.status, 404);

    // A week later, bo's second request has expired: no answer takes it.
    w.clock.advance(TimeDelta::days(7));
    let expired = w.call(Call::approve_join(&w.team, &bo.sub).by(&w.owner)).await;
    assert_eq!(
        (expired.status, expired.body["requestStatus"].as_str()),
        (409, Some("expired")),
        "{}",
        expired.body
    );
    assert_eq!(w.membership(&w.team, &bo).await, None);
}

#[tokio::test]
async fn approvals_at_once_never_let_in_more_than_the_link_allows_and_a_revoked_link_none() {
    let w = World::new().await;
    let (link, token) = approval_link(&w, 1).await;
    let people: Vec<User> = (0..4).map(|i| person(&w, &format!("p{i}"))).collect();
    for p in &people {
        assert_eq!(ask(&w, p, &link, &token).await.status, 202);
    }
    let mut calls = tokio::task::JoinSet::new();
    for p in &people {
        let (handlers, call) = (w.handlers.clone(), Call::approve_join(&w.team, &p.sub).by(&w.owner));
        calls.spawn(async move { call_handlers(&handlers, call).await });
    }
    let answers = calls.join_all().await;
    assert_eq!(
        answers.iter().filter(|a| a.status == 200).count(),
        1,
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != 200) {
        assert!(
            (refused.status == 410 && refused.body["linkState"] == "usedUp") || refused.status == 503,
            "{} {}",
            refused.status,
            refused.body
        );
    }
    let mut members = 0;
    for p in &people {
        members += usize::from(w.membership(&w.team, p).await.is_some());
    }
    assert_eq!(members, 1, "one use, one member");
    // Those refused still wait (the link may be replaced); none is approved.
    assert_eq!(requests(&w).await.iter().filter(|r| r["status"] == "pending").count(), 3);

    // A revoked link: its waiting requests can no longer be approved.
    let (link, token) = approval_link(&w, 5).await;
    let dee = person(&w, "dee");
    assert_eq!(ask(&w, &dee, &link, &token).await.status, 202);
    assert_eq!(w.call(Call::revoke_link(&w.team, &link, false).by(&w.owner)).await.status, 200);
    let refused = w.call(Call::approve_join(&w.team, &dee.sub).by(&w.owner)).await;
    assert_eq!(
        (refused.status, refused.body["linkState"].as_str()),
        (410, Some("revoked")),
        "{}",
        refused.body
    );
    let after = ask(&w, &person(&w, "eve"), &link, &token).await;
    assert_eq!(
        (after.status, after.body["linkState"].as_str()),
        (410, Some("revoked")),
        "no request through a revoked link"
    );
    // A member does not ask.
    let (link, token) = approval_link(&w, 5).await;
    let member = ask(&w, &w.member, &link, &token).await;
    assert_eq!((member.status, member.code()), (409, "already_member"));
}
