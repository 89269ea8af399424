//! POST /teams/{teamId}/invitations

use chrono::TimeDelta;
use integration_tests::{sent_emails, token_of, Call, Options, World, APP_BASE_URL};
use serde_json::json;

#[tokio::test]
async fn a_manager_invites_and_the_invitee_gets_an_email_with_the_link() {
    let w = World::new().await;
    let email = w.email("ada");
    let resp = w.invite(&w.owner, &format!("  {}  ", email.to_uppercase()), "administrator").await;

    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.content_type, "application/json");
    let inv = &resp.body;
    assert_eq!(inv["email"], email.as_str(), "stored trimmed and lowercased");
    assert_eq!(inv["role"], "administrator");
    assert_eq!(inv["status"], "open");
    assert_eq!(inv["teamId"], w.team.as_str());
    assert_eq!(inv["invitedBy"], w.owner.sub.as_str());
    assert_eq!(inv["createdAt"], "2026-11-02T09:30:00.000Z");
    assert_eq!(inv["expiresAt"], "2026-11-09T09:30:00.000Z", "open for one week");
    assert_eq!(inv["emailDelivery"], "sent");
    let id = inv["id"].as_str().unwrap();
    let link = inv["link"].as_str().unwrap();
    assert!(link.starts_with(&format!("{APP_BASE_URL}/invitations/{id}#token=")), "{link}");
    assert!(token_of(link).len() >= 43, "at least 256 bits, base64url");
    assert_eq!(inv["linkToken"], token_of(link), "the link's token, for clients that build links");

    let mails = sent_emails(&email);
    assert_eq!(mails.len(), 1, "exactly one email to the invitee");
    assert!(mails[0].body.contains(&link.replace('&', "&amp;")), "{}", mails[0].body);
    assert!(mails[0].body.contains("Acme Rockets"));
    assert!(mails[0].body.contains("administrator"));
    assert!(mails[0].body.contains(&w.owner.email), "says who invited");
    assert!(mails[0].subject.contains("Acme Rockets"));
}

#[tokio::test]
async fn an_administrator_may_invite_but_a_plain_member_or_outsider_may_not() {
    let w = World::new().await;
    assert_eq!(w.invite(&w.admin, &w.email("a"), "member").await.status, 201);

    let resp = w.invite(&w.member, &w.email("b"), "member").await;
    assert_eq!((resp.status, resp.code()), (403, "forbidden"));
    let resp = w.invite(&w.outsider, &w.email("c"), "member").await;
    assert_eq!((resp.status, resp.code()), (403, "forbidden"));
    assert!(sent_emails(&w.email("b")).is_empty() && sent_emails(&w.email("c")).is_empty());
}

#[tokio::test]
async fn inviting_without_identity_is_401() {
    let w = World::new().await;
    let resp = w.call(Call::invite(&w.team, json!({"email": w.email("a"), "role": "member"}))).await;
    assert_eq!((resp.status, resp.code()), (401, "unauthenticated"));
    assert_eq!(resp.content_type, "application/problem+json");
}

