//! Invitations that fit the case (issue 21, item 5): an expiry of its own,
//! 1 to 30 days, which a resend renews for as long again; a personal note,
//! shown in the email and on the invitation's page; metadata, kept for the
//! platform and never shown to the invitee.

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

async fn open_count(w: &World) -> i64 {
    use invitations_core::ports::LimitStore;
    w.store.usage(&invitations_core::domain::TeamId::parse(&w.team).unwrap()).await.unwrap().open()
}

/// Renewing (issue 21, item 5): a manager resends an expired invitation, which
/// opens again with a new link and period; same id, same history.
#[tokio::test]
async fn an_expired_invitation_is_renewed_in_one_action_with_a_new_link_and_its_history() {
    let w = World::new().await;
    let body = json!({"email": w.email("late"), "role": "member", "expiresInDays": 2});
    let first = w.call(Call::invite(&w.team, body).by(&w.owner)).await;
    let id = first.body["id"].as_str().unwrap().to_owned();
    let old_token = token_of(first.body["link"].as_str().unwrap());
    w.clock.advance(TimeDelta::days(3));
    let listed = w.list(&w.owner, &[("status", "expired")]).await;
    let row = listed.body["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["actions"], json!(["resend"]), "a manager may renew it: {row}");
    let seen = w.list(&w.member, &[("status", "expired")]).await;
    assert_eq!(seen.body["invitations"][0]["actions"], json!([]), "a member may not");
    assert_eq!(open_count(&w).await, 1, "not released yet: it still holds its place");

    let renewed = w.call(Call::resend(&w.team, &id).by(&w.admin)).await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    assert_eq!((&renewed.body["id"], &renewed.body["status"]), (&json!(id), &json!("open")));
    assert_eq!(expires_in(&renewed.body, w.clock.now()), TimeDelta::days(2), "its own period again");
    assert_eq!(open_count(&w).await, 1, "its old place given back, a new one taken");
    assert_eq!(w.preview(&id, &old_token).await.status, 404, "the old link stays dead");
    let history = w.call(Call::history(&w.team, &id).by(&w.owner)).await;
    let kinds: Vec<_> =
        history.body["history"].as_array().unwrap().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(
        kinds,
        [json!("invitation.created"), json!("invitation.resent")],
        "the same history, one entry more"
    );
    let late = integration_tests::User::new(&format!("late-{}", w.tag), &w.email("late"));
    let token = token_of(renewed.body["link"].as_str().unwrap());
    assert_eq!(w.accept(&late, &id, &token).await.status, 200, "the new link works");

    // Released from the count before it is renewed: it takes its place anew.
    let second = w.invite(&w.owner, &w.email("later"), "member").await;
    let second_id = second.body["id"].as_str().unwrap().to_owned();
    w.clock.advance(TimeDelta::days(8));
    use invitations_core::ports::LimitStore;
    let team = invitations_core::domain::TeamId::parse(&w.team).unwrap();
    let usage = w.store.usage(&team).await.unwrap();
    assert!(w.store.release_expired(&team, &usage, w.clock.now()).await.unwrap().freed);
    assert_eq!(open_count(&w).await, 0);
    assert_eq!(w.call(Call::resend(&w.team, &second_id).by(&w.owner)).await.status, 200);
    assert_eq!(open_count(&w).await, 1);
}

#[tokio::test]
async fn a_renewal_is_refused_once_the_address_was_invited_again_or_joined() {
    let w = World::new().await;
    let expired = |n: &str| {
        let body = json!({"email": w.email(n), "role": "member", "expiresInDays": 1});
        w.call(Call::invite(&w.team, body).by(&w.owner))
    };
    let (again, joined) = (expired("again").await, expired("joined").await);
    let answered = expired("answered").await;
    w.clock.advance(TimeDelta::days(2));
    // Invited again since: the newer invitation is the one to act on.
    assert_eq!(w.invite(&w.owner, &w.email("again"), "member").await.status, 201);
    let refused = w.call(Call::resend(&w.team, again.body["id"].as_str().unwrap()).by(&w.owner)).await;
    assert_eq!((refused.status, refused.code()), (409, "invitation_superseded"), "{}", refused.body);
    // Joined since (as an operator adds a member): nothing to renew.
    w.joined("joined", "member").await;
    let refused = w.call(Call::resend(&w.team, joined.body["id"].as_str().unwrap()).by(&w.owner)).await;
    assert_eq!((refused.status, refused.code()), (409, "already_member"), "{}", refused.body);
    // Answered before it expired: never reopened.
    let id = answered.body["id"].as_str().unwrap();
    w.clock.advance(TimeDelta::days(-2));
    assert_eq!(w.decline(None, id, &token_of(answered.body["link"].as_str().unwrap())).await.status, 200);
    w.clock.advance(TimeDelta::days(2));
    let refused = w.call(Call::resend(&w.team, id).by(&w.owner)).await;
    assert_eq!((refused.status, refused.code()), (409, "invitation_not_open"), "{}", refused.body);
}

#[tokio::test]
async fn metadata_is_kept_for_the_team_and_the_membership_and_never_shown_to_the_invitee() {
    use invitations_core::domain::{TeamId, UserId};
    use invitations_core::ports::MemberStore;
    let w = World::new().await;
    let metadata = json!({"plan": "pro", "crm": {"account": "A-17", "tags": ["q4", 2]}});
    let body = json!({"email": w.email("ada"), "role": "member", "metadata": metadata});
    let resp = w.call(Call::invite(&w.team, body).by(&w.owner)).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.body["metadata"], metadata, "the inviter's answer carries it");
    let id = resp.body["id"].as_str().unwrap().to_owned();
    w.clock.advance(TimeDelta::minutes(5));
    let resent = w.call(Call::resend(&w.team, &id).by(&w.owner)).await;
    assert_eq!((resent.status, &resent.body["metadata"]), (200, &metadata), "a resend keeps it");
    let token = token_of(resent.body["link"].as_str().unwrap());

    // The invitee sees neither the metadata nor any of its values.
    let ada = integration_tests::User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    let preview = w.preview(&id, &token).await;
    let mine = w.call(Call::my_invitations().by(&ada)).await;
    assert_eq!(mine.body["invitations"].as_array().map(Vec::len), Some(1), "{}", mine.body);
    let accepted = w.accept(&ada, &id, &token).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    for (what, seen) in [("preview", &preview), ("my invitations", &mine), ("accept", &accepted)] {
        let text = seen.body.to_string();
        assert!(!text.contains("metadata") && !text.contains("A-17"), "{what}: {text}");
    }
    assert!(!sent_emails(&w.email("ada")).iter().any(|e| e.body.contains("A-17")), "nor the email");
    let membership = w
        .store
        .membership(&TeamId::parse(&w.team).unwrap(), &UserId::parse(&ada.sub).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(membership.metadata.map(|m| m.to_value()), Some(metadata), "copied to the membership");

    // A batch entry may carry its own; what is not a small object is refused.
    let entries =
        json!({"invitations": [{"email": w.email("bo"), "role": "member", "metadata": {"seat": 3}}]});
    let batch = w.call(Call::batch(&w.team, entries).by(&w.owner)).await;
    assert_eq!(batch.body["results"][0]["invitation"]["metadata"], json!({"seat": 3}), "{}", batch.body);
    let big = json!({"blob": "x".repeat(2100)});
    for bad in [json!(["a"]), json!("text"), big, json!({"a": {"b": {"c": {"d": {"e": {}}}}}})] {
        let body = json!({"email": w.email("cy"), "role": "member", "metadata": bad});
        let resp = w.call(Call::invite(&w.team, body).by(&w.owner)).await;
        assert_eq!((resp.status, &resp.body["errors"][0]["field"]), (422, &json!("metadata")), "{bad}");
    }
}
