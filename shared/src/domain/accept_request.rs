//! Accepting as another address, with a manager's consent (issue 22, item
//! 4). An invitation is for one address: a signed-in account with another
//! (the invited person's second address, a renamed mailbox) is refused
//! (`email_mismatch`), since a forwarded link must not let anyone in. Holding
//! the link, that account may instead ask the team to let it accept: the
//! invitation stays open, a manager sees both addresses and approves (the
//! invitation is accepted, and the membership made, for the asking account) or
//! refuses. A request lasts as long as the invitation's link: it expires with
//! the invitation, and a resend (a new link) voids it.

use chrono::{DateTime, Utc};

use super::join_request::{answer, waiting_status};
use super::{Decided, Decision, Email, Invitation, InvitationId, NotPending, RequestStatus};
use super::{RoleName, TeamId, TeamName, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptRequest {
    pub invitation_id: InvitationId,
    pub team_id: TeamId,
    pub team_name: TeamName,
    pub role: RoleName,
    /// The address the invitation was sent to.
    pub invited_email: Email,
    /// The account that asks, and its verified address: the membership's,
    /// if approved.
    pub user_id: UserId,
    pub email: Email,
    /// The link generation the asker held: a resend since voids the request.
    pub link_generation: u32,
    pub requested_at: DateTime<Utc>,
    /// The invitation's expiry as it was asked under.
    pub expires_at: DateTime<Utc>,
    pub decided: Option<Decided>,
}

/// Asking for an address the invitation was sent to: it can simply be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the invitation is for this address: accept it")]
pub struct SameAddress;

impl AcceptRequest {
    /// `user`'s request, as `email`, to accept `invitation` (open, as the
    /// caller checked) at `now`.
    pub fn new(
        invitation: &Invitation,
        user: UserId,
        email: Email,
        now: DateTime<Utc>,
    ) -> Result<Self, SameAddress> {
        if email == invitation.email {
            return Err(SameAddress);
        }
        Ok(Self {
            invitation_id: invitation.id,
            team_id: invitation.team_id.clone(),
            team_name: invitation.team_name.clone(),
            role: invitation.role.clone(),
            invited_email: invitation.email.clone(),
            user_id: user,
            email,
            link_generation: invitation.link_generation,
            requested_at: now,
            expires_at: invitation.expires_at,
            decided: None,
        })
    }

    /// Answered first, then expired with the invitation it was asked under.
    pub fn status_at(&self, now: DateTime<Utc>) -> RequestStatus {
        waiting_status(self.decided.as_ref(), self.expires_at, now)
    }

    /// The request answered by `by` at `now`, while it waits.
    pub fn decide(&self, decision: Decision, by: UserId, now: DateTime<Utc>) -> Result<Self, NotPending> {
        let decided = answer(self.decided.as_ref(), self.expires_at, decision, by, now)?;
        Ok(Self { decided: Some(decided), ..self.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invitation::tests::invitation;
    use chrono::TimeDelta;

    #[test]
    fn a_request_is_for_another_address_and_lasts_as_long_as_the_invitation() {
        let inv = invitation(DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").unwrap().to_utc());
        let now = inv.created_at + TimeDelta::hours(1);
        let same = AcceptRequest::new(&inv, UserId::parse("u1").unwrap(), inv.email.clone(), now);
        assert_eq!(same, Err(SameAddress));
        let other = Email::parse("ada.personal@example.org").unwrap();
        let r = AcceptRequest::new(&inv, UserId::parse("u1").unwrap(), other.clone(), now).unwrap();
        assert_eq!(
            (r.email.clone(), r.invited_email.clone(), r.role.clone()),
            (other, inv.email.clone(), inv.role.clone())
        );
        assert_eq!(r.status_at(now), RequestStatus::Pending);
        assert_eq!(r.status_at(inv.expires_at - TimeDelta::milliseconds(1)), RequestStatus::Pending);
        assert_eq!(
            r.status_at(inv.expires_at),
            RequestStatus::Expired,
            "with the invitation, at the instant"
        );
        let manager = UserId::parse("m1").unwrap();
        assert_eq!(
            r.decide(Decision::Approved, manager.clone(), inv.expires_at),
            Err(NotPending(RequestStatus::Expired))
        );
        let refused = r.decide(Decision::Denied, manager.clone(), now).unwrap();
        assert_eq!(
            refused.status_at(inv.expires_at + TimeDelta::days(1)),
            RequestStatus::Denied,
            "an answer stands"
        );
        assert_eq!(refused.decide(Decision::Approved, manager, now), Err(NotPending(RequestStatus::Denied)));
    }
}
