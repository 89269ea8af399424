//! Reading raw requests into domain values. Everything a client can get wrong
//! becomes a 4xx here.

use lambda_http::http::header;
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;

use super::routes::{Op, Route};
use crate::domain::{InvitationId, TeamId, UserId};
use crate::error::Error;

/// Bodies this API takes are tiny; anything larger is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A path parameter of `op`'s route, from API Gateway's `pathParameters` or,
/// where the event has none (the local watcher), by matching the route's
/// template against the whole path.
pub fn path_param(req: &Request, op: Op, name: &str) -> Option<String> {
    if let Some(v) = req.path_parameters_ref().and_then(|p| p.first(name)) {
        return Some(v.to_owned());
    }
    Route::of(op).params(req.uri().path())?.into_iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

pub fn team_id(req: &Request, op: Op) -> Result<TeamId, Error> {
    let raw = path_param(req, op, "teamId").ok_or_else(|| Error::InvalidRequest("missing teamId".into()))?;
    TeamId::parse(&raw).map_err(|e| Error::InvalidRequest(e.to_string()))
}

/// A malformed invitation id names nothing: 404, like an unknown one.
pub fn invitation_id(req: &Request, op: Op) -> Result<InvitationId, Error> {
    let raw = path_param(req, op, "invitationId").ok_or(Error::NotFound)?;
    InvitationId::parse(&raw).map_err(|_| Error::NotFound)
}

/// A malformed user id names no member: 404, like an unknown one.
pub fn user_id(req: &Request, op: Op) -> Result<UserId, Error> {
    let raw = path_param(req, op, "userId").ok_or(Error::MemberNotFound)?;
    UserId::parse(&raw).map_err(|_| Error::MemberNotFound)
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_owned)
}

/// Parses a JSON body. Malformed JSON or a wrong shape is 400; missing or invalid
/// values are left to the caller to report as 422.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Error> {
    if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(Error::InvalidRequest("Content-Type must be application/json".into()));
        }
    }
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Error::InvalidRequest(format!("body must be at most {MAX_BODY_BYTES} bytes")));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::InvalidRequest("a JSON body is required".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        // serde's message says what was wrong and where, without echoing input.
        Error::InvalidRequest(format!("body is not valid JSON for this request: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;

    fn req(path: &str) -> Request {
        lambda_http::http::Request::builder().uri(path).body(Body::Empty).unwrap()
    }

    #[test]
    fn path_params_without_api_gateway_match_the_whole_path() {
        let t = Op::Withdraw;
        let r = req("http://127.0.0.1:9000/teams/acme/invitations/abc/withdraw");
        assert_eq!(path_param(&r, t, "teamId").as_deref(), Some("acme"));
        assert_eq!(path_param(&r, t, "invitationId").as_deref(), Some("abc"));
        assert_eq!(path_param(&req("/teams/acme/other/abc/withdraw"), t, "teamId"), None);
        assert_eq!(path_param(&req("/withdraw"), t, "teamId"), None);
        // A prefix is no part of any route: only API Gateway adds a stage, and
        // it names the parameters itself.
        assert_eq!(path_param(&req("/prod/teams/acme/invitations/abc/withdraw"), t, "teamId"), None);
    }

    #[test]
    fn bodies_must_be_json() {
        #[derive(serde::Deserialize, Debug)]
        struct B {
            #[allow(dead_code)]
            a: Option<String>,
        }
        let with = |ct: Option<&str>, body: &str| {
            let mut b = lambda_http::http::Request::builder().uri("/x");
            if let Some(ct) = ct {
                b = b.header("content-type", ct);
            }
            b.body(Body::Text(body.into())).unwrap()
        };
        assert!(json_body::<B>(&with(Some("application/json; charset=utf-8"), r#"{"a":"x"}"#)).is_ok());
        assert!(json_body::<B>(&with(None, r#"{"a":"x"}"#)).is_ok());
        for (ct, body) in [
            (Some("text/plain"), r#"{"a":"x"}"#),
            (None, ""),
            (None, "{"),
            (None, r#"{"a": 5}"#),
            (None, "[]"),
        ] {
            assert!(
                matches!(json_body::<B>(&with(ct, body)), Err(Error::InvalidRequest(_))),
                "{ct:?} {body:?}"
            );
        }
        let huge = format!(r#"{{"a":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        assert!(json_body::<B>(&with(None, &huge)).is_err());
    }
}
