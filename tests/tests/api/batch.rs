//! POST /teams/{teamId}/invitations/batch: many invitations in one request, each
//! decided on its own and answered in request order.

use serde_json::{json, Value};

use integration_tests::{sent_emails, Call, Options, User, World};

fn statuses(resp: &integration_tests::Resp) -> Vec<String> {
    resp.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_entry_is_decided_on_its_own_and_answered_in_order() {
    let w = World::new().await;
    let (already_invited, _) = w.invited(&w.email("invited"), "member").await;
    let member = w.joined("joined", "member").await;
    let entries = json!({"invitations": [
        {"email": w.email("new1"), "role": "member"},
        {"email": w.email("invited"), "role": "member"},
        {"email": member.email, "role": "administrator"},
        {"email": "not an address", "role": "member"},
        {"email": w.email("owner-role"), "role": "owner"},
        {"email": w.email("new2"), "role": "administrator", "locale": "de"},
    ]});
    let resp = w.call(Call::batch(&w.team, entries).by(&w.admin)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(
        statuses(&resp),
        ["created", "already_invited", "already_member", "validation_failed", "validation_failed", "created"]
    );
    let results = resp.body["results"].as_array().unwrap();
    assert_eq!(results[0]["email"], w.email("new1").as_str());
    assert_eq!(results[0]["invitation"]["status"], "open");
    assert!(results[0]["invitation"]["link"].is_string(), "the manager gets each link");
    assert_eq!(results[1]["problem"]["status"], 409);
    assert_eq!(results[3]["email"], "not an address", "a bad entry is named as it was sent");
    assert_eq!(results[3]["problem"]["errors"][0]["field"], "email");
    assert_eq!(results[4]["problem"]["errors"][0]["field"], "role");
    assert_eq!(results[5]["invitation"]["locale"], "de");

    // Exactly the created ones exist and were emailed; the refused ones changed nothing.
    assert_eq!(sent_emails(&w.email("new1")).len(), 1);
    assert!(sent_emails(&w.email("new2"))[0].subject.contains("hat Sie eingeladen"));
    assert_eq!(sent_emails(&w.email("invited")).len(), 1, "only the first invitation's email");
    let list = w.list(&w.owner, &[("status", "open")]).await;
    let open: Vec<&str> =
        list.body["invitations"].as_array().unwrap().iter().map(|i| i["email"].as_str().unwrap()).collect();
    assert_eq!(open.len(), 3, "{open:?}");
    assert!(list.body["invitations"].as_array().unwrap().iter().any(|i| i["id"] == already_invited.as_str()));
}

#[tokio::test]
async fn a_batch_whose_emails_fail_keeps_every_invitation_with_its_link() {
    let w = World::with(Options { sender: "unverified@example.com", ..Options::default() }).await;
    let entries: Vec<Value> =
        (0..12).map(|i| json!({"email": w.email(&format!("p{i}")), "role": "member"})).collect();
    let resp = w.call(Call::batch(&w.team, json!({"invitations": entries})).by(&w.owner)).await;
    assert_eq!(resp.status, 200);
    assert_eq!(statuses(&resp), vec!["created"; 12], "more than one round of the bounded parallelism");
    for r in resp.body["results"].as_array().unwrap() {
        assert_eq!(r["invitation"]["emailDelivery"], "failed");
        assert!(r["invitation"]["link"].is_string());
    }
}

#[tokio::test]
async fn only_a_well_formed_batch_of_at_most_fifty_distinct_addresses_is_taken() {
    let w = World::new().await;
    let many: Vec<Value> =
        (0..51).map(|i| json!({"email": w.email(&format!("m{i}")), "role": "member"})).collect();
    let twice = json!([{"email": w.email("a"), "role": "member"}, {"email": w.email("A").to_uppercase(), "role": "member"}]);
    for (body, why) in [
        (json!({"invitations": many}), "51 entries"),
        (json!({"invitations": []}), "none"),
        (json!({}), "no invitations"),
        (json!({"invitations": twice}), "one address twice, whatever its case"),
    ] {
        let resp = w.call(Call::batch(&w.team, body).by(&w.owner)).await;
        assert_eq!((resp.status, resp.code()), (422, "validation_failed"), "{why}: {}", resp.body);
        assert_eq!(resp.body["errors"][0]["field"], "invitations", "{why}");
    }
    assert_eq!(w.list(&w.owner, &[]).await.body["invitations"], json!([]), "nothing was invited");
    let resp = w.call(Call::batch(&w.team, json!({"invitations": "x"})).by(&w.owner)).await;
    assert_eq!(resp.status, 400, "not a list at all");
}

#[tokio::test]
async fn only_managers_send_batches() {
    let w = World::new().await;
    let body = json!({"invitations": [{"email": w.email("x"), "role": "member"}]});
    assert_eq!(w.call(Call::batch(&w.team, body.clone()).by(&w.member)).await.status, 403);
    assert_eq!(w.call(Call::batch(&w.team, body.clone()).by(&w.outsider)).await.status, 403);
    assert_eq!(w.call(Call::batch(&w.team, body.clone())).await.status, 401);
    let stranger = User::new("s", &w.email("s"));
    assert_eq!(w.call(Call::batch(&w.team, body).by(&stranger)).await.status, 403);
    assert!(sent_emails(&w.email("x")).is_empty());
}
