//! The team's limits item: its open count and send slots, changed inside the
//! transactions of the writes that count, and the release of expired
//! invitations from the count.

use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use chrono::{DateTime, TimeDelta, Utc};

use super::errors::{self, build_error, store_error, Transact};
use super::items::*;
use super::table::GSI_BY_STATUS;
use super::{applied, DynamoStore, RELEASE_BATCH, RELEASE_MAX_PAGES};
use crate::domain::RELEASE_GRACE;
use crate::domain::{send_day, until_next_day, Email, Invitation, SendSlot, Status, TeamId};
use crate::ports::{LimitRefusal, LimitStore, Released, StoreError, Usage};
use crate::time::format_timestamp;

impl DynamoStore {
    /// The team's limits item as one transaction item (see `LimitsChange`).
    pub(super) fn limits_update(
        &self,
        team: &TeamId,
        change: LimitsChange,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut conditions = Vec::new();
        let mut set = String::new();
        let mut names = std::collections::HashMap::from([("#open".to_owned(), OPEN_COUNT.to_owned())]);
        let mut values = item([(":delta", n(change.open_delta))]);
        if change.refuse_if_closed {
            conditions.push("attribute_not_exists(#closed)");
            names.insert("#closed".into(), CLOSED_AT.into());
        }
        if let Some(max) = change.max_open {
            conditions.push("(attribute_not_exists(#open) OR #open < :max)");
            values.insert(":max".into(), n(max.into()));
        }
        if let Some((slot, now)) = change.slot {
            conditions.push("(attribute_not_exists(#slot) OR #slot <= :freed)");
            set = " SET #slot = :now".into();
            names.insert("#slot".into(), send_slot_attr(slot.index));
            values.insert(":freed".into(), n(slot.free_if_at_or_before.timestamp_millis()));
            values.insert(":now".into(), n(now.timestamp_millis()));
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(LIMITS_SK))
            .update_expression(format!("ADD #open :delta{set}"))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if !conditions.is_empty() {
            update = update.condition_expression(conditions.join(" AND "));
        }
        Ok(TransactWriteItem::builder().update(update.build().map_err(build_error)?).build())
    }

    /// One more email to `email`'s mailbox today, within `per_day` (every
    /// team's sends together); purged the day after.
    pub(super) fn mailbox_day_update(
        &self,
        email: &Email,
        now: DateTime<Utc>,
        per_day: u32,
    ) -> Result<TransactWriteItem, StoreError> {
        let day = send_day(now);
        let (pk, sk) = mailbox_day_key(email, day);
        let purge = (now + until_next_day(now) + TimeDelta::days(1)).timestamp();
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("attribute_not_exists(#emails) OR #emails < :cap")
            .update_expression("ADD #emails :one SET entity = :entity, purgeAt = :purge")
            .expression_attribute_names("#emails", MAILBOX_EMAILS)
            .set_expression_attribute_values(Some(item([
                (":cap", n(per_day.into())),
                (":one", n(1)),
                (":entity", s("mailbox-day")),
                (":purge", n(purge)),
            ])))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Which limit refused a write, from the limits item as it was.
    pub(super) fn limit_refusal(
        c: &errors::Cancelled,
        position: usize,
        max_open: Option<u32>,
    ) -> Result<LimitRefusal, StoreError> {
        let usage = match c.item(position) {
            Some(stored) => parse_usage(stored)?,
            None => Usage::default(),
        };
        Ok(match max_open {
            _ if usage.closed => LimitRefusal::TeamClosed,
            Some(max) if usage.open >= i64::from(max) => LimitRefusal::TooManyOpen,
            _ => LimitRefusal::SlotTaken(usage.sends),
        })
    }
}

impl DynamoStore {
    /// A query of the team's `byStatus` sort keys from `from` to `to`, inclusive.
    fn by_status_query(
        &self,
        team: &TeamId,
        from: &str,
        to: &str,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(GSI_BY_STATUS)
            .key_condition_expression("gsi1pk = :pk AND gsi2sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", by_team_key(team))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
    }

    /// `by_status_query` of the invitations that still count as open.
    fn unreleased_query(
        &self,
        team: &TeamId,
        from: &str,
        to: &str,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.by_status_query(team, from, to)
            .filter_expression("attribute_not_exists(#released)")
            .expression_attribute_names("#released", RELEASED_AT)
    }

