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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(claims: Option<Value>, bearer: Option<&str>) -> Request {
        let mut ctx = json!({
            "accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
            "http": {"method": "GET", "path": "/x", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
            "requestId": "r", "routeKey": "GET /x", "stage": "$default", "time": "t", "timeEpoch": 0
        });
        if let Some(c) = claims {
            ctx["authorizer"] = json!({"jwt": {"claims": c, "scopes": null}});
        }
        let mut headers = json!({});
        if let Some(b) = bearer {
            headers["authorization"] = json!(format!("Bearer {b}"));
        }
        let e = json!({"version": "2.0", "routeKey": "GET /x", "rawPath": "/x", "rawQueryString": "",
                       "headers": headers, "requestContext": ctx, "isBase64Encoded": false});
        lambda_http::request::from_str(&e.to_string()).unwrap()
    }

    #[test]
    fn production_reads_only_the_authorizer_claims() {
        let req = event(Some(json!({"sub": "u1", "email": "a@example.com", "email_verified": "true"})), None);
        let c = caller(&req, AuthMode::Authorizer).unwrap();
        assert_eq!(c.user_id.as_str(), "u1");
        assert_eq!(c.email.as_deref(), Some("a@example.com"));
        assert_eq!(c.email_verified, Some(true));

        // An unsigned bearer token must never count in production.
        let forged = unsigned_jwt(&json!({"sub": "admin", "email": "boss@example.com"}));
        assert_eq!(caller(&event(None, Some(&forged)), AuthMode::Authorizer), None);
    }

    #[test]
    fn local_mode_reads_the_unsigned_bearer_token_only() {
        let token = unsigned_jwt(&json!({"sub": "dev", "email": "dev@example.com", "email_verified": false}));
        let c = caller(&event(None, Some(&token)), AuthMode::LocalInsecure).unwrap();
        assert_eq!(c.user_id.as_str(), "dev");
        assert_eq!(c.email_verified, Some(false));
        assert_eq!(caller(&event(None, Some("garbage")), AuthMode::LocalInsecure), None);
        assert_eq!(caller(&event(Some(json!({"sub": "u1"})), None), AuthMode::LocalInsecure), None);
    }

    #[test]
    fn a_missing_or_unusable_sub_is_no_identity() {
        assert_eq!(caller(&event(Some(json!({"email": "a@example.com"})), None), AuthMode::Authorizer), None);
        assert_eq!(caller(&event(Some(json!({"sub": "a#b"})), None), AuthMode::Authorizer), None);
        assert_eq!(caller(&event(None, None), AuthMode::Authorizer), None);
    }
}
