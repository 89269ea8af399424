//! The platform's team handlers (platform function): IAM-authorised, never a
//! user's token.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use super::routes::Op;
use super::{identity, json_response, request, team_views, AuthMode};
use crate::config::{MAX_EMAILS_PER_HOUR_RANGE, MAX_OPEN_INVITATIONS_RANGE, SEATS_RANGE};
use crate::domain::{
    DomainSpec, Email, EmailDomain, PlatformPrincipals, RoleCatalog, TeamId, TeamLimits, TeamName, UserId,
};
use crate::error::{Error, FieldError};
use crate::ports::{DomainStore, InvitationStore, MemberStore, TeamStore};
use crate::service::teams::{NewTeam, PlatformCaller, TeamChange, Teams};

/// What the platform handlers read: team, membership, invitation and domain
/// stores.
pub trait PlatformStore: TeamStore + MemberStore + InvitationStore + DomainStore {}
impl<S: TeamStore + MemberStore + InvitationStore + DomainStore> PlatformStore for S {}

#[derive(Deserialize)]
struct TeamOwnerBody {
    #[serde(rename = "userId")]
    user_id: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct TeamBody {
    name: Option<String>,
    owner: Option<TeamOwnerBody>,
    limits: Option<LimitsBody>,
}

#[derive(Deserialize)]
struct LimitsBody {
    #[serde(rename = "openInvitations")]
    open_invitations: Option<i64>,
    #[serde(rename = "emailsPerHour")]
    emails_per_hour: Option<i64>,
    /// Absent: no seat limit.
    seats: Option<i64>,
}

/// A team's own limits from a platform request body, within the bounds the
/// deployment's own settings have; each bad one named.
fn team_limits(raw: Option<LimitsBody>, errors: &mut Vec<FieldError>) -> Option<TeamLimits> {
    let raw = raw?;
    let mut bounded =
        |field: &'static str, value: Option<i64>, range: std::ops::RangeInclusive<i64>| match value {
            Some(v) if range.contains(&v) => Some(v as u32),
            Some(_) => {
                let message = format!("{field} must be from {} to {}", range.start(), range.end());
                errors.push(FieldError { field, message });
                None
            }
            None => {
                errors.push(FieldError { field, message: format!("{field} is required with limits") });
                None
            }
        };
    let max_open = bounded("limits.openInvitations", raw.open_invitations, MAX_OPEN_INVITATIONS_RANGE);
    let per_hour = bounded("limits.emailsPerHour", raw.emails_per_hour, MAX_EMAILS_PER_HOUR_RANGE);
    let seats = match raw.seats {
        Some(seats) => Some(bounded("limits.seats", Some(seats), SEATS_RANGE)?),
        None => None,
    };
    Some(TeamLimits { max_open: max_open?, emails_per_hour: per_hour?, seats })
}

/// Who may call the platform's routes: how identity is read, and the
/// principals admitted beyond API Gateway's IAM check.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    pub auth: AuthMode,
    pub principals: &'a PlatformPrincipals,
}

/// Platform routes answer only a service the IAM authorizer verified, and
/// only one the deployment lists (`PLATFORM_ROLE_ARNS`): any other principal
/// of the account allowed `execute-api:Invoke` gets 403. A user's token is no
/// credential here. (A `dev` build's unverified callers are not listed.)
fn platform_caller(req: &Request, access: Access<'_>) -> Result<PlatformCaller, Error> {
    let caller = identity::platform_caller(req, access.auth).ok_or(Error::Forbidden)?;
    match access.auth {
        AuthMode::Authorizer if !access.principals.admit(&caller.principal) => {
            tracing::warn!(principal = %caller.principal, "a platform route refused a principal PLATFORM_ROLE_ARNS does not list");
            Err(Error::Forbidden)
        }
        _ => Ok(caller),
    }
}

/// The caller and the team the request names (every platform route has both).
fn caller_and_team(req: &Request, access: Access<'_>, op: Op) -> Result<(PlatformCaller, TeamId), Error> {
    let caller = platform_caller(req, access)?;
    Ok((caller, request::team_id(req, op)?))
}

