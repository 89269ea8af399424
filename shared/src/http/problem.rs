//! The one mapping from `Error` to HTTP: status, stable machine code, and an
//! `application/problem+json` body (RFC 9457). Nothing internal leaks through.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use crate::error::Error;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Status, code and title for each error; the codes are part of the API contract.
pub fn classify(err: &Error) -> (StatusCode, &'static str, &'static str) {
    match err {
        Error::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request", "The request is malformed"),
        Error::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", "Authentication required"),
        Error::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
        Error::EmailMismatch => {
            (StatusCode::FORBIDDEN, "email_mismatch", "Signed in as a different email address")
        }
        Error::NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found"),
        Error::AlreadyInvited => (StatusCode::CONFLICT, "already_invited", "Already invited"),
        Error::AlreadyMember => (StatusCode::CONFLICT, "already_member", "Already a member"),
        Error::NotOpen(_) => (StatusCode::CONFLICT, "invitation_not_open", "The invitation is not open"),
        Error::Expired => (StatusCode::GONE, "invitation_expired", "The invitation has expired"),
        Error::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Validation failed"),
        Error::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable"),
        Error::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
    }
}

fn detail(err: &Error) -> String {
    match err {
        Error::InvalidRequest(why) => why.clone(),
        Error::Unauthenticated => "Sign in to do this.".into(),
        Error::Forbidden => "You do not have the permission this needs in this team.".into(),
        Error::EmailMismatch => {
            "This invitation was sent to another email address. Sign in with that address to accept it; the invitation stays open.".into()
        }
        Error::NotFound => "No such invitation, or the link is not valid.".into(),
        Error::AlreadyInvited => "An open invitation for this email already exists in this team.".into(),
        Error::AlreadyMember => "This person is already a member of the team.".into(),
        Error::NotOpen(status) => format!("The invitation is {status} and can no longer be changed."),
        Error::Expired => "The invitation has expired; ask the team to invite you again.".into(),
        Error::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Unavailable => "The service is busy. Try again in a moment.".into(),
        Error::Internal => "Something went wrong on our side.".into(),
    }
}

pub fn problem_body(err: &Error) -> Value {
    let (status, code, title) = classify(err);
    let mut body = json!({
        "type": format!("urn:invitations:problem:{code}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail(err),
        "code": code,
    });
    match err {
        Error::NotOpen(s) => body["invitationStatus"] = json!(s.as_str()),
        Error::Expired => body["invitationStatus"] = json!("expired"),
        Error::Validation(fields) => {
            body["errors"] = fields.iter().map(|f| json!({"field": f.field, "message": f.message})).collect();
        }
        _ => {}
    }
    body
}

pub fn problem_response(err: &Error) -> Response<Body> {
    let (status, _, _) = classify(err);
    let mut builder = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, PROBLEM_JSON)
        .header(header::CACHE_CONTROL, "no-store");
    match err {
        Error::Unauthenticated => builder = builder.header(header::WWW_AUTHENTICATE, "Bearer"),
        Error::Unavailable => builder = builder.header(header::RETRY_AFTER, "1"),
        _ => {}
    }
    builder.body(Body::Text(problem_body(err).to_string())).expect("static headers are valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use crate::error::FieldError;

    #[test]
    fn each_error_has_its_documented_status_and_code() {
        let cases = [
            (Error::InvalidRequest("x".into()), 400, "invalid_request"),
            (Error::Unauthenticated, 401, "unauthenticated"),
            (Error::Forbidden, 403, "forbidden"),
            (Error::EmailMismatch, 403, "email_mismatch"),
            (Error::NotFound, 404, "not_found"),
            (Error::AlreadyInvited, 409, "already_invited"),
            (Error::AlreadyMember, 409, "already_member"),
            (Error::NotOpen(Status::Accepted), 409, "invitation_not_open"),
            (Error::Expired, 410, "invitation_expired"),
            (Error::Validation(vec![]), 422, "validation_failed"),
            (Error::Unavailable, 503, "unavailable"),
            (Error::Internal, 500, "internal"),
        ];
        for (err, status, code) in cases {
            let resp = problem_response(&err);
            assert_eq!(resp.status().as_u16(), status, "{err:?}");
            assert_eq!(resp.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
            let body: Value = match resp.body() {
                Body::Text(t) => serde_json::from_str(t).unwrap(),
                other => panic!("unexpected body {other:?}"),
            };
            assert_eq!(body["code"], code);
            assert_eq!(body["status"], status);
            for field in ["type", "title", "detail"] {
                assert!(body[field].is_string(), "{field} missing for {err:?}");
            }
        }
    }

    #[test]
    fn not_open_names_the_current_status_and_validation_lists_fields() {
        let body = problem_body(&Error::NotOpen(Status::Withdrawn));
        assert_eq!(body["invitationStatus"], "withdrawn");
        let body = problem_body(&Error::Validation(vec![FieldError {
            field: "role",
            message: "unknown role".into(),
        }]));
        assert_eq!(body["errors"][0]["field"], "role");
    }

    #[test]
    fn unavailable_tells_clients_when_to_retry() {
        let resp = problem_response(&Error::Unavailable);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    }
}
