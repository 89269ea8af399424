//! `events` Lambda function: the table's change stream, published to
//! EventBridge as one event per committed change (`invitations_core::triggers::stream`).

use invitations_core::bootstrap;
use lambda_http::lambda_runtime::{self, service_fn, Error, LambdaEvent};
use serde_json::Value;
use std::convert::Infallible;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing();
    let instance = bootstrap::events_instance()?;
    let instance = &instance;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Infallible>(instance.function().await.handle(&event.payload).await)
    }))
    .await
}