#[tokio::test]
async fn invalid_fields_are_422_with_each_field_named() {
    let w = World::new().await;
    for (body, fields) in [
        (json!({"email": "not-an-email", "role": "member"}), vec!["email"]),
        (json!({"email": w.email("a"), "role": "wizard"}), vec!["role"]),
        (json!({"email": w.email("a"), "role": "owner"}), vec!["role"]),
        (json!({"email": w.email("a")}), vec!["role"]),
        (json!({}), vec!["email", "role"]),
    ] {
        let resp = w.call(Call::invite(&w.team, body.clone()).by(&w.owner)).await;
        assert_eq!((resp.status, resp.code()), (422, "validation_failed"), "{body}: {}", resp.body);
        let named: Vec<&str> =
            resp.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(named, fields, "{body}");
    }
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"].as_array().unwrap().len(), 0, "nothing was created");
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let w = World::new().await;
    for (body, ct) in [
        ("{", Some("application/json")),
        ("", Some("application/json")),
        (r#"{"email": 42, "role": "member"}"#, Some("application/json")),
        (r#"{"email":"a@example.com","role":"member"}"#, Some("text/plain")),
    ] {
        let call = Call::invite(&w.team, json!({})).raw_body(body, ct).by(&w.owner);
        let resp = w.call(call).await;
        assert_eq!((resp.status, resp.code()), (400, "invalid_request"), "{body:?}: {}", resp.body);
    }
}

#[tokio::test]
async fn a_second_open_invitation_for_the_same_email_is_409_whatever_its_case() {
    let w = World::new().await;
    let email = w.email("dup");
    assert_eq!(w.invite(&w.owner, &email, "member").await.status, 201);
    let resp = w.invite(&w.admin, &email.to_uppercase(), "administrator").await;
    assert_eq!((resp.status, resp.code()), (409, "already_invited"));
    assert_eq!(sent_emails(&email).len(), 1, "no second email");
}

#[tokio::test]
async fn the_same_email_may_be_invited_into_two_teams() {
    let w = World::new().await;
    let email = w.email("both");
    assert_eq!(w.invite(&w.owner, &email, "member").await.status, 201);
    let other = Call::invite(&w.other_team, json!({"email": email, "role": "member"})).by(&w.outsider);
    assert_eq!(w.call(other).await.status, 201);
}

#[tokio::test]
async fn inviting_a_current_member_is_409() {
    let w = World::new().await;
    let resp = w.invite(&w.owner, &w.member.email, "administrator").await;
    assert_eq!((resp.status, resp.code()), (409, "already_member"));
}

#[tokio::test]
async fn an_expired_invitation_does_not_block_a_new_one() {
    let w = World::new().await;
    let email = w.email("late");
    let (old_id, _) = w.invited(&email, "member").await;
    w.clock.advance(TimeDelta::days(7));
    let resp = w.invite(&w.owner, &email, "administrator").await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(w.status_in_list(&old_id).await, "expired");
    assert_eq!(w.status_in_list(resp.body["id"].as_str().unwrap()).await, "open");
}

#[tokio::test]
async fn answered_or_withdrawn_invitations_do_not_block_a_new_one() {
    let w = World::new().await;
    let email = w.email("again");
    let (id, token) = w.invited(&email, "member").await;
    assert_eq!(w.decline(None, &id, &token).await.status, 200);
    let (id, _) = w.invited(&email, "member").await;
    assert_eq!(w.withdraw(&w.owner, &id).await.status, 200);
    assert_eq!(w.invite(&w.owner, &email, "member").await.status, 201);
}

#[tokio::test]
async fn when_ses_refuses_the_invitation_is_kept_with_its_link() {
    // An unverified sender makes SES (and moto) reject the message.
    let w = World::with(Options { sender: "unverified@example.com", ..Options::default() }).await;
    let email = w.email("nomail");
    let resp = w.invite(&w.owner, &email, "member").await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.body["emailDelivery"], "failed");
    assert!(resp.body["link"].as_str().is_some(), "the manager can copy the link instead");
    assert!(sent_emails(&email).is_empty());

    let list = w.list(&w.owner, &[]).await;
    let listed = &list.body["invitations"][0];
    assert_eq!(listed["emailDelivery"], "failed", "the list shows which emails never left");
    assert_eq!(listed["link"], resp.body["link"]);
}

/// Twelve simultaneous invites of `email` by two managers; asserts every loser
/// hears `already_invited`, and returns how many were created.
async fn race_invites(w: &World, email: &str) -> usize {
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..12 {
        let handlers = w.handlers.clone();
        let caller = if i % 2 == 0 { w.owner.clone() } else { w.admin.clone() };
        let call = Call::invite(&w.team, json!({"email": email, "role": "member"})).by(&caller);
        calls.spawn(async move { integration_tests::call_handlers(&handlers, call).await });
    }
    let mut created = 0;
    while let Some(resp) = calls.join_next().await {
        let resp = resp.unwrap();
        match resp.status {
            201 => created += 1,
            409 => assert_eq!(resp.code(), "already_invited"),
            other => panic!("unexpected {other}: {}", resp.body),
        }
    }
    created
}

async fn open_invitations(w: &World) -> usize {
    let list = w.list(&w.owner, &[("status", "open")]).await;
    list.body["invitations"].as_array().unwrap().len()
}

#[tokio::test]
async fn concurrent_invites_of_one_email_leave_exactly_one_open_invitation() {
    let w = World::new().await;
    for round in 0..4 {
        assert_eq!(race_invites(&w, &w.email(&format!("race{round}"))).await, 1, "round {round}");
        assert_eq!(open_invitations(&w).await, round + 1, "round {round}");
    }
}

#[tokio::test]
async fn concurrent_re_invites_after_a_decline_leave_exactly_one_open_invitation() {
    // The declined invitation still names itself in the email's lock, so every
    // invite below takes the path that checks the holder and takes the lock over.
    let w = World::new().await;
    let email = w.email("again");
    let (id, token) = w.invited(&email, "member").await;
    assert_eq!(w.decline(None, &id, &token).await.status, 200);
    assert_eq!(race_invites(&w, &email).await, 1);
    assert_eq!(open_invitations(&w).await, 1);
}

#[tokio::test]
async fn the_store_refuses_an_invitation_whose_inviter_holds_no_managing_role_at_the_write() {
    use invitations_core::clock::Clock;
    use invitations_core::domain::{Email, Invitation, Permission, RoleCatalog, RoleName};
    use invitations_core::ports::{InsertError, InvitationStore};

    // What the invite function writes when its permission read is stale: the
    // transaction checks the inviter's membership again, at the write.
    let w = World::new().await;
    let now = w.clock.now();
    let team = w.team_value();
    let email = w.email("late");
    let by_member = Invitation::new(
        &team,
        Email::parse(&email).unwrap(),
        RoleName::parse("member").unwrap(),
        invitations_core::domain::UserId::parse(&w.member.sub).unwrap(),
        now,
        TimeDelta::days(7),
    );
    let managers = RoleCatalog::builtin().holding(Permission::MembersManage);
    let places = invitations_core::ports::Usage::default()
        .places(invitations_core::domain::TeamLimits { max_open: 1, emails_per_hour: 1, seats: None }, now, 1)
        .unwrap();
    let taken = invitations_core::ports::Taken::Now(places);
    let quota = invitations_core::ports::SendQuota { taken, per_recipient_per_day: 10 };
    let refused = w.store.insert_invitation(&by_member, &managers, now, by_member.expires_at, quota).await;
    assert_eq!(refused, Err(InsertError::Forbidden));
    // Nothing was written: the email is free for a manager's invitation.
    assert_eq!(w.invite(&w.owner, &email, "member").await.status, 201);
}
