//! The whole journey as an invitee lives it: the email arrives, its link is
//! followed, the invitation is previewed and accepted.

use integration_tests::{sent_emails, User, World, VERIFIED_SENDER};

/// The href of the first link in the email's HTML, unescaped.
fn link_in(html: &str) -> String {
    let start = html.find("href=\"").expect("email has a link") + "href=\"".len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn the_invitee_follows_the_emailed_link_and_joins() {
    let w = World::new().await;
    let email = w.email("newcomer");
    assert_eq!(w.invite(&w.admin, &email, "member").await.status, 201);

    let mails = sent_emails(&email);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].source, VERIFIED_SENDER);
    let link = link_in(&mails[0].body);
    // {APP_BASE_URL}/invitations/{id}#token={token}: in the fragment, which no
    // server in front of the site sees (issue 20, L-5).
    let rest = link.strip_prefix("https://app.example.com/invitations/").expect("link shape");
    let (id, token) = rest.split_once("#token=").expect("link carries a token in its fragment");

    let preview = w.preview(id, token).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.body["teamName"], "Acme Rockets");
    assert_eq!(preview.body["email"], email.as_str());

    let newcomer = User::new("newcomer-sub", &email);
    let accepted = w.accept(&newcomer, id, token).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(w.membership(&w.team, &newcomer).await.unwrap().role.as_str(), "member");

    // The new member can now see the team's invitations.
    assert_eq!(w.list(&newcomer, &[]).await.status, 200);
}

#[tokio::test]
async fn an_invitation_in_german_is_emailed_in_german_and_its_page_knows_it() {
    let w = World::new().await;
    let email = w.email("jonas");
    let call = integration_tests::Call::invite(
        &w.team,
        serde_json::json!({"email": email, "role": "member", "locale": "de-DE"}),
    );
    let resp = w.call(call.by(&w.admin)).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.body["locale"], "de-DE");

    let mails = sent_emails(&email);
    assert!(mails[0].subject.contains("hat Sie eingeladen"), "{}", mails[0].subject);
    assert!(mails[0].body.contains(r#"lang="de""#) && mails[0].body.contains("Mitglied"));
    let link = link_in(&mails[0].body);
    let (id, token) = link.rsplit_once("/invitations/").unwrap().1.split_once("#token=").unwrap();
    let preview = w.preview(id, token).await;
    assert_eq!(preview.body["locale"], "de-DE");
    assert_eq!(preview.body["invitedByEmail"], w.admin.email.as_str(), "who invited, as the email said");

    let bad = integration_tests::Call::invite(
        &w.team,
        serde_json::json!({"email": w.email("x"), "role": "member", "locale": "deutsch!"}),
    );
    let resp = w.call(bad.by(&w.admin)).await;
    assert_eq!((resp.status, resp.code()), (422, "validation_failed"));
    assert_eq!(resp.body["errors"][0]["field"], "locale");
}
