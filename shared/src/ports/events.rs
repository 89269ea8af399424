//! Committed changes in, events out.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::LinkUse;
use crate::domain::{
    EmailDomain, EndedMembership, HistoryEntry, Invitation, InvitationId, InviteLink, InviteLinkId,
    JoinRequest, Membership, RoleChange, TeamId,
};

/// The `source` of every event this service publishes.
pub const SOURCE: &str = "team-invitations";

/// A change the table committed, as its change stream reports it (see
/// `adapters::dynamo::stream`): what `service::events` makes events of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// New entries of an invitation's history, each with its position in it,
    /// and the invitation as that write left it.
    Invitation {
        invitation: Box<Invitation>,
        entries: Vec<(usize, HistoryEntry)>,
    },
    /// A membership was created (`invitation`: by accepting it; `link`: by
    /// joining through an invite link; `domain`: through a verified domain).
    MembershipCreated {
        membership: Membership,
        invitation: Option<InvitationId>,
        link: Option<InviteLinkId>,
        domain: Option<EmailDomain>,
    },
    /// A team's manager made an invite link.
    InviteLinkCreated(InviteLink),
    /// Someone joined a team through an invite link.
    InviteLinkUsed {
        team: TeamId,
        used: LinkUse,
    },
    /// A team's manager revoked an invite link (as it was then).
    InviteLinkRevoked(InviteLink),
    /// Someone asked to join a team through a link that needs approval.
    JoinRequested(JoinRequest),
    /// A join request was approved, denied or cancelled (as it now is).
    JoinRequestAnswered(JoinRequest),
    MembershipEnded(EndedMembership),
    /// A member's role changed in place.
    RoleChanged(RoleChange),
    /// A team's members came to fill its seat limit (an acceptance took the
    /// last seat, or the platform set a limit its members already fill).
    /// `change`: the stream's position of the write, which names it.
    SeatsFilled {
        team: TeamId,
        seats: u32,
        members: i64,
        at: DateTime<Utc>,
        change: String,
    },
}

/// An event for the rest of the platform (`service::events`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEvent {
    /// The `detail-type`: `invitation.created`, `membership.revoked`, ...
    pub kind: &'static str,
    /// When the change happened.
    pub time: DateTime<Utc>,
    /// The `detail`, JSON.
    pub detail: String,
}

/// Events that were not published; `first`: the position of the first of
/// them in what was handed over. The text is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("events not published (the first at {first}): {reason}")]
pub struct PublishError {
    pub first: usize,
    pub reason: String,
}

/// Where events go (EventBridge in production).
pub trait EventPublisher: Send + Sync {
    /// Publishes `events` in order, retrying what failed a few times.
    fn publish(&self, events: &[OutgoingEvent]) -> impl Future<Output = Result<(), PublishError>> + Send;
}

/// One record of a batch of committed changes (a DynamoDB stream record):
/// where it stands in the stream, and what it committed (why not, when the
/// record could not be read; the text is for logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// The record's sequence number: what a batch's failure names.
    pub sequence: String,
    pub committed: Result<Vec<Committed>, String>,
}
