//! The members' handlers (list and withdraw functions).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

use super::routes::Op;
use super::{cursor, json_response, page_limit, request, require_caller, views, AuthMode};
use crate::error::Error;
use crate::ports::{InvitationStore, MemberCursor, MemberQuery, MemberStore};
use crate::service::members::Members;

/// `GET /teams/{teamId}/members?limit=&cursor=`
pub(super) async fn members<S: MemberStore>(
    members: &Members<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::Members)?;
    let after = cursor(req, MemberCursor::decode)?;
    let query = MemberQuery { limit: page_limit(req)?, after };
    let page = members.members(&caller, &team, &query).await?;
    json_response(StatusCode::OK, views::member_list(&page))
}

/// `GET /teams/{teamId}/roles`
pub(super) async fn roles<S: MemberStore>(
    members: &Members<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::Roles)?;
    let roles = members.team_roles(&caller, &team).await?;
    json_response(StatusCode::OK, views::roles(&roles))
}

/// `DELETE /teams/{teamId}/members/{userId}`
pub(super) async fn remove_member<S: MemberStore + InvitationStore>(
    members: &Members<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::RemoveMember)?;
    let user = request::user_id(req, Op::RemoveMember)?;
    let removed = members.remove_member(&caller, &team, &user).await?;
    json_response(StatusCode::OK, views::removed(&removed))
}
