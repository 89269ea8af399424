//! GET /me/invitations, and accepting from it without the link: how someone
//! whose email never arrived still finds and accepts their invitations.

use chrono::TimeDelta;
use serde_json::json;

use integration_tests::{Call, Resp, User, World};

fn ids(resp: &Resp) -> Vec<String> {
    resp.body["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn invited_by(w: &World, manager: &User, team: &str, email: &str) -> String {
    let resp = w.call(Call::invite(team, json!({"email": email, "role": "member"})).by(manager)).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_person_sees_the_open_invitations_sent_to_their_verified_address_across_teams() {
    let w = World::new().await;
    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    // Expired in the other team, withdrawn in this one, then open in both.
    invited_by(&w, &w.outsider, &w.other_team, &ada.email).await;
    w.clock.advance(TimeDelta::days(8));
    let pulled = invited_by(&w, &w.owner, &w.team, &ada.email).await;
    assert_eq!(w.withdraw(&w.owner, &pulled).await.status, 200);
    let here = invited_by(&w, &w.owner, &w.team, &ada.email).await;
    w.clock.advance(TimeDelta::hours(1));
    let there = invited_by(&w, &w.outsider, &w.other_team, &ada.email).await;
    invited_by(&w, &w.owner, &w.team, &w.email("someone-else")).await;

    let resp = w.call(Call::my_invitations().by(&ada)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(ids(&resp), [there.clone(), here.clone()], "open ones only, the latest expiry first");
    let first = &resp.body["invitations"][0];
    assert_eq!(first["teamId"], w.other_team.as_str());
    assert_eq!(first["status"], "open");
    assert!(
        first.get("link").is_none() && first.get("invitedBy").is_none(),
        "what the preview shows: {first}"
    );

    // A page at a time.
    let page = w.call(Call::my_invitations().query(&[("limit", "1")]).by(&ada)).await;
    assert_eq!(ids(&page), [there]);
    let cursor = page.body["nextCursor"].as_str().unwrap().to_owned();
    let page = w.call(Call::my_invitations().query(&[("limit", "1"), ("cursor", &cursor)]).by(&ada)).await;
    assert_eq!((ids(&page), page.body["nextCursor"].is_null()), (vec![here], true));

    // Answering takes it off the list.
    let taken = ids(&resp)[0].clone();
    assert_eq!(w.call(Call::accept_without_link(&taken).by(&ada)).await.status, 200);
    assert_eq!(ids(&w.call(Call::my_invitations().by(&ada)).await).len(), 1);
}

#[tokio::test]
async fn only_a_verified_address_lists_its_invitations() {
    let w = World::new().await;
    let email = w.email("eve");
    invited_by(&w, &w.owner, &w.team, &email).await;
    // (The authorizer passes claims as strings: "false", or none at all.)
    for verified in [json!("false"), serde_json::Value::Null] {
        let mut claims = json!({"sub": format!("eve-{}", w.tag), "email": email});
        if !verified.is_null() {
            claims["email_verified"] = verified.clone();
        }
        let resp = w.call(Call::my_invitations().claims(claims)).await;
        assert_eq!((resp.status, resp.code()), (403, "email_unverified"), "email_verified {verified}");
    }
    assert_eq!(w.call(Call::my_invitations()).await.status, 401);
}

#[tokio::test]
async fn the_invited_verified_account_accepts_without_the_link_and_no_one_else_does() {
    let w = World::new().await;
    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    let id = invited_by(&w, &w.owner, &w.team, &ada.email).await;

    // Another account: as if the invitation did not exist (its id alone tells nothing).
    let bo = User::new(&format!("bo-{}", w.tag), &w.email("bo"));
    let resp = w.call(Call::accept_without_link(&id).by(&bo)).await;
    assert_eq!((resp.status, resp.code()), (404, "not_found"));
    // The invited address, unverified: the address is the whole credential here.
    let claims = json!({"sub": ada.sub, "email": ada.email, "email_verified": "false"});
    let resp = w.call(Call::accept_without_link(&id).claims(claims)).await;
    assert_eq!((resp.status, resp.code()), (403, "email_mismatch"));
    let claims = json!({"sub": ada.sub, "email": ada.email});
    let resp = w.call(Call::accept_without_link(&id).claims(claims)).await;
    assert_eq!(resp.status, 403, "a provider that omits the claim proves nothing without the link");
    assert_eq!(w.status_in_list(&id).await, "open");

    // A resend replaced the link; the person needs none.
    w.clock.advance(TimeDelta::minutes(5));
    assert_eq!(w.call(Call::resend(&w.team, &id).by(&w.owner)).await.status, 200);
    let resp = w.call(Call::accept_without_link(&id).by(&ada)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["membership"]["role"], "member");
    let again = w.call(Call::accept_without_link(&id).by(&ada)).await;
    assert_eq!((again.status, again.code()), (409, "invitation_not_open"));

    // An empty token is a mistake, not a request to accept without one.
    let other = invited_by(&w, &w.owner, &w.team, &w.email("cy")).await;
    let resp = w.call(Call::accept_without_link(&other).json(json!({"token": ""})).by(&ada)).await;
    assert_eq!((resp.status, resp.code()), (422, "validation_failed"));
}

#[tokio::test]
async fn an_expired_invitation_is_not_accepted_without_the_link_either() {
    let w = World::new().await;
    let ada = User::new(&format!("ada-{}", w.tag), &w.email("ada"));
    let id = invited_by(&w, &w.owner, &w.team, &ada.email).await;
    w.clock.advance(TimeDelta::days(7));
    assert!(ids(&w.call(Call::my_invitations().by(&ada)).await).is_empty());
    let resp = w.call(Call::accept_without_link(&id).by(&ada)).await;
    assert_eq!((resp.status, resp.code()), (410, "invitation_expired"));
}

/// A federated identity provider's "verified" is only as good as that
/// provider: unless the deployment lists it, its users list and accept their
/// invitations with the link only (issue 20, L-2).
#[tokio::test]
async fn a_federated_providers_address_stands_for_its_user_only_when_the_deployment_trusts_it() {
    let identities = |provider: &str| {
        format!(r#"[{{"userId":"1","providerName":"{provider}","providerType":"SAML","primary":"true"}}]"#)
    };
    let federated = |w: &World, email: &str, provider: &str| {
        let sub = format!("{provider}-{}", w.tag);
        json!({"sub": sub, "email": email, "email_verified": "true", "identities": identities(provider)})
    };

    let w = World::with(integration_tests::Options { linkless_providers: &["Google"], ..Default::default() })
        .await;
    let email = w.email("fed");
    let resp = w.call(Call::invite(&w.team, json!({"email": email, "role": "member"})).by(&w.owner)).await;
    let (id, token) = (
        resp.body["id"].as_str().unwrap().to_owned(),
        integration_tests::token_of(resp.body["link"].as_str().unwrap()),
    );

    // A provider the deployment does not list: neither the list nor an accept without the link.
    let tenant = federated(&w, &email, "TenantIdP");
    let resp = w.call(Call::my_invitations().claims(tenant.clone())).await;
    assert_eq!((resp.status, resp.code()), (403, "link_required"), "{}", resp.body);
    let resp = w.call(Call::accept_without_link(&id).claims(tenant.clone())).await;
    assert_eq!((resp.status, resp.code()), (403, "link_required"), "{}", resp.body);
    assert_eq!(w.status_in_list(&id).await, "open");
    // With the link, the same person accepts: the link is the credential there.
    let accepted = w.call(Call::accept(&id, &token).claims(tenant)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    // A provider the deployment lists: as the pool's own accounts.
    let other = w.email("google");
    let id = invited_by(&w, &w.owner, &w.team, &other).await;
    let google = federated(&w, &other, "Google");
    assert_eq!(ids(&w.call(Call::my_invitations().claims(google.clone())).await), [id.as_str()]);
    let accepted = w.call(Call::accept_without_link(&id).claims(google)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
}
