//! The one mapping from `Error` to HTTP: status, stable machine code, and an
//! `application/problem+json` body (RFC 9457). Nothing internal leaks through.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use crate::domain::{Limit, LinkState, Unreachable, MAX_SENDS};
use crate::error::Error;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Everything a client is told about one error. Adding an error variant means
/// adding one arm to `describe`.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: StatusCode,
    /// Stable machine code; part of the API contract.
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    /// Extra members of the problem document.
    pub extra: Vec<(&'static str, Value)>,
    pub headers: Vec<(header::HeaderName, String)>,
}

/// The one mapping from an error to what the client sees.
pub fn describe(err: &Error) -> Problem {
    let p = |status, code, title, detail: &str| Problem {
        status,
        code,
        title,
        detail: detail.to_owned(),
        extra: vec![],
        headers: vec![],
    };
    match err {
        Error::InvalidRequest(why) => p(StatusCode::BAD_REQUEST, "invalid_request", "The request is malformed", why),
        Error::Unauthenticated => Problem {
            headers: vec![(header::WWW_AUTHENTICATE, "Bearer".into())],
            ..p(StatusCode::UNAUTHORIZED, "unauthenticated", "Authentication required", "Sign in to do this.")
        },
        Error::Forbidden => p(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            "You do not have the permission this needs in this team.",
        ),
        Error::EmailMismatch => p(
            StatusCode::FORBIDDEN,
            "email_mismatch",
            "Signed in as a different email address",
            "This invitation was sent to another email address. Sign in with that address to accept it; the invitation stays open.",
        ),
        Error::LinkRequired => p(
            StatusCode::FORBIDDEN,
            "link_required",
            "Use the link in the invitation email",
            "Your sign-in provider's word on your email address is not enough here: open the invitation from the link in its email to accept it.",
        ),
        Error::EmailUnverified => p(
            StatusCode::FORBIDDEN,
            "email_unverified",
            "Email address not verified",
            "Verify your email address with your sign-in provider to see the invitations sent to it.",
        ),
        Error::NotFound => {
            p(StatusCode::NOT_FOUND, "not_found", "Not found", "No such invitation, or the link is not valid.")
        }
        Error::AlreadyInvited => p(
            StatusCode::CONFLICT,
            "already_invited",
            "Already invited",
            "An open invitation for this email already exists in this team.",
        ),
        Error::AlreadyMember => p(
            StatusCode::CONFLICT,
            "already_member",
            "Already a member",
            "This person is already a member of the team.",
        ),
        Error::MemberNotFound => {
            p(StatusCode::NOT_FOUND, "not_found", "Not found", "No such member in this team.")
        }
        Error::TeamNotFound => p(StatusCode::NOT_FOUND, "not_found", "Not found", "No such team."),
        Error::NoSuchRoute => p(StatusCode::NOT_FOUND, "not_found", "Not found", "No such route."),
        Error::TeamClosed => p(
            StatusCode::CONFLICT,
            "team_closed",
            "The team is closed",
            "The team was closed: nothing more can be invited, sent or accepted in it.",
        ),
        Error::Superseded => p(
            StatusCode::CONFLICT,
            "invitation_superseded",
            "Invited again since",
            "This address was invited to the team again after this invitation expired: act on the newer invitation instead.",
        ),
        Error::SeatLimit { joining } => p(
            StatusCode::CONFLICT,
            "seat_limit",
            "No free seat",
            match joining {
                false => "Members and open invitations take every seat the team has. Withdraw an open invitation or remove a member to free one, or ask for more seats.",
                true => "The team's members take every seat it has, so no one more can join now. Ask the team to free a seat, then accept again.",
            },
        ),
        Error::LastOwner => p(
            StatusCode::CONFLICT,
            "last_owner",
            "The last owner cannot be removed or leave",
            "A team needs an owner: invite someone else as an owner first.",
        ),
        Error::NotOpen(status) => Problem {
            extra: vec![("invitationStatus", json!(status.as_str()))],
            ..p(
                StatusCode::CONFLICT,
                "invitation_not_open",
                "The invitation is not open",
                &format!("The invitation is {status} and can no longer be changed."),
            )
        },
        Error::Expired => Problem {
            extra: vec![("invitationStatus", json!("expired"))],
            ..p(
                StatusCode::GONE,
                "invitation_expired",
                "The invitation has expired",
                "The invitation has expired; ask the team to invite you again.",
            )
        },
        Error::LinkNotActive(state) => Problem {
            extra: vec![("linkState", json!(state.as_str()))],
            ..p(
                StatusCode::GONE,
                "link_not_active",
                "The invite link no longer works",
                match state {
                    LinkState::Revoked => "The team revoked this invite link. Ask the team for a new one.",
                    LinkState::UsedUp => "As many people joined through this invite link as it allows. Ask the team for a new one.",
                    LinkState::Expired | LinkState::Active => "This invite link has expired. Ask the team for a new one.",
                },
            )
        },
        Error::DomainNotAllowed => p(
            StatusCode::FORBIDDEN,
            "domain_not_allowed",
            "Your address's domain does not let you in",
            "This team takes addresses of its own domains, by this invite link or by its verified domains, as verified by your sign-in provider; yours is not one, or no longer. Sign in with such an address, or ask the team to invite you.",
        ),
        Error::JoinRequestPending => p(
            StatusCode::CONFLICT,
            "join_request_pending",
            "Already asked",
            "You asked to join this team already; a manager has not answered yet.",
        ),
        Error::JoinRequestNotPending(status) => Problem {
            extra: vec![("requestStatus", json!(status.as_str()))],
            ..p(
                StatusCode::CONFLICT,
                "join_request_not_pending",
                "The request was answered",
                &format!("This join request is {} and can no longer be answered.", status.as_str()),
            )
        },
        Error::AcceptRequestPending => p(
            StatusCode::CONFLICT,
            "accept_request_pending",
            "Already asked",
            "Someone asked already to accept this invitation with another address; a manager has not answered yet.",
        ),
        Error::AcceptRequestNotPending(status) => Problem {
            extra: vec![("requestStatus", json!(status.as_str()))],
            ..p(
                StatusCode::CONFLICT,
                "accept_request_not_pending",
                "The request was answered",
                &format!(
                    "This request to accept as another address is {} and can no longer be answered.",
                    status.as_str()
                ),
            )
        },
        Error::ResendTooSoon(seconds) => Problem {
            headers: vec![(header::RETRY_AFTER, seconds.to_string())],
            extra: vec![("retryAfterSeconds", json!(seconds))],
            ..p(
                StatusCode::TOO_MANY_REQUESTS,
                "resend_too_soon",
                "Sent too recently",
                &format!("This invitation was just sent; it can be sent again in {seconds} s."),
            )
        },
        Error::ResendLimit => Problem {
            extra: vec![("maxSends", json!(MAX_SENDS))],
            ..p(
                StatusCode::CONFLICT,
                "resend_limit_reached",
                "Sent as often as it may be",
                &format!("This invitation was sent {MAX_SENDS} times, the most one invitation is sent. Copy its link and share it another way."),
            )
        },
        Error::RecipientUnreachable(why) => Problem {
            extra: vec![("reason", json!(why.as_str()))],
            ..p(
                StatusCode::CONFLICT,
                "recipient_unreachable",
                "The address does not take these emails",
                match why {
                    Unreachable::Bounced => "The last email to this address bounced permanently: the address does not exist or refuses mail. Check it, and invite the right one.",
                    Unreachable::Complained => "The recipient marked the last invitation email as spam, so no more are sent to them. Share the link another way if they still want it.",
                },
            )
        },
        Error::RateLimited(limit, seconds) => Problem {
            headers: vec![(header::RETRY_AFTER, seconds.to_string())],
            extra: vec![("retryAfterSeconds", json!(seconds)), ("limit", json!(limit.as_str()))],
            ..p(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                match limit {
                    Limit::LinkJoinsPerMinute => "Too many joins",
                    _ => "Too many invitations",
                },
                &match limit {
                    Limit::OpenInvitations => format!(
                        "The team has as many open invitations as it may; withdraw some, or retry in {seconds} s, when the next one expires."
                    ),
                    Limit::EmailsPerHour => format!(
                        "The team has sent as many invitation emails this hour as it may; retry in {seconds} s."
                    ),
                    Limit::EmailsPerRecipientPerDay => format!(
                        "This address has been sent as many invitation emails today as it may be; retry in {seconds} s."
                    ),
                    Limit::LinkJoinsPerMinute => format!(
                        "As many people joined through this invite link this minute as it lets in; retry in {seconds} s."
                    ),
                },
            )
        },
        Error::Validation(fields) => Problem {
            extra: vec![(
                "errors",
                fields.iter().map(|f| json!({"field": f.field, "message": f.message})).collect(),
            )],
            ..p(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Validation failed",
                &fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "),
            )
        },
        Error::Unavailable(_) => Problem {
            headers: vec![(header::RETRY_AFTER, "1".into())],
            ..p(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
                "The service is busy. Try again in a moment.",
            )
        },
        Error::Internal(_) => p(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "Something went wrong on our side.",
        ),
    }
}

