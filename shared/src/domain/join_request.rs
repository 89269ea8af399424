//! Join requests (issue 22, items 2 and 3): through an invite link, or a
//! verified domain, that needs a manager's approval, joining asks instead of
//! joins. A manager approves it (the membership, with the link's or the
//! domain's role, is made then) or denies it; the
//! person may cancel it while it waits. It waits a week, then expires: like an
//! invitation's, its state is a pure function of the clock.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Email, EmailDomain, InviteLink, InviteLinkId, JoinDomain, RoleName, TeamId, TeamName, UserId};

/// How long a request waits for a manager.
pub const REQUEST_VALIDITY: TimeDelta = TimeDelta::days(7);

/// Where a join request stands at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Pending,
    Expired,
    Approved,
    Denied,
    Cancelled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Cancelled => "cancelled",
        }
    }
}

/// How a request was answered, and by whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approved,
    Denied,
    /// By the person who asked.
    Cancelled,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        self.status().as_str()
    }

    pub fn status(self) -> RequestStatus {
        match self {
            Self::Approved => RequestStatus::Approved,
            Self::Denied => RequestStatus::Denied,
            Self::Cancelled => RequestStatus::Cancelled,
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Approved, Self::Denied, Self::Cancelled].into_iter().find(|d| d.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision: Decision,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// A request is no longer waiting: it was answered, or it expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the join request is {}", .0.as_str())]
pub struct NotPending(pub RequestStatus);

/// What a request came through: what an approval is held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinVia {
    /// An invite link, whose use an approval takes.
    Link(InviteLinkId),
    /// The team's verified domain, which must still be the team's, with the
    /// same role, when a manager approves.
    Domain(EmailDomain),
}

impl JoinVia {
    pub fn link(&self) -> Option<InviteLinkId> {
        match self {
            Self::Link(id) => Some(*id),
            Self::Domain(_) => None,
        }
    }

    pub fn domain(&self) -> Option<&EmailDomain> {
        match self {
            Self::Link(_) => None,
            Self::Domain(d) => Some(d),
        }
    }
}

/// One person's request to join one team (a team holds at most one per
/// person; asking again once it was answered or expired replaces it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub team_id: TeamId,
    pub team_name: TeamName,
    pub user_id: UserId,
    /// The verified address they asked with: their membership's, if approved.
    pub email: Email,
    /// The role they join with if approved: the link's, or the domain's.
    pub role: RoleName,
    /// What they asked through.
    pub via: JoinVia,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub decided: Option<Decided>,
}

impl JoinRequest {
    /// `user`'s request, as `email`, through `link` at `now`.
    pub fn new(link: &InviteLink, user: UserId, email: Email, now: DateTime<Utc>) -> Self {
        Self {
            team_id: link.team_id.clone(),
            team_name: link.team_name.clone(),
            user_id: user,
            email,
            role: link.role.clone(),
            via: JoinVia::Link(link.id),
            created_at: now,
            expires_at: now + REQUEST_VALIDITY,
            decided: None,
        }
    }

    /// `user`'s request, as `email`, through the team's verified `domain`.
    pub fn by_domain(domain: &JoinDomain, user: UserId, email: Email, now: DateTime<Utc>) -> Self {
        Self {
            team_id: domain.team_id.clone(),
            team_name: domain.team_name.clone(),
            user_id: user,
            email,
            role: domain.role.clone(),
            via: JoinVia::Domain(domain.domain.clone()),
            created_at: now,
            expires_at: now + REQUEST_VALIDITY,
            decided: None,
        }
    }

    /// Answered first (whatever the clock says after), then expired.
    pub fn status_at(&self, now: DateTime<Utc>) -> RequestStatus {
        waiting_status(self.decided.as_ref(), self.expires_at, now)
    }

    /// The request answered by `by` at `now`, while it waits.
    pub fn decide(&self, decision: Decision, by: UserId, now: DateTime<Utc>) -> Result<Self, NotPending> {
        let decided = answer(self.decided.as_ref(), self.expires_at, decision, by, now)?;
        Ok(Self { decided: Some(decided), ..self.clone() })
    }
}

/// Where a request that waits for an answer until `expires_at` stands at
/// `now`: answered first (whatever the clock says after), then expired.
pub(super) fn waiting_status(
    decided: Option<&Decided>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> RequestStatus {
    match decided {
        Some(d) => d.decision.status(),
        None if now >= expires_at => RequestStatus::Expired,
        None => RequestStatus::Pending,
    }
}

/// The answer `by` gives at `now` to a request that waits until `expires_at`,
/// while it waits.
pub(super) fn answer(
    decided: Option<&Decided>,
    expires_at: DateTime<Utc>,
    decision: Decision,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<Decided, NotPending> {
    match waiting_status(decided, expires_at, now) {
        RequestStatus::Pending => Ok(Decided { decision, by, at: now }),
        other => Err(NotPending(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LinkSpec, MaxUses, Membership, Team, ValidDays};

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").unwrap().to_utc() + TimeDelta::hours(hours)
    }

    fn request() -> JoinRequest {
        let team = Team {
            id: TeamId::parse("acme").unwrap(),
            name: TeamName::parse("Acme").unwrap(),
            created_at: at(0),
        };
        let owner = Membership {
            team_id: team.id.clone(),
            user_id: UserId::parse("owner-1").unwrap(),
            email: Email::parse("owner@acme.com").unwrap(),
            role: RoleName::parse("owner").unwrap(),
            joined_at: at(0),
            metadata: None,
        };
        let spec = LinkSpec {
            role: RoleName::parse("member").unwrap(),
            valid: ValidDays::parse(30).unwrap(),
            max_uses: MaxUses::parse(5).unwrap(),
            domains: vec![],
            approval: true,
        };
        let link = InviteLink::new(&team, &owner, at(0), spec);
        JoinRequest::new(
            &link,
            UserId::parse("ada-1").unwrap(),
            Email::parse("ada@example.com").unwrap(),
            at(1),
        )
    }

    #[test]
    fn a_request_waits_a_week_for_an_answer() {
        let r = request();
        assert_eq!(r.role.as_str(), "member");
        assert_eq!(r.status_at(at(1)), RequestStatus::Pending);
        let last = r.expires_at - TimeDelta::milliseconds(1);
        assert_eq!(r.status_at(last), RequestStatus::Pending, "a millisecond before");
        assert_eq!(r.status_at(r.expires_at), RequestStatus::Expired, "at the instant");
        assert_eq!(r.expires_at - r.created_at, REQUEST_VALIDITY);
        let admin = UserId::parse("admin-1").unwrap();
        assert_eq!(
            r.decide(Decision::Approved, admin, r.expires_at),
            Err(NotPending(RequestStatus::Expired))
        );
    }

    #[test]
    fn an_answer_is_final_whatever_the_clock_says_after() {
        let r = request();
        let admin = UserId::parse("admin-1").unwrap();
        for decision in [Decision::Approved, Decision::Denied, Decision::Cancelled] {
            let answered = r.decide(decision, admin.clone(), at(2)).unwrap();
            assert_eq!(answered.status_at(at(2)), decision.status());
            assert_eq!(answered.status_at(at(1000)), decision.status(), "not expired once answered");
            assert_eq!(
                answered.decide(Decision::Approved, admin.clone(), at(3)),
                Err(NotPending(decision.status()))
            );
            assert_eq!(Decision::parse(decision.as_str()), Some(decision));
        }
        assert_eq!(Decision::parse("pending"), None);
    }
}
