//! Who is calling. In AWS the API Gateway JWT authorizer has verified the token and
//! passes its claims in the request context; that is the only source of identity
//! a release build knows. A `dev` build can also read them from an unsigned
//! bearer token (`http::local_tokens`), for the local watcher only.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::collections::HashMap;

use crate::domain::{Email, UserId};
use crate::service::teams::PlatformCaller;
use crate::service::{Caller, Provider};

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
        AuthMode::LocalInsecure => super::local_tokens::bearer_claims(req)?,
    };
    let user_id = UserId::parse(claims.get("sub")?).ok()?;
    let email_verified = claims.get("email_verified").map(|v| v == "true");
    // An email claim that is not an address we could have invited matches no
    // invitation: as good as none.
    let email = claims.get("email").and_then(|raw| Email::parse(raw).ok());
    let provider = match claims.get("identities") {
        None => Provider::Native,
        Some(identities) => Provider::Federated(provider_name(identities)),
    };
    Some(Caller { user_id, email, email_verified, provider })
}

/// The provider a federated Cognito identity came from: `providerName` in the
/// `identities` claim, which the authorizer hands over as a string (an array
/// of objects, written out as JSON, or as `key:value` pairs). Only a name
/// that stands alone counts; None when there is no single one.
fn provider_name(identities: &str) -> Option<String> {
    let mut names = identities.match_indices("providerName").map(|(at, key)| {
        let rest = identities[at + key.len()..].trim_start_matches(['"', ' ']);
        // JSON (`": "Google"`) or `key:value` (`:Google `, `: ` when empty).
        let rest = rest.strip_prefix(':')?;
        let rest = rest.strip_prefix(' ').filter(|r| r.starts_with('"')).unwrap_or(rest);
        let rest = rest.strip_prefix('"').unwrap_or(rest);
        let end = rest.find(['"', ',', ' ', ']', '}']).unwrap_or(rest.len());
        Some(rest[..end].to_owned()).filter(|n| !n.is_empty())
    });
    let first = names.next()??;
    // Several linked identities: none of them alone vouches for the address.
    names.next().is_none().then_some(first)
}

