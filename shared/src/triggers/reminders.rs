//! The `remind` function's edge: EventBridge's schedule invokes it (every 15
//! minutes); it sends the reminders that fell due (`service::invitations`'s
//! `Reminding`). The event itself carries nothing it needs.
//!
//! A run that could not read the schedule, in which a reminder's write
//! failed, or whose emails SES refused, ends in an error, so the function's
//! error alarm sees it. What was not written stays on the schedule for the
//! next run; a reminder written and refused by SES is not sent again.

use serde_json::{json, Value};

use crate::error::Error;
use crate::ports::{LinkKeySource, Mailer};
use crate::service::invitations::{Reminding, RemindingStore};

pub struct RemindersTrigger<S, M, K> {
    reminding: Reminding<S, M, K>,
}

impl<S: RemindingStore, M: Mailer, K: LinkKeySource> RemindersTrigger<S, M, K> {
    pub fn new(reminding: Reminding<S, M, K>) -> Self {
        Self { reminding }
    }

    /// One run: its tally, or why it failed.
    pub async fn handle(&self, _event: &Value) -> Result<Value, Error> {
        let run = self.reminding.run().await?;
        tracing::info!(
            sent = run.sent,
            mail_failed = run.mail_failed,
            dropped = run.dropped,
            deferred = run.deferred,
            failed = run.failed,
            "reminders run"
        );
        let tally = json!({
            "sent": run.sent,
            "mailFailed": run.mail_failed,
            "dropped": run.dropped,
            "deferred": run.deferred,
            "failed": run.failed,
        });
        match (run.failed, run.mail_failed) {
            (0, 0) => Ok(tally),
            _ => Err(Error::unavailable(format!(
                "reminders failed (written ones are not sent again): {tally}"
            ))),
        }
    }
}
