//! `delivery` Lambda function: SES's reports on invitation emails (delivered,
//! delayed, bounced, complained, rejected), from EventBridge, applied to each
//! invitation (`invitations_core::triggers::ses`).

use invitations_core::bootstrap;
use lambda_http::lambda_runtime::{self, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing();
    let instance = bootstrap::delivery_instance()?;
    let instance = &instance;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // A failed write fails the invocation: Lambda tries the event again.
        instance.function().await.handle(&event.payload).await.map(|_| ()).map_err(Error::from)
    }))
    .await
}
