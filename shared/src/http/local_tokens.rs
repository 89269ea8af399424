//! Unsigned bearer tokens, for local development only. `scripts/dev` serves the
//! functions without an API Gateway in front, so nothing verifies a token; with
//! `LOCAL_INSECURE_AUTH=1` the functions of a `dev` build read the claims from
//! the token's payload instead of the authorizer context.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use lambda_http::http::header;
use lambda_http::Request;
use serde_json::Value;
use std::collections::HashMap;

/// The claims of an `Authorization: Bearer` JWT, unverified, each as a string
/// (the shape the authorizer delivers).
pub fn bearer_claims(req: &Request) -> Option<HashMap<String, String>> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let Value::Object(map) = serde_json::from_slice::<Value>(&bytes).ok()? else {
        return None;
    };
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
#[cfg(test)]
pub fn unsigned_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}
