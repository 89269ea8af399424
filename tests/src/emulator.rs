//! The DynamoDB/SES emulator at `AWS_ENDPOINT_URL` (moto, or MiniStack): where
//! it is, SDK configuration pointing at it (strict about DynamoDB's request
//! rules), and the emails it accepted.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::SharedHttpClient;
use serde_json::Value;

/// The emulator's address, or a clear failure: these tests never pass silently.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!(
            "AWS_ENDPOINT_URL is not set. The integration tests need a DynamoDB/SES emulator: \
             run them with scripts/test (it starts moto_server on a free port), or start one \
             yourself and export AWS_ENDPOINT_URL=http://127.0.0.1:PORT"
        )
    })
}

/// The SDK configuration every client of the tests is built from: at the
/// emulator, each DynamoDB request held to DynamoDB's own rules.
pub async fn sdk_config() -> SdkConfig {
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .endpoint_url(endpoint())
        .region(Region::new(region))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"))
        .load()
        .await
}

/// The functions' HTTPS client, refusing what DynamoDB would refuse (`strict`).
pub fn http_client() -> SharedHttpClient {
    crate::strict::http_client(invitations_core::bootstrap::http_client())
}

/// An email the emulator accepted for sending.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub source: String,
    pub subject: String,
    /// moto keeps the HTML part of SES v2 simple messages.
    pub body: String,
}

/// Emails sent to `to`, read back from the emulator's introspection API: moto's,
/// or MiniStack's; whichever answers.
pub fn sent_emails(to: &str) -> Vec<SentEmail> {
    if let Some(data) = http_get_json(&format!("{}/moto-api/data.json", endpoint())) {
        return data["ses"]["Message"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| {
                m["destinations"]["ToAddresses"].as_array().is_some_and(|a| a.iter().any(|d| d == to))
            })
            .map(|m| SentEmail {
                source: m["source"].as_str().unwrap_or_default().to_owned(),
                subject: m["subject"].as_str().unwrap_or_default().to_owned(),
                body: m["body"].as_str().unwrap_or_default().to_owned(),
            })
            .collect();
    }
    let data = http_get_json(&format!("{}/_ministack/ses/messages", endpoint())).unwrap_or_else(|| {
        panic!("the emulator at {} shows no sent email (moto and MiniStack do)", endpoint())
    });
    data["messages"]
        .as_object()
        .into_iter()
        .flat_map(|accounts| accounts.values())
        .filter_map(Value::as_array)
        .flatten()
        .filter(|m| m["To"].as_array().is_some_and(|a| a.iter().any(|d| d == to)))
        .map(|m| SentEmail {
            source: m["Source"].as_str().unwrap_or_default().to_owned(),
            subject: m["Subject"].as_str().unwrap_or_default().to_owned(),
            body: m["BodyHtml"]
                .as_str()
                .filter(|b| !b.is_empty())
                .or(m["BodyText"].as_str())
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

/// GET on the emulator's JSON endpoints; None when the answer is not a 200 with
/// JSON. Straight to the emulator (no proxy from the environment), following no
/// redirect.
fn http_get_json(url: &str) -> Option<Value> {
    let agent = ureq::Agent::config_builder()
        .proxy(None)
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut response =
        agent.get(url).call().unwrap_or_else(|e| panic!("the emulator at {url} is not reachable: {e}"));
    if response.status() != 200 {
        return None;
    }
    // No size limit: moto's data.json holds every table of the run.
    response.body_mut().with_config().limit(u64::MAX).read_json().ok()
}
