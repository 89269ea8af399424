//! The floor of a function that calls DynamoDB: `bench/hello` plus one
//! `GetItem`, with the SDK configuration and HTTPS client the functions build
//! (`bootstrap::sdk_config`), built by the first request as theirs are.
//! `scripts/bench` measures its cold first answer beside the functions': what
//! is left between it and hello-world is the SDK's own once-per-process work,
//! which no function that reads DynamoDB can go below.

use aws_sdk_dynamodb::types::AttributeValue;
use invitations_core::bootstrap;
use lambda_http::{service_fn, Body, Error, Request, Response};
use std::convert::Infallible;

// The same runtime flavour as the functions.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing();
    let table = std::env::var("TABLE_NAME")?;
    let client = tokio::sync::OnceCell::new();
    let (table, client) = (&table, &client);
    lambda_http::run(service_fn(move |_req: Request| async move {
        let client = client
            .get_or_init(|| async { aws_sdk_dynamodb::Client::new(&bootstrap::sdk_config().await) })
            .await;
        let found = client
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S("TEAM#demo".into()))
            .key("sk", AttributeValue::S("TEAM".into()))
            .send()
            .await
            .map(|out| out.item.is_some());
        let (status, body) = match found {
            Ok(found) => (200, format!(r#"{{"found":{found}}}"#)),
            Err(_) => (502, r#"{"error":"GetItem failed"}"#.to_owned()),
        };
        Ok::<_, Infallible>(
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(body))
                .expect("a static response"),
        )
    }))
    .await
}