/// `GET /platform/teams/{teamId}`
pub(super) async fn get<S: PlatformStore>(
    teams: &Teams<S>,
    access: Access<'_>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let (caller, team) = caller_and_team(req, access, Op::GetTeam)?;
    json_response(StatusCode::OK, team_views::team(&teams.platform_team(&caller, &team).await?))
}

/// `PUT /platform/teams/{teamId}` with `{"name", "owner": {"userId", "email"}}`:
/// 201 when this call created it, 200 when it existed.
pub(super) async fn create<S: PlatformStore>(
    teams: &Teams<S>,
    access: Access<'_>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let (caller, team) = caller_and_team(req, access, Op::CreateTeam)?;
    let body: TeamBody = request::json_body(req)?;
    let new = parse_new_team(team, body)?;
    let (record, created) = teams.create_team(&caller, new).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    json_response(status, team_views::team(&record))
}

/// `PATCH /platform/teams/{teamId}` with `{"name"}`, `{"limits"}`, or both
pub(super) async fn rename<S: PlatformStore>(
    teams: &Teams<S>,
    access: Access<'_>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let (caller, team) = caller_and_team(req, access, Op::RenameTeam)?;
    let body: TeamBody = request::json_body(req)?;
    let mut errors = Vec::new();
    let wants_limits = body.limits.is_some();
    let limits = team_limits(body.limits, &mut errors);
    let name = match body.name.as_deref() {
        None if wants_limits => None,
        raw => team_name(raw, &mut errors),
    };
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let renamed = teams.change_team(&caller, &team, TeamChange { name, limits }).await?;
    json_response(StatusCode::OK, team_views::renamed(&renamed))
}

/// `DELETE /platform/teams/{teamId}`: 202 with the team as closed while its
/// closing goes on (its `closing` tells how far), 200 once that has finished.
pub(super) async fn close<S: PlatformStore>(
    teams: &Teams<S>,
    access: Access<'_>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let (caller, team) = caller_and_team(req, access, Op::CloseTeam)?;
    let closed = teams.close_team(&caller, &team).await?;
    let status = match closed.closing.as_ref().is_some_and(|c| c.done()) {
        true => StatusCode::OK,
        false => StatusCode::ACCEPTED,
    };
    json_response(status, team_views::team(&closed))
}

#[derive(Deserialize)]
struct OwnerBody {
    email: Option<String>,
}

/// `PUT /platform/teams/{teamId}/owners/{userId}` `{"email"?}`: the platform
/// names an owner (its recovery path). 201 with the new membership when the
/// person was no member, else 200 with the membership as an owner now; both
/// with `previousRole`.
pub(super) async fn name_owner<S: PlatformStore>(
    teams: &Teams<S>,
    access: Access<'_>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let (caller, team) = caller_and_team(req, access, Op::NameOwner)?;
    let user = request::user_id(req, Op::NameOwner)?;
    let body: OwnerBody = request::json_body(req)?;
    let email = match body.email.as_deref().map(Email::parse) {
        None => None,
        Some(Ok(email)) => Some(email),
        Some(Err(e)) => {
            return Err(Error::Validation(vec![FieldError { field: "email", message: e.to_string() }]))
        }
    };
    let named = teams.name_owner(&caller, &team, &user, email).await?;
    let status = match named.previous_role {
        Some(_) => StatusCode::OK,
        None => StatusCode::CREATED,
    };
    json_response(status, team_views::named_owner(&named))
}

