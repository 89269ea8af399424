//! The reminders before expiry: the `byReminder` index is their schedule. An
//! invitation carries its pending reminder's keys (`items::reminder_keys`)
//! from the write that sends it until the reminder goes out, is dropped, or a
//! resend or renewal replaces it; only those invitations are in the index.
//!
//! The index is keyed by the hour a reminder falls due in, so a run reads the
//! partitions of the hours it looks back over (`LOOKBACK`: 25 small queries,
//! whatever the table holds) and never scans. Every invitation sent in one hour shares a partition of the
//! index: DynamoDB takes about 1,000 writes a second into one, far beyond the
//! invitations an hour of this service sends.

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use chrono::{DateTime, TimeDelta, Utc};

use super::changes::{generation_condition, STILL_OPEN};
use super::errors::{build_error, store_error, Transact};
use super::items::*;
use super::table::GSI_BY_REMINDER;
use super::{applied, not_open, DynamoStore};
use crate::domain::{BounceType, Change, EmailDelivery, HistoryEntry, Invitation, InvitationId, Status};
use crate::ports::{DueReminder, LimitRefusal, ReminderStore, ResolveError, SendQuota, StoreError, Taken};
use crate::time::format_timestamp;

/// A reminder's transaction: the invitation's update, the team's limits item,
/// the address's day.
mod position {
    pub const INVITATION: usize = 0;
    pub const LIMITS: usize = 1;
    pub const MAILBOX: usize = 2;
}

/// An index entry read back: the invitation and its reminder's due time.
fn due_reminder(key: &Item) -> Result<DueReminder, StoreError> {
    const W: &str = "reminder";
    let id = get_s(key, W, "pk")?
        .strip_prefix("INV#")
        .and_then(|id| InvitationId::parse(id).ok())
        .ok_or_else(|| corrupt(W, "pk"))?;
    Ok(DueReminder { invitation: id, due: get_time(key, W, REMIND_AT)? })
}

impl ReminderStore for DynamoStore {
    async fn due_reminders(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueReminder>, StoreError> {
        let mut found = Vec::new();
        let mut hour = since;
        // Each hour's partition from `since`'s to `now`'s, the range within.
        while reminder_hour(hour) <= reminder_hour(now) && found.len() < limit {
            let mut start = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI_BY_REMINDER)
                    .key_condition_expression("#hour = :hour AND #at BETWEEN :from AND :to")
                    .expression_attribute_names("#hour", REMIND_HOUR)
                    .expression_attribute_names("#at", REMIND_AT)
                    .expression_attribute_values(":hour", s(reminder_hour(hour)))
                    .expression_attribute_values(":from", s(format_timestamp(since)))
                    .expression_attribute_values(":to", s(format_timestamp(now)))
                    .limit((limit - found.len()) as i32)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(|e| store_error(&e))?;
                for key in out.items() {
                    found.push(due_reminder(key)?);
                }
                start = out.last_evaluated_key;
                if start.is_none() || found.len() >= limit {
                    break;
                }
            }
            hour += TimeDelta::hours(1);
        }
        Ok(found)
    }

    async fn remind(
        &self,
        invitation: &Invitation,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
        quota: SendQuota,
    ) -> Result<(), ResolveError> {
        let Taken::Now(places) = quota.taken else {
            return Err(StoreError::Other("a reminder takes its send in its own write".into()).into());
        };
        let mut values = item([
            (":open", s(Status::Open.as_str())),
            (":now", n(now.timestamp_millis())),
            (":due", s(format_timestamp(due))),
            (":gen", n(invitation.link_generation.into())),
            (":complained", s(EmailDelivery::Complained.as_str())),
            (":bounced", s(EmailDelivery::Bounced.as_str())),
            (":permanent", s(BounceType::Permanent.as_str())),
        ]);
        values.extend(
            history_values(HistoryEntry { at: now, change: Change::Reminded })
                .map(|(k, v)| (k.to_owned(), v)),
        );
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(invitation.id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(format!(
                "{STILL_OPEN} AND #at = :due{} AND NOT emailDelivery = :complained \
                 AND NOT (emailDelivery = :bounced AND {BOUNCE} = :permanent)",
                generation_condition(invitation.link_generation)
            ))
            .update_expression(format!("SET {HISTORY_APPEND} REMOVE #hour, #at"))
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#hour", REMIND_HOUR)
            .expression_attribute_names("#at", REMIND_AT)
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            self.limits_take(&invitation.team_id, &places)?,
            self.mailbox_day_update(&invitation.email, now, quota.per_recipient_per_day)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::INVITATION) => {
                Err(not_open(c.item(position::INVITATION))?)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::LIMITS) => {
                Err(ResolveError::Limit(Self::limit_refusal(&c, position::LIMITS)))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::MAILBOX) => {
                Err(ResolveError::Limit(LimitRefusal::RecipientDaily))
            }
            // Met other transactions on its items under every retry: nothing
            // was decided, so the reminder stays due for the next run.
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn unschedule(&self, invitation: InvitationId, due: DateTime<Utc>) -> Result<(), StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(invitation)))
            .key("sk", s(INVITATION_SK))
            .condition_expression("#at = :due")
            .update_expression("REMOVE #hour, #at")
            .expression_attribute_names("#hour", REMIND_HOUR)
            .expression_attribute_names("#at", REMIND_AT)
            .expression_attribute_values(":due", s(format_timestamp(due)))
            .send()
            .await;
        // Not applied: gone, or already replaced or sent; nothing to take off.
        applied(out).map(|_| ())
    }
}

/// Development aid (`invitations-admin remind-now`, for the stack journey):
/// moves an open invitation's pending reminder to `now`, so that the next run
/// sends it. Never in a release function.
#[cfg(any(test, feature = "dev"))]
impl DynamoStore {
    pub async fn remind_now(&self, id: InvitationId, now: DateTime<Utc>) -> Result<(), StoreError> {
        let [(_, hour), (_, at)] = reminder_keys(now);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression("attribute_exists(#at)")
            .update_expression("SET #hour = :hour, #at = :at")
            .expression_attribute_names("#hour", REMIND_HOUR)
            .expression_attribute_names("#at", REMIND_AT)
            .expression_attribute_values(":hour", hour)
            .expression_attribute_values(":at", at)
            .send()
            .await;
        match applied(out)? {
            true => Ok(()),
            false => Err(StoreError::Other(format!("invitation {id} has no pending reminder"))),
        }
    }
}
