//! The platform routes' answers: a team as the platform sees it.

use serde::Serialize;

use super::views::{membership, MembershipBody};
use crate::domain::JoinDomain;
use crate::ports::TeamRecord;
use crate::service::teams::{NamedOwner, Renamed};
use crate::time::format_timestamp;

/// A team, as the platform routes show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamBody<'a> {
    id: &'a str,
    name: &'a str,
    created_at: String,
    closed_at: Option<String>,
    /// The team's own limits; null: the deployment's defaults apply.
    limits: Option<LimitsBody>,
    /// How far its closing has gone; null: not closed.
    closing: Option<ClosingBody>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClosingBody {
    /// Every open invitation withdrawn and every membership ended.
    done: bool,
    invitations_withdrawn: u64,
    memberships_ended: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitsBody {
    open_invitations: u32,
    emails_per_hour: u32,
    /// Null: no seat limit.
    seats: Option<u32>,
}

pub fn team(t: &TeamRecord) -> TeamBody<'_> {
    TeamBody {
        id: t.team.id.as_str(),
        name: t.team.name.as_str(),
        created_at: format_timestamp(t.team.created_at),
        closed_at: t.closed_at.map(format_timestamp),
        limits: t.limits.map(|l| LimitsBody {
            open_invitations: l.max_open,
            emails_per_hour: l.emails_per_hour,
            seats: l.seats,
        }),
        closing: t.closing.as_ref().map(|c| ClosingBody {
            done: c.done(),
            invitations_withdrawn: c.invitations_withdrawn,
            memberships_ended: c.memberships_ended,
        }),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenamedBody<'a> {
    team: TeamBody<'a>,
    /// Open invitations that now show the new name.
    invitations_renamed: usize,
}

pub fn renamed(r: &Renamed) -> RenamedBody<'_> {
    RenamedBody { team: team(&r.team), invitations_renamed: r.invitations_renamed }
}

/// A membership the platform made an owner's, and its role before (null: new).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedOwnerBody<'a> {
    #[serde(flatten)]
    membership: MembershipBody<'a>,
    previous_role: Option<&'a str>,
}

pub fn named_owner(n: &NamedOwner) -> NamedOwnerBody<'_> {
    NamedOwnerBody {
        membership: membership(&n.membership),
        previous_role: n.previous_role.as_ref().map(|r| r.as_str()),
    }
}

/// A team's verified domain, as the platform declared it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainBody<'a> {
    domain: &'a str,
    role: &'a str,
    approval: bool,
    verified_at: String,
    verified_by: &'a str,
}

pub fn domain(d: &JoinDomain) -> DomainBody<'_> {
    DomainBody {
        domain: d.domain.as_str(),
        role: d.role.as_str(),
        approval: d.approval,
        verified_at: format_timestamp(d.verified_at),
        verified_by: &d.verified_by,
    }
}

#[derive(Debug, Serialize)]
pub struct DomainListBody<'a> {
    domains: Vec<DomainBody<'a>>,
}

pub fn domain_list(domains: &[JoinDomain]) -> DomainListBody<'_> {
    DomainListBody { domains: domains.iter().map(domain).collect() }
}
