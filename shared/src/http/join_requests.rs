//! The join requests' handlers (links function).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::routes::Op;
use super::{json_response, link_views, request, require_caller, AuthMode};
use crate::error::Error;
use crate::service::join_requests::{JoinRequests, RequestsStore};

/// `GET /teams/{teamId}/join-requests`
pub(super) async fn list<S: RequestsStore>(
    requests: &JoinRequests<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::ListJoinRequests)?;
    let views = requests.list(&caller, &team).await?;
    json_response(StatusCode::OK, link_views::request_list(&views))
}

/// `POST /teams/{teamId}/join-requests/{userId}/approve`
pub(super) async fn approve<S: RequestsStore>(
    requests: &JoinRequests<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::ApproveJoinRequest)?;
    let user = asker(req, Op::ApproveJoinRequest)?;
    let view = requests.approve(&caller, &team, &user).await?;
    json_response(StatusCode::OK, link_views::request(&view))
}

/// `POST /teams/{teamId}/join-requests/{userId}/deny`
pub(super) async fn deny<S: RequestsStore>(
    requests: &JoinRequests<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::DenyJoinRequest)?;
    let user = asker(req, Op::DenyJoinRequest)?;
    let view = requests.deny(&caller, &team, &user).await?;
    json_response(StatusCode::OK, link_views::request(&view))
}

/// `GET /me/join-requests`
pub(super) async fn mine<S: RequestsStore>(
    requests: &JoinRequests<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let views = requests.mine(&caller).await?;
    json_response(StatusCode::OK, link_views::request_list(&views))
}

/// `POST /me/join-requests/{teamId}/cancel`
pub(super) async fn cancel<S: RequestsStore>(
    requests: &JoinRequests<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::CancelJoinRequest)?;
    let view = requests.cancel(&caller, &team).await?;
    json_response(StatusCode::OK, link_views::request(&view))
}

/// A malformed user id names no request: 404, like an unknown one.
fn asker(req: &Request, op: Op) -> Result<crate::domain::UserId, Error> {
    let raw = request::path_param(req, op, "userId").ok_or(Error::NotFound)?;
    crate::domain::UserId::parse(&raw).map_err(|_| Error::NotFound)
}
