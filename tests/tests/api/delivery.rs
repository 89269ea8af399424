//! Delivery feedback in: SES's reports (as EventBridge hands them to the
//! delivery function) show on each invitation, in the list and its history,
//! and never move its email's status back.

use integration_tests::{Call, World};
use invitations_core::triggers::ses::Applied;

use crate::published::{ses_report, transient_bounce};

/// The invitation as the team's list shows it to the owner.
async fn listed(w: &World, id: &str) -> serde_json::Value {
    let resp = w.list(&w.owner, &[("limit", "100")]).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["invitations"].as_array().unwrap().iter().find(|i| i["id"] == id).cloned().unwrap()
}

async fn history(w: &World, id: &str) -> Vec<serde_json::Value> {
    let resp = w.call(Call::history(&w.team, id).by(&w.owner)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.body["history"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_bounce_shows_as_bounced_in_the_list_and_in_the_invitations_history() {
    let w = World::new().await;
    let typo = w.email("typo");
    let (id, _) = w.invited(&typo, "member").await;
    assert_eq!(listed(&w, &id).await["emailDelivery"], "sent");
    assert!(listed(&w, &id).await.get("bounceType").is_none());

    let applied = w.delivery_function().handle(&ses_report("Bounce", &id, &typo, 0)).await.unwrap();
    assert_eq!(applied, Applied::Recorded);
    let inv = listed(&w, &id).await;
    assert_eq!((&inv["emailDelivery"], &inv["bounceType"]), (&"bounced".into(), &"permanent".into()));
    assert_eq!(inv["status"], "open", "still open: the manager may copy the link or withdraw it");
    assert!(inv["link"].is_string());

    let history = history(&w, &id).await;
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0]["type"], "invitation.created");
    assert_eq!(history[0]["actor"], w.owner.sub.as_str());
    assert_eq!(history[1]["type"], "invitation.delivery_changed");
    assert_eq!(
        (&history[1]["emailDelivery"], &history[1]["bounceType"]),
        (&"bounced".into(), &"permanent".into())
    );
    assert_eq!(history[1]["at"], "2026-11-02T09:31:00.000Z", "when SES says it happened");
    assert!(history[1]["actor"].is_null());
}

#[tokio::test]
async fn reports_arriving_out_of_order_never_move_the_status_back() {
    let w = World::new().await;
    let delivery = w.delivery_function();
    let ada = w.email("ada");
    let (id, _) = w.invited(&ada, "member").await;
    let report = |kind: &str| ses_report(kind, &id, &ada, 0);

    // The delivery arrives before the delay that preceded it.
    assert_eq!(delivery.handle(&report("Delivery")).await.unwrap(), Applied::Recorded);
    assert_eq!(delivery.handle(&report("DeliveryDelay")).await.unwrap(), Applied::Stale);
    assert_eq!(listed(&w, &id).await["emailDelivery"], "delivered");
    // The complaint the delivery led to moves it on; a late delivery report does not.
    assert_eq!(delivery.handle(&report("Complaint")).await.unwrap(), Applied::Recorded);
    assert_eq!(delivery.handle(&report("Delivery")).await.unwrap(), Applied::Stale);
    assert_eq!(listed(&w, &id).await["emailDelivery"], "complained");
    // The same report again changes nothing (EventBridge delivers at least once).
    assert_eq!(delivery.handle(&report("Complaint")).await.unwrap(), Applied::Stale);
    let kinds: Vec<_> = history(&w, &id).await.iter().map(|h| h["emailDelivery"].clone()).collect();
    assert_eq!(kinds, [serde_json::Value::Null, "delivered".into(), "complained".into()]);
}

#[tokio::test]
async fn a_resend_starts_its_emails_status_afresh_and_reports_on_the_earlier_send_no_longer_apply() {
    let w = World::new().await;
    let delivery = w.delivery_function();
    let ada = w.email("ada");
    let (id, _) = w.invited(&ada, "member").await;
    // (A permanent bounce would rule out the resend: `resend.rs`.)
    delivery.handle(&transient_bounce(&id, &ada, 0)).await.unwrap();
    w.clock.advance(chrono::TimeDelta::minutes(5));
    let resent = w.call(Call::resend(&w.team, &id).by(&w.owner)).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    assert_eq!(resent.body["emailDelivery"], "sent");
    let inv = listed(&w, &id).await;
    assert_eq!(inv["emailDelivery"], "sent");
    assert!(inv.get("bounceType").is_none(), "the new send has not bounced");

    // A late report about the first email is not about this one.
    assert_eq!(delivery.handle(&ses_report("Delivery", &id, &ada, 0)).await.unwrap(), Applied::Stale);
    assert_eq!(listed(&w, &id).await["emailDelivery"], "sent");
    assert_eq!(delivery.handle(&ses_report("Delivery", &id, &ada, 1)).await.unwrap(), Applied::Recorded);
    assert_eq!(listed(&w, &id).await["emailDelivery"], "delivered");
}

#[tokio::test]
async fn reports_on_other_emails_unknown_invitations_or_unreadable_ones_change_nothing() {
    let w = World::new().await;
    let delivery = w.delivery_function();
    let mut untagged = ses_report("Bounce", "x", "x@example.com", 0);
    untagged["detail"]["mail"]["tags"] = serde_json::json!({});
    assert_eq!(delivery.handle(&untagged).await.unwrap(), Applied::Ignored);
    assert_eq!(delivery.handle(&serde_json::json!({"detail": {}})).await.unwrap(), Applied::Ignored);
    let purged = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        delivery.handle(&ses_report("Delivery", &purged, "x@example.com", 0)).await.unwrap(),
        Applied::Stale
    );
}

