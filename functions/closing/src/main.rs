//! `closing` Lambda function: closed teams' closings, a page per step, from the
//! table's change stream (`invitations_core::triggers::closing`).

use invitations_core::bootstrap;
use invitations_core::config::Links;
use lambda_http::lambda_runtime::{self, service_fn, Error, LambdaEvent};
use serde_json::Value;
use std::convert::Infallible;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing();
    let instance = bootstrap::Instance::from_env(Links::Unused, bootstrap::closing)?;
    let instance = &instance;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, Infallible>(instance.function().await.handle(&event.payload).await)
    }))
    .await
}