    /// Up to `RELEASE_BATCH` of the team's invitations that expired by `cutoff`
    /// and still count as open, the most recently expired first (those released
    /// earlier are older), reading on past released ones for a bounded number
    /// of pages.
    async fn unreleased_expired(
        &self,
        team: &TeamId,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<Invitation>, StoreError> {
        let (from, to) = by_status_range(Status::Expired, cutoff);
        let mut found = Vec::new();
        let mut start = None;
        for _ in 0..RELEASE_MAX_PAGES {
            let out = self
                .unreleased_query(team, &from, &to)
                .scan_index_forward(false)
                .limit(RELEASE_BATCH as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error(&e))?;
            for item in out.items() {
                if found.len() < RELEASE_BATCH {
                    found.push(parse_invitation(item)?);
                }
            }
            match out.last_evaluated_key {
                Some(key) if found.len() < RELEASE_BATCH => start = Some(key),
                _ => break,
            }
        }
        Ok(found)
    }

    /// One transaction: each of `expired` marked released (if still open,
    /// expired by `cutoff` and not released), and the team's count down by as many.
    fn release_items(
        &self,
        team: &TeamId,
        expired: &[Invitation],
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = Vec::with_capacity(expired.len() + 1);
        for inv in expired {
            let update = Update::builder()
                .table_name(&self.table)
                .key("pk", s(invitation_pk(inv.id)))
                .key("sk", s(INVITATION_SK))
                .condition_expression(
                    "#status = :open AND expiresAtMs <= :cutoff AND attribute_not_exists(#released)",
                )
                .update_expression("SET #released = :at")
                .expression_attribute_names("#status", "status")
                .expression_attribute_names("#released", RELEASED_AT)
                .set_expression_attribute_values(Some(item([
                    (":open", s(Status::Open.as_str())),
                    (":cutoff", n(cutoff.timestamp_millis())),
                    (":at", s(format_timestamp(now))),
                ])))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        items.push(self.limits_update(team, LimitsChange::leaving(expired.len()))?);
        Ok(items)
    }

    /// Sets the team's open count to what it counts (its open invitations and
    /// those expired but not yet released, as the `byStatus` index has them),
    /// if the count has not moved meanwhile; whether that freed a place.
    async fn recount_open(&self, team: &TeamId) -> Result<bool, StoreError> {
        let Some(limits) = self.get(team_pk(team), LIMITS_SK.into()).await? else {
            return Ok(false);
        };
        let Some(seen) = limits.get(OPEN_COUNT).cloned() else {
            return Ok(false);
        };
        let stored = parse_usage(&limits)?.open;
        let open = Status::Open.as_str();
        let mut counted: i64 = 0;
        let mut start = None;
        loop {
            let out = self
                .unreleased_query(team, &format!("{open}#"), &format!("{open}#~"))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error(&e))?;
            counted += i64::from(out.count);
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        if counted == stored {
            return Ok(false);
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(LIMITS_SK))
            .condition_expression("#open = :seen")
            .update_expression("SET #open = :counted")
            .expression_attribute_names("#open", OPEN_COUNT)
            .expression_attribute_values(":seen", seen)
            .expression_attribute_values(":counted", n(counted))
            .send()
            .await;
        // Moved meanwhile: the next refusal counts again.
        if !applied(out)? {
            return Ok(false);
        }
        tracing::warn!(team = %team, from = stored, to = counted, "open invitation count corrected");
        Ok(counted < stored)
    }
}

/// What a write does to its team's limits item.
#[derive(Debug, Clone, Copy)]
pub(super) struct LimitsChange {
    /// Moves the open count.
    open_delta: i64,
    /// The open count must stay below this (a new invitation).
    max_open: Option<u32>,
    /// A send, into this slot, which must be free, at this instant.
    slot: Option<(SendSlot, DateTime<Utc>)>,
    /// Nothing is sent or accepted in a closed team.
    refuse_if_closed: bool,
}

impl LimitsChange {
    pub(super) fn invite(max_open: u32, slot: SendSlot, now: DateTime<Utc>) -> Self {
        Self { open_delta: 1, max_open: Some(max_open), slot: Some((slot, now)), refuse_if_closed: true }
    }

    pub(super) fn resend(slot: SendSlot, now: DateTime<Utc>) -> Self {
        Self { open_delta: 0, max_open: None, slot: Some((slot, now)), refuse_if_closed: true }
    }

    pub(super) fn accept() -> Self {
        Self { open_delta: -1, max_open: None, slot: None, refuse_if_closed: true }
    }

    /// Invitations leaving the open count (answered, withdrawn, expired).
    pub(super) fn leaving(count: usize) -> Self {
        Self { open_delta: -(count as i64), max_open: None, slot: None, refuse_if_closed: false }
    }
}

impl LimitStore for DynamoStore {
    async fn usage(&self, team: &TeamId) -> Result<Usage, StoreError> {
        match self.get(team_pk(team), LIMITS_SK.into()).await? {
            Some(item) => parse_usage(&item),
            None => Ok(Usage::default()),
        }
    }

    async fn release_expired(&self, team: &TeamId, now: DateTime<Utc>) -> Result<Released, StoreError> {
        // Only those expired a while ago: a request that judged one open just
        // before its expiry may still be committing its answer under that
        // earlier instant, which would release it a second time.
        let cutoff = now - RELEASE_GRACE;
        let (from, to) = by_status_range(Status::Open, now);
        let next = self.by_status_query(team, &from, &to).limit(1).send();
        let (next, expired) = tokio::join!(next, self.unreleased_expired(team, cutoff));
        let next_expiry = match next.map_err(|e| store_error(&e))?.items().first() {
            Some(item) => Some(parse_invitation(item)?.expires_at),
            None => None,
        };
        let mut expired = expired?;
        // Twice at most: a cancellation means another request released some of
        // them (or one was answered) meanwhile; look again.
        for _ in 0..2 {
            if expired.is_empty() {
                break;
            }
            match self.send_transaction(self.release_items(team, &expired, cutoff, now)?).await {
                Ok(()) => return Ok(Released { freed: true, next_expiry }),
                Err(Transact::Failed(e)) => return Err(e),
                Err(Transact::Cancelled(c)) if c.any_failed() || c.conflict() => {
                    expired = self.unreleased_expired(team, cutoff).await?;
                }
                Err(Transact::Cancelled(c)) => return Err(c.unexpected()),
            }
        }
        // Nothing to release: the count may have drifted from what it counts
        // (invitations from before it existed; one the TTL purged before its
        // release), so it is counted again.
        Ok(Released { freed: self.recount_open(team).await?, next_expiry })
    }
}
