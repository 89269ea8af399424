//! The capabilities the use cases need, as small traits. The DynamoDB and SES
//! adapters implement them; the domain never sees an SDK type.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use std::future::Future;

use crate::domain::{
    DeliveryFeedback, Email, EndedMembership, HistoryEntry, Invitation, InvitationId, LinkKeys, Membership,
    RoleName, SendLog, SendSlot, Status, Team, TeamId, TeamName, UserId,
};
use crate::time::{format_timestamp, parse_timestamp};

/// A failure of the store itself (not a business outcome). The text is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Throttling, timeouts, connection failures: worth a retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store failure: {0}")]
    Other(String),
}

impl From<StoreError> for crate::Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => crate::Error::unavailable(e.to_string()),
            StoreError::Other(_) => crate::Error::internal(e.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertError {
    #[error("an open invitation exists for this email")]
    AlreadyInvited,
    #[error("the email already belongs to a member")]
    AlreadyMember,
    /// The inviter's membership did not hold a managing role at the write.
    #[error("not permitted")]
    Forbidden,
    #[error(transparent)]
    Limit(LimitRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a per-team limit refused a write (see `domain::limits`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitRefusal {
    /// The team has its most open invitations.
    #[error("the team has its most open invitations")]
    TooManyOpen,
    /// The send slot claimed was taken meanwhile: the log as it now is.
    #[error("the send slot was taken meanwhile")]
    SlotTaken(SendLog),
    /// The team was closed.
    #[error("the team is closed")]
    TeamClosed,
}

/// A team's use of its limits, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Open invitations counted (those expired are counted until released).
    pub open: i64,
    pub sends: SendLog,
    /// The team was closed: nothing more is sent or accepted in it.
    pub closed: bool,
}

/// What releasing a team's expired invitations from its open count found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// Some expired invitations left the count (by this call or a concurrent one).
    pub freed: bool,
    /// When the next open invitation expires, if any is open.
    pub next_expiry: Option<DateTime<Utc>>,
}

/// A team as the platform sees it: a closed team is kept, so that its id is
/// not reused and its history stays readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRecord {
    pub team: Team,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Why a change to a team did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamChangeError {
    #[error("no such team")]
    NotFound,
    #[error("the team is closed")]
    Closed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a conditional state change did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The invitation was not open (any more) when the write arrived. `current` is
    /// the item as the store saw it, when the store could tell (`None`: gone, or
    /// unknown after a conflicting concurrent transaction).
    #[error("the invitation is no longer open")]
    NotOpen { current: Option<Box<Invitation>> },
    /// Accepting would create a second membership.
    #[error("already a member")]
    AlreadyMember,
    /// The caller's membership did not hold a required role (withdraw).
    #[error("not permitted")]
    Forbidden,
    /// A resend's send slot was taken meanwhile.
    #[error(transparent)]
    Limit(LimitRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    #[error("it already exists")]
    AlreadyExists,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a page of the list starts: just after this (instant, id) in
/// newest-first order. The instant is the one the list is ordered by: sending
/// for the whole list; for one status, the expiry (open, expired) or the answer.
/// Opaque to clients, and only meaningful with the query that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    pub at: DateTime<Utc>,
    pub id: InvitationId,
}

impl PageCursor {
    pub fn encode(&self) -> String {
        let raw = format!("{}|{}", format_timestamp(self.at), self.id);
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(s: &str) -> Option<Self> {
        if s.len() > 200 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        let raw = std::str::from_utf8(&bytes).ok()?;
        let (at, id) = raw.split_once('|')?;
        Some(Self { at: parse_timestamp(at)?, id: InvitationId::parse(id).ok()? })
    }
}

/// Where a page of a team's members starts: just after this member (members
/// are ordered by user id, which never changes). Opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberCursor(pub UserId);

impl MemberCursor {
    /// A prefix keeps a members cursor from passing for an invitations one.
    const PREFIX: &'static str = "member|";

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}{}", Self::PREFIX, self.0))
    }

    pub fn decode(s: &str) -> Option<Self> {
        if s.len() > 400 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        let raw = std::str::from_utf8(&bytes).ok()?;
        UserId::parse(raw.strip_prefix(Self::PREFIX)?).ok().map(Self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberQuery {
    pub limit: usize,
    pub after: Option<MemberCursor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPage {
    pub members: Vec<Membership>,
    pub next: Option<MemberCursor>,
}

/// Why a membership was not removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoveError {
    /// The remover's membership did not hold a managing role at the write.
    #[error("not permitted")]
    Forbidden,
    /// The membership changed (its role) or ended since it was read.
    #[error("the membership changed meanwhile")]
    Changed,
    /// The owner who was to stay is no longer one.
    #[error("the remaining owner changed meanwhile")]
    OwnersChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub limit: usize,
    pub after: Option<PageCursor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub invitations: Vec<Invitation>,
    pub next: Option<PageCursor>,
}

pub trait InvitationStore: Send + Sync {
    fn team(&self, id: &TeamId) -> impl Future<Output = Result<Option<Team>, StoreError>> + Send;

    fn membership(
        &self,
        team: &TeamId,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<Membership>, StoreError>> + Send;

    fn invitation(
        &self,
        id: InvitationId,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;

    /// A team's use of its limits (none yet: zero).
    fn usage(&self, team: &TeamId) -> impl Future<Output = Result<Usage, StoreError>> + Send;

    /// Writes a new open invitation, atomically refusing it when the team already
    /// has an open (unexpired at `now`) invitation for the email, or a member with
    /// it, or when its inviter does not hold one of `inviter_roles` in the team at
    /// that moment, or when the team has `max_open` open invitations counted or
    /// `slot` is no longer free. Counts it open and records its send in `slot`.
    fn insert_invitation(
        &self,
        invitation: &Invitation,
        inviter_roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        slot: SendSlot,
        max_open: u32,
    ) -> impl Future<Output = Result<(), InsertError>> + Send;

    /// Releases from the team's open count the invitations that expired by
    /// `now` (each at most once; the most recently expired first, a bounded
    /// number per call), and says when the next open one expires.
    fn release_expired(
        &self,
        team: &TeamId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Released, StoreError>> + Send;

    /// Applies SES's report on an invitation's email, with its history entry,
    /// only if the invitation is still of the report's link generation and its
    /// email is known at a lower rank (`EmailDelivery::rank`); whether it did.
    fn record_delivery(
        &self,
        feedback: &DeliveryFeedback,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// An invitation with its history, oldest entry first.
    fn history(
        &self,
        id: InvitationId,
    ) -> impl Future<Output = Result<Option<(Invitation, Vec<HistoryEntry>)>, StoreError>> + Send;

    /// Stores the acceptance `accepted` and creates `membership`, in one
    /// transaction, only if the stored invitation is still open at `now` and
    /// still of `accepted`'s link generation. Like every answer, it leaves the
    /// team's open count.
    fn accept(
        &self,
        accepted: &Invitation,
        membership: &Membership,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), ResolveError>> + Send;

    /// Stores the decline `declined` in one transaction (with the team's open
    /// count), only if the stored invitation is open at `now` and its link
    /// generation is `generation` (the presented link's).
    fn decline(
        &self,
        declined: &Invitation,
        generation: u32,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), ResolveError>> + Send;

    /// Withdraws invitation `id` of `team` in one transaction, without reading it
    /// first, if it is open at `now` and `by` is a member of `team` holding one
    /// of `roles` at that moment.
    fn withdraw(
        &self,
        team: &TeamId,
        id: InvitationId,
        by: &UserId,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), ResolveError>> + Send;

    /// A team's invitations, newest first, with the statuses as of `now`.
    fn list(
        &self,
        team: &TeamId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// Stores `resent` (the invitation sent again: new generation, sent time and
    /// expiry) and moves its email lock's expiry with it, in one transaction,
    /// only if the stored invitation is open at `now`, still of generation
    /// `resent.link_generation - 1` (unchanged since it was read), and `by`
    /// holds one of `manager_roles` in the team at that moment, and `slot` is
    /// still free; records the send in it.
    fn resend(
        &self,
        resent: &Invitation,
        by: &UserId,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        slot: SendSlot,
    ) -> impl Future<Output = Result<(), ResolveError>> + Send;

    /// A page of the open (unexpired at `now`) invitations addressed to `email`,
    /// across teams, latest expiry first.
    fn open_invitations_for(
        &self,
        email: &Email,
        limit: usize,
        after: Option<&PageCursor>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// A page of a team's members, ordered by user id.
    fn members(
        &self,
        team: &TeamId,
        query: &MemberQuery,
    ) -> impl Future<Output = Result<MemberPage, StoreError>> + Send;

    /// An owner of `team` other than `besides`, if there is one.
    fn other_owner(
        &self,
        team: &TeamId,
        besides: &UserId,
    ) -> impl Future<Output = Result<Option<UserId>, StoreError>> + Send;

    /// Ends `ended.membership` and frees its email in the team, in one
    /// transaction, only if it is unchanged, `ended.by` holds one of
    /// `manager_roles` in the team at that moment (not checked when members
    /// remove themselves: the membership's own condition holds the role that was
    /// authorized), and, when given, `staying_owner` is still an owner. The
    /// record of who ended it and why is kept until `purge_at` (the change
    /// stream reads it).
    fn remove_member(
        &self,
        ended: &EndedMembership,
        manager_roles: &[RoleName],
        staying_owner: Option<&UserId>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), RemoveError>> + Send;

    fn create_team(
        &self,
        team: &Team,
        owner: &Membership,
    ) -> impl Future<Output = Result<(), CreateError>> + Send;

    /// A team, closed or not.
    fn team_record(&self, id: &TeamId)
        -> impl Future<Output = Result<Option<TeamRecord>, StoreError>> + Send;

    /// Renames an existing, open team; returns it as renamed.
    fn rename_team(
        &self,
        id: &TeamId,
        name: &TeamName,
    ) -> impl Future<Output = Result<Team, TeamChangeError>> + Send;

    /// Gives open invitation `id` of `team` its team's new name (what its email
    /// and preview show), if it is still open; whether it did.
    fn rename_invitation(
        &self,
        team: &TeamId,
        id: InvitationId,
        name: &TeamName,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Marks a team closed (at `now`, or when it was first closed), with its
    /// limits item, so that no invite, resend or acceptance in it commits
    /// afterwards; returns the team as closed.
    fn close_team(
        &self,
        id: &TeamId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<TeamRecord, TeamChangeError>> + Send;

    /// Withdraws invitation `withdrawn.id` as `withdrawn` says, if it is still
    /// open at `now`, without a permission check (its team is closing) or a
    /// change to the closed team's counts; whether it did.
    fn withdraw_closing(
        &self,
        withdrawn: &Invitation,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Ends `ended.membership` and frees its email in the team, with the record
    /// of its end (kept until `purge_at`), in one transaction, if it still
    /// exists; whether it did.
    fn end_membership(
        &self,
        ended: &EndedMembership,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn add_member(&self, membership: &Membership) -> impl Future<Output = Result<(), CreateError>> + Send;
}

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
    /// A membership was created (`invitation`: by accepting it).
    MembershipCreated {
        membership: Membership,
        invitation: Option<InvitationId>,
    },
    MembershipEnded(EndedMembership),
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

/// The link secret could not be had (unreadable, missing, too short): the
/// request fails with a retryable 503; the text is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("link keys unavailable: {0}")]
pub struct KeysError(pub String);

impl From<KeysError> for crate::Error {
    fn from(e: KeysError) -> Self {
        crate::Error::unavailable(e.to_string())
    }
}

/// Where the keys that sign and verify links come from (Secrets Manager in
/// production, read once per instance).
pub trait LinkKeySource: Send + Sync {
    fn keys(&self) -> impl Future<Output = Result<LinkKeys, KeysError>> + Send;

    /// Newer keys, read again because a link did not verify (a rotation may
    /// have happened since they were read); None when they were read too
    /// recently to read again.
    fn reread(&self) -> impl Future<Output = Result<Option<LinkKeys>, KeysError>> + Send;
}

/// Fixed keys are a source too (tests, tools).
impl LinkKeySource for LinkKeys {
    async fn keys(&self) -> Result<LinkKeys, KeysError> {
        Ok(self.clone())
    }

    async fn reread(&self) -> Result<Option<LinkKeys>, KeysError> {
        Ok(None)
    }
}

/// A rendered email, ready for any transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Name/value pairs that travel with SES's reports on the email (which
    /// invitation, which send of it), so that each report finds its invitation.
    pub tags: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("email not sent: {0}")]
pub struct MailError(pub String);

pub trait Mailer: Send + Sync {
    fn send(&self, email: &OutgoingEmail) -> impl Future<Output = Result<(), MailError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = PageCursor {
            at: parse_timestamp("2026-03-01T12:00:00.123Z").unwrap(),
            id: InvitationId::new_random(),
        };
        assert_eq!(PageCursor::decode(&c.encode()), Some(c));
        for bad in ["", "!!", "bm90IGEgY3Vyc29y", &"A".repeat(500)] {
            assert_eq!(PageCursor::decode(bad), None, "{bad:?}");
        }
        let m = MemberCursor(UserId::parse("0b5e-user").unwrap());
        assert_eq!(MemberCursor::decode(&m.encode()), Some(m));
        // Neither kind passes for the other.
        assert_eq!(MemberCursor::decode(&c.encode()), None);
        assert_eq!(PageCursor::decode(&MemberCursor(UserId::parse("u").unwrap()).encode()), None);
    }
}
