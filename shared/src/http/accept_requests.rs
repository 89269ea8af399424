//! Accepting as another address, with a manager's consent (links function):
//! the asking account's request, and the team's managers' answers.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use super::routes::Op;
use super::{json_response, request, require_caller, AuthMode};
use crate::error::Error;
use crate::ports::LinkKeySource;
use crate::service::invitations::{AcceptRequestView, ConsentStore, Consenting};
use crate::time::format_timestamp;

#[derive(Deserialize)]
struct AskBody {
    token: Option<String>,
}

/// A request to accept as another address, as the team's managers and the
/// asking account see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AcceptRequestBody<'a> {
    invitation_id: String,
    team_id: &'a str,
    team_name: &'a str,
    role: &'a str,
    /// The address the invitation was sent to.
    invited_email: &'a str,
    /// The account that asks, and its verified address (the membership's, if approved).
    user_id: &'a str,
    email: &'a str,
    /// `pending`, `expired`, `approved` or `denied`.
    status: &'static str,
    requested_at: String,
    expires_at: String,
    decided_by: Option<&'a str>,
    decided_at: Option<String>,
}

fn body(v: &AcceptRequestView) -> AcceptRequestBody<'_> {
    let r = &v.request;
    AcceptRequestBody {
        invitation_id: r.invitation_id.to_string(),
        team_id: r.team_id.as_str(),
        team_name: r.team_name.as_str(),
        role: r.role.as_str(),
        invited_email: r.invited_email.as_str(),
        user_id: r.user_id.as_str(),
        email: r.email.as_str(),
        status: v.status.as_str(),
        requested_at: format_timestamp(r.requested_at),
        expires_at: format_timestamp(r.expires_at),
        decided_by: r.decided.as_ref().map(|d| d.by.as_str()),
        decided_at: r.decided.as_ref().map(|d| format_timestamp(d.at)),
    }
}

#[derive(Debug, Serialize)]
struct ListBody<'a> {
    requests: Vec<AcceptRequestBody<'a>>,
}

/// `POST /invitations/{invitationId}/accept-requests` with `{"token"}`: 202
/// with the request, waiting for a manager.
pub(super) async fn ask<S: ConsentStore, K: LinkKeySource>(
    consenting: &Consenting<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let id = request::invitation_id(req, Op::RequestAccept)?;
    let asked: AskBody = request::json_body(req)?;
    let token = asked
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::invalid_field("token", "token is required"))?;
    json_response(StatusCode::ACCEPTED, body(&consenting.ask(&caller, id, &token).await?))
}

/// `GET /teams/{teamId}/accept-requests`
pub(super) async fn list<S: ConsentStore, K: LinkKeySource>(
    consenting: &Consenting<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::ListAcceptRequests)?;
    let views = consenting.list(&caller, &team).await?;
    json_response(StatusCode::OK, ListBody { requests: views.iter().map(body).collect() })
}

/// `POST /teams/{teamId}/accept-requests/{invitationId}/approve|refuse`
pub(super) async fn answer<S: ConsentStore, K: LinkKeySource>(
    consenting: &Consenting<S, K>,
    auth: AuthMode,
    req: &Request,
    op: Op,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, op)?;
    let id = request::invitation_id(req, op)?;
    let answered = match op {
        Op::ApproveAcceptRequest => consenting.approve(&caller, &team, id).await?,
        _ => consenting.refuse(&caller, &team, id).await?,
    };
    json_response(StatusCode::OK, body(&answered))
}
