//! `links` Lambda function: invite links, made and revoked by a team's
//! managers, opened and joined through by whoever holds one; everything but
//! the wiring lives in `invitations-core`.

use invitations_core::bootstrap;
use invitations_core::config::Links;
use lambda_http::{service_fn, Error, Request};
use std::convert::Infallible;

// One request at a time per instance: one thread is all Lambda gives it work for.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing();
    let instance = bootstrap::Instance::from_env(Links::Signed, bootstrap::links)?;
    let instance = &instance;
    lambda_http::run(service_fn(move |req: Request| async move {
        Ok::<_, Infallible>(instance.function().await.handle(req).await)
    }))
    .await
}
