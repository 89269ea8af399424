//! A minimal `lambda_http` function: what `scripts/bench` compares the four
//! functions' cold start, memory and size with.

use lambda_http::{service_fn, Body, Error, Request, Response};
use std::convert::Infallible;

// The same runtime flavour as the functions.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(service_fn(|_req: Request| async {
        Ok::<_, Infallible>(
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from(r#"{"hello":"world"}"#))
                .unwrap(),
        )
    }))
    .await
}
