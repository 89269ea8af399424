//! Faults: DynamoDB unreachable or throttling, SES timing out. Clients get a
//! retryable 503 problem (never an AWS message) or, for email, the invitation
//! anyway; nothing is half-written; retries are bounded by the SDK's config.

use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use integration_tests::{call_handlers, handlers_with, http_client, Call, Clients, User, World};

async fn sdk_at(endpoint: &str, timeouts: Option<TimeoutConfig>) -> SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("t", "t", None, None, "t"));
    if let Some(t) = timeouts {
        loader = loader.timeout_config(t);
    }
    loader.load().await
}

/// Plain clients, each at the endpoint its configuration names.
fn clients(dynamo: &SdkConfig, ses: &SdkConfig, secrets: &SdkConfig) -> Clients {
    Clients {
        dynamo: aws_sdk_dynamodb::Client::new(dynamo),
        ses: aws_sdk_sesv2::Client::new(ses),
        secrets: aws_sdk_secretsmanager::Client::new(secrets),
    }
}

fn assert_retryable_problem(resp: &integration_tests::Resp) {
    assert_eq!((resp.status, resp.code()), (503, "unavailable"), "{}", resp.body);
    assert_eq!(resp.headers["retry-after"], "1");
    let text = resp.body.to_string();
    for leak in ["127.0.0.1", "dispatch", "Dynamo", "connect", "Throttl", "exception"] {
        assert!(!text.contains(leak), "{leak:?} leaked: {text}");
    }
}

#[tokio::test]
async fn an_unreachable_table_is_a_503_with_retry_after() {
    // A port nothing listens on: bind one, note it, close it.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sdk = sdk_at(&format!("http://127.0.0.1:{port}"), None).await;
    let api = handlers_with(&clients(&sdk, &sdk, &sdk), "unreachable", "unreachable");
    let caller = User::new("someone", "someone@example.com");

    for call in [
        Call::list("acme").by(&caller),
        Call::invite("acme", serde_json::json!({"email": "x@example.com", "role": "member"})).by(&caller),
    ] {
        assert_retryable_problem(&call_handlers(&api, call).await);
    }
}

/// Answers every `TransactWriteItems` with DynamoDB's throttling error, as a
/// table over its capacity does: the request reaches the emulator emptied (so
/// nothing is written, as with a real throttle), and its answer is replaced.
/// Counts the attempts.
#[derive(Debug, Default, Clone)]
struct ThrottleTransactions(Arc<AtomicUsize>);