/// The service calling a platform route: API Gateway's IAM authorizer verified
/// its SigV4 signature and names it in `requestContext.authorizer.iam`. A `dev`
/// build (no gateway) takes any SigV4-style `Authorization` header, unverified.
pub fn platform_caller(req: &Request, mode: AuthMode) -> Option<PlatformCaller> {
    if let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
        if let Some(iam) = ctx.authorizer.as_ref().and_then(|a| a.iam.as_ref()) {
            let principal = iam.user_arn.clone().or_else(|| iam.caller_id.clone())?;
            return Some(PlatformCaller { principal });
        }
    }
    match mode {
        AuthMode::Authorizer => None,
        #[cfg(feature = "dev")]
        AuthMode::LocalInsecure => {
            let auth = req.headers().get("authorization")?.to_str().ok()?;
            auth.starts_with("AWS4-HMAC-SHA256 ")
                .then(|| PlatformCaller { principal: "local-platform".into() })
        }
    }
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
        let mut e = crate::http::fixtures::ApiRequest::new("GET", "/x", "/x");
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
        assert_eq!(c.provider, Provider::Native, "no identities claim: the pool's own account");
    }

    #[test]
    fn a_federated_identity_names_its_provider_however_the_claim_is_written() {
        let with = |identities: &str| {
            let claims = json!({"sub": "u1", "email": "a@example.com", "email_verified": "true", "identities": identities});
            caller(&event(Some(claims), None), AuthMode::Authorizer).unwrap().provider
        };
        let google = Provider::Federated(Some("Google".into()));
        assert_eq!(
            with(r#"[{"userId":"1","providerName":"Google","providerType":"Google","primary":"true"}]"#),
            google
        );
        assert_eq!(with(r#"[{"userId": "1", "providerName": "Google", "primary": true}]"#), google);
        assert_eq!(with("[map[dateCreated:1 providerName:Google providerType:Google userId:1]]"), google);
        assert_eq!(with("[]"), Provider::Federated(None));
        assert_eq!(with("[map[providerName: providerType:SAML]]"), Provider::Federated(None));
        let two = r#"[{"providerName":"Google"},{"providerName":"Corp"}]"#;
        assert_eq!(with(two), Provider::Federated(None), "linked identities: none alone");
    }

    #[test]
    fn only_the_pools_own_or_a_trusted_providers_verified_address_stands_for_the_caller() {
        let c = |provider, verified| Caller {
            user_id: UserId::parse("u1").unwrap(),
            email: Some(Email::parse("a@example.com").unwrap()),
            email_verified: verified,
            provider,
        };
        let trusted = ["Google".to_owned()];
        assert!(c(Provider::Native, Some(true)).address_is_credential(&[]));
        assert!(c(Provider::Federated(Some("Google".into())), Some(true)).address_is_credential(&trusted));
        assert!(!c(Provider::Federated(Some("Google".into())), Some(true)).address_is_credential(&[]));
        assert!(!c(Provider::Federated(Some("Corp".into())), Some(true)).address_is_credential(&trusted));
        assert!(!c(Provider::Federated(None), Some(true)).address_is_credential(&trusted));
        assert!(!c(Provider::Native, None).address_is_credential(&trusted), "explicitly verified only");
    }

    #[cfg(feature = "dev")]
    #[test]
    fn production_ignores_an_unsigned_bearer_token() {
        let forged =
            crate::http::local_tokens::unsigned_jwt(&json!({"sub": "admin", "email": "boss@example.com"}));
        assert_eq!(caller(&event(None, Some(&forged)), AuthMode::Authorizer), None);
    }

    #[cfg(feature = "dev")]
    #[test]
    fn local_mode_reads_the_unsigned_bearer_token_only() {
        let token = crate::http::local_tokens::unsigned_jwt(
            &json!({"sub": "dev", "email": "dev@example.com", "email_verified": false}),
        );
        let c = caller(&event(None, Some(&token)), AuthMode::LocalInsecure).unwrap();
        assert_eq!(c.user_id.as_str(), "dev");
        assert_eq!(c.email_verified, Some(false));
        assert_eq!(caller(&event(None, Some("garbage")), AuthMode::LocalInsecure), None);
        assert_eq!(caller(&event(Some(json!({"sub": "u1"})), None), AuthMode::LocalInsecure), None);
    }

    #[test]
    fn a_platform_caller_is_the_principal_the_iam_authorizer_names_and_nothing_else() {
        let req = crate::http::fixtures::ApiRequest::new("GET", "/x", "/x")
            .iam("arn:aws:iam::123456789012:role/platform")
            .request();
        let caller = platform_caller(&req, AuthMode::Authorizer).unwrap();
        assert_eq!(caller.principal, "arn:aws:iam::123456789012:role/platform");
        // A user's verified JWT is no platform identity, nor is a SigV4 header
        // that no authorizer checked.
        let user = event(Some(json!({"sub": "u1"})), None);
        assert_eq!(platform_caller(&user, AuthMode::Authorizer), None);
        let unsigned = crate::http::fixtures::ApiRequest::new("GET", "/x", "/x")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIA/20261129/us-east-1/execute-api/aws4_request",
            )
            .request();
        assert_eq!(platform_caller(&unsigned, AuthMode::Authorizer), None);
    }

    #[test]
    fn a_missing_or_unusable_sub_is_no_identity() {
        assert_eq!(caller(&event(Some(json!({"email": "a@example.com"})), None), AuthMode::Authorizer), None);
        assert_eq!(caller(&event(Some(json!({"sub": "a#b"})), None), AuthMode::Authorizer), None);
        assert_eq!(caller(&event(None, None), AuthMode::Authorizer), None);
    }
}
