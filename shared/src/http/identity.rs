//! Who is calling. In AWS the API Gateway JWT authorizer has verified the token and
//! passes its claims in the request context; that is the only source of identity
//! a release build knows. A `dev` build can also read them from an unsigned
//! bearer token (`dev::tokens`), for the local watcher only.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::collections::HashMap;

use crate::domain::{Email, UserId};
use crate::service::Caller;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Claims from `requestContext.authorizer.jwt.claims` (production).
    Authorizer,
    /// Claims from the payload of an unverified `Authorization: Bearer` JWT.
    #[cfg(feature = "dev")]
    LocalInsecure,
}

pub fn caller(req: &Request, mode: AuthMode) -> Option<Caller> {
    let claims = match mode {
        AuthMode::Authorizer => authorizer_claims(req)?,
        #[cfg(feature = "dev")]
        AuthMode::LocalInsecure => crate::dev::tokens::bearer_claims(req)?,
    };
    let user_id = UserId::parse(claims.get("sub")?).ok()?;
    let email_verified = claims.get("email_verified").map(|v| v == "true");
    // An email claim that is not an address we could have invited matches no
    // invitation: as good as none.
    let email = claims.get("email").and_then(|raw| Email::parse(raw).ok());
    Some(Caller { user_id, email, email_verified })
}

fn authorizer_claims(req: &Request) -> Option<HashMap<String, String>> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ctx) => Some(ctx.authorizer.as_ref()?.jwt.as_ref()?.claims.clone()),
        // Only HTTP API (payload 2.0) events reach these functions.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn event(claims: Option<Value>, bearer: Option<&str>) -> Request {
        let mut e = crate::dev::events::ApiEvent::new("GET", "/x", "/x");
        if let Some(c) = claims {
            e = e.claims(c);
        }
        if let Some(b) = bearer {
            e = e.header("authorization", &format!("Bearer {b}"));
        }
        e.request()
    }

    #[test]
    fn production_reads_the_authorizer_claims() {
        let req = event(Some(json!({"sub": "u1", "email": "a@example.com", "email_verified": "true"})), None);
        let c = caller(&req, AuthMode::Authorizer).unwrap();
        assert_eq!(c.user_id.as_str(), "u1");
        assert_eq!(c.email, Some(Email::parse("a@example.com").unwrap()));
        assert_eq!(c.email_verified, Some(true));
    }

    #[cfg(feature = "dev")]
    #[test]
    fn production_ignores_an_unsigned_bearer_token() {
        let forged = crate::dev::tokens::unsigned_jwt(&json!({"sub": "admin", "email": "boss@example.com"}));
        assert_eq!(caller(&event(None, Some(&forged)), AuthMode::Authorizer), None);
    }

    #[cfg(feature = "dev")]
    #[test]
    fn local_mode_reads_the_unsigned_bearer_token_only() {
        let token = crate::dev::tokens::unsigned_jwt(
            &json!({"sub": "dev", "email": "dev@example.com", "email_verified": false}),
        );
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
