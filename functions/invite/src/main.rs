//! `invite` Lambda function; everything but the wiring lives in `invitations-core`.

use invitations_core::bootstrap;
use lambda_http::{service_fn, Error, Request};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), Error> {
    bootstrap::init_tracing();
    let api = bootstrap::api_from_env().await?;
    let api = &api;
    lambda_http::run(service_fn(
        move |req: Request| async move { Ok::<_, Infallible>(api.invite(req).await) },
    ))
    .await
}
