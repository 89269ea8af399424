//! What lands in DynamoDB: no secrets, and the TTL that keeps history for the
//! retention period and then purges it.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta};
use integration_tests::{Options, World};
use std::collections::HashMap;

async fn items(w: &World) -> Vec<HashMap<String, AttributeValue>> {
    let out = w.store.client().scan().table_name(w.store.table_name()).send().await.unwrap();
    out.items().to_vec()
}

async fn invitation_item(w: &World, id: &str) -> HashMap<String, AttributeValue> {
    items(w)
        .await
        .into_iter()
        .find(|i| i.get("pk").and_then(|v| v.as_s().ok()) == Some(&format!("INV#{id}")))
        .expect("invitation item")
}

fn purge_at(item: &HashMap<String, AttributeValue>) -> i64 {
    item["purgeAt"].as_n().unwrap().parse().unwrap()
}

fn epoch(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp()
}

#[tokio::test]
async fn link_tokens_are_never_stored() {
    let w = World::new().await;
    let (_, token) = w.invited(&w.email("secret"), "member").await;
    let dump = format!("{:?}", items(&w).await);
    assert!(!dump.contains(&token), "the table holds no working link");
    assert!(!dump.contains(integration_tests::SECRET));
}

#[tokio::test]
async fn history_stays_for_90_days_after_the_last_change_then_ttl_purges_it() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("ttl"), "member").await;
    let item = invitation_item(&w, &id).await;
    assert_eq!(purge_at(&item), epoch("2026-11-09T09:30:00Z") + 90 * 86_400, "open: 90 days after expiry");

    // Each way an invitation ends moves its purge to 90 days after that moment
    // (2 days after the invitations were sent), whichever path writes it.
    let (declined, declined_token) = w.invited(&w.email("ttl-declined"), "member").await;
    let (withdrawn, _) = w.invited(&w.email("ttl-withdrawn"), "member").await;
    let accepted_email = w.email("ttl-accepted");
    let (accepted, accepted_token) = w.invited(&accepted_email, "member").await;
    w.clock.advance(TimeDelta::days(2));
    assert_eq!(w.decline(None, &declined, &declined_token).await.status, 200);
    assert_eq!(w.withdraw(&w.owner, &withdrawn).await.status, 200);
    let invitee = integration_tests::User::new(&format!("ttl-{}", w.tag), &accepted_email);
    assert_eq!(w.accept(&invitee, &accepted, &accepted_token).await.status, 200);
    for (what, id) in [("declined", declined), ("withdrawn", withdrawn), ("accepted", accepted)] {
        let item = invitation_item(&w, &id).await;
        assert_eq!(purge_at(&item), epoch("2026-11-04T09:30:00Z") + 90 * 86_400, "{what}: 90 days after");
    }
}

#[tokio::test]
async fn the_validity_period_is_configurable() {
    let w = World::with(Options { validity: TimeDelta::hours(1), ..Options::default() }).await;
    let resp = w.invite(&w.owner, &w.email("short"), "member").await;
    assert_eq!(resp.body["expiresAt"], "2026-11-02T10:30:00.000Z");
    let id = resp.body["id"].as_str().unwrap().to_owned();
    w.clock.advance(TimeDelta::minutes(59));
    assert_eq!(w.status_in_list(&id).await, "open");
    w.clock.advance(TimeDelta::minutes(1));
    assert_eq!(w.status_in_list(&id).await, "expired");
}

#[tokio::test]
async fn the_development_expiry_shortcut_expires_an_invitation_and_frees_its_email() {
    // `invitations-admin expire-invitation`, which the browser suite uses for the
    // expired page and the stack journey to renew: as if the week had passed
    // (its send a week ago), and nothing else.
    use invitations_core::clock::Clock;
    let w = World::new().await;
    let (id, token) = w.invited(&w.email("late"), "member").await;
    let parsed = invitations_core::domain::InvitationId::parse(&id).unwrap();
    let expired = w.store.expire_now(parsed, w.clock.now()).await.unwrap();
    assert_eq!(expired.expires_at, w.clock.now());
    assert_eq!(expired.sent_at, w.clock.now() - TimeDelta::days(7), "sent its week before");
    use invitations_core::ports::InvitationStore;
    assert_eq!(w.store.invitation(parsed).await.unwrap().unwrap(), expired, "as stored");
    assert_eq!(w.preview(&id, &token).await.body["status"], "expired");
    assert_eq!(w.list(&w.owner, &[("status", "expired")]).await.body["invitations"][0]["id"], id.as_str());
    assert_eq!(w.invite(&w.owner, &w.email("late"), "member").await.status, 201, "the email is free again");
    // Its send a week back, an expired invitation is renewed at once, past the
    // resend cooldown, as it would be.
    let (other, _) = w.invited(&w.email("renew"), "member").await;
    let other_id = invitations_core::domain::InvitationId::parse(&other).unwrap();
    w.store.expire_now(other_id, w.clock.now()).await.unwrap();
    let renewed = w.call(integration_tests::Call::resend(&w.team, &other).by(&w.owner)).await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
}
