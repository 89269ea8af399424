//! Reminders before expiry: one email to the invitee, the deployment's lead
//! (`REMINDER_LEAD_SECONDS`, 48 hours unless configured) before an open
//! invitation expires, with its current link. Each send schedules its own
//! reminder (`Invitation::with_reminder`; none when it keeps the invitation
//! open for the lead or less), and a periodic run sends those that fell due.
//!
//! A reminder goes out only from the write that takes it off the schedule,
//! conditioned on the invitation still being open, of the same send and
//! scheduled for the same time, with the team's email limits and the address's
//! day: so at most once, and never after an answer, a withdrawal, a resend or
//! a renewal, whatever runs overlap. The email follows that write; a run
//! stopped between the two loses that reminder rather than sending it twice.

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;

use super::link;
use crate::domain::{Email, Invitation, LinkKeys};
use crate::error::Error;
use crate::mail;
use crate::ports::{
    DueReminder, Exceeded, InvitationStore, LimitRefusal, LimitStore, LinkKeySource, Mailer, ReminderStore,
    ResolveError, SendQuota, Taken,
};
use crate::service::Context;

/// What reminding reads and writes: the schedule, the invitation, the team's limits.
pub trait RemindingStore: ReminderStore + InvitationStore + LimitStore {}
impl<S: ReminderStore + InvitationStore + LimitStore> RemindingStore for S {}

/// How far back a run looks for reminders that fell due: runs missed or failed
/// within it are made up by the next. A reminder due longer ago is taken off
/// the schedule unsent, and logged (`AGED_OUT`).
pub const LOOKBACK: TimeDelta = TimeDelta::hours(24);
/// How many reminders past `LOOKBACK` one run takes off the schedule (each run
/// reads the hour beyond it, so at most a few are ever there).
const AGED_OUT: usize = 100;
/// The most reminders one run sends; the rest wait for the next run.
pub const MAX_PER_RUN: usize = 500;
/// How many reminders are written and emailed at once.
pub const PARALLELISM: usize = 8;
/// How many times a reminder's write is tried when the team's send instant
/// moved under it (another send of the team meanwhile).
const ATTEMPTS: usize = 4;

/// What became of one due reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminded {
    /// Sent (written, then emailed).
    Sent,
    /// Written, but SES refused the email or did not answer.
    MailFailed,
    /// Not to be sent: the invitation was answered, withdrawn, resent, renewed,
    /// expired, purged, or its email refused for good. Taken off the schedule.
    Dropped,
    /// Not now: the team's hourly email limit or the address's day is used
    /// up. Stays on the schedule for the next run.
    Deferred,
    /// The store failed; stays on the schedule for the next run.
    Failed,
}

/// A run's tally.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemindersRun {
    pub sent: usize,
    pub mail_failed: usize,
    pub dropped: usize,
    pub deferred: usize,
    pub failed: usize,
}

impl RemindersRun {
    fn count(mut self, outcome: Reminded) -> Self {
        match outcome {
            Reminded::Sent => self.sent += 1,
            Reminded::MailFailed => self.mail_failed += 1,
            Reminded::Dropped => self.dropped += 1,
            Reminded::Deferred => self.deferred += 1,
            Reminded::Failed => self.failed += 1,
        }
        self
    }
}

pub struct Reminding<S, M, K> {
    store: S,
    mailer: M,
    keys: K,
    ctx: Arc<Context>,
}

impl<S: RemindingStore, M: Mailer, K: LinkKeySource> Reminding<S, M, K> {
    pub fn new(store: S, mailer: M, keys: K, ctx: Arc<Context>) -> Self {
        Self { store, mailer, keys, ctx }
    }

