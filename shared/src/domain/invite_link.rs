//! Invite links (issue 22): a link a team's manager shares (in a chat, say) to
//! bring people in without an email to each. It is pinned to one role (never
//! owner: the service checks the role as an invite's), open until it expires
//! (at most 30 days), for at most `max_uses` joins, and optionally only to
//! addresses of some domains; a manager may revoke it. Its token is the link
//! secret's HMAC of its id (`LinkSigner::sign_invite_link`), never stored.
//!
//! Like an invitation's, its state is a pure function of the clock: expiry is
//! never written.

use chrono::{DateTime, Utc};

use super::{
    Email, EmailDomain, InviteLinkId, Membership, RoleName, Team, TeamId, TeamName, UserId, ValidDays,
};

/// How many people one link may bring in: 1 to `MaxUses::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MaxUses(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("maxUses must be from 1 to {}", MaxUses::MAX)]
pub struct InvalidMaxUses;

impl MaxUses {
    /// A link is for a group, not for everyone: past this, a team wants a
    /// verified domain.
    pub const MAX: u32 = 1000;

    pub fn parse(uses: i64) -> Result<Self, InvalidMaxUses> {
        match uses {
            1..=1000 => Ok(Self(uses as u32)),
            _ => Err(InvalidMaxUses),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// The most domains one link may be restricted to.
pub const MAX_LINK_DOMAINS: usize = 20;

/// Where an invite link stands at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Expired,
    /// As many people joined through it as it allows.
    UsedUp,
    Revoked,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Expired => "expired",
            LinkState::UsedUp => "usedUp",
            LinkState::Revoked => "revoked",
        }
    }
}

/// Why a link does not let someone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinRefusal {
    #[error("the link is {}", .0.as_str())]
    NotActive(LinkState),
    /// The address is not in one of the link's domains.
    #[error("the link is for addresses of other domains")]
    Domain,
}

/// What a manager asks for in a new link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    pub role: RoleName,
    pub valid: ValidDays,
    pub max_uses: MaxUses,
    /// At most `MAX_LINK_DOMAINS`; empty: any address.
    pub domains: Vec<EmailDomain>,
    /// Each join waits for a manager's approval (a `JoinRequest`).
    pub approval: bool,
}

/// A revocation: who, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    pub by: UserId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteLink {
    pub id: InviteLinkId,
    pub team_id: TeamId,
    /// The team's name when the link was made: what its page shows.
    pub team_name: TeamName,
    pub role: RoleName,
    pub created_by: UserId,
    /// Who made it, as its page names them.
    pub created_by_email: Email,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub max_uses: MaxUses,
    /// How many joined through it.
    pub uses: u32,
    /// The only domains whose addresses may join through it (empty: any).
    pub domains: Vec<EmailDomain>,
    /// Joining asks a manager first (a `JoinRequest`); the use is taken when
    /// a manager approves.
    pub approval: bool,
    pub revoked: Option<Revoked>,
}

impl InviteLink {
    /// A new link of `team`, made by `creator` at `now`.
    pub fn new(team: &Team, creator: &Membership, now: DateTime<Utc>, spec: LinkSpec) -> Self {
        Self {
            id: InviteLinkId::new_random(),
            team_id: team.id.clone(),
            team_name: team.name.clone(),
            role: spec.role,
            created_by: creator.user_id.clone(),
            created_by_email: creator.email.clone(),
            created_at: now,
            expires_at: now + spec.valid.duration(),
            max_uses: spec.max_uses,
            uses: 0,
            domains: spec.domains,
            approval: spec.approval,
            revoked: None,
        }
    }

    /// Revoked first (a manager's decision stands whatever else holds), then
    /// expired, then used up.
    pub fn state_at(&self, now: DateTime<Utc>) -> LinkState {
        if self.revoked.is_some() {
            LinkState::Revoked
        } else if now >= self.expires_at {
            LinkState::Expired
        } else if self.uses >= self.max_uses.get() {
            LinkState::UsedUp
        } else {
            LinkState::Active
        }
    }

