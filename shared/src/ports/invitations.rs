//! Invitations: their writes (each one conditional write or transaction) and reads.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use std::future::Future;

use super::{LimitRefusal, SendQuota, StoreError};
use crate::domain::{
    Email, HistoryEntry, Invitation, InvitationId, Membership, RoleName, Status, TeamId, UserId,
};
use crate::time::{format_timestamp, parse_timestamp};

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
    /// Renewing an expired invitation: the address was invited again since
    /// (its lock names another invitation).
    #[error("the address was invited again since")]
    Superseded,
    /// The caller's membership did not hold a required role (withdraw).
    #[error("not permitted")]
    Forbidden,
    /// A limit refused the write (a resend's send; an acceptance in a closed team).
    #[error(transparent)]
    Limit(LimitRefusal),
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

/// Invitations: written in one conditional write or transaction each, read by id, by team and by address.
pub trait InvitationStore: Send + Sync {
    fn invitation(
        &self,
        id: InvitationId,
    ) -> impl Future<Output = Result<Option<Invitation>, StoreError>> + Send;

    /// Writes a new open invitation, atomically refusing it when the team already
    /// has an open (unexpired at `now`) invitation for the email, or a member with
    /// it, or when its inviter does not hold one of `inviter_roles` in the team at
    /// that moment, or when the team's usage moved past what `quota.taken` was
    /// computed from (or, reserved, the team was closed), or when the address
    /// had its most emails of the day. Takes its places (unless reserved) and
    /// records its send in the address's day.
    fn insert_invitation(
        &self,
        invitation: &Invitation,
        inviter_roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        quota: SendQuota,
    ) -> impl Future<Output = Result<(), InsertError>> + Send;

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

    /// Withdraws invitation `id` of `team` as `by`, in one transaction with the
    /// team's open count, if it is open at `now` and `sender` sent it, without
    /// a permission check: `sender`'s membership has just ended (by `by`, or
    /// `sender` left), and what they sent goes with it. Whether it did.
    fn withdraw_sent_by(
        &self,
        team: &TeamId,
        id: InvitationId,
        sender: &UserId,
        by: &UserId,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores `resent` (the invitation sent again: new generation, sent time and
    /// expiry) and moves its email lock's expiry with it, in one transaction,
    /// only if the stored invitation is open at `now`, still of generation
    /// `resent.link_generation - 1` (unchanged since it was read; with the cap
    /// on sends checked on that generation, the cap holds), its last email
    /// neither bounced permanently nor was marked as spam, `by` holds one of
    /// `manager_roles` in the team at that moment, the team's send instant has
    /// not moved past what the quota's send was computed from, and the address
    /// may be sent another email today; records the send.
    fn resend(
        &self,
        resent: &Invitation,
        by: &UserId,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        quota: SendQuota,
    ) -> impl Future<Output = Result<(), ResolveError>> + Send;

    /// A team's invitations, newest first, with the statuses as of `now`.
    fn list(
        &self,
        team: &TeamId,
        query: &ListQuery,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// A page of the open (unexpired at `now`) invitations addressed to `email`,
    /// across teams, latest expiry first.
    fn open_invitations_for(
        &self,
        email: &Email,
        limit: usize,
        after: Option<&PageCursor>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;

    /// An invitation with its history, oldest entry first.
    fn history(
        &self,
        id: InvitationId,
    ) -> impl Future<Output = Result<Option<(Invitation, Vec<HistoryEntry>)>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MemberCursor;

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
