//! GET /invitations/{id}?token=, POST /invitations/{id}/accept, POST /invitations/{id}/decline

use chrono::TimeDelta;
use integration_tests::{Call, Options, User, World};
use serde_json::json;

#[tokio::test]
async fn the_preview_shows_team_role_status_and_expiry_and_changes_nothing() {
    let w = World::new().await;
    let (id, token) = w.invited(&w.email("look"), "administrator").await;
    for _ in 0..3 {
        let resp = w.preview(&id, &token).await;
        assert_eq!(resp.status, 200, "{}", resp.body);
        assert_eq!(resp.body["teamName"], "Acme Rockets");
        assert_eq!(resp.body["teamId"], w.team.as_str());
        assert_eq!(resp.body["role"], "administrator");
        assert_eq!(resp.body["status"], "open");
        assert_eq!(resp.body["expiresAt"], "2026-11-09T09:30:00.000Z");
        assert!(resp.body.get("link").is_none() && resp.body.get("invitedBy").is_none());
    }
    assert_eq!(w.status_in_list(&id).await, "open", "a GET never answers the invitation");
}

#[tokio::test]
async fn wrong_tampered_or_swapped_tokens_are_all_the_same_404() {
    let w = World::new().await;
    let (id, token) = w.invited(&w.email("one"), "member").await;
    let (other_id, other_token) = w.invited(&w.email("two"), "member").await;
    let mut tampered = token.clone().into_bytes();
    tampered[5] = if tampered[5] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    let unknown = "0b8c6c53-2f7e-4d3f-8f55-3f0d4f3b9a11";
    let invitee = User::new("sub-one", &w.email("one"));

    let cases = [
        (id.as_str(), tampered.as_str()),
        (id.as_str(), &token[..20]),
        (id.as_str(), other_token.as_str()),
        (other_id.as_str(), token.as_str()),
        (unknown, token.as_str()),
    ];
    let mut bodies = Vec::new();
    for (inv, tok) in cases {
        for resp in
            [w.preview(inv, tok).await, w.accept(&invitee, inv, tok).await, w.decline(None, inv, tok).await]
        {
            assert_eq!((resp.status, resp.code()), (404, "not_found"), "{inv} {tok}: {}", resp.body);
            bodies.push(resp.body);
        }
    }
    assert!(bodies.windows(2).all(|b| b[0] == b[1]), "nothing distinguishes the cases");
    assert_eq!(w.status_in_list(&id).await, "open");
    assert_eq!(w.status_in_list(&other_id).await, "open");
}

#[tokio::test]
async fn accepting_creates_a_membership_with_the_invitations_role() {
    let w = World::new().await;
    let email = w.email("joiner");
    let (id, token) = w.invited(&email, "administrator").await;
    w.clock.advance(TimeDelta::hours(1));
    // The identity provider may keep the address's original case.
    let invitee = User::new("joiner-sub", &email.to_uppercase());

    let resp = w.accept(&invitee, &id, &token).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let inv = &resp.body["invitation"];
    assert_eq!(inv["status"], "accepted");
    assert_eq!(inv["acceptedBy"], "joiner-sub");
    assert_eq!(inv["acceptedAt"], "2026-11-02T10:30:00.000Z");
    let m = &resp.body["membership"];
    assert_eq!(m["teamId"], w.team.as_str());
    assert_eq!(m["userId"], "joiner-sub");
    assert_eq!(m["role"], "administrator");
    assert_eq!(m["joinedAt"], "2026-11-02T10:30:00.000Z");

    let stored = w.membership(&w.team, &invitee).await.expect("membership stored");
    assert_eq!(stored.role.as_str(), "administrator");
    assert_eq!(w.status_in_list(&id).await, "accepted");

    // The new administrator now holds members.manage.
    assert_eq!(w.invite(&invitee, &w.email("next"), "member").await.status, 201);
}