    /// The link after `email` joined through it at `now`, if it lets them.
    pub fn join(&self, email: &Email, now: DateTime<Utc>) -> Result<Self, JoinRefusal> {
        match self.state_at(now) {
            LinkState::Active => {}
            other => return Err(JoinRefusal::NotActive(other)),
        }
        if !self.domains.is_empty() && !self.domains.contains(&email.domain()) {
            return Err(JoinRefusal::Domain);
        }
        Ok(Self { uses: self.uses + 1, ..self.clone() })
    }

    /// The link revoked by `by` at `now`; revoking it again changes nothing
    /// (the first revocation stands).
    pub fn revoke(&self, by: UserId, now: DateTime<Utc>) -> Self {
        match self.revoked {
            Some(_) => self.clone(),
            None => Self { revoked: Some(Revoked { by, at: now }), ..self.clone() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").unwrap().to_utc() + TimeDelta::hours(hours)
    }

    fn link(max_uses: i64, domains: &[&str]) -> InviteLink {
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
            valid: ValidDays::parse(2).unwrap(),
            max_uses: MaxUses::parse(max_uses).unwrap(),
            domains: domains.iter().map(|d| EmailDomain::parse(d).unwrap()).collect(),
            approval: false,
        };
        InviteLink::new(&team, &owner, at(0), spec)
    }

    fn email(raw: &str) -> Email {
        Email::parse(raw).unwrap()
    }

    #[test]
    fn a_link_lets_in_as_many_as_it_allows_until_it_expires() {
        let one = link(2, &[]);
        assert_eq!((one.created_by.as_str(), one.created_by_email.as_str()), ("owner-1", "owner@acme.com"));
        assert_eq!(one.role.as_str(), "member");
        let two = one.join(&email("ada@example.com"), at(1)).unwrap();
        assert_eq!(two.uses, 1);
        let full = two.join(&email("bo@example.org"), at(1)).unwrap();
        assert_eq!(full.state_at(at(1)), LinkState::UsedUp);
        assert_eq!(
            full.join(&email("cy@example.com"), at(1)),
            Err(JoinRefusal::NotActive(LinkState::UsedUp))
        );
        // Two days: open a millisecond before, expired at the instant.
        let last = one.expires_at - TimeDelta::milliseconds(1);
        assert!(one.join(&email("ada@example.com"), last).is_ok());
        assert_eq!(one.state_at(one.expires_at), LinkState::Expired);
        assert_eq!(one.expires_at, at(48));
    }

    #[test]
    fn a_revoked_link_lets_no_one_in_whatever_else_holds() {
        let open = link(5, &[]);
        let revoked = open.revoke(UserId::parse("admin-1").unwrap(), at(3));
        assert_eq!(revoked.state_at(at(3)), LinkState::Revoked);
        assert_eq!(revoked.state_at(at(100)), LinkState::Revoked, "not 'expired' once revoked");
        assert_eq!(
            revoked.join(&email("ada@example.com"), at(4)),
            Err(JoinRefusal::NotActive(LinkState::Revoked))
        );
        let again = revoked.revoke(UserId::parse("owner-1").unwrap(), at(5));
        assert_eq!(again.revoked, revoked.revoked, "the first revocation stands");
    }

    #[test]
    fn a_link_for_some_domains_lets_in_their_addresses_only() {
        let acme = link(5, &["acme.com", "acme.de"]);
        assert!(acme.join(&email("Ada@ACME.com"), at(1)).is_ok());
        assert!(acme.join(&email("bo@acme.de"), at(1)).is_ok());
        for other in ["cy@sub.acme.com", "dee@acme.com.evil.io", "eve@notacme.com"] {
            assert_eq!(acme.join(&email(other), at(1)), Err(JoinRefusal::Domain), "{other}");
        }
    }

    #[test]
    fn max_uses_are_bounded() {
        assert_eq!(MaxUses::parse(1).map(MaxUses::get), Ok(1));
        assert_eq!(MaxUses::parse(1000).map(MaxUses::get), Ok(1000));
        for bad in [0, -1, 1001] {
            assert_eq!(MaxUses::parse(bad), Err(InvalidMaxUses), "{bad}");
        }
    }
}