impl Intercept for ThrottleTransactions {
    fn name(&self) -> &'static str {
        "ThrottleTransactions"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if cfg.load::<Metadata>().is_some_and(|m| m.name() == "TransactWriteItems") {
            let request = context.request_mut();
            *request.body_mut() = SdkBody::from("{}");
            request.headers_mut().insert("content-length", "2");
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let is_transaction = cfg.load::<Metadata>().is_some_and(|m| m.name() == "TransactWriteItems");
        if is_transaction {
            self.0.fetch_add(1, Ordering::SeqCst);
            let response = context.response_mut();
            *response.status_mut() = StatusCode::try_from(400).unwrap();
            response.headers_mut().insert("content-type", "application/x-amz-json-1.0");
            // The emulator's own error type and checksum must not win over the replacement.
            response.headers_mut().remove("x-amzn-errortype");
            response.headers_mut().remove("x-amz-crc32");
            *response.body_mut() = SdkBody::from(
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
            );
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_throttled_transaction_is_a_503_after_the_sdks_bounded_retries_and_writes_nothing() {
    let w = World::new().await;
    let sdk = integration_tests::sdk_config().await;
    let throttle = ThrottleTransactions::default();
    let client = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(throttle.clone()).build(),
    );
    let api = handlers_with(
        &Clients { dynamo: client, ..clients(&sdk, &sdk, &sdk) },
        w.store.table_name(),
        &w.link_secret_id,
    );

    let email = w.email("throttled");
    let call = Call::invite(&w.team, serde_json::json!({"email": email, "role": "member"})).by(&w.owner);
    assert_retryable_problem(&call_handlers(&api, call).await);
    // The SDK's standard retry mode: three attempts in all, then the error.
    assert_eq!(throttle.0.load(Ordering::SeqCst), 3);
    // Nothing half-written: no invitation, and the email is free for a new invite.
    assert_eq!(w.list(&w.owner, &[]).await.body["invitations"], serde_json::json!([]));
    assert_eq!(w.invite(&w.owner, &email, "member").await.status, 201);

    // Answering too: the invitation stays open and answerable.
    let (id, token) = w.invited(&w.email("answer"), "member").await;
    throttle.0.store(0, Ordering::SeqCst);
    assert_retryable_problem(&call_handlers(&api, Call::withdraw(&w.team, &id).by(&w.owner)).await);
    assert_eq!(throttle.0.load(Ordering::SeqCst), 3);
    assert_eq!(w.preview(&id, &token).await.body["status"], "open");
}

#[tokio::test]
async fn an_ses_that_never_answers_leaves_the_invitation_with_its_link() {
    let w = World::new().await;
    // Accepts connections and never answers: SES hanging.
    let hang = TcpListener::bind("127.0.0.1:0").unwrap();
    let ses_sdk = sdk_at(
        &format!("http://{}", hang.local_addr().unwrap()),
        Some(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_millis(200))
                .operation_timeout(Duration::from_millis(700))
                .build(),
        ),
    )
    .await;
    let sdk = integration_tests::sdk_config().await;
    let api = handlers_with(&clients(&sdk, &ses_sdk, &sdk), w.store.table_name(), &w.link_secret_id);
    let email = w.email("silence");
    let resp = call_handlers(
        &api,
        Call::invite(&w.team, serde_json::json!({"email": email, "role": "member"})).by(&w.owner),
    )
    .await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.body["emailDelivery"], "failed");
    let link = resp.body["link"].as_str().expect("the manager can copy the link");
    let listed = w.list(&w.owner, &[]).await;
    assert_eq!(listed.body["invitations"][0]["emailDelivery"], "failed");
    assert_eq!(listed.body["invitations"][0]["link"], link);
    drop(hang);
}

#[tokio::test]
async fn with_too_little_time_left_the_email_is_not_attempted_and_the_invitation_says_failed() {
    // The invitation is committed as `sent`; had SES then held the function past
    // its timeout, nothing would correct that. So the email gets only the time
    // that leaves room to record its failure, and none when there is no room.
    let w = World::new().await;
    w.ses_seen.take();
    let email = w.email("late");
    let call = Call::invite(&w.team, serde_json::json!({"email": email, "role": "member"}))
        .by(&w.owner)
        .time_left(Duration::from_secs(2));
    let resp = w.call(call).await;
    assert_eq!(resp.status, 201, "{}", resp.body);
    assert_eq!(resp.body["emailDelivery"], "failed");
    assert!(resp.body["link"].is_string(), "the manager can copy the link");
    assert_eq!(w.ses_seen.take().requests, 0, "SES is not called without time to record its answer");
    assert_eq!(w.list(&w.owner, &[]).await.body["invitations"][0]["emailDelivery"], "failed");

    // With the time a Lambda invocation normally has, the email goes out.
    let call = Call::invite(&w.team, serde_json::json!({"email": w.email("in-time"), "role": "member"}))
        .by(&w.owner)
        .time_left(Duration::from_secs(9));
    assert_eq!(w.call(call).await.body["emailDelivery"], "sent");
    assert_eq!(w.ses_seen.take().requests, 1);

    // A deadline already past when the request arrives is an emulator's
    // placeholder (cargo lambda watch sends 600000 ms after 1970), not a budget.
    let mut call =
        Call::invite(&w.team, serde_json::json!({"email": w.email("local"), "role": "member"})).by(&w.owner);
    call.deadline = Some(std::time::UNIX_EPOCH + Duration::from_millis(600_000));
    assert_eq!(w.call(call).await.body["emailDelivery"], "sent");
}
