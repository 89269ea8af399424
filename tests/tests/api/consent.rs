//! Accepting as another address, with a manager's consent (issue 22, item
//! 4): holding the link, an account whose verified address is not the invited
//! one asks; the invitation stays open; a manager approves (the membership is
//! the asking account's, made then) or refuses.

use chrono::TimeDelta;
use serde_json::json;

use integration_tests::{call_handlers, token_of, Call, User, World};

fn person(w: &World, name: &str) -> User {
    User::new(&format!("{name}-{}", w.tag), &w.email(name))
}

#[tokio::test]
async fn another_address_asks_and_only_a_managers_approval_lets_that_account_in() {
    let w = World::new().await;
    let ada = person(&w, "ada");
    let (id, token) = w.invited(&ada.email, "member").await;
    // Ada, signed in with her other address: refused, as before; she asks.
    let home = person(&w, "ada-home");
    let refused = w.accept(&home, &id, &token).await;
    assert_eq!((refused.status, refused.code()), (403, "email_mismatch"));
    let asked = w.call(Call::request_accept(&id, &token).by(&home)).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert_eq!(
        (asked.body["status"].as_str(), asked.body["email"].as_str(), asked.body["invitedEmail"].as_str()),
        (Some("pending"), Some(home.email.as_str()), Some(ada.email.as_str()))
    );
    assert_eq!(w.membership(&w.team, &home).await, None, "asking makes no member");
    // One request at a time; the link is the credential; the address must be verified,
    // and another than the invited one.
    let other = person(&w, "other");
    let twice = w.call(Call::request_accept(&id, &token).by(&other)).await;
    assert_eq!((twice.status, twice.code()), (409, "accept_request_pending"));
    let forged =
        w.call(Call::request_accept(&id, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").by(&other)).await;
    assert_eq!(forged.status, 404);
    let unverified = json!({"sub": other.sub, "email": other.email, "email_verified": "false"});
    let resp = w.call(Call::request_accept(&id, &token).by(&other).claims(unverified)).await;
    assert_eq!((resp.status, resp.code()), (403, "email_unverified"));
    let same = w.call(Call::request_accept(&id, &token).by(&ada)).await;
    assert_eq!((same.status, same.code()), (422, "validation_failed"), "the invited address simply accepts");

    // The team's managers see both addresses; its members see nothing.
    assert_eq!(w.call(Call::accept_requests(&w.team).by(&w.member)).await.status, 403);
    let listed = w.call(Call::accept_requests(&w.team).by(&w.owner)).await;
    assert_eq!(listed.body["requests"].as_array().unwrap().len(), 1, "{}", listed.body);
    assert_eq!(w.call(Call::approve_accept(&w.team, &id).by(&w.member)).await.status, 403);

    // Approved: the invitation accepted by the asking account, a member under its own address.
    let approved = w.call(Call::approve_accept(&w.team, &id).by(&w.admin)).await;
    assert_eq!(
        (approved.status, approved.body["status"].as_str()),
        (200, Some("approved")),
        "{}",
        approved.body
    );
    let member = w.membership(&w.team, &home).await.expect("a member now");
    assert_eq!((member.email.to_string(), member.role.to_string()), (home.email.clone(), "member".into()));
    let late = w.accept(&ada, &id, &token).await;
    assert_eq!((late.status, late.body["invitationStatus"].as_str()), (409, Some("accepted")));
    let again = w.call(Call::approve_accept(&w.team, &id).by(&w.owner)).await;
    assert_eq!((again.status, again.body["requestStatus"].as_str()), (409, Some("approved")));
    assert_eq!(w.membership(&w.team, &ada).await, None, "the invited address is no member");
}

#[tokio::test]
async fn a_refusal_leaves_the_invitation_open_and_a_resend_or_its_expiry_voids_a_request() {
    let w = World::new().await;
    let (ada, home) = (person(&w, "ada"), person(&w, "ada-home"));
    let (id, token) = w.invited(&ada.email, "member").await;
    assert_eq!(w.call(Call::request_accept(&id, &token).by(&home)).await.status, 202);
    let refused = w.call(Call::refuse_accept(&w.team, &id).by(&w.owner)).await;
    assert_eq!((refused.status, refused.body["status"].as_str()), (200, Some("denied")), "{}", refused.body);
    assert_eq!(w.membership(&w.team, &home).await, None);
    assert_eq!(w.accept(&ada, &id, &token).await.status, 200, "still open for the invited address");

    // Resent: the request made with the old link names nothing.
    let bo = person(&w, "bo");
    let (id, token) = w.invited(&bo.email, "member").await;
    let bo_home = person(&w, "bo-home");
    assert_eq!(w.call(Call::request_accept(&id, &token).by(&bo_home)).await.status, 202);
    w.clock.advance(TimeDelta::minutes(5));
    let resent = w.call(Call::resend(&w.team, &id).by(&w.owner)).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    let void = w.call(Call::approve_accept(&w.team, &id).by(&w.owner)).await;
    assert_eq!((void.status, void.body["requestStatus"].as_str()), (409, Some("expired")), "{}", void.body);
    let old = w.call(Call::request_accept(&id, &token).by(&bo_home)).await;
    assert_eq!(old.status, 404, "the old link asks nothing");
    let new_token = token_of(resent.body["link"].as_str().unwrap());
    assert_eq!(w.call(Call::request_accept(&id, &new_token).by(&bo_home)).await.status, 202, "asked anew");

    // Expired with its invitation.
    w.clock.advance(TimeDelta::days(8));
    let expired = w.call(Call::approve_accept(&w.team, &id).by(&w.owner)).await;
    assert_eq!((expired.status, expired.body["requestStatus"].as_str()), (409, Some("expired")));
    assert_eq!(w.membership(&w.team, &bo_home).await, None);
}

#[tokio::test]
async fn an_approval_and_the_invited_persons_own_acceptance_at_once_make_one_member() {
    let w = World::new().await;
    let (ada, home) = (person(&w, "ada"), person(&w, "ada-home"));
    let (id, token) = w.invited(&ada.email, "member").await;
    assert_eq!(w.call(Call::request_accept(&id, &token).by(&home)).await.status, 202);
    let approve = call_handlers(&w.handlers, Call::approve_accept(&w.team, &id).by(&w.owner));
    let accept = call_handlers(&w.handlers, Call::accept(&id, &token).by(&ada));
    let (approved, accepted) = tokio::join!(approve, accept);
    let members = usize::from(w.membership(&w.team, &ada).await.is_some())
        + usize::from(w.membership(&w.team, &home).await.is_some());
    assert_eq!(members, 1, "approval {} / acceptance {}", approved.body, accepted.body);
    assert_ne!(approved.status == 200, accepted.status == 200, "exactly one of them won");
}