    /// Sends the reminders due now (those that fell due within `LOOKBACK`, at
    /// most `MAX_PER_RUN`, `PARALLELISM` at a time), and takes those that fell
    /// due before it off the schedule. With reminders turned off (no lead), it
    /// does nothing: what was scheduled before waits, as it was.
    pub async fn run(&self) -> Result<RemindersRun, Error> {
        use futures_util::stream::{self, StreamExt};
        if self.ctx.settings.reminder_lead.is_none() {
            return Ok(RemindersRun::default());
        }
        let now = self.ctx.clock.now();
        self.age_out(now).await?;
        let due = self.store.due_reminders(now - LOOKBACK, now, MAX_PER_RUN).await?;
        if due.is_empty() {
            return Ok(RemindersRun::default());
        }
        let keys = self.keys.keys().await?;
        let keys = &keys;
        let run = stream::iter(due)
            .map(|due| async move {
                self.remind(due, now, keys).await.unwrap_or_else(|e| {
                    tracing::error!(invitation = %due.invitation, error = %e, "reminder failed, tried again next run");
                    Reminded::Failed
                })
            })
            .buffer_unordered(PARALLELISM)
            .fold(RemindersRun::default(), |run, outcome| async move { run.count(outcome) })
            .await;
        Ok(run)
    }

    /// Takes the reminders of the hour before `LOOKBACK` off the schedule:
    /// every run for a day failed or did not happen, and they go unsent.
    async fn age_out(&self, now: DateTime<Utc>) -> Result<(), Error> {
        let edge = now - LOOKBACK;
        let aged = self.store.due_reminders(edge - TimeDelta::hours(1), edge, AGED_OUT).await?;
        for due in aged.into_iter().filter(|d| d.due < edge) {
            tracing::warn!(invitation = %due.invitation, due = %due.due, "reminder not sent within a day of falling due: dropped");
            self.store.unschedule(due.invitation, due.due).await?;
        }
        Ok(())
    }

    async fn remind(&self, due: DueReminder, now: DateTime<Utc>, keys: &LinkKeys) -> Result<Reminded, Error> {
        // Purged: its index entry went with it.
        let Some(invitation) = self.store.invitation(due.invitation).await? else {
            return Ok(Reminded::Dropped);
        };
        // The email names the inviter: invitations from before their address
        // was kept (resent since, so scheduled) are not reminded.
        let inviter = match &invitation.invited_by_email {
            Some(inviter) if invitation.remindable(due.due, now) => inviter.clone(),
            _ => {
                self.store.unschedule(invitation.id, due.due).await?;
                return Ok(Reminded::Dropped);
            }
        };
        let team = &invitation.team_id;
        let mut usage = self.store.usage(team).await?;
        let limits = usage.limits_or(self.ctx.settings.limits);
        for _ in 0..ATTEMPTS {
            let places = match usage.places(limits, now, 0) {
                Ok(places) => places,
                // A reminder opens nothing: only the hourly limit refuses it.
                Err(Exceeded::EmailsPerHour(_) | Exceeded::OpenInvitations | Exceeded::Seats) => {
                    return Ok(Reminded::Deferred)
                }
            };
            let quota = SendQuota {
                taken: Taken::Now(places),
                per_recipient_per_day: self.ctx.settings.emails_per_recipient_per_day,
            };
            match self.store.remind(&invitation, due.due, now, quota).await {
                Ok(()) => return Ok(self.email(&invitation, &inviter, keys).await),
                Err(ResolveError::Limit(LimitRefusal::Changed)) => usage = self.store.usage(team).await?,
                Err(ResolveError::Limit(LimitRefusal::RecipientDaily)) => return Ok(Reminded::Deferred),
                // Answered, withdrawn, resent or renewed since it was read; or
                // the team was closed (its invitations are being withdrawn).
                Err(ResolveError::NotOpen { .. } | ResolveError::Limit(LimitRefusal::TeamClosed)) => {
                    self.store.unschedule(invitation.id, due.due).await?;
                    return Ok(Reminded::Dropped);
                }
                Err(ResolveError::Store(e)) => return Err(e.into()),
                Err(other) => return Err(Error::internal(format!("a reminder's write: {other}"))),
            }
        }
        Ok(Reminded::Deferred)
    }

    /// The reminder's email: the invitation's, with its current link.
    async fn email(&self, invitation: &Invitation, inviter: &Email, keys: &LinkKeys) -> Reminded {
        let link = link(&self.ctx, invitation.id, &keys.sign(invitation.id, invitation.link_generation));
        let email = mail::reminder_email(invitation, inviter, &link, &self.ctx.settings.branding);
        match self.mailer.send(&email).await {
            Ok(()) => Reminded::Sent,
            Err(e) => {
                tracing::warn!(invitation = %invitation.id, error = %e, "reminder email failed");
                Reminded::MailFailed
            }
        }
    }
}
