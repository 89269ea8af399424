//! Invitations that fit the case (issue 21, item 5): an expiry of its own,
//! 1 to 30 days, which a resend renews for as long again; a personal note,
//! shown in the email and on the invitation's page.

use chrono::TimeDelta;
use invitations_core::clock::Clock;
use serde_json::json;

use integration_tests::{sent_emails, token_of, Call, World};
use invitations_core::time::parse_timestamp;

fn expires_in(invitation: &serde_json::Value, from: chrono::DateTime<chrono::Utc>) -> TimeDelta {
    parse_timestamp(invitation["expiresAt"].as_str().unwrap()).unwrap() - from
}

#[tokio::test]
async fn an_invitation_lasts_the_days_its_inviter_chose_and_a_resend_renews_as_many() {
    let w = World::new().await;
    let sent = w.clock.now();
    let body = json!({"email": w.email("short"), "role": "member", "expiresInDays": 2});
    let resp = w.call(Call::invite(&w.team, body).by(&w.owner)).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(expires_in(&resp.body, sent), TimeDelta::days(2));
    let id = resp.body["id"].as_str().unwrap().to_owned();
    let preview = w.preview(&id, &token_of(resp.body["link"].as_str().unwrap())).await;
    assert_eq!(preview.body["expiresAt"], resp.body["expiresAt"], "the page shows it");
    assert!(sent_emails(&w.email("short"))[0].body.contains("The invitation expires on"));

    w.clock.advance(TimeDelta::days(1));
    let resent = w.call(Call::resend(&w.team, &id).by(&w.owner)).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    assert_eq!(expires_in(&resent.body, w.clock.now()), TimeDelta::days(2), "as long again, not the week");
    w.clock.advance(TimeDelta::days(2));
    assert_eq!(w.status_in_list(&id).await, "expired");

    // Without it, the deployment's week; a batch entry may choose too.
    let week = w.invite(&w.owner, &w.email("week"), "member").await;
    assert_eq!(expires_in(&week.body, w.clock.now()), TimeDelta::days(7));
    let entries =
        json!({"invitations": [{"email": w.email("month"), "role": "member", "expiresInDays": 30}]});
    let batch = w.call(Call::batch(&w.team, entries).by(&w.owner)).await;
    assert_eq!(expires_in(&batch.body["results"][0]["invitation"], w.clock.now()), TimeDelta::days(30));

    for bad in [0, 31, -3] {
        let body = json!({"email": w.email("bad"), "role": "member", "expiresInDays": bad});
        let resp = w.call(Call::invite(&w.team, body).by(&w.owner)).await;
        assert_eq!((resp.status, &resp.body["errors"][0]["field"]), (422, &json!("expiresInDays")), "{bad}");
    }
}

#[tokio::test]
async fn the_inviters_note_reaches_the_email_and_the_invitations_page_as_text() {
    let w = World::new().await;
    let note = "Welcome aboard, <b>Ada</b>!\nWe start on Monday.";
    let body = json!({"email": w.email("ada"), "role": "member", "note": format!("  {note}  ")});
    let resp = w.call(Call::invite(&w.team, body).by(&w.owner)).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    let (id, token) = (resp.body["id"].as_str().unwrap(), token_of(resp.body["link"].as_str().unwrap()));
    let preview = w.preview(id, &token).await;
    assert_eq!(preview.body["note"], note, "trimmed, otherwise as typed");
    let email = &sent_emails(&w.email("ada"))[0].body;
    assert!(email.contains("added a note:") && email.contains("We start on Monday."), "{email}");
    assert!(!email.contains("<b>Ada</b>"), "markup in a note is escaped: {email}");
    // Nothing but whitespace is no note; a long one or a control character is refused.
    let blank = json!({"email": w.email("bo"), "role": "member", "note": " \n "});
    let resp = w.call(Call::invite(&w.team, blank).by(&w.owner)).await;
    let preview =
        w.preview(resp.body["id"].as_str().unwrap(), &token_of(resp.body["link"].as_str().unwrap())).await;
    assert!(preview.body.get("note").is_none(), "{}", preview.body);
    for bad in ["x".repeat(501), "bell\u{7}".to_owned()] {
        let body = json!({"email": w.email("cy"), "role": "member", "note": bad});
        let resp = w.call(Call::invite(&w.team, body).by(&w.owner)).await;
        assert_eq!((resp.status, &resp.body["errors"][0]["field"]), (422, &json!("note")));
    }
}
