use chrono::{DateTime, Utc};

use super::{Email, Metadata, RoleName, TeamId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub name: TeamName,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a team name is 1-100 characters on one line")]
pub struct InvalidTeamName;

/// A team's display name: 1-100 characters, trimmed, no control characters (it
/// reaches email subjects, where a line break would be a header injection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(raw: &str) -> Result<Self, InvalidTeamName> {
        let s = raw.trim();
        let ok = (1..=100).contains(&s.chars().count()) && !s.chars().any(char::is_control);
        ok.then(|| Self(s.to_owned())).ok_or(InvalidTeamName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's membership of a team, with one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub team_id: TeamId,
    pub user_id: UserId,
    pub email: Email,
    pub role: RoleName,
    pub joined_at: DateTime<Utc>,
    /// Its invitation's metadata, where it joined by one that had some.
    pub metadata: Option<Metadata>,
}

/// Why a membership ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// A manager removed the member.
    Removed,
    /// The member left.
    Left,
    /// The platform closed the team.
    TeamClosed,
    /// A manager revoked the invite link the member joined through, and
    /// ended the memberships it had created with it.
    LinkRevoked,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Removed => "removed",
            EndReason::Left => "left",
            EndReason::TeamClosed => "team_closed",
            EndReason::LinkRevoked => "link_revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Removed, Self::Left, Self::TeamClosed, Self::LinkRevoked]
            .into_iter()
            .find(|r| r.as_str() == raw)
    }
}

/// A membership that ended: the record the stream turns into
/// `membership.revoked` (the membership itself is simply deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedMembership {
    pub membership: Membership,
    pub reason: EndReason,
    /// Who ended it (the platform's caller when the team closed).
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// A member's role changed in place: the membership as it was (its former
/// role), the role it now has, who changed it and when. The stream turns it
/// into `membership.role_changed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    pub membership: Membership,
    pub role: RoleName,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

impl RoleChange {
    /// The membership as the change leaves it.
    pub fn changed(&self) -> Membership {
        Membership { role: self.role.clone(), ..self.membership.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_are_trimmed_and_single_line() {
        assert_eq!(TeamName::parse("  Acme Ltd ").unwrap().as_str(), "Acme Ltd");
        assert_eq!(TeamName::parse("Acme\r\nBcc: x@y.z"), Err(InvalidTeamName));
        assert_eq!(TeamName::parse("   "), Err(InvalidTeamName));
        assert_eq!(TeamName::parse(&"x".repeat(101)), Err(InvalidTeamName));
    }
}
