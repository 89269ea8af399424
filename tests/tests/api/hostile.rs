//! Hostile input that the other suites do not already send: bodies API Gateway
//! hands over base64-encoded because they are not text, and oversized ones.

use serde_json::json;

use integration_tests::{Call, World};

#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_400_problem() {
    let w = World::new().await;
    let (id, _) = w.invited(&w.email("bin"), "member").await;
    for call in [
        Call::decline(&id, "x"),
        Call::accept(&id, "x").by(&w.owner),
        Call::invite(&w.team, json!({})).by(&w.owner),
    ] {
        let resp = w.call(call.binary_body(&[b'{', 0xff, 0xfe, b'}'])).await;
        assert_eq!((resp.status, resp.code()), (400, "invalid_request"), "{}", resp.body);
        assert_eq!(resp.content_type, "application/problem+json");
    }
    assert_eq!(w.status_in_list(&id).await, "open");
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_parsed() {
    let w = World::new().await;
    let huge = format!(r#"{{"email":"a@example.com","role":"member","pad":"{}"}}"#, "x".repeat(64 * 1024));
    let resp =
        w.call(Call::invite(&w.team, json!({})).raw_body(&huge, Some("application/json")).by(&w.owner)).await;
    assert_eq!((resp.status, resp.code()), (400, "invalid_request"), "{}", resp.body);
    assert_eq!(w.list(&w.owner, &[]).await.body["invitations"], json!([]));
}
