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
    // {APP_BASE_URL}/invitations/{id}?token={token}
    let rest = link.strip_prefix("https://app.example.com/invitations/").expect("link shape");
    let (id, token) = rest.split_once("?token=").expect("link carries a token");

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