#[tokio::test]
async fn a_second_answer_is_409_and_creates_nothing() {
    let w = World::new().await;
    let email = w.email("again");
    let (id, token) = w.invited(&email, "member").await;
    let invitee = User::new("again-sub", &email);
    assert_eq!(w.accept(&invitee, &id, &token).await.status, 200);

    let resp = w.accept(&invitee, &id, &token).await;
    assert_eq!((resp.status, resp.code()), (409, "invitation_not_open"));
    assert_eq!(resp.body["invitationStatus"], "accepted");
    let resp = w.decline(Some(&invitee), &id, &token).await;
    assert_eq!((resp.status, resp.body["invitationStatus"].as_str()), (409, Some("accepted")));
    assert_eq!(w.status_in_list(&id).await, "accepted");
}

#[tokio::test]
async fn accepting_requires_sign_in_and_the_invited_address() {
    let w = World::new().await;
    let email = w.email("right");
    let (id, token) = w.invited(&email, "member").await;

    let resp = w.call(Call::accept(&id, &token)).await;
    assert_eq!((resp.status, resp.code()), (401, "unauthenticated"));

    let forwarded_to = User::new("someone-else", &w.email("wrong"));
    let resp = w.accept(&forwarded_to, &id, &token).await;
    assert_eq!((resp.status, resp.code()), (403, "email_mismatch"));
    assert!(w.membership(&w.team, &forwarded_to).await.is_none());

    let no_email = w.call(Call::accept(&id, &token).claims(json!({"sub": "no-email"}))).await;
    assert_eq!((no_email.status, no_email.code()), (403, "email_mismatch"));
    let unverified = json!({"sub": "unverified", "email": email, "email_verified": "false"});
    let resp = w.call(Call::accept(&id, &token).claims(unverified)).await;
    assert_eq!((resp.status, resp.code()), (403, "email_mismatch"), "an unverified address proves nothing");
    // Identity providers that omit the claim (Entra ID, federated Cognito users
    // without the attribute mapped) prove nothing either.
    let silent = json!({"sub": "silent", "email": email});
    let resp = w.call(Call::accept(&id, &token).claims(silent)).await;
    assert_eq!((resp.status, resp.code()), (403, "email_mismatch"), "no email_verified claim proves nothing");
    // The authorizer passes every claim on as a string: a JWT's `true` arrives as "true".
    let verified = User::new("right-sub", &email);
    assert_eq!(verified.claims()["email_verified"], "true");
    let resp = w.accept(&verified, &id, &token).await;
    assert_eq!(resp.status, 200, "the mismatches left the invitation open: {}", resp.body);
}

#[tokio::test]
async fn an_operator_may_trust_a_provider_that_omits_email_verified_but_never_an_explicit_false() {
    let w = World::with(Options { trust_unverified_email: true, ..Options::default() }).await;
    let email = w.email("trusted");
    let (id, token) = w.invited(&email, "member").await;
    let unverified = json!({"sub": "unverified", "email": email, "email_verified": "false"});
    let resp = w.call(Call::accept(&id, &token).claims(unverified)).await;
    assert_eq!((resp.status, resp.code()), (403, "email_mismatch"));
    let silent = json!({"sub": "silent", "email": email});
    assert_eq!(w.call(Call::accept(&id, &token).claims(silent)).await.status, 200);
}

#[tokio::test]
async fn a_forwarded_link_leaves_the_invitation_for_the_rightful_account() {
    let w = World::new().await;
    let email = w.email("rightful");
    let (id, token) = w.invited(&email, "member").await;
    let forwarded_to = User::new("someone-else", &w.email("wrong"));
    assert_eq!(w.accept(&forwarded_to, &id, &token).await.status, 403);

    // The mismatches did not use the invitation up.
    assert_eq!(w.status_in_list(&id).await, "open");
    let rightful = User::new("right-sub", &email);
    assert_eq!(w.accept(&rightful, &id, &token).await.status, 200);
}

