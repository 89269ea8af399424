//! Sending an invitation again: the invitation's update, which a resend and a
//! renewal share, and the renewal of an expired invitation, its own
//! transaction.
//!
//! A renewal opens an expired invitation again (`Invitation::resend`): a new
//! link, a new period, the same id and history. Expiry freed the address, so
//! the write takes the address's lock back, unless another invitation holds it
//! (the address was invited again since), and checks that no member joined
//! with the address. It takes a place in the open count, as a new invitation
//! does; where the expired invitation still held its place (not yet released
//! from the count), that place is given back in the same write, on its
//! counter of leaving, so the count moves by what changed: one open invitation
//! more, or none.

use aws_sdk_dynamodb::types::{
    ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};

use super::changes::{self, STILL_OPEN};
use super::errors::{build_error, Transact};
use super::items::*;
use super::{not_open, position, DynamoStore};
use crate::domain::{
    BounceType, Change as Recorded, EmailDelivery, HistoryEntry, Invitation, Status, UserId,
};
use crate::ports::{LimitRefusal, ResolveError, SendQuota, StoreError, Taken};
use crate::time::format_timestamp;

/// The state an invitation is sent again from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Again {
    /// Open and unexpired: a resend.
    Open,
    /// Expired, open as stored: a renewal. `released`: its place in the open
    /// count was given back already.
    Expired { released: bool },
}

