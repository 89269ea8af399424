//! POST /teams/{teamId}/invitations/{invitationId}/resend: the email again,
//! with a new link and a new week; the old link stops working.

use chrono::TimeDelta;
use serde_json::json;

use integration_tests::{sent_emails, token_of, Call, User, World};

const COOLDOWN: TimeDelta = TimeDelta::seconds(60);

async fn resend(w: &World, by: &User, id: &str) -> integration_tests::Resp {
    w.call(Call::resend(&w.team, id).by(by)).await
}

#[tokio::test]
async fn a_resend_emails_a_new_link_and_the_old_one_stops_working() {
    let w = World::new().await;
    let email = w.email("ada");
    let first = w.invite(&w.owner, &email, "member").await;
    let id = first.body["id"].as_str().unwrap().to_owned();
    let old = token_of(first.body["link"].as_str().unwrap());
    w.clock.advance(TimeDelta::days(6));

    let resp = resend(&w, &w.admin, &id).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let new = token_of(resp.body["link"].as_str().unwrap());
    assert_ne!(new, old);
    assert_eq!(resp.body["linkToken"], new.as_str());
    assert_eq!(resp.body["status"], "open");
    assert_eq!(resp.body["createdAt"], first.body["createdAt"], "the same invitation");
    // A new week from the resend, not from the first send.
    let expires = chrono::DateTime::parse_from_rfc3339(resp.body["expiresAt"].as_str().unwrap()).unwrap();
    let created = chrono::DateTime::parse_from_rfc3339(first.body["createdAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, TimeDelta::days(13));
    assert_eq!(resp.body["actions"], json!(["withdraw", "copyLink"]), "no resend within the cooldown");

    // The email went out again, with the new link; the list copies the new one.
    let mails = sent_emails(&email);
    assert_eq!(mails.len(), 2);
    assert!(mails[1].body.contains(&new) && !mails[1].body.contains(&old));
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["link"], resp.body["link"]);

    // The old link names nothing any more, whatever it is used for, and using
    // it changes nothing.
    assert_eq!(w.preview(&id, &old).await.status, 404);
    let ada = User::new(&format!("ada-{}", w.tag), &email);
    assert_eq!(w.accept(&ada, &id, &old).await.status, 404);
    assert_eq!(w.decline(None, &id, &old).await.status, 404);
    assert_eq!(w.preview(&id, &new).await.body["status"], "open");

    // Past the first week, the invitation is open and the new link accepts it.
    w.clock.advance(TimeDelta::days(2));
    assert_eq!(w.invite(&w.owner, &email, "member").await.code(), "already_invited", "the lock moved too");
    let accepted = w.accept(&ada, &id, &new).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}

#[tokio::test]
async fn a_resend_within_the_cooldown_is_429_with_retry_after() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("ada"), "member").await;
    w.clock.advance(TimeDelta::seconds(45));
    let resp = resend(&w, &w.owner, &id).await;
    assert_eq!((resp.status, resp.code()), (429, "resend_too_soon"), "{}", resp.body);
    assert_eq!(resp.headers["retry-after"], "15");
    assert_eq!(resp.body["retryAfterSeconds"], 15);
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["actions"], json!(["withdraw", "copyLink"]));

    w.clock.advance(TimeDelta::seconds(15));
    let list = w.list(&w.owner, &[]).await;
    assert_eq!(list.body["invitations"][0]["actions"], json!(["resend", "withdraw", "copyLink"]));
    assert_eq!(resend(&w, &w.owner, &id).await.status, 200);
    let again = resend(&w, &w.owner, &id).await;
    assert_eq!((again.status, again.headers["retry-after"].to_str().unwrap()), (429, "60"));
}

#[tokio::test]
async fn only_open_invitations_of_the_callers_team_are_resent_by_its_managers() {
    let w = World::new().await;
    let (declined, token) = w.invited(&w.email("declined"), "member").await;
    assert_eq!(w.decline(None, &declined, &token).await.status, 200);
    let (open, token) = w.invited(&w.email("open"), "member").await;
    w.clock.advance(COOLDOWN);

    let resp = resend(&w, &w.owner, &declined).await;
    assert_eq!((resp.status, resp.code()), (409, "invitation_not_open"));
    assert_eq!(resp.body["invitationStatus"], "declined");
    assert_eq!(resend(&w, &w.member, &open).await.status, 403);
    assert_eq!(resend(&w, &w.outsider, &open).await.status, 403);
    let resp = w.call(Call::resend(&w.other_team, &open).by(&w.outsider)).await;
    assert_eq!((resp.status, resp.code()), (404, "not_found"), "another team's invitation");
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(resend(&w, &w.owner, &unknown).await.status, 404);
    assert_eq!(w.call(Call::resend(&w.team, &open)).await.status, 401);
    // None of those changed the link.
    assert_eq!(w.preview(&open, &token).await.status, 200);

    w.clock.advance(TimeDelta::days(7));
    let resp = resend(&w, &w.owner, &open).await;
    assert_eq!((resp.status, resp.code()), (410, "invitation_expired"), "an expired one needs a new invite");
}

#[tokio::test]
async fn concurrent_resends_send_one_new_link() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("ada"), "member").await;
    w.clock.advance(COOLDOWN);
    let (a, b) = tokio::join!(resend(&w, &w.owner, &id), resend(&w, &w.admin, &id));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert!(statuses == [200, 429] || statuses == [200, 503], "{statuses:?}: {} {}", a.body, b.body);
    let winner = if a.status == 200 { &a } else { &b };
    // The link the winner answered with is the one that works.
    let token = token_of(winner.body["link"].as_str().unwrap());
    assert!(token.ends_with(".1"), "one generation further: {token}");
    assert_eq!(w.preview(&id, &token).await.status, 200);
    assert_eq!(sent_emails(&w.email("ada")).len(), 2, "the invite and one resend");
}
