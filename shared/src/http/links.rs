//! The invite links' handlers (links function).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::routes::Op;
use super::{json_response, link_views, request, require_caller, AuthMode};
use crate::domain::{EmailDomain, InviteLinkId, LinkSpec, MaxUses, RoleCatalog, ValidDays, MAX_LINK_DOMAINS};
use crate::error::{Error, FieldError};
use crate::ports::LinkKeySource;
use crate::service::links::{Joined, Links, LinksStore};

/// The header a link's page sends its token in (preview).
pub const INVITE_LINK_TOKEN: &str = "invite-link-token";

/// A link's validity when the request names none.
const DEFAULT_DAYS: i64 = 7;

#[derive(Deserialize)]
struct CreateBody {
    role: Option<String>,
    #[serde(rename = "expiresInDays")]
    expires_in_days: Option<i64>,
    #[serde(rename = "maxUses")]
    max_uses: Option<i64>,
    domains: Option<Vec<String>>,
    /// Each join waits for a manager's approval.
    approval: Option<bool>,
}

#[derive(Deserialize)]
struct RevokeBody {
    #[serde(rename = "endMemberships")]
    end_memberships: Option<bool>,
}

#[derive(Deserialize)]
struct JoinBody {
    token: Option<String>,
}

/// A malformed link id names nothing: 404, like an unknown one.
fn link_id(req: &Request, op: Op) -> Result<InviteLinkId, Error> {
    let raw = request::path_param(req, op, "linkId").ok_or(Error::NotFound)?;
    InviteLinkId::parse(&raw).map_err(|_| Error::NotFound)
}

/// `POST /teams/{teamId}/invite-links`
pub(super) async fn create<S: LinksStore, K: LinkKeySource>(
    links: &Links<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::CreateLink)?;
    let body: CreateBody = request::json_body(req)?;
    let spec = parse_spec(&links.context().roles, body)?;
    let created = links.create(&caller, &team, spec).await?;
    json_response(StatusCode::CREATED, link_views::created(&created))
}

/// A new link's fields; every bad one named at once.
fn parse_spec(roles: &RoleCatalog, body: CreateBody) -> Result<LinkSpec, Error> {
    let mut errors = Vec::new();
    let mut bad = |field: &'static str, message: String| errors.push(FieldError { field, message });
    let role = match body.role.as_deref().map(|r| roles.invitable(r)) {
        None => {
            bad("role", "role is required".into());
            None
        }
        Some(Err(e)) => {
            bad("role", format!("{e}; choose one of: {}", roles.invitable_names().join(", ")));
            None
        }
        Some(Ok(r)) => Some(r.name.clone()),
    };
    let valid = ValidDays::parse(body.expires_in_days.unwrap_or(DEFAULT_DAYS))
        .map_err(|e| bad("expiresInDays", e.to_string()))
        .ok();
    let max_uses = match body.max_uses.map(MaxUses::parse) {
        None => {
            bad("maxUses", "maxUses is required".into());
            None
        }
        Some(Err(e)) => {
            bad("maxUses", e.to_string());
            None
        }
        Some(Ok(m)) => Some(m),
    };
    let raw = body.domains.unwrap_or_default();
    let mut domains = Vec::new();
    if raw.len() > MAX_LINK_DOMAINS {
        bad("domains", format!("at most {MAX_LINK_DOMAINS} domains"));
    }
    for d in raw.iter().take(MAX_LINK_DOMAINS) {
        match EmailDomain::parse(d) {
            Ok(d) if !domains.contains(&d) => domains.push(d),
            Ok(_) => {}
            Err(e) => bad("domains", e.to_string()),
        }
    }
    domains.sort();
    match (role, valid, max_uses) {
        (Some(role), Some(valid), Some(max_uses)) if errors.is_empty() => {
            Ok(LinkSpec { role, valid, max_uses, domains, approval: body.approval.unwrap_or(false) })
        }
        _ => Err(Error::Validation(errors)),
    }
}

/// `GET /teams/{teamId}/invite-links`
pub(super) async fn list<S: LinksStore, K: LinkKeySource>(
    links: &Links<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::ListLinks)?;
    let views = links.list(&caller, &team).await?;
    json_response(StatusCode::OK, link_views::link_list(&views))
}

/// `POST /teams/{teamId}/invite-links/{linkId}/revoke` with
/// `{"endMemberships"?: bool}`
pub(super) async fn revoke<S: LinksStore, K: LinkKeySource>(
    links: &Links<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::RevokeLink)?;
    let id = link_id(req, Op::RevokeLink)?;
    let body: RevokeBody = request::json_body(req)?;
    let revoked = links.revoke(&caller, &team, id, body.end_memberships.unwrap_or(false)).await?;
    json_response(StatusCode::OK, link_views::revoked(&revoked))
}

/// `GET /invite-links/{teamId}/{linkId}` with the token in the
/// `Invite-Link-Token` header (never in the query string, which is logged).
pub(super) async fn preview<S: LinksStore, K: LinkKeySource>(
    links: &Links<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::PreviewLink)?;
    let id = link_id(req, Op::PreviewLink)?;
    let token = req.headers().get(INVITE_LINK_TOKEN).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let preview = links.preview(&caller, &team, id, token).await?;
    json_response(StatusCode::OK, link_views::link_preview(&preview))
}

/// `POST /invite-links/{teamId}/{linkId}/join` with `{"token"}`: 201 with the
/// membership, or 202 with the request for a link that needs approval
pub(super) async fn join<S: LinksStore, K: LinkKeySource>(
    links: &Links<S, K>,
    auth: AuthMode,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let caller = require_caller(req, auth)?;
    let team = request::team_id(req, Op::JoinLink)?;
    let id = link_id(req, Op::JoinLink)?;
    let body: JoinBody = request::json_body(req)?;
    let token = body
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::invalid_field("token", "token is required"))?;
    match links.join(&caller, &team, id, &token).await? {
        Joined::Member(membership) => json_response(StatusCode::CREATED, link_views::joined(&membership)),
        // Asked: nothing joined yet; a manager answers.
        Joined::Asked(request) => json_response(StatusCode::ACCEPTED, link_views::asked(&request)),
    }
}
