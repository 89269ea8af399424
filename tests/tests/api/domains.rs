//! Verified domains (issue 22, item 3): the platform declares the email
//! domains a team owns; whoever signs in with a verified address of one sees
//! the team on `/me/joinable-teams` and joins it with the domain's role, or
//! asks to where the team wants approval.

use serde_json::{json, Value};

use integration_tests::request::PLATFORM_SESSION as PLATFORM;
use integration_tests::{call_handlers, Call, Resp, User, World};

const DOMAIN: &str = "acme.test";

async fn declare(w: &World, domain: &str, body: Value) -> Resp {
    w.call(Call::set_domain(&w.team, domain, body).signed_by(PLATFORM)).await
}

/// Someone with an address of `DOMAIN`, verified by the user pool itself.
fn colleague(w: &World, name: &str) -> User {
    User::new(&format!("{name}-{}", w.tag), &format!("{name}.{}@{DOMAIN}", w.tag))
}

async fn joinable(w: &World, who: &User) -> Value {
    let resp = w.call(Call::joinable_teams().by(who)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body
}

#[tokio::test]
async fn people_of_a_teams_verified_domain_see_it_and_join_with_the_domains_role() {
    let w = World::new().await;
    // Only the platform declares; never a public provider's domain, nor owner.
    let by_owner = w.call(Call::set_domain(&w.team, DOMAIN, json!({"role": "member"})).by(&w.owner)).await;
    assert_eq!(by_owner.status, 403);
    for public in ["gmail.com", "eu.outlook.com"] {
        let refused = declare(&w, public, json!({"role": "member"})).await;
        assert_eq!(
            (refused.status, refused.code()),
            (422, "validation_failed"),
            "{public}: {}",
            refused.body
        );
    }
    let owner_role = declare(&w, DOMAIN, json!({"role": "owner"})).await;
    assert_eq!(owner_role.status, 422, "{}", owner_role.body);
    let unknown =
        w.call(Call::set_domain("no-such-team", DOMAIN, json!({"role": "member"})).signed_by(PLATFORM)).await;
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    let declared = declare(&w, "ACME.test", json!({"role": "member"})).await;
    assert_eq!(declared.status, 200, "{}", declared.body);
    assert_eq!(
        (declared.body["domain"].as_str(), declared.body["approval"].as_bool()),
        (Some(DOMAIN), Some(false)),
        "lowercased; no approval unless asked"
    );
    let listed = w.call(Call::team_domains(&w.team).signed_by(PLATFORM)).await;
    assert_eq!(listed.body["domains"].as_array().unwrap().len(), 1, "{}", listed.body);

    // Ada, of the domain, sees the team and joins it as a member.
    let ada = colleague(&w, "ada");
    let seen = joinable(&w, &ada).await;
    assert_eq!(seen["addressCounts"], true);
    let team = &seen["teams"][0];
    assert_eq!(
        (team["teamId"].as_str(), team["role"].as_str(), team["member"].as_bool()),
        (Some(w.team.as_str()), Some("member"), Some(false))
    );
    let joined = w.call(Call::join_by_domain(&w.team).by(&ada)).await;
    assert_eq!(joined.status, 201, "{}", joined.body);
    assert_eq!(joined.body["membership"]["role"], "member");
    assert_eq!(w.membership(&w.team, &ada).await.map(|m| m.email.to_string()), Some(ada.email.clone()));
    assert_eq!(joinable(&w, &ada).await["teams"][0]["member"], true);
    let again = w.call(Call::join_by_domain(&w.team).by(&ada)).await;
    assert_eq!((again.status, again.code()), (409, "already_member"));

    // Anyone else: another domain, an unverified address, a provider the
    // deployment does not let vouch for a domain, a team without the domain.
    let outsider = User::new("out-1", &w.email("out"));
    assert_eq!(joinable(&w, &outsider).await["teams"], json!([]));
    let other = w.call(Call::join_by_domain(&w.team).by(&outsider)).await;
    assert_eq!((other.status, other.code()), (403, "domain_not_allowed"));
    let bo = colleague(&w, "bo");
    let unverified = json!({"sub": bo.sub, "email": bo.email, "email_verified": "false"});
    let resp = w.call(Call::join_by_domain(&w.team).by(&bo).claims(unverified.clone())).await;
    assert_eq!((resp.status, resp.code()), (403, "email_unverified"));
    let seen = w.call(Call::joinable_teams().by(&bo).claims(unverified)).await;
    assert_eq!((seen.body["addressCounts"].as_bool(), seen.body["teams"].clone()), (Some(false), json!([])));
    let federated = json!({"sub": bo.sub, "email": bo.email, "email_verified": "true", "identities": "[{\"providerName\":\"Google\"}]"});
    let resp = w.call(Call::join_by_domain(&w.team).by(&bo).claims(federated)).await;
    assert_eq!((resp.status, resp.code()), (403, "domain_not_allowed"));
    let elsewhere = w.call(Call::join_by_domain(&w.other_team).by(&bo)).await;
    assert_eq!((elsewhere.status, elsewhere.code()), (403, "domain_not_allowed"));

    // Removed: no one joins by it any more; removing again changes nothing.
    for _ in 0..2 {
        let removed = w.call(Call::remove_domain(&w.team, DOMAIN).signed_by(PLATFORM)).await;
        assert_eq!((removed.status, removed.body["domains"].clone()), (200, json!([])), "{}", removed.body);
    }
    assert_eq!(joinable(&w, &bo).await["teams"], json!([]));
    let gone = w.call(Call::join_by_domain(&w.team).by(&bo)).await;
    assert_eq!((gone.status, gone.code()), (403, "domain_not_allowed"));
    assert_eq!(w.membership(&w.team, &bo).await, None);
}

#[tokio::test]
async fn a_team_that_wants_approval_takes_requests_held_to_the_domain_as_declared() {
    let w = World::new().await;
    assert_eq!(declare(&w, DOMAIN, json!({"role": "member", "approval": true})).await.status, 200);
    let (ada, bo) = (colleague(&w, "ada"), colleague(&w, "bo"));
    let asked = w.call(Call::join_by_domain(&w.team).by(&ada)).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let r = &asked.body["request"];
    assert_eq!(
        (r["status"].as_str(), r["domain"].as_str(), r["linkId"].is_null()),
        (Some("pending"), Some(DOMAIN), true)
    );
    assert_eq!(w.membership(&w.team, &ada).await, None, "asking makes no member");
    let seen = joinable(&w, &ada).await;
    assert_eq!(seen["teams"][0]["pendingRequest"]["status"], "pending", "{seen}");
    let twice = w.call(Call::join_by_domain(&w.team).by(&ada)).await;
    assert_eq!((twice.status, twice.code()), (409, "join_request_pending"));

    // A manager approves: a member with the domain's role.
    let approved = w.call(Call::approve_join(&w.team, &ada.sub).by(&w.admin)).await;
    assert_eq!(
        (approved.status, approved.body["status"].as_str()),
        (200, Some("approved")),
        "{}",
        approved.body
    );
    assert_eq!(w.membership(&w.team, &ada).await.map(|m| m.role.to_string()), Some("member".into()));

    // Bo asks; the platform then declares the domain with another role: his
    // request, made for the old one, can no longer be approved, and waits.
    assert_eq!(w.call(Call::join_by_domain(&w.team).by(&bo)).await.status, 202);
    assert_eq!(declare(&w, DOMAIN, json!({"role": "administrator", "approval": true})).await.status, 200);
    let changed = w.call(Call::approve_join(&w.team, &bo.sub).by(&w.owner)).await;
    assert_eq!((changed.status, changed.code()), (403, "domain_not_allowed"), "{}", changed.body);
    assert_eq!(w.membership(&w.team, &bo).await, None);
    let requests = w.call(Call::join_requests(&w.team).by(&w.owner)).await;
    let bos = requests.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["userId"] == bo.sub.as_str())
        .cloned();
    assert_eq!(bos.map(|r| r["status"].clone()), Some(json!("pending")));
    // Removed: the same.
    assert_eq!(w.call(Call::remove_domain(&w.team, DOMAIN).signed_by(PLATFORM)).await.status, 200);
    let removed = w.call(Call::approve_join(&w.team, &bo.sub).by(&w.owner)).await;
    assert_eq!((removed.status, removed.code()), (403, "domain_not_allowed"));
    // Denying still answers it.
    assert_eq!(w.call(Call::deny_join(&w.team, &bo.sub).by(&w.owner)).await.status, 200);
}

