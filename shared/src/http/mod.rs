//! The HTTP edge of the six API functions: find the route (`routes`), read
//! the request into domain values, call a use case, map the result. One log
//! line per request.
//!
//! - `routes`: the route table;
//! - `functions`: each function's dispatch (route -> handler);
//! - `invitations`, `members`, `teams`, `links`: the handlers, by resource;
//! - `request`, `identity`: reading a request and its caller;
//! - `views` (and `team_views`, `link_views`): response bodies; `problem`: the one mapping of errors to HTTP.

mod accept_requests;
mod domains;
#[cfg(any(test, feature = "dev"))]
pub mod fixtures;
mod functions;
pub mod identity;
mod invitations;
mod join_requests;
mod link_views;
mod links;
#[cfg(any(test, feature = "dev"))]
mod local_tokens;
mod members;
pub mod problem;
pub mod request;
pub mod routes;
mod team_views;
mod teams;
pub mod views;

#[cfg(test)]
mod proptests;

pub use functions::{
    InviteFunction, LinksFunction, ListFunction, PlatformFunction, RespondFunction, WithdrawFunction,
};
pub use identity::AuthMode;
pub use links::INVITE_LINK_TOKEN;

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use std::time::Instant;

use crate::domain::Status;
use crate::error::Error;
use crate::ports::{ListQuery, PageCursor};
use routes::{Function, Route};

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

fn json_response(status: StatusCode, body: impl Serialize) -> Result<Response<Body>, Error> {
    let text = serde_json::to_string(&body).map_err(|e| Error::internal(format!("response body: {e}")))?;
    Ok(Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        // Bodies can carry invitation links: keep them out of shared caches.
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Text(text))
        .expect("static headers are valid"))
}

/// The caller the authorizer vouched for, or 401.
fn require_caller(req: &Request, auth: AuthMode) -> Result<crate::service::Caller, Error> {
    identity::caller(req, auth).ok_or(Error::Unauthenticated)
}

/// The route of `req` if `function` serves it; any other request is no route.
fn resolve(function: Function, req: &Request) -> Option<&'static Route> {
    Route::of_request(req).filter(|r| r.function == function)
}

/// Runs one route and logs it: route template, status and latency, never the
/// path itself (it can carry a token in its query string). The one place an
/// error's cause is logged.
async fn logged(
    route: Option<&'static Route>,
    method: &Method,
    run: impl std::future::Future<Output = Result<Response<Body>, Error>>,
) -> Response<Body> {
    let started = Instant::now();
    // On the heap: a handler's future is large (several SDK calls deep), and
    // unoptimised builds would otherwise need more stack than a test thread has.
    let (response, cause) = match Box::pin(run).await {
        Ok(response) => (response, None),
        Err(e) => (problem::problem_response(&e), e.cause().cloned()),
    };
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let route = route.map_or("unmatched", |r| r.template);
    if let Some(cause) = cause {
        tracing::error!(route, method = %method, status, latency_ms, cause = %cause, "request");
    } else if status >= 500 {
        tracing::error!(route, method = %method, status, latency_ms, "request");
    } else {
        tracing::info!(route, method = %method, status, latency_ms, "request");
    }
    response
}

/// When Lambda ends this invocation, as an instant of this process's clock. None
/// where no runtime context came with the request, or where its deadline had
/// passed before the request began: emulators send placeholders (`cargo lambda
/// watch` sends 600000, a moment of 1970), and in Lambda it cannot happen.
fn invocation_deadline(req: &Request) -> Option<Instant> {
    let deadline_ms = req.lambda_context_ref()?.deadline;
    let deadline = std::time::UNIX_EPOCH + std::time::Duration::from_millis(deadline_ms);
    let left = deadline.duration_since(std::time::SystemTime::now()).ok()?;
    Some(Instant::now() + left)
}

/// The `cursor` query parameter: absent or empty, the first page; else one
/// `decode` takes, or 400.
fn cursor<T>(req: &Request, decode: fn(&str) -> Option<T>) -> Result<Option<T>, Error> {
    match request::query_param(req, "cursor").filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(raw) => {
            decode(&raw).map(Some).ok_or_else(|| Error::InvalidRequest("cursor is not valid".into()))
        }
    }
}

fn page_limit(req: &Request) -> Result<usize, Error> {
    match request::query_param(req, "limit") {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(raw) => raw.parse::<usize>().ok().filter(|n| (1..=MAX_PAGE_SIZE).contains(n)).ok_or_else(|| {
            Error::InvalidRequest(format!("limit must be a whole number from 1 to {MAX_PAGE_SIZE}"))
        }),
    }
}

fn list_query(req: &Request) -> Result<ListQuery, Error> {
    let status = match request::query_param(req, "status") {
        None => None,
        Some(raw) if raw.is_empty() => None,
        Some(raw) => Some(raw.parse::<Status>().map_err(|e| Error::InvalidRequest(e.to_string()))?),
    };
    let limit = page_limit(req)?;
    let after = cursor(req, PageCursor::decode)?;
    Ok(ListQuery { status, limit, after })
}
