//! `remind` Lambda function: the reminders before expiry that fell due, on
//! EventBridge's schedule (`invitations_core::triggers::reminders`).

use invitations_core::bootstrap;
use invitations_core::config::Links;
use lambda_http::lambda_runtime::{self, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing();
    let instance = bootstrap::Instance::from_env(Links::Signed, bootstrap::remind)?;
    let instance = &instance;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // A failed run fails the invocation (the error alarm); what it did
        // not send stays due for the next run.
        instance.function().await.handle(&event.payload).await.map_err(Error::from)
    }))
    .await
}
