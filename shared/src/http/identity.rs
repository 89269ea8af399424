//! Who is calling. In AWS the API Gateway JWT authorizer has verified the token and
//! passes its claims in the request context. Locally there is no authorizer, so
//! with `LOCAL_INSECURE_AUTH=1` (and only then) the claims are read from an
//! unsigned bearer token instead.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::Value;
use std::collections::HashMap;

use crate::domain::UserId;
use crate::service::Caller;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Claims from `requestContext.authorizer.jwt.claims` (production).
    Authorizer,
    /// Claims from the payload of an unverified `Authorization: Bearer` JWT.
    LocalInsecure,
}

pub fn caller(req: &Request, mode: AuthMode) -> Option<Caller> {
    let claims = match mode {
        AuthMode::Authorizer => authorizer_claims(req)?,
        AuthMode::LocalInsecure => bearer_claims(req)?,
    };
    let user_id = UserId::parse(claims.get("sub")?).ok()?;
    let email_verified = claims.get("email_verified").map(|v| v == "true");
    Some(Caller { user_id, email: claims.get("email").cloned(), email_verified })
}

fn authorizer_claims(req: &Request) -> Option<HashMap<String, String>> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => Some(ctx.authorizer.as_ref()?.jwt.as_ref()?.claims.clone()),
        // Only HTTP API (payload 2.0) events reach these functions.
        _ => None,
    }
}

fn bearer_claims(req: &Request) -> Option<HashMap<String, String>> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let Value::Object(map) = serde_json::from_slice::<Value>(&bytes).ok()? else {
        return None;
    };
    // Same shape as the authorizer delivers: every claim as a string.
    Some(
        map.into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Bool(b) => Some((k, b.to_string())),
                Value::Number(n) => Some((k, n.to_string())),
                _ => None,
            })
            .collect(),
    )
}

/// An unsigned JWT with these claims, as `scripts/dev` and the tests send them.
pub fn unsigned_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}
