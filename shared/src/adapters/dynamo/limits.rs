//! The team's limits items: the limits item (opened count, send instant),
//! changed inside the transactions of the sends, and the counters of leaving,
//! changed inside the answers' (`items::LIMITS_SK`); the release of expired
//! invitations from the count.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;

use super::errors::{self, build_error, store_error, Transact};
use super::items::*;
use super::table::GSI_BY_STATUS;
use super::{applied, DynamoStore, RELEASE_BATCH, RELEASE_MAX_PAGES};
use crate::domain::{send_day, until_next_day, Email, Invitation, Status, TeamId};
use crate::domain::{RECOUNT_EVERY, RELEASE_GRACE};
use crate::ports::{InsertError, LimitRefusal, LimitStore, Places, Released, StoreError, Usage};
use crate::time::format_timestamp;

/// A write of the limits item that takes `Places`: its condition, its update,
/// and the names and values they use (each used, as DynamoDB requires).
struct Take {
    condition: String,
    update: String,
    names: HashMap<String, String>,
    values: Item,
}

impl Take {
    fn new(places: &Places) -> Self {
        let mut condition =
            "attribute_not_exists(#closed) AND (attribute_not_exists(#until) OR #until <= :after)".to_owned();
        let mut update = "SET #until = :until".to_owned();
        let mut names = HashMap::from([
            ("#closed".to_owned(), CLOSED_AT.to_owned()),
            ("#until".to_owned(), SENDS_UNTIL.to_owned()),
        ]);
        let mut values = item([
            (":after", n(places.sends.after.timestamp_millis())),
            (":until", n(places.sends.until.timestamp_millis())),
        ]);
        if places.invitations > 0 {
            condition.push_str(" AND (attribute_not_exists(#open) OR #open <= :most)");
            update.push_str(" ADD #open :opened");
            names.insert("#open".into(), OPEN_COUNT.into());
            values.insert(":most".into(), n(places.opened_at_most));
            values.insert(":opened".into(), n(places.invitations.into()));
        }
        Self { condition, update, names, values }
    }
}

impl DynamoStore {
    /// A send's write of its team's limits item, taking `places`.
    pub(super) fn limits_take(
        &self,
        team: &TeamId,
        places: &Places,
    ) -> Result<TransactWriteItem, StoreError> {
        let Take { condition, update, names, values } = Take::new(places);
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(LIMITS_SK))
            .condition_expression(condition)
            .update_expression(update)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// "The team is not closed", for a send whose places its batch reserved.
    pub(super) fn limits_open_check(&self, team: &TeamId) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(LIMITS_SK))
            .condition_expression("attribute_not_exists(#closed)")
            .expression_attribute_names("#closed", CLOSED_AT)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// `count` invitations leaving the team's open count, on the counter of
    /// `sk` (`left_sk_of`).
    pub(super) fn left_update(
        &self,
        team: &TeamId,
        sk: String,
        count: usize,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(sk))
            .update_expression("ADD #left :count")
            .expression_attribute_names("#left", LEFT_COUNT)
            .expression_attribute_values(":count", n(count as i64))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A join's place in the team's open count (an invitation opened, then
    /// accepted on the seats item in the same write): while the team is open
    /// and its opened count has not passed `opened_at_most` (as read).
    pub(super) fn limits_open_place(
        &self,
        team: &TeamId,
        opened_at_most: i64,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(LIMITS_SK))
            .condition_expression(
                "attribute_not_exists(#closed) AND (attribute_not_exists(#open) OR #open <= :most)",
            )
            .update_expression("ADD #open :one")
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_names("#open", OPEN_COUNT)
            .expression_attribute_values(":most", n(opened_at_most))
            .expression_attribute_values(":one", n(1))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// An acceptance's write of its team's seats item: one more member, and
    /// the invitation out of the open count, while the team is open and,
    /// where it has a seat limit, a seat is free: decided here, so concurrent
    /// acceptances never add one member too many.
    pub(super) fn seats_accept(&self, team: &TeamId) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(SEATS_SK))
            .condition_expression(
                "attribute_not_exists(#closed) AND (attribute_not_exists(#limit) OR #members < #limit)",
            )
            .update_expression("ADD #members :one, #left :one")
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_names("#limit", SEAT_LIMIT)
            .expression_attribute_names("#members", MEMBERS_COUNT)
            .expression_attribute_names("#left", LEFT_COUNT)
            .expression_attribute_values(":one", n(1))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Why an acceptance's seats write was refused, from the item as it was.
    pub(super) fn seats_refusal(c: &errors::Cancelled, position: usize) -> LimitRefusal {
        match c.item(position) {
            Some(item) if item.contains_key(CLOSED_AT) => LimitRefusal::TeamClosed,
            _ => LimitRefusal::Seats,
        }
    }

    /// `delta` members more (or fewer) on the team's seats item, for a
    /// membership created or ended outside an acceptance.
    pub(super) fn members_count(&self, team: &TeamId, delta: i64) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(SEATS_SK))
            .update_expression("ADD #members :delta")
            .expression_attribute_names("#members", MEMBERS_COUNT)
            .expression_attribute_values(":delta", n(delta))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
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

    /// Which limit refused a send, from its limits item as it was: a closed
    /// team, or usage that moved since it was read.
    pub(super) fn limit_refusal(c: &errors::Cancelled, position: usize) -> LimitRefusal {
        refusal(c.item(position))
    }

    /// The team's limits items, read consistently in one query (they share the
    /// team's key and begin with `LIMITS_SK`).
    pub(super) async fn limits_items(&self, team: &TeamId) -> Result<Vec<Item>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :limits)")
            .expression_attribute_values(":pk", s(team_pk(team)))
            .expression_attribute_values(":limits", s(LIMITS_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        Ok(out.items.unwrap_or_default())
    }
}

