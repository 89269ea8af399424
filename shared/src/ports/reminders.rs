//! The reminders before expiry as stored: a schedule of the pending ones,
//! read by the hour they fall due in, and the write that sends one.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::{ResolveError, SendQuota, StoreError};
use crate::domain::{Invitation, InvitationId};

/// A reminder on the schedule: the invitation's, due at `due`
/// (`Invitation::remind_at` when it was scheduled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueReminder {
    pub invitation: InvitationId,
    pub due: DateTime<Utc>,
}

/// The schedule of reminders. Only invitations with a pending reminder are on
/// it, so reading what is due never reads the rest of the table.
pub trait ReminderStore: Send + Sync {
    /// The reminders due from `since` to `now` (both included), earliest
    /// first within each hour, at most `limit`.
    fn due_reminders(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DueReminder>, StoreError>> + Send;

    /// Takes `invitation`'s reminder due at `due` off the schedule and records
    /// it in its history, in one transaction with its send within the team's
    /// limits and the address's day (`quota`), only if, in that write, the
    /// invitation is still open and unexpired at `now`, still of the read
    /// link generation and still scheduled for `due`, and its email was not
    /// refused for good. So each reminder goes out at most once, and never
    /// after an answer, a withdrawal, a resend or a renewal.
    fn remind(
        &self,
        invitation: &Invitation,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        quota: SendQuota,
    ) -> impl Future<Output = Result<(), ResolveError>> + Send;

    /// Takes a reminder that will not go out off the schedule, if it is still
    /// scheduled for `due` (a later send's own reminder stays).
    fn unschedule(
        &self,
        invitation: InvitationId,
        due: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