impl DynamoStore {
    /// The update that sends `resent` again, from link generation `previous`,
    /// conditioned on the state it was read in, `again`.
    pub(super) fn send_again(
        &self,
        resent: &Invitation,
        by: &UserId,
        previous: u32,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        again: Again,
    ) -> Result<Update, StoreError> {
        let state = match again {
            Again::Open => STILL_OPEN,
            Again::Expired { released: true } => {
                "#status = :open AND expiresAtMs <= :now AND attribute_exists(#released)"
            }
            Again::Expired { released: false } => {
                "#status = :open AND expiresAtMs <= :now AND attribute_not_exists(#released)"
            }
        };
        // Open again, it counts again: a later release takes it anew.
        let mut remove = match again {
            Again::Open => String::new(),
            Again::Expired { .. } => ", #released".to_owned(),
        };
        // The last send's reminder gives way to this one's, if it has one.
        let (remind, reminder) = match resent.remind_at {
            Some(due) => (format!(", {REMIND_HOUR} = :rhour, {REMIND_AT} = :rat"), Some(due)),
            None => (String::new(), None),
        };
        if reminder.is_none() {
            remove.push_str(&format!(", {REMIND_HOUR}, {REMIND_AT}"));
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(resent.id)))
            .key("sk", s(INVITATION_SK))
            // The cap on sends is checked on the generation read, which the
            // condition holds; the last email's fate may have arrived since.
            .condition_expression(format!(
                "{state} AND teamId = :team{} AND NOT emailDelivery = :complained \
                 AND NOT (emailDelivery = :bounced AND {BOUNCE} = :permanent)",
                changes::generation_condition(previous)
            ))
            // A new send: its delivery starts again from "sent".
            .update_expression(format!(
                "SET linkGeneration = :next, sentAt = :sent, expiresAt = :exp, expiresAtMs = :expms, \
                 gsi2sk = :sk2, emailDelivery = :delivery, purgeAt = :purge, {DELIVERY_RANK} = :rank, \
                 {HISTORY_APPEND}{remind} REMOVE {BOUNCE}{remove}"
            ))
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(
                item([
                    (":open", s(Status::Open.as_str())),
                    (":now", n(now.timestamp_millis())),
                    (":team", s(resent.team_id.as_str())),
                    (":gen", n(previous.into())),
                    (":next", n(resent.link_generation.into())),
                    (":sent", s(format_timestamp(resent.sent_at))),
                    (":exp", s(format_timestamp(resent.expires_at))),
                    (":expms", n(resent.expires_at.timestamp_millis())),
                    (":sk2", s(by_status_sk(Status::Open, resent.expires_at, resent.id))),
                    (":delivery", s(resent.email_delivery.as_str())),
                    (":purge", n(purge_at.timestamp())),
                    (":rank", n(resent.email_delivery.rank().into())),
                    (":complained", s(EmailDelivery::Complained.as_str())),
                    (":bounced", s(EmailDelivery::Bounced.as_str())),
                    (":permanent", s(BounceType::Permanent.as_str())),
                ])
                .into_iter()
                .chain(reminder.into_iter().flat_map(|due| {
                    let [(_, hour), (_, at)] = reminder_keys(due);
                    [(":rhour".to_owned(), hour), (":rat".to_owned(), at)]
                }))
                .chain(
                    history_values(HistoryEntry {
                        at: resent.sent_at,
                        change: Recorded::Resent { by: by.clone() },
                    })
                    .map(|(k, v)| (k.to_owned(), v)),
                )
                .collect(),
            ))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if matches!(again, Again::Expired { .. }) {
            update = update.expression_attribute_names("#released", RELEASED_AT);
        }
        update.build().map_err(build_error)
    }

    /// Renews expired invitation `renewed` (sent again by `by`, the write's
    /// `permitted` check holding their role): see the module notes.
    pub(super) async fn renew(
        &self,
        renewed: &Invitation,
        by: &UserId,
        permitted: TransactWriteItem,
        previous: u32,
        (now, purge_at): (DateTime<Utc>, DateTime<Utc>),
        quota: SendQuota,
    ) -> Result<(), ResolveError> {
        let Taken::Now(places) = quota.taken else {
            return Err(StoreError::Other("a renewal takes its place in its own write".into()).into());
        };
        let team = &renewed.team_id;
        // Read, then held by the write's condition: a release in between fails
        // the write, which then reads again (once).
        for _ in 0..2 {
            let Some(stored) = self.get(invitation_pk(renewed.id), INVITATION_SK.into()).await? else {
                return Err(ResolveError::NotOpen { current: None });
            };
            let released = stored.contains_key(RELEASED_AT);
            let again = Again::Expired { released };
            let lock = Put::builder()
                .table_name(&self.table)
                .set_item(Some(open_lock_item(renewed)))
                .condition_expression("attribute_not_exists(pk) OR invitationId = :id")
                .expression_attribute_values(":id", s(renewed.id.to_string()))
                .build()
                .map_err(build_error)?;
            let not_member = ConditionCheck::builder()
                .table_name(&self.table)
                .key("pk", s(team_pk(team)))
                .key("sk", s(member_email_sk(&renewed.email)))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build_error)?;
            let mut items = vec![
                TransactWriteItem::builder()
                    .update(self.send_again(renewed, by, previous, now, purge_at, again)?)
                    .build(),
                TransactWriteItem::builder().put(lock).build(),
                permitted.clone(),
                self.limits_take(team, &places)?,
                self.mailbox_day_update(&renewed.email, now, quota.per_recipient_per_day)?,
                TransactWriteItem::builder().condition_check(not_member).build(),
            ];
            if !released {
                items.push(self.left_update(team, left_sk_of(renewed.id), 1)?);
            }
            match self.send_transaction(items).await {
                Ok(()) => return Ok(()),
                Err(Transact::Failed(e)) => return Err(e.into()),
                Err(Transact::Cancelled(c)) if c.failed(position::RESEND_PERMISSION) => {
                    return Err(ResolveError::Forbidden)
                }
                Err(Transact::Cancelled(c)) if c.failed(position::RESEND_INVITATION) => {
                    let now_released =
                        c.item(position::RESEND_INVITATION).map(|i| i.contains_key(RELEASED_AT));
                    if now_released == Some(!released) {
                        continue;
                    }
                    return Err(not_open(c.item(position::RESEND_INVITATION))?);
                }
                Err(Transact::Cancelled(c)) if c.failed(position::RENEW_LOCK) => {
                    return Err(ResolveError::Superseded)
                }
                Err(Transact::Cancelled(c)) if c.failed(position::RENEW_NOT_MEMBER) => {
                    return Err(ResolveError::AlreadyMember)
                }
                Err(Transact::Cancelled(c)) if c.failed(position::RESEND_LIMITS) => {
                    return Err(ResolveError::Limit(Self::limit_refusal(&c, position::RESEND_LIMITS)))
                }
                Err(Transact::Cancelled(c)) if c.failed(position::RESEND_MAILBOX) => {
                    return Err(ResolveError::Limit(LimitRefusal::RecipientDaily))
                }
                Err(Transact::Cancelled(c)) if c.conflict() => {
                    return Err(ResolveError::NotOpen { current: None })
                }
                Err(Transact::Cancelled(c)) => return Err(c.unexpected().into()),
            }
        }
        Err(ResolveError::NotOpen { current: None })
    }
}