/// Anyone who may put events on the bus, or invoke the function, can send an
/// SES-shaped event: only SES's, from the stack's account, about its own
/// configuration set's email to the invitation's own address, applies.
#[tokio::test]
async fn a_report_from_elsewhere_or_about_another_address_changes_nothing() {
    let w = World::new().await;
    let delivery = w.delivery_function();
    let ada = w.email("ada");
    let (id, _) = w.invited(&ada, "member").await;
    let forged = |pointer: &str, value: serde_json::Value| {
        let mut report = ses_report("Complaint", &id, &ada, 0);
        *report.pointer_mut(pointer).unwrap() = value;
        report
    };
    for report in [
        forged("/source", "my.app".into()),
        forged("/account", "210987654321".into()),
        forged("/detail/mail/tags/ses:configuration-set/0", "another-set".into()),
    ] {
        assert_eq!(delivery.handle(&report).await.unwrap(), Applied::Ignored, "{report}");
    }
    // SES's report, but on an email to someone else that names this invitation.
    let other = ses_report("Complaint", &id, &w.email("mallory"), 0);
    assert_eq!(delivery.handle(&other).await.unwrap(), Applied::Stale);
    assert_eq!(listed(&w, &id).await["emailDelivery"], "sent", "nothing changed");
    assert_eq!(delivery.handle(&ses_report("Complaint", &id, &ada, 0)).await.unwrap(), Applied::Recorded);
}

#[tokio::test]
async fn only_the_teams_managers_read_an_invitations_history() {
    let w = World::new().await;
    let (id, token) = w.invited(&w.email("ada"), "member").await;
    assert_eq!(w.decline(None, &id, &token).await.status, 200);
    let resp = w.call(Call::history(&w.team, &id).by(&w.admin)).await;
    assert_eq!(resp.status, 200);
    let kinds: Vec<_> = resp.body["history"].as_array().unwrap().iter().map(|h| h["type"].clone()).collect();
    assert_eq!(kinds, ["invitation.created", "invitation.declined"]);
    assert!(resp.body["history"][1]["actor"].is_null(), "declined without signing in");

    for (who, status) in [(&w.member, 403), (&w.outsider, 403)] {
        let resp = w.call(Call::history(&w.team, &id).by(who)).await;
        assert_eq!((resp.status, resp.code()), (status, "forbidden"), "{}", who.sub);
    }
    // The other team's manager asking under their own team: not theirs to see.
    let resp = w.call(Call::history(&w.other_team, &id).by(&w.outsider)).await;
    assert_eq!((resp.status, resp.code()), (404, "not_found"));
    let unknown = uuid::Uuid::new_v4().to_string();
    assert_eq!(w.call(Call::history(&w.team, &unknown).by(&w.owner)).await.status, 404);
    assert_eq!(w.call(Call::history(&w.team, "not-an-id").by(&w.owner)).await.status, 404);
}