#[tokio::test]
async fn joins_by_domain_at_once_never_take_more_seats_than_are_left() {
    let w = World::new().await;
    let team = invitations_core::domain::TeamId::parse(&w.team).unwrap();
    w.store.set_seats(&team, Some(4)).await.unwrap(); // three members: one seat left
    assert_eq!(declare(&w, DOMAIN, json!({"role": "member"})).await.status, 200);
    let people: Vec<User> = (0..4).map(|i| colleague(&w, &format!("p{i}"))).collect();
    let mut calls = tokio::task::JoinSet::new();
    for p in &people {
        let handlers = w.handlers.clone();
        let call = Call::join_by_domain(&w.team).by(p);
        calls.spawn(async move { call_handlers(&handlers, call).await });
    }
    let mut statuses: Vec<(u16, String)> = Vec::new();
    while let Some(resp) = calls.join_next().await {
        let resp = resp.unwrap();
        statuses.push((resp.status, resp.code().to_owned()));
    }
    statuses.sort();
    assert_eq!(statuses[0].0, 201, "{statuses:?}");
    assert!(statuses[1..].iter().all(|(s, c)| *s == 409 && c == "seat_limit"), "{statuses:?}");
    let mut members = 0;
    for p in &people {
        members += usize::from(w.membership(&w.team, p).await.is_some());
    }
    assert_eq!(members, 1, "exactly the last seat taken");
}

#[tokio::test]
async fn closing_a_team_removes_its_domains_and_a_rename_reaches_them() {
    let w = World::new().await;
    assert_eq!(declare(&w, DOMAIN, json!({"role": "member"})).await.status, 200);
    let ada = colleague(&w, "ada");
    let renamed = w
        .call(Call::platform("PATCH", &w.team).json(json!({"name": "Acme Orbital"})).signed_by(PLATFORM))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(joinable(&w, &ada).await["teams"][0]["teamName"], "Acme Orbital");
    let closed = w.call(Call::platform("DELETE", &w.team).signed_by(PLATFORM)).await;
    assert!(matches!(closed.status, 200 | 202), "{}", closed.body);
    assert_eq!(joinable(&w, &ada).await["teams"], json!([]), "a closed team is no team to join");
    let listed = w.call(Call::team_domains(&w.team).signed_by(PLATFORM)).await;
    assert_eq!(listed.body["domains"], json!([]));
    let late = declare(&w, DOMAIN, json!({"role": "member"})).await;
    assert_eq!((late.status, late.code()), (409, "team_closed"));
}