#[tokio::test]
async fn an_expired_invitation_reads_expired_everywhere_and_cannot_be_answered() {
    let w = World::new().await;
    let email = w.email("slow");
    let (id, token) = w.invited(&email, "member").await;
    w.clock.advance(TimeDelta::days(7));
    let invitee = User::new("slow-sub", &email);

    assert_eq!(w.preview(&id, &token).await.body["status"], "expired");
    assert_eq!(w.status_in_list(&id).await, "expired");
    let resp = w.accept(&invitee, &id, &token).await;
    assert_eq!((resp.status, resp.code()), (410, "invitation_expired"));
    let resp = w.decline(None, &id, &token).await;
    assert_eq!((resp.status, resp.code()), (410, "invitation_expired"));
    assert!(w.membership(&w.team, &invitee).await.is_none());
}

#[tokio::test]
async fn one_second_before_expiry_it_can_still_be_accepted() {
    let w = World::new().await;
    let email = w.email("just");
    let (id, token) = w.invited(&email, "member").await;
    w.clock.advance(TimeDelta::days(7) - TimeDelta::seconds(1));
    assert_eq!(w.accept(&User::new("just-sub", &email), &id, &token).await.status, 200);
}

#[tokio::test]
async fn declining_needs_only_the_link_and_the_team_sees_it() {
    let w = World::new().await;
    let (id, token) = w.invited(&w.email("nope"), "member").await;
    let resp = w.decline(None, &id, &token).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["status"], "declined");
    assert!(resp.body["declinedAt"].is_string());
    assert!(resp.body["declinedBy"].is_null(), "an anonymous decline");
    // The link's holder learns what the preview shows and what changed, nothing
    // about the team's members or the email's delivery.
    for hidden in ["invitedBy", "emailDelivery", "link"] {
        assert!(resp.body.get(hidden).is_none(), "decline answers with {hidden}: {}", resp.body);
    }
    assert_eq!(resp.body["teamName"], "Acme Rockets");
    assert_eq!(w.status_in_list(&id).await, "declined");

    let (id, token) = w.invited(&w.email("nope2"), "member").await;
    let signed_in = User::new("decliner", &w.email("nope2"));
    let resp = w.decline(Some(&signed_in), &id, &token).await;
    assert_eq!(resp.body["declinedBy"], "decliner");
}

#[tokio::test]
async fn accepting_into_a_team_one_already_belongs_to_is_409_and_leaves_the_invitation_open() {
    let w = World::new().await;
    // Invited under one address, while already a member under their user id.
    let (id, token) = w.invited(&w.email("alias"), "administrator").await;
    let existing = User::new(&w.member.sub, &w.email("alias"));
    let resp = w.accept(&existing, &id, &token).await;
    assert_eq!((resp.status, resp.code()), (409, "already_member"));
    assert_eq!(w.status_in_list(&id).await, "open");
    assert_eq!(w.membership(&w.team, &w.member).await.unwrap().role.as_str(), "member", "role unchanged");
}

#[tokio::test]
async fn an_empty_token_is_422_and_a_malformed_body_400() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("body"), "member").await;
    let invitee = User::new("body-sub", &w.email("body"));
    let resp = w.call(Call::accept(&id, "").by(&invitee)).await;
    assert_eq!((resp.status, resp.code()), (422, "validation_failed"));
    let resp = w.call(Call::decline(&id, "").json(json!({}))).await;
    assert_eq!((resp.status, resp.code()), (422, "validation_failed"), "declining needs the link");
    let resp = w.call(Call::decline(&id, "").raw_body("{oops", Some("application/json"))).await;
    assert_eq!((resp.status, resp.code()), (400, "invalid_request"));
}

