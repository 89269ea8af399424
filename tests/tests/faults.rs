//! When DynamoDB cannot be reached, clients get a retryable 503 problem, never an
//! AWS message.

use chrono::TimeDelta;
use integration_tests::{call_api, Call, User};
use invitations_core::adapters::dynamo::DynamoStore;
use invitations_core::clock::SystemClock;
use std::sync::Arc;

#[tokio::test]
async fn an_unreachable_table_is_a_503_with_retry_after() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("t", "t", None, None, "t"))
        .load()
        .await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), "unreachable");
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    let api = integration_tests::api(ses, store, "a@example.com", Arc::new(SystemClock), TimeDelta::days(7));
    let caller = User::new("someone", "someone@example.com");

    for call in [
        Call::list("acme").by(&caller),
        Call::invite("acme", serde_json::json!({"email": "x@example.com", "role": "member"})).by(&caller),
    ] {
        let resp = call_api(&api, call).await;
        assert_eq!((resp.status, resp.code()), (503, "unavailable"), "{}", resp.body);
        assert_eq!(resp.headers["retry-after"], "1");
        let text = resp.body.to_string();
        for leak in ["127.0.0.1", "dispatch", "Dynamo", "connect"] {
            assert!(!text.contains(leak), "{leak:?} leaked: {text}");
        }
    }
}
