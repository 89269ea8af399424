//! Joining by a verified domain (links function): the teams a signed-in
//! person's address lets them join, and the join.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::link_views::{self, RequestBody};
use super::routes::Op;
use super::{json_response, request, require_caller, AuthMode};
use crate::error::Error;
use crate::service::domains::{Domains, DomainsStore, Joinable, JoinableTeam};
use crate::service::links::Joined;
use crate::time::format_timestamp;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JoinableTeamBody<'a> {
    team_id: &'a str,
    team_name: &'a str,
    domain: &'a str,
    role: &'a str,
    /// Joining asks a manager first.
    approval: bool,
    verified_at: String,
    /// The caller belongs to it already.
    member: bool,
    /// The caller's request to join it, while it waits.
    pending_request: Option<RequestBody<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JoinableBody<'a> {
    /// Whether the caller's address counts for its domain (verified by a
    /// provider that may vouch for it): when not, no team is listed.
    address_counts: bool,
    teams: Vec<JoinableTeamBody<'a>>,
}

fn joinable_team(t: &JoinableTeam) -> JoinableTeamBody<'_> {
    let d = &t.domain;
    JoinableTeamBody {
        team_id: d.team_id.as_str(),
        team_name: d.team_name.as_str(),
        domain: d.domain.as_str(),
        role: d.role.as_str(),
        approval: d.approval,
        verified_at: format_timestamp(d.verified_at),
        member: t.member,
        pending_request: t.pending.as_ref().map(link_views::request),
    }
}

fn joinable(j: &Joinable) -> JoinableBody<'_> {
    JoinableBody { address_counts: j.address_counts, teams: j.teams.iter().map(joinable_team).collect() }
}

/// `GET /me/joinable-teams`
pub(super) async fn list<S: DomainsStore>(
    domains: &Domains<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    json_response(StatusCode::OK, joinable(&domains.joinable(&caller).await?))
}

/// `POST /me/joinable-teams/{teamId}/join`: 201 with the membership, or 202
/// with the request where the team wants approval
pub(super) async fn join<S: DomainsStore>(
    domains: &Domains<S>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::JoinByDomain)?;
    match domains.join(&caller, &team).await? {
        Joined::Member(membership) => json_response(StatusCode::CREATED, link_views::joined(&membership)),
        Joined::Asked(request) => json_response(StatusCode::ACCEPTED, link_views::asked(&request)),
    }
}