pub fn problem_body(err: &Error) -> Value {
    body_of(&describe(err))
}

fn body_of(problem: &Problem) -> Value {
    let mut body = json!({
        "type": format!("urn:invitations:problem:{}", problem.code),
        "title": problem.title,
        "status": problem.status.as_u16(),
        "detail": problem.detail,
        "code": problem.code,
    });
    for (key, value) in &problem.extra {
        body[*key] = value.clone();
    }
    body
}

pub fn problem_response(err: &Error) -> Response<Body> {
    let problem = describe(err);
    let mut builder = Response::builder()
        .status(problem.status)
        .header(header::CONTENT_TYPE, PROBLEM_JSON)
        .header(header::CACHE_CONTROL, "no-store");
    for (name, value) in &problem.headers {
        builder = builder.header(name, value.as_str());
    }
    builder.body(Body::Text(body_of(&problem).to_string())).expect("static headers are valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RequestStatus, Status};
    use crate::error::FieldError;

    /// One error of each variant, with its status and code. The match keeps
    /// it whole: a new variant does not compile until it is listed here.
    fn one_of_each() -> Vec<(Error, u16, &'static str)> {
        let cases = vec![
            (Error::InvalidRequest("x".into()), 400, "invalid_request"),
            (Error::Unauthenticated, 401, "unauthenticated"),
            (Error::Forbidden, 403, "forbidden"),
            (Error::EmailMismatch, 403, "email_mismatch"),
            (Error::EmailUnverified, 403, "email_unverified"),
            (Error::LinkRequired, 403, "link_required"),
            (Error::NotFound, 404, "not_found"),
            (Error::AlreadyInvited, 409, "already_invited"),
            (Error::AlreadyMember, 409, "already_member"),
            (Error::MemberNotFound, 404, "not_found"),
            (Error::LastOwner, 409, "last_owner"),
            (Error::SeatLimit { joining: false }, 409, "seat_limit"),
            (Error::Superseded, 409, "invitation_superseded"),
            (Error::SeatLimit { joining: true }, 409, "seat_limit"),
            (Error::NoSuchRoute, 404, "not_found"),
            (Error::TeamNotFound, 404, "not_found"),
            (Error::TeamClosed, 409, "team_closed"),
            (Error::NotOpen(Status::Accepted), 409, "invitation_not_open"),
            (Error::Expired, 410, "invitation_expired"),
            (Error::LinkNotActive(LinkState::UsedUp), 410, "link_not_active"),
            (Error::DomainNotAllowed, 403, "domain_not_allowed"),
            (Error::JoinRequestPending, 409, "join_request_pending"),
            (Error::JoinRequestNotPending(RequestStatus::Denied), 409, "join_request_not_pending"),
            (Error::AcceptRequestPending, 409, "accept_request_pending"),
            (Error::AcceptRequestNotPending(RequestStatus::Expired), 409, "accept_request_not_pending"),
            (Error::ResendTooSoon(42), 429, "resend_too_soon"),
            (Error::ResendLimit, 409, "resend_limit_reached"),
            (Error::RecipientUnreachable(Unreachable::Complained), 409, "recipient_unreachable"),
            (Error::RateLimited(Limit::EmailsPerHour, 42), 429, "rate_limited"),
            (Error::Validation(vec![]), 422, "validation_failed"),
            (Error::unavailable("throttled"), 503, "unavailable"),
            (Error::internal("corrupt item"), 500, "internal"),
        ];
        let listed =
            |e: &Error| cases.iter().any(|(c, _, _)| std::mem::discriminant(c) == std::mem::discriminant(e));
        for (e, _, _) in &cases {
            match e {
                Error::InvalidRequest(_)
                | Error::Unauthenticated
                | Error::Forbidden
                | Error::EmailMismatch
                | Error::EmailUnverified
                | Error::LinkRequired
                | Error::NotFound
                | Error::AlreadyInvited
                | Error::AlreadyMember
                | Error::MemberNotFound
                | Error::NoSuchRoute
                | Error::TeamNotFound
                | Error::TeamClosed
                | Error::LastOwner
                | Error::SeatLimit { .. }
                | Error::Superseded
                | Error::NotOpen(_)
                | Error::Expired
                | Error::LinkNotActive(_)
                | Error::DomainNotAllowed
                | Error::JoinRequestPending
                | Error::JoinRequestNotPending(_)
                | Error::AcceptRequestPending
                | Error::AcceptRequestNotPending(_)
                | Error::ResendTooSoon(_)
                | Error::ResendLimit
                | Error::RecipientUnreachable(_)
                | Error::RateLimited(..)
                | Error::Validation(_)
                | Error::Unavailable(_)
                | Error::Internal(_) => assert!(listed(e)),
            }
        }
        cases
    }

    #[test]
    fn each_error_has_its_documented_status_and_code() {
        let cases = one_of_each();
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

    /// docs/errors.md's table of codes: (code, status) of each row.
    fn documented_codes(text: &str) -> std::collections::BTreeSet<(String, u16)> {
        let table = text.split("## Codes").nth(1).expect("docs/errors.md has a Codes section");
        table
            .lines()
            .take_while(|l| !l.starts_with("## "))
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let code = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                Some((code.to_owned(), cells.get(2)?.parse().ok()?))
            })
            .collect()
    }

    #[test]
    fn the_documented_error_codes_are_the_codes_the_service_answers() {
        let documented = documented_codes(include_str!("../../../docs/errors.md"));
        let answered: std::collections::BTreeSet<(String, u16)> =
            one_of_each().into_iter().map(|(_, status, code)| (code.to_owned(), status)).collect();
        assert_eq!(documented, answered, "docs/errors.md's Codes table and http::problem::describe");
        // The reading is no formality: a row more, or one missing, is seen.
        let extra = "## Codes\n| `teapot` | 418 | x | y |\n";
        assert_eq!(documented_codes(extra).len(), 1);
    }

    /// The values of one `enum` list of docs/openapi.yaml's Problem schema:
    /// `code`'s (a block list) or `limit`'s (a flow list).
    fn problem_enum(spec: &str, property: &str) -> std::collections::BTreeSet<String> {
        let problem = spec.split("\n    Problem:\n").nth(1).expect("the spec has a Problem schema");
        let at = problem.split(&format!("\n        {property}:\n")).nth(1).expect("the property");
        // The property's own lines: indented deeper than its name.
        let block: Vec<&str> = at.lines().take_while(|l| l.starts_with("          ")).collect();
        let block = block.join("\n");
        match block.split_once("enum: [") {
            Some((_, flow)) => {
                flow.split(']').next().unwrap().split(',').map(|v| v.trim().to_owned()).collect()
            }
            None => block.lines().filter_map(|l| l.trim().strip_prefix("- ")).map(str::to_owned).collect(),
        }
    }

    #[test]
    fn the_contract_lists_every_code_and_limit_the_service_answers() {
        let spec = include_str!("../../../docs/openapi.yaml");
        let answered: std::collections::BTreeSet<String> =
            one_of_each().into_iter().map(|(_, _, code)| code.to_owned()).collect();
        let listed = problem_enum(spec, "code");
        assert!(
            answered.is_subset(&listed),
            "docs/openapi.yaml's Problem.code lacks {:?}",
            &answered - &listed
        );
        let limits: std::collections::BTreeSet<String> = [
            Limit::OpenInvitations,
            Limit::EmailsPerHour,
            Limit::EmailsPerRecipientPerDay,
            Limit::LinkJoinsPerMinute,
        ]
        .iter()
        .map(|l| l.as_str().to_owned())
        .collect();
        assert_eq!(problem_enum(spec, "limit"), limits, "docs/openapi.yaml's Problem.limit");
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
    fn the_cause_of_a_5xx_never_reaches_the_client() {
        for err in
            [Error::unavailable("ThrottlingException: arn:aws:dynamodb:..."), Error::internal("corrupt item")]
        {
            let body = problem_body(&err).to_string();
            assert!(!body.contains("Throttling") && !body.contains("corrupt"), "{body}");
        }
    }

    #[test]
    fn unavailable_tells_clients_when_to_retry() {
        let resp = problem_response(&Error::unavailable("throttled"));
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    }
}
