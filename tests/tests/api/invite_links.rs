//! Invite links through the API (issue 22): a manager makes one, a signed-in
//! person opens it and joins the team with its role; the link's uses, expiry,
//! revocation and domains hold in the write; revoking it can end exactly the
//! memberships it made.

use chrono::TimeDelta;
use serde_json::{json, Value};

use integration_tests::{call_handlers, token_of, Call, Resp, User, World};

fn link_body(role: &str, max_uses: u32) -> Value {
    json!({ "role": role, "maxUses": max_uses })
}

/// A new link of the world's team, made by the owner: (id, token).
async fn made(w: &World, body: Value) -> (String, String) {
    let resp = w.call(Call::create_link(&w.team, body).by(&w.owner)).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let url = resp.body["url"].as_str().unwrap();
    let token = token_of(url);
    assert_eq!(resp.body["token"], token.as_str(), "the token is the one in the url");
    (resp.body["id"].as_str().unwrap().to_owned(), token)
}

async fn join(w: &World, who: &User, link: &str, token: &str) -> Resp {
    w.call(Call::join_link(&w.team, link, token).by(who)).await
}

fn newcomer(w: &World, name: &str) -> User {
    User::new(&format!("{name}-{}", w.tag), &w.email(name))
}

/// The link as the team's list shows it to the owner.
async fn listed(w: &World, link: &str) -> Value {
    let resp = w.call(Call::links(&w.team).by(&w.owner)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == link)
        .cloned()
        .expect("the link is listed")
}