#[tokio::test]
async fn many_concurrent_accepts_produce_exactly_one_membership() {
    let w = World::new().await;
    for round in 0..5 {
        let email = w.email(&format!("rush{round}"));
        let (id, token) = w.invited(&email, "member").await;
        // The same person on many devices, and other accounts that share the address.
        let users: Vec<User> =
            (0..16).map(|i| User::new(&format!("rush{round}-{}", i % 4), &email)).collect();
        let mut calls = tokio::task::JoinSet::new();
        for user in &users {
            let handlers = w.handlers.clone();
            let call = Call::accept(&id, &token).by(user);
            calls.spawn(async move { integration_tests::call_handlers(&handlers, call).await });
        }
        let mut winners = Vec::new();
        while let Some(resp) = calls.join_next().await {
            let resp = resp.unwrap();
            match resp.status {
                200 => winners.push(resp.body["membership"]["userId"].as_str().unwrap().to_owned()),
                409 => assert_eq!(resp.body["invitationStatus"], "accepted", "{}", resp.body),
                other => panic!("round {round}: unexpected {other}: {}", resp.body),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one accept wins");
        let mut members = 0;
        for i in 0..4 {
            if w.membership(&w.team, &User::new(&format!("rush{round}-{i}"), &email)).await.is_some() {
                members += 1;
            }
        }
        assert_eq!(members, 1, "round {round}: exactly one membership");
    }
}

#[tokio::test]
async fn the_expiry_boundary_is_exact_to_the_millisecond() {
    // Each request reads the clock once and its write is conditioned on that
    // instant, so there is no window where a read says open and the write lands late.
    let w = World::new().await;
    let (early, early_token) = w.invited(&w.email("early"), "member").await;
    let (late, late_token) = w.invited(&w.email("late"), "member").await;
    w.clock.advance(TimeDelta::days(7) - TimeDelta::milliseconds(1));
    let resp = w.accept(&User::new("early-sub", &w.email("early")), &early, &early_token).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    w.clock.advance(TimeDelta::milliseconds(1));
    let late_user = User::new("late-sub", &w.email("late"));
    let resp = w.accept(&late_user, &late, &late_token).await;
    assert_eq!((resp.status, resp.code()), (410, "invitation_expired"), "{}", resp.body);
    assert!(w.membership(&w.team, &late_user).await.is_none());
    assert_eq!(w.decline(None, &late, &late_token).await.status, 410);
    assert_eq!(w.withdraw(&w.owner, &late).await.status, 410);
}

#[tokio::test]
async fn withdraw_racing_accept_ends_in_one_consistent_state() {
    let w = World::new().await;
    for round in 0..6 {
        let email = w.email(&format!("tug{round}"));
        let (id, token) = w.invited(&email, "member").await;
        let invitee = User::new(&format!("tug-{round}"), &email);
        let (accept, withdraw) = tokio::join!(
            integration_tests::call_handlers(&w.handlers, Call::accept(&id, &token).by(&invitee)),
            integration_tests::call_handlers(&w.handlers, Call::withdraw(&w.team, &id).by(&w.owner)),
        );
        let member = w.membership(&w.team, &invitee).await.is_some();
        let status = w.status_in_list(&id).await;
        match (accept.status, withdraw.status) {
            (200, 409) => assert!(member && status == "accepted"),
            (409, 200) => assert!(!member && status == "withdrawn"),
            other => panic!("round {round}: both or neither won: {other:?}"),
        }
    }
}

/// The link carries its token in the fragment, which browsers never send to a
/// server, and the page sends it to the API in a header, so no CDN, firewall
/// or log in front of the site or the API sees it in a URL (issue 20, L-5).
#[tokio::test]
async fn the_links_token_travels_in_its_fragment_and_reaches_the_api_in_a_header() {
    let w = World::new().await;
    let resp = w.invite(&w.owner, &w.email("ada"), "member").await;
    let link = resp.body["link"].as_str().unwrap();
    let (path, token) = link.split_once('#').expect("a fragment");
    assert!(!path.contains('?'), "nothing of the token in the part a server sees: {link}");
    let token = token.strip_prefix("token=").unwrap();
    let id = resp.body["id"].as_str().unwrap();

    assert_eq!(w.call(Call::preview(id, token)).await.status, 200, "the header");
    // Pages from before the header sent the query; it still answers (deprecated).
    assert_eq!(w.call(Call::preview_by_query(id, token)).await.status, 200, "the query");
    // The header wins over the query; a wrong one is the same 404 as ever.
    let both = Call::preview(id, token).query(&[("token", "forged")]);
    assert_eq!(w.call(both).await.status, 200);
    assert_eq!(w.call(Call::preview(id, "forged")).await.code(), "not_found");
}