/// A team's name from a platform request body, or the 422 naming it.
fn team_name(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<TeamName> {
    match raw.map(TeamName::parse) {
        None => errors.push(FieldError { field: "name", message: "name is required".into() }),
        Some(Err(e)) => errors.push(FieldError { field: "name", message: e.to_string() }),
        Some(Ok(name)) => return Some(name),
    }
    None
}

/// A team to create, from `PUT /platform/teams/{teamId}`'s body; every bad
/// field named at once.
fn parse_new_team(id: TeamId, body: TeamBody) -> Result<NewTeam, Error> {
    let mut errors = Vec::new();
    let name = team_name(body.name.as_deref(), &mut errors);
    let owner = body.owner.unwrap_or(TeamOwnerBody { user_id: None, email: None });
    let user = match owner.user_id.as_deref().map(UserId::parse) {
        Some(Ok(user)) => Some(user),
        Some(Err(e)) => {
            errors.push(FieldError { field: "owner.userId", message: e.to_string() });
            None
        }
        None => {
            errors.push(FieldError { field: "owner.userId", message: "owner.userId is required".into() });
            None
        }
    };
    let email = match owner.email.as_deref().map(Email::parse) {
        Some(Ok(email)) => Some(email),
        Some(Err(e)) => {
            errors.push(FieldError { field: "owner.email", message: e.to_string() });
            None
        }
        None => {
            errors.push(FieldError { field: "owner.email", message: "owner.email is required".into() });
            None
        }
    };
    let limits = team_limits(body.limits, &mut errors);
    match (name, user, email) {
        (Some(name), Some(owner), Some(owner_email)) if errors.is_empty() => {
            Ok(NewTeam { id, name, owner, owner_email, limits })
        }
        _ => Err(Error::Validation(errors)),
    }
}

#[derive(Deserialize)]
struct DomainBody {
    role: Option<String>,
    approval: Option<bool>,
}

/// The domain a domain route names, or the 422 saying what a domain is.
fn domain(req: &Request, op: Op) -> Result<EmailDomain, Error> {
    let raw = request::path_param(req, op, "domain").unwrap_or_default();
    EmailDomain::parse(&raw).map_err(|e| Error::invalid_field("domain", e.to_string()))
}

/// `GET /platform/teams/{teamId}/domains`
pub(super) async fn domains<S: PlatformStore>(
    teams: &Teams<S>,
    access: Access<'_>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let (caller, team) = caller_and_team(req, access, Op::ListDomains)?;
    json_response(StatusCode::OK, team_views::domain_list(&teams.domains(&caller, &team).await?))
}

/// `PUT /platform/teams/{teamId}/domains/{domain}` with `{"role",
/// "approval"?}`: the team owns the domain (the platform verified it).
pub(super) async fn set_domain<S: PlatformStore>(
    teams: &Teams<S>,
    access: Access<'_>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let (caller, team) = caller_and_team(req, access, Op::SetDomain)?;
    let raw = request::path_param(req, Op::SetDomain, "domain").unwrap_or_default();
    let body: DomainBody = request::json_body(req)?;
    let (domain, spec) = parse_domain(teams.roles(), &raw, body)?;
    let declared = teams.set_domain(&caller, &team, domain, spec).await?;
    json_response(StatusCode::OK, team_views::domain(&declared))
}

/// A domain's declaration; every bad field named at once.
fn parse_domain(
    roles: &RoleCatalog,
    raw: &str,
    body: DomainBody,
) -> Result<(EmailDomain, DomainSpec), Error> {
    let mut errors = Vec::new();
    let domain = EmailDomain::parse(raw)
        .map_err(|e| errors.push(FieldError { field: "domain", message: e.to_string() }))
        .ok();
    let role = match body.role.as_deref().map(|r| roles.invitable(r)) {
        None => {
            errors.push(FieldError { field: "role", message: "role is required".into() });
            None
        }
        Some(Err(e)) => {
            let message = format!("{e}; choose one of: {}", roles.invitable_names().join(", "));
            errors.push(FieldError { field: "role", message });
            None
        }
        Some(Ok(r)) => Some(r.name.clone()),
    };
    match (domain, role) {
        (Some(domain), Some(role)) if errors.is_empty() => {
            Ok((domain, DomainSpec { role, approval: body.approval.unwrap_or(false) }))
        }
        _ => Err(Error::Validation(errors)),
    }
}

/// `DELETE /platform/teams/{teamId}/domains/{domain}`: 200 with the domains
/// the team still holds (the same whether it held this one: a retry).
pub(super) async fn remove_domain<S: PlatformStore>(
    teams: &Teams<S>,
    access: Access<'_>,
    req: &Request,
) -> Result<Response<Body>, Error> {
    let (caller, team) = caller_and_team(req, access, Op::RemoveDomain)?;
    let domain = domain(req, Op::RemoveDomain)?;
    teams.remove_domain(&caller, &team, &domain).await?;
    json_response(StatusCode::OK, team_views::domain_list(&teams.domains(&caller, &team).await?))
}
