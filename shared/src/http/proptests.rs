//! Property tests over everything that parses a request: whatever API Gateway
//! delivers, the parsers answer a value or a 4xx error, and never panic.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::fixtures::ApiRequest;

use super::invitations::{InviteBody, TokenBody};
use super::problem::describe;
use super::routes::Op;
use super::{list_query, request};
use crate::domain::{Email, InvitationId, RoleCatalog, TeamId, UserId};
use crate::ports::PageCursor;
use crate::Error;

/// An event with these path parameters, query, headers and body (text, or
/// base64 when the flag says so), as JSON objects of strings.
fn event(
    path: &str,
    params: Value,
    query: Value,
    headers: Value,
    body: Option<(String, bool)>,
) -> lambda_http::Request {
    let strings = |v: &Value| -> Vec<(String, String)> {
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect()
    };
    let mut e = ApiRequest::new("POST", "$default", path);
    for (k, v) in strings(&params) {
        e = e.path_param(&k, &v);
    }
    for (k, v) in strings(&query) {
        e = e.query(&k, &v);
    }
    for (k, v) in strings(&headers) {
        e = e.header(&k, &v);
    }
    match body {
        Some((b, true)) => e.base64_body(&b),
        Some((b, false)) => e.body(&b),
        None => e,
    }
    .request()
}

fn real_cursor(n: u128) -> String {
    let id = InvitationId::parse(&uuid::Uuid::from_u128(n).hyphenated().to_string()).unwrap();
    let created_at = chrono::DateTime::from_timestamp_millis((n % 4_000_000_000_000) as i64).unwrap();
    PageCursor { at: created_at, id }.encode()
}

fn client_error<T>(r: Result<T, Error>) -> bool {
    match r {
        Ok(_) => true,
        Err(e) => describe(&e).status.is_client_error(),
    }
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("application/json".to_owned()),
        Just("application/json; charset=utf-8".to_owned()),
        Just("application/problem+json".to_owned()),
        Just("text/plain".to_owned()),
        "\\PC{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_body_parses_or_is_a_client_error(body in "\\PC{0,200}", raw in proptest::collection::vec(any::<u8>(), 0..200), ct in content_type(), b64 in any::<bool>()) {
        use base64::Engine;
        let body = if b64 { base64::engine::general_purpose::STANDARD.encode(&raw) } else { body };
        let req = event("/invitations/x/accept", json!({}), json!({}), json!({"content-type": ct}), Some((body, b64)));
        let invite = request::json_body::<InviteBody>(&req);
        prop_assert!(client_error(request::json_body::<TokenBody>(&req)));
        if let Ok(b) = invite {
            // What survives the JSON layer goes through the domain's parsers.
            if let Some(e) = b.email { let _ = Email::parse(&e); }
            if let Some(r) = b.role { let _ = RoleCatalog::builtin().invitable(&r); }
        } else {
            prop_assert!(client_error(invite));
        }
    }

    #[test]
    fn any_query_parses_or_is_a_400(
        // Mostly valid values, so that every parameter is reached; dense around
        // the bounds, where mistakes live.
        status in prop_oneof![3 => "(open|expired|accepted|declined|withdrawn)?", 1 => "\\PC{0,30}"],
        limit in prop_oneof![3 => (-2i64..=102).prop_map(|n| n.to_string()), 1 => "\\PC{0,30}"],
        cursor in prop_oneof![2 => Just(String::new()), 1 => any::<u128>().prop_map(real_cursor), 1 => "\\PC{0,300}"],
    ) {
        let req = event("/teams/t/invitations", json!({"teamId": "t"}), json!({"status": status, "limit": limit, "cursor": cursor}), json!({}), None);
        prop_assert_eq!(request::query_param(&req, "limit"), Some(limit.clone()), "the query reaches the parser");
        match list_query(&req) {
            Ok(q) => prop_assert!((1..=super::MAX_PAGE_SIZE).contains(&q.limit)),
            Err(e) => prop_assert_eq!(describe(&e).status.as_u16(), 400),
        }
    }

    #[test]
    fn any_path_parameter_parses_or_is_a_client_error(team in "\\PC{0,100}", id in "\\PC{0,100}") {
        let req = event("/teams/x/invitations/y/withdraw", json!({"teamId": team, "invitationId": id}), json!({}), json!({}), None);
        prop_assert!(client_error(request::team_id(&req, Op::Withdraw)));
        prop_assert!(client_error(request::invitation_id(&req, Op::Withdraw)));
    }

    #[test]
    fn a_parsed_email_is_canonical(raw in "\\PC{0,80}|[A-Za-z0-9._+-]{1,20}@[A-Za-z0-9-]{1,20}\\.[a-z]{2,5}") {
        if let Ok(email) = Email::parse(&raw) {
            let s = email.as_str();
            prop_assert!(s.is_ascii() && s == s.to_ascii_lowercase());
            prop_assert_eq!(s.matches('@').count(), 1);
            prop_assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>'));
            prop_assert_eq!(Email::parse(s).unwrap(), email.clone());
        }
    }

    #[test]
    fn ids_and_cursors_never_panic_and_round_trip(raw in "\\PC{0,120}") {
        if let Ok(id) = InvitationId::parse(&raw) { prop_assert_eq!(id.to_string(), raw.clone()); }
        if let Ok(t) = TeamId::parse(&raw) { prop_assert_eq!(t.as_str(), raw.as_str()); }
        let _ = UserId::parse(&raw);
        if let Some(c) = PageCursor::decode(&raw) { prop_assert_eq!(PageCursor::decode(&c.encode()), Some(c)); }
    }
}
