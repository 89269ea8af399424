//! The members' handlers (list and withdraw functions).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::routes::Op;
use super::{cursor, json_response, page_limit, request, require_caller, views, AuthMode};
use crate::error::Error;
use crate::ports::{InvitationStore, LimitStore, MemberCursor, MemberQuery, MemberStore};
use crate::service::members::Members;

/// `GET /teams/{teamId}/members?limit=&cursor=`
pub(super) async fn members<S: MemberStore + LimitStore>(
    members: &Members<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::Members)?;
    let after = cursor(req, MemberCursor::decode)?;
    let query = MemberQuery { limit: page_limit(req)?, after };
    let page = members.members(&caller, &team, &query).await?;
    json_response(StatusCode::OK, views::member_list(&page.page, page.seats))
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

#[derive(Deserialize)]
struct RoleBody {
    role: Option<String>,
}

/// `PATCH /teams/{teamId}/members/{userId}` with `{"role": "..."}`
pub(super) async fn change_role<S: MemberStore + InvitationStore>(
    members: &Members<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::ChangeRole)?;
    let user = request::user_id(req, Op::ChangeRole)?;
    let body: RoleBody = request::json_body(req)?;
    let roles = &members.context().roles;
    let role = match body.role.as_deref() {
        None => return Err(Error::invalid_field("role", "role is required")),
        Some(name) => roles.get(name).map(|r| r.name.clone()).ok_or_else(|| {
            let known: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
            Error::invalid_field("role", format!("no such role; choose one of: {}", known.join(", ")))
        })?,
    };
    let changed = members.change_role(&caller, &team, &user, &role).await?;
    json_response(StatusCode::OK, views::role_changed(&changed))
}