/// Where a read of the open range starts: at the release's position `from`
/// when it is past the range's own start `floor`.
fn resume(from: Option<&str>, floor: String) -> String {
    from.filter(|f| *f > floor.as_str()).map_or(floor, str::to_owned)
}

/// The `byStatus` sort key a query stopped at (its `LastEvaluatedKey`).
fn position(key: &Item) -> Result<String, StoreError> {
    get_s(key, "byStatus position", "gsi2sk").map(str::to_owned)
}

fn refusal(limits: Option<&Item>) -> LimitRefusal {
    match limits {
        Some(item) if item.contains_key(CLOSED_AT) => LimitRefusal::TeamClosed,
        _ => LimitRefusal::Changed,
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
    /// and still count as open, the earliest expired first, from `from` (where
    /// the last release stopped: those before it were released), reading on
    /// past released ones for a bounded number of pages; and the position
    /// after them, for the release to record.
    async fn unreleased_expired(
        &self,
        team: &TeamId,
        from: Option<&str>,
        cutoff: DateTime<Utc>,
    ) -> Result<(Vec<Invitation>, String), StoreError> {
        let (start_of_range, to) = by_status_range(Status::Expired, cutoff);
        let from = resume(from, start_of_range);
        let mut found = Vec::new();
        let mut start = None;
        for _ in 0..RELEASE_MAX_PAGES {
            let out = self
                .unreleased_query(team, &from, &to)
                .limit(RELEASE_BATCH as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error(&e))?;
            for item in out.items() {
                found.push(parse_invitation(item)?);
            }
            match out.last_evaluated_key {
                Some(key) if found.is_empty() => start = Some(key),
                Some(key) => return Ok((found, position(&key)?)),
                None => return Ok((found, to)),
            }
        }
        // Only released ones, for as many pages: go on from there next time.
        match start {
            Some(key) => Ok((found, position(&key)?)),
            None => Ok((found, from)),
        }
    }

    /// One transaction: each of `expired` marked released (if still open,
    /// expired by `cutoff` and not released), the team's count down by as
    /// many, and the release's position moved on to `through`.
    fn release_items(
        &self,
        team: &TeamId,
        expired: &[Invitation],
        through: &str,
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
        if let Some(first) = expired.first() {
            items.push(self.release_update(team, left_sk_of(first.id), expired.len(), through)?);
        }
        Ok(items)
    }

    /// `count` expired invitations leaving the team's open count, on the
    /// counter of `sk`, and where the release goes on next time.
    fn release_update(
        &self,
        team: &TeamId,
        sk: String,
        count: usize,
        through: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(sk))
            .update_expression("ADD #left :count SET #through = :through")
            .expression_attribute_names("#left", LEFT_COUNT)
            .expression_attribute_names("#through", RELEASED_THROUGH)
            .expression_attribute_values(":count", n(count as i64))
            .expression_attribute_values(":through", s(through))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Sets the team's opened count so that its open count is what it counts
    /// (its open invitations and those expired but not yet released, as the
    /// `byStatus` index has them), if the opened count has not moved
    /// meanwhile; whether that freed a place. An answer committed between the
    /// count and the write may leave it one off, until the next count.
    async fn recount_open(&self, team: &TeamId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let items = self.limits_items(team).await?;
        let Some(seen) = items
            .iter()
            .find(|i| i.get("sk").and_then(|v| v.as_s().ok()).is_some_and(|sk| sk == LIMITS_SK))
            .and_then(|i| i.get(OPEN_COUNT))
            .cloned()
        else {
            return Ok(false);
        };
        let usage = parse_usage(&items)?;
        let open = Status::Open.as_str();
        // Those before the release's position were released: not read again.
        let from = resume(usage.release_from.as_deref(), format!("{open}#"));
        let to = format!("{open}#~");
        let mut counted: i64 = 0;
        let mut start = None;
        loop {
            let out = self
                .unreleased_query(team, &from, &to)
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
        let write = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(LIMITS_SK))
            .expression_attribute_names("#recounted", RECOUNTED_AT)
            .expression_attribute_values(":now", n(now.timestamp_millis()));
        if counted == usage.open() {
            write.update_expression("SET #recounted = :now").send().await.map_err(|e| store_error(&e))?;
            return Ok(false);
        }
        let out = write
            .condition_expression("#open = :seen")
            .update_expression("SET #open = :opened, #recounted = :now")
            .expression_attribute_names("#open", OPEN_COUNT)
            .expression_attribute_values(":seen", seen)
            .expression_attribute_values(":opened", n(counted + usage.left))
            .send()
            .await;
        // Moved meanwhile: the next refusal counts again.
        if !applied(out)? {
            return Ok(false);
        }
        tracing::warn!(team = %team, from = usage.open(), to = counted, "open invitation count corrected");
        Ok(counted < usage.open())
    }
}

impl LimitStore for DynamoStore {
    async fn usage(&self, team: &TeamId) -> Result<Usage, StoreError> {
        parse_usage(&self.limits_items(team).await?)
    }

    async fn reserve(&self, team: &TeamId, places: Places) -> Result<(), InsertError> {
        let Take { condition, update, names, values } = Take::new(&places);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(LIMITS_SK))
            .condition_expression(condition)
            .update_expression(update)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => {
                    Err(InsertError::Limit(refusal(refused.item())))
                }
                _ => Err(store_error(&e).into()),
            },
        }
    }

    async fn give_back(&self, team: &TeamId, invitations: u32, sends: TimeDelta) -> Result<(), StoreError> {
        if invitations == 0 && sends.is_zero() {
            return Ok(());
        }
        // Unconditional: the count and the instant only move back by what this
        // request's reservation moved them on.
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(LIMITS_SK))
            .update_expression("ADD #open :minus SET #until = if_not_exists(#until, :zero) - :refund")
            .expression_attribute_names("#open", OPEN_COUNT)
            .expression_attribute_names("#until", SENDS_UNTIL)
            .set_expression_attribute_values(Some(item([
                (":minus", n(-i64::from(invitations))),
                (":zero", n(0)),
                (":refund", n(sends.num_milliseconds())),
            ])))
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        Ok(())
    }

    async fn release_expired(
        &self,
        team: &TeamId,
        usage: &Usage,
        now: DateTime<Utc>,
    ) -> Result<Released, StoreError> {
        // Only those expired a while ago: a request that judged one open just
        // before its expiry may still be committing its answer under that
        // earlier instant, which would release it a second time.
        let cutoff = now - RELEASE_GRACE;
        let from = usage.release_from.as_deref();
        let (open_from, open_to) = by_status_range(Status::Open, now);
        let next = self.by_status_query(team, &open_from, &open_to).limit(1).send();
        let (next, expired) = tokio::join!(next, self.unreleased_expired(team, from, cutoff));
        let next_expiry = match next.map_err(|e| store_error(&e))?.items().first() {
            Some(item) => Some(parse_invitation(item)?.expires_at),
            None => None,
        };
        let (mut expired, mut through) = expired?;
        // Twice at most: a cancellation means another request released some of
        // them (or one was answered) meanwhile; look again.
        for _ in 0..2 {
            if expired.is_empty() {
                break;
            }
            match self.send_transaction(self.release_items(team, &expired, &through, cutoff, now)?).await {
                Ok(()) => return Ok(Released { freed: true, next_expiry }),
                Err(Transact::Failed(e)) => return Err(e),
                Err(Transact::Cancelled(c)) if c.any_failed() || c.conflict() => {
                    (expired, through) = self.unreleased_expired(team, from, cutoff).await?;
                }
                Err(Transact::Cancelled(c)) => return Err(c.unexpected()),
            }
        }
        // Read past released ones only: the next release starts after them.
        if expired.is_empty() && from != Some(through.as_str()) {
            self.client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(team_pk(team)))
                .key("sk", s(left_sk(0)))
                .update_expression("SET #through = :through")
                .expression_attribute_names("#through", RELEASED_THROUGH)
                .expression_attribute_values(":through", s(&through))
                .send()
                .await
                .map_err(|e| store_error(&e))?;
        }
        // Nothing to release: the count may have drifted from what it counts
        // (invitations from before it existed; one the TTL purged before its
        // release), so it is counted again, now and then.
        let due = usage.recounted_at.is_none_or(|at| now - at >= RECOUNT_EVERY);
        let freed = due && self.recount_open(team, now).await?;
        Ok(Released { freed, next_expiry })
    }
}