#[tokio::test]
async fn a_manager_makes_a_link_someone_joins_through_it_and_the_list_names_them() {
    let w = World::new().await;
    let resp = w.call(Call::create_link(&w.team, link_body("member", 5)).by(&w.owner)).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let b = &resp.body;
    let url = b["url"].as_str().unwrap();
    let id = b["id"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/join/{}/{id}#token=", integration_tests::APP_BASE_URL, w.team)),
        "{url}"
    );
    assert_eq!(
        (b["role"].as_str(), b["state"].as_str(), b["uses"].as_u64()),
        (Some("member"), Some("active"), Some(0))
    );
    assert_eq!(
        (b["maxUses"].as_u64(), b["createdByEmail"].as_str()),
        (Some(5), Some(w.owner.email.as_str()))
    );
    let made_at = chrono::DateTime::parse_from_rfc3339(b["createdAt"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(b["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires - made_at, TimeDelta::days(7), "a week unless asked otherwise");
    let token = token_of(url);

    // Who may not: a member makes none, lists none; no one makes an owner's link.
    let by_member = w.call(Call::create_link(&w.team, link_body("member", 5)).by(&w.member)).await;
    assert_eq!((by_member.status, by_member.code()), (403, "forbidden"));
    let listed_by_member = w.call(Call::links(&w.team).by(&w.member)).await;
    assert_eq!(listed_by_member.status, 403);
    let owner_link = w.call(Call::create_link(&w.team, link_body("owner", 5)).by(&w.owner)).await;
    assert_eq!((owner_link.status, owner_link.code()), (422, "validation_failed"));
    let bad = w
        .call(
            Call::create_link(
                &w.team,
                json!({"role": "member", "maxUses": 0, "expiresInDays": 31, "domains": ["not a domain"]}),
            )
            .by(&w.owner),
        )
        .await;
    let fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["expiresInDays", "maxUses", "domains"], "{}", bad.body);

    // The page, for a signed-in person holding the link.
    let ada = newcomer(&w, "ada");
    let page = w.call(Call::preview_link(&w.team, id, &token).by(&ada)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["teamName"], "Acme Rockets");
    assert_eq!((page.body["role"].as_str(), page.body["state"].as_str()), (Some("member"), Some("active")));
    assert_eq!(page.body["createdByEmail"], w.owner.email.as_str());
    assert_eq!(page.body["alreadyMember"], false);
    assert!(page.body.get("uses").is_none() && page.body.get("joined").is_none(), "{}", page.body);
    let wrong = w.call(Call::preview_link(&w.team, id, "x.y").by(&ada)).await;
    assert_eq!((wrong.status, wrong.code()), (404, "not_found"));
    let elsewhere = w.call(Call::preview_link(&w.other_team, id, &token).by(&ada)).await;
    assert_eq!(elsewhere.status, 404, "another team's path names no link");

    let joined = join(&w, &ada, id, &token).await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    assert_eq!(joined.body["membership"]["role"], "member");
    assert_eq!(joined.body["membership"]["email"], ada.email.as_str());
    assert_eq!(w.membership(&w.team, &ada).await.map(|m| m.role.to_string()), Some("member".into()));
    let again = join(&w, &ada, id, &token).await;
    assert_eq!((again.status, again.code()), (409, "already_member"));
    let page = w.call(Call::preview_link(&w.team, id, &token).by(&ada)).await;
    assert_eq!(page.body["alreadyMember"], true);

    let l = listed(&w, id).await;
    assert_eq!(l["uses"], 1);
    assert_eq!(l["joined"].as_array().unwrap().len(), 1);
    assert_eq!(
        (l["joined"][0]["userId"].as_str(), l["joined"][0]["email"].as_str()),
        (Some(ada.sub.as_str()), Some(ada.email.as_str()))
    );
    assert_eq!(l["actions"], json!(["revoke"]));
    assert!(l.get("url").is_none() && l.get("token").is_none(), "the secret is shown once: {l}");
}

#[tokio::test]
async fn a_link_lets_in_no_more_people_than_it_allows_when_they_come_at_once() {
    let w = World::new().await;
    let (id, token) = made(&w, link_body("member", 2)).await;
    let people: Vec<User> = (0..6).map(|i| newcomer(&w, &format!("p{i}"))).collect();
    let mut calls = tokio::task::JoinSet::new();
    for p in &people {
        let (handlers, call) = (w.handlers.clone(), Call::join_link(&w.team, &id, &token).by(p));
        calls.spawn(async move { call_handlers(&handlers, call).await });
    }
    let answers = calls.join_all().await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert_eq!(
        created,
        2,
        "{:?}",
        answers.iter().map(|a| (a.status, a.code().to_owned())).collect::<Vec<_>>()
    );
    for refused in answers.iter().filter(|a| a.status != 201) {
        // Used up; or, where a conflicting transaction cancelled it, busy (retry).
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
    assert_eq!(members, 2, "exactly as many members as the link allows");
    let l = listed(&w, &id).await;
    assert_eq!((l["uses"].as_u64(), l["state"].as_str()), (Some(2), Some("usedUp")));
    let late = join(&w, &newcomer(&w, "late"), &id, &token).await;
    assert_eq!(
        (late.status, late.code(), late.body["linkState"].as_str()),
        (410, "link_not_active", Some("usedUp"))
    );
}

#[tokio::test]
async fn an_expired_or_revoked_link_refuses_and_a_domain_link_takes_only_its_domains() {
    let w = World::new().await;
    // Domains: only addresses of acme.com, verified by the pool itself.
    let (id, token) = made(&w, json!({"role": "member", "maxUses": 10, "domains": ["ACME.com"]})).await;
    assert_eq!(listed(&w, &id).await["domains"], json!(["acme.com"]));
    let outsider = newcomer(&w, "outsider");
    let refused = join(&w, &outsider, &id, &token).await;
    assert_eq!((refused.status, refused.code()), (403, "domain_not_allowed"));
    let ada = User::new(&format!("ada-{}", w.tag), &format!("ada.{}@acme.com", w.tag));
    let unverified = w
        .call(
            Call::join_link(&w.team, &id, &token)
                .by(&ada)
                .claims(json!({"sub": ada.sub, "email": ada.email, "email_verified": "false"})),
        )
        .await;
    assert_eq!((unverified.status, unverified.code()), (403, "email_unverified"));
    let federated = json!({"sub": ada.sub, "email": ada.email, "email_verified": "true", "identities": "[{\"providerName\":\"Google\"}]"});
    let vouched = w.call(Call::join_link(&w.team, &id, &token).by(&ada).claims(federated)).await;
    assert_eq!(
        (vouched.status, vouched.code()),
        (403, "domain_not_allowed"),
        "a provider the deployment does not list"
    );
    assert_eq!(join(&w, &ada, &id, &token).await.status, 201);

    // Revoked: no one more; revoking again changes nothing.
    let revoked = w.call(Call::revoke_link(&w.team, &id, false).by(&w.admin)).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(
        (revoked.body["link"]["state"].as_str(), revoked.body["membershipsEnded"].as_u64()),
        (Some("revoked"), Some(0))
    );
    assert_eq!(revoked.body["link"]["revokedBy"], w.admin.sub.as_str());
    assert_eq!(revoked.body["link"]["actions"], json!([]));
    let bo = User::new(&format!("bo-{}", w.tag), &format!("bo.{}@acme.com", w.tag));
    let after = join(&w, &bo, &id, &token).await;
    assert_eq!((after.status, after.body["linkState"].as_str()), (410, Some("revoked")));
    let again = w.call(Call::revoke_link(&w.team, &id, false).by(&w.owner)).await;
    assert_eq!((again.status, again.body["link"]["revokedBy"].as_str()), (200, Some(w.admin.sub.as_str())));
    let by_member = w.call(Call::revoke_link(&w.team, &id, false).by(&w.member)).await;
    assert_eq!(by_member.status, 403);
    let unknown =
        w.call(Call::revoke_link(&w.team, &uuid::Uuid::new_v4().to_string(), false).by(&w.owner)).await;
    assert_eq!(unknown.status, 404);

    // Expired: open a moment before, not at the instant.
    let (id, token) = made(&w, json!({"role": "member", "maxUses": 10, "expiresInDays": 1})).await;
    w.clock.advance(TimeDelta::days(1) - TimeDelta::seconds(1));
    assert_eq!(join(&w, &newcomer(&w, "cy"), &id, &token).await.status, 201);
    w.clock.advance(TimeDelta::seconds(1));
    let expired = join(&w, &newcomer(&w, "dee"), &id, &token).await;
    assert_eq!(
        (expired.status, expired.code(), expired.body["linkState"].as_str()),
        (410, "link_not_active", Some("expired"))
    );
    assert_eq!(listed(&w, &id).await["state"], "expired");
}

#[tokio::test]
async fn revoking_a_link_with_its_memberships_ends_exactly_those_it_made() {
    let w = World::new().await;
    let (first, first_token) = made(&w, link_body("member", 10)).await;
    let (second, second_token) = made(&w, link_body("member", 10)).await;
    let (ada, bo, cy) = (newcomer(&w, "ada"), newcomer(&w, "bo"), newcomer(&w, "cy"));
    for who in [&ada, &bo] {
        assert_eq!(join(&w, who, &first, &first_token).await.status, 201);
    }
    assert_eq!(join(&w, &cy, &second, &second_token).await.status, 201);
    // Bo leaves and comes back through the second link: that membership is
    // the second link's, whatever the first recorded.
    let left = w.call(Call::remove_member(&w.team, &bo.sub).by(&bo)).await;
    assert_eq!(left.status, 200, "{}", left.body);
    assert_eq!(join(&w, &bo, &second, &second_token).await.status, 201);

    let revoked = w.call(Call::revoke_link(&w.team, &first, true).by(&w.admin)).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["membershipsEnded"], 1, "{}", revoked.body);
    assert_eq!(revoked.body["membershipsKept"], 1, "{}", revoked.body);
    assert_eq!(w.membership(&w.team, &ada).await, None, "made by the revoked link: ended");
    assert!(w.membership(&w.team, &bo).await.is_some(), "made by the other link: stays");
    assert!(w.membership(&w.team, &cy).await.is_some(), "the other link's: stays");
    assert!(w.membership(&w.team, &w.member).await.is_some(), "invited, not linked: stays");
    // The link's history still names who joined through it.
    assert_eq!(listed(&w, &first).await["joined"].as_array().unwrap().len(), 2);
    // Asked again: nothing more to end.
    let again = w.call(Call::revoke_link(&w.team, &first, true).by(&w.owner)).await;
    assert_eq!(
        (again.body["membershipsEnded"].as_u64(), again.body["membershipsKept"].as_u64()),
        (Some(0), Some(1)),
        "Bo stays; Ada is gone"
    );
    // Ada can be invited again at once: her address is free.
    assert_eq!(w.invite(&w.owner, &ada.email, "member").await.status, 201);
}

#[tokio::test]
async fn a_link_fills_the_teams_seats_and_stops_at_the_last() {
    let w = World::new().await;
    let team = invitations_core::domain::TeamId::parse(&w.team).unwrap();
    w.store.set_seats(&team, Some(5)).await.unwrap(); // three members: two seats left
    let (id, token) = made(&w, link_body("member", 10)).await;
    for name in ["ada", "bo"] {
        assert_eq!(join(&w, &newcomer(&w, name), &id, &token).await.status, 201);
    }
    let full = join(&w, &newcomer(&w, "cy"), &id, &token).await;
    assert_eq!((full.status, full.code()), (409, "seat_limit"), "{}", full.body);
    assert_eq!(listed(&w, &id).await["uses"], 2, "a refused join uses nothing");
}

#[tokio::test]
async fn a_link_lets_in_at_most_its_rate_a_minute_then_again_the_next() {
    use invitations_core::domain::LINK_JOINS_PER_MINUTE;
    let w = World::new().await;
    let (id, token) = made(&w, link_body("member", LINK_JOINS_PER_MINUTE + 10)).await;
    // One after another: the link's own item and the minute's count are each
    // one item, which concurrent joins contend for (links.rs races them).
    for i in 0..LINK_JOINS_PER_MINUTE {
        let resp = join(&w, &newcomer(&w, &format!("p{i}")), &id, &token).await;
        assert_eq!(resp.status, 201, "join {i}: {}", resp.body);
    }
    let late = newcomer(&w, "late");
    let limited = join(&w, &late, &id, &token).await;
    assert_eq!((limited.status, limited.code()), (429, "rate_limited"), "{}", limited.body);
    assert_eq!(limited.body["limit"], "linkJoinsPerMinute");
    let wait = limited.body["retryAfterSeconds"].as_u64().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(w.membership(&w.team, &late).await, None);
    assert_eq!(listed(&w, &id).await["uses"], LINK_JOINS_PER_MINUTE, "a refused join uses nothing");
    w.clock.advance(chrono::TimeDelta::seconds(wait as i64));
    assert_eq!(join(&w, &late, &id, &token).await.status, 201, "the next minute lets them in");
}
