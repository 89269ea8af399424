//! DynamoDB store: one table, these items.
//!
//! | item | pk | sk | notes |
//! | --- | --- | --- | --- |
//! | team | `TEAM#{team}` | `TEAM` | name |
//! | membership | `TEAM#{team}` | `MEMBER#{user}` | role, email, joinedAt |
//! | member email | `TEAM#{team}` | `EMAIL#{email}` | makes "already a member" a condition |
//! | open-invitation lock | `TEAM#{team}` | `OPEN#{email}` | at most one open invitation per email |
//! | team limits | `TEAM#{team}` | `LIMITS` | open count, send slots (`domain::limits`) |
//! | ended membership | `TEAM#{team}` | `ENDED#{endedAt}#{user}` | who ended it and why, for the change stream; purged by TTL |
//! | invitation | `INV#{id}` | `INV` | with its `history` (one entry per change, written by that change); `byTeam` index: `gsi1pk` `TEAM#{team}#INV` / `gsi1sk` `{createdAt}#{id}`; `byStatus` index: `gsi1pk` / `gsi2sk` `{status}#{expiresAt or answeredAt}#{id}` |
//!
//! Every write that depends on current state is a conditional write or a
//! transaction; no business decision rests on an earlier read.
//!
//! - `items`: keys, attribute names, item <-> domain (pure, unit-tested);
//! - `changes`: the invitation state machine as write conditions;
//! - `errors`: SDK failures and transaction cancellations, sorted once;
//! - `stream`: the table's change stream read back as committed changes;
//! - here: the store and its `InvitationStore` operations.
//!
//! The lock names the invitation holding it and carries its expiry. Answering or
//! withdrawing an invitation does not touch the lock (withdraw does not even read
//! the invitation, so it cannot know its key): a lock is free when it
//! has expired or when the invitation it names is no longer open, and the next
//! invite for that email checks the holder and takes the lock over.

mod changes;
mod errors;
mod items;
#[cfg(test)]
mod scripted_tests;
pub mod stream;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

use super::table::{GSI_BY_EMAIL, GSI_BY_STATUS, GSI_BY_TEAM};
use crate::domain::RELEASE_GRACE;
use crate::domain::{
    Change as Recorded, DeliveryFeedback, Email, EndedMembership, HistoryEntry, Invitation, InvitationId,
    Membership, Resolution, RoleName, SendSlot, Status, Team, TeamId, TeamName, UserId,
};
use crate::ports::{
    CreateError, InsertError, InvitationStore, LimitRefusal, ListQuery, MemberCursor, MemberPage,
    MemberQuery, Page, PageCursor, Released, RemoveError, ResolveError, StoreError, TeamChangeError,
    TeamRecord, Usage,
};
use crate::time::format_timestamp;
use changes::{Change, STILL_OPEN};
pub(crate) use errors::store_error;
use errors::{build_error, Transact};
pub use items::invitation_item;
use items::*;

/// Queries one page makes at most before handing back a cursor (DynamoDB caps a
/// response at 1 MB, about 500 invitations: a page normally takes one).
const MAX_QUERIES_PER_PAGE: usize = 10;

/// Expired invitations one `release_expired` reads, and releases at most, in
/// one transaction (DynamoDB allows 100 items).
const RELEASE_BATCH: usize = 50;

/// Attempts of a transaction that met another on one of its items (real
/// DynamoDB: concurrent writes of one team share its limits item).
pub(crate) const CONFLICT_ATTEMPTS: u32 = 5;

/// Pages `release_expired` reads at most looking for invitations to release.
const RELEASE_MAX_PAGES: usize = 20;

/// The positions of the items in each transaction, named, so that a cancellation
/// reason is read by what it is about.
mod position {
    /// insert: the invitation, the email's open-invitation lock, "no member has
    /// it", the inviter's permission.
    pub const INSERT_LOCK: usize = 1;
    pub const INSERT_NOT_MEMBER: usize = 2;
    pub const INSERT_PERMISSION: usize = 3;
    pub const INSERT_LIMITS: usize = 4;
    /// accept: the invitation's update, then the membership and its email item.
    pub const ACCEPT_INVITATION: usize = 0;
    pub const ACCEPT_MEMBERSHIP: usize = 1;
    pub const ACCEPT_MEMBER_EMAIL: usize = 2;
    pub const ACCEPT_LIMITS: usize = 3;
    /// decline: the invitation's update, then the team's open count.
    pub const DECLINE_INVITATION: usize = 0;
    /// withdraw: the invitation's update, the caller's permission.
    pub const WITHDRAW_INVITATION: usize = 0;
    pub const WITHDRAW_PERMISSION: usize = 1;
    /// remove member: the membership, its email item, then the checks (the
    /// remover's permission, the staying owner) in `remove_member`'s order.
    pub const REMOVE_MEMBERSHIP: usize = 0;
    /// resend: the invitation's update, its email lock's, the caller's permission.
    pub const RESEND_INVITATION: usize = 0;
    pub const RESEND_PERMISSION: usize = 2;
    pub const RESEND_LIMITS: usize = 3;
    pub const REMOVE_MEMBER_EMAIL: usize = 1;
}

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    async fn get(&self, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        Ok(out.item)
    }

    /// Sends one transaction; a cancellation comes back with its reasons. One
    /// that only met another transaction on an item (real DynamoDB: every write
    /// of a team shares its limits item) wrote nothing, and is sent again a
    /// little later, at a random moment so that the racers part.
    async fn send_transaction(&self, items: Vec<TransactWriteItem>) -> Result<(), Transact> {
        let mut attempt = 0;
        loop {
            let sent =
                self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            match sent.map_err(Transact::from_sdk) {
                Ok(_) => return Ok(()),
                Err(Transact::Cancelled(c))
                    if c.conflict() && !c.any_failed() && attempt + 1 < CONFLICT_ATTEMPTS =>
                {
                    attempt += 1;
                    let jitter = uuid::Uuid::new_v4().as_u128() % 20;
                    let pause = 10 * u64::from(attempt) + jitter as u64;
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn put_if_absent(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The permission check as a condition on `user`'s membership of `team` at
    /// the moment of the write: it holds one of `roles`. None when no role could.
    fn holds_role(
        &self,
        team: &TeamId,
        user: &UserId,
        roles: &[RoleName],
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        if roles.is_empty() {
            return Ok(None);
        }
        let mut values = Item::new();
        let placeholders: Vec<String> = roles
            .iter()
            .enumerate()
            .map(|(i, role)| {
                values.insert(format!(":role{i}"), s(role.as_str()));
                format!(":role{i}")
            })
            .collect();
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(member_sk(user)))
            .condition_expression(format!("#role IN ({})", placeholders.join(", ")))
            .expression_attribute_names("#role", "role")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(build_error)?;
        Ok(Some(TransactWriteItem::builder().condition_check(check).build()))
    }

    /// A condition on `user`'s membership of `team` as one transaction item.
    fn member_check(
        &self,
        team: &TeamId,
        user: &UserId,
        condition: &str,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(member_sk(user)))
            .condition_expression(condition)
            .expression_attribute_names("#role", "role")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    fn delete_if(
        &self,
        pk: String,
        sk: String,
        condition: &str,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values));
        if condition.contains("#role") {
            delete = delete.expression_attribute_names("#role", "role");
        }
        Ok(TransactWriteItem::builder().delete(delete.build().map_err(build_error)?).build())
    }

    /// The membership and the item that reserves its email in the team.
    /// `via`: the invitation accepted, named on the membership (and so in its
    /// `membership.created` event).
    fn membership_writes(
        &self,
        m: &Membership,
        via: Option<InvitationId>,
    ) -> Result<[TransactWriteItem; 2], StoreError> {
        let mut membership = membership_item(m);
        if let Some(id) = via {
            membership.insert("invitationId".into(), s(id.to_string()));
        }
        Ok([self.put_if_absent(membership)?, self.put_if_absent(member_email_item(m))?])
    }

    /// The record of an ended membership (see `ended_membership_item`).
    fn ended_record(
        &self,
        ended: &EndedMembership,
        purge_at: DateTime<Utc>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(ended_membership_item(ended, purge_at)))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The team's limits item as one transaction item (see `LimitsChange`).
    fn limits_update(&self, team: &TeamId, change: LimitsChange) -> Result<TransactWriteItem, StoreError> {
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

    /// Which limit refused a write, from the limits item as it was.
    fn limit_refusal(
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

    /// One transaction: the invitation, the email's lock (free, expired, or held
    /// by `stale`, an invitation known to be answered), "no member has this
    /// email", "the inviter holds one of `roles`" at that moment, and the
    /// team's limits.
    async fn try_insert(
        &self,
        inv: &Invitation,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        stale: Option<InvitationId>,
        (slot, max_open): (SendSlot, u32),
    ) -> Result<Attempt, InsertError> {
        let Some(permitted) = self.holds_role(&inv.team_id, &inv.invited_by, roles)? else {
            return Err(InsertError::Forbidden);
        };
        let mut lock = Put::builder()
            .table_name(&self.table)
            .set_item(Some(open_lock_item(inv)))
            // An expired invitation's lock may be taken over: expiry frees the email.
            .condition_expression("attribute_not_exists(pk) OR expiresAtMs <= :now")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(stale) = stale {
            lock = lock
                .condition_expression(
                    "attribute_not_exists(pk) OR expiresAtMs <= :now OR invitationId = :stale",
                )
                .expression_attribute_values(":stale", s(stale.to_string()));
        }
        let not_member = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&inv.team_id)))
            .key("sk", s(member_email_sk(&inv.email)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let items = vec![
            self.put_if_absent(invitation_item(inv, purge_at))?,
            TransactWriteItem::builder().put(lock.build().map_err(build_error)?).build(),
            TransactWriteItem::builder().condition_check(not_member).build(),
            permitted,
            self.limits_update(&inv.team_id, LimitsChange::invite(max_open, slot, now))?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(Attempt::Done(Inserted::Yes)),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Checked first: whoever may not invite learns nothing about the email.
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_PERMISSION) => {
                Err(InsertError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_NOT_MEMBER) => {
                Err(InsertError::AlreadyMember)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_LOCK) => {
                let lock =
                    c.item(position::INSERT_LOCK).ok_or_else(|| corrupt("open-invitation lock", "item"))?;
                Ok(Attempt::Done(Inserted::LockHeldBy(lock_holder(lock)?)))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_LIMITS) => {
                Err(InsertError::Limit(Self::limit_refusal(&c, position::INSERT_LIMITS, Some(max_open))?))
            }
            // Another transaction held one of the items (real DynamoDB, racing
            // invites of one email): the caller tries once more.
            Err(Transact::Cancelled(c)) if c.conflict() => Ok(Attempt::Conflict),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    /// `try_insert`, once more after conflicts outlasted `send_transaction`'s
    /// retries: the attempt meets the winner's lock and reports it (409), as the
    /// emulators' serial answers do.
    async fn insert_retrying(
        &self,
        inv: &Invitation,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        stale: Option<InvitationId>,
        limits: (SendSlot, u32),
    ) -> Result<Inserted, InsertError> {
        for _ in 0..2 {
            if let Attempt::Done(inserted) = self.try_insert(inv, roles, now, purge_at, stale, limits).await?
            {
                return Ok(inserted);
            }
        }
        Err(StoreError::Unavailable("invite: the transaction kept meeting others".into()).into())
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

enum Inserted {
    Yes,
    /// The email's lock is held by this (unexpired) invitation.
    LockHeldBy(InvitationId),
}

/// What a write does to its team's limits item.
#[derive(Debug, Clone, Copy)]
struct LimitsChange {
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
    fn invite(max_open: u32, slot: SendSlot, now: DateTime<Utc>) -> Self {
        Self { open_delta: 1, max_open: Some(max_open), slot: Some((slot, now)), refuse_if_closed: true }
    }

    fn resend(slot: SendSlot, now: DateTime<Utc>) -> Self {
        Self { open_delta: 0, max_open: None, slot: Some((slot, now)), refuse_if_closed: true }
    }

    fn accept() -> Self {
        Self { open_delta: -1, max_open: None, slot: None, refuse_if_closed: true }
    }

    /// Invitations leaving the open count (answered, withdrawn, expired).
    fn leaving(count: usize) -> Self {
        Self { open_delta: -(count as i64), max_open: None, slot: None, refuse_if_closed: false }
    }
}

enum Attempt {
    Done(Inserted),
    /// Cancelled by a concurrent transaction on one of its items.
    Conflict,
}

/// A refused resolution, with the invitation as it was (none: it does not exist).
/// Development aid (`invitations-admin expire-invitation`, for the browser
/// suite's expired page): moves an open invitation's expiry, and its email
/// lock's, to `now`, as if its week had passed. Never in a release function.
#[cfg(any(test, feature = "dev"))]
impl DynamoStore {
    pub async fn expire_now(&self, id: InvitationId, now: DateTime<Utc>) -> Result<Invitation, StoreError> {
        let inv =
            self.invitation(id).await?.ok_or_else(|| StoreError::Other(format!("no invitation {id}")))?;
        if inv.resolution != Resolution::Open {
            return Err(StoreError::Other(format!("invitation {id} is {}", inv.resolution.stored_status())));
        }
        let expired = Invitation { expires_at: now, ..inv };
        let ms = n(now.timestamp_millis());
        let invitation = Update::builder()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression("#status = :open")
            .update_expression("SET expiresAt = :exp, expiresAtMs = :ms, gsi2sk = :sk2")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(item([
                (":open", s(Status::Open.as_str())),
                (":exp", s(format_timestamp(now))),
                (":ms", ms.clone()),
                (":sk2", s(by_status_sk(Status::Open, now, id))),
            ])))
            .build()
            .map_err(build_error)?;
        let lock = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&expired.team_id)))
            .key("sk", s(open_lock_sk(&expired.email)))
            .condition_expression("invitationId = :id")
            .update_expression("SET expiresAtMs = :ms")
            .set_expression_attribute_values(Some(item([(":id", s(id.to_string())), (":ms", ms)])))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(invitation).build(),
            TransactWriteItem::builder().update(lock).build(),
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(expired),
            Err(Transact::Failed(e)) => Err(e),
            Err(Transact::Cancelled(c)) => Err(c.unexpected()),
        }
    }
}

/// A conditional update's outcome where a failed condition is an answer, not
/// an error: whether it applied.
fn applied<O, R: std::fmt::Debug>(
    out: Result<O, aws_sdk_dynamodb::error::SdkError<UpdateItemError, R>>,
) -> Result<bool, StoreError> {
    match out {
        Ok(_) => Ok(true),
        Err(e)
            if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) =>
        {
            Ok(false)
        }
        Err(e) => Err(store_error(&e)),
    }
}

fn not_open(item: Option<&Item>) -> Result<ResolveError, StoreError> {
    let current = match item {
        Some(item) => Some(Box::new(parse_invitation(item)?)),
        None => None,
    };
    Ok(ResolveError::NotOpen { current })
}

impl InvitationStore for DynamoStore {
    async fn team(&self, id: &TeamId) -> Result<Option<Team>, StoreError> {
        match self.get(team_pk(id), TEAM_SK.into()).await? {
            Some(item) => parse_team(id, &item).map(Some),
            None => Ok(None),
        }
    }

    async fn membership(&self, team: &TeamId, user: &UserId) -> Result<Option<Membership>, StoreError> {
        match self.get(team_pk(team), member_sk(user)).await? {
            Some(item) => parse_membership(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        match self.get(invitation_pk(id), INVITATION_SK.into()).await? {
            Some(item) => parse_invitation(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn usage(&self, team: &TeamId) -> Result<Usage, StoreError> {
        match self.get(team_pk(team), LIMITS_SK.into()).await? {
            Some(item) => parse_usage(&item),
            None => Ok(Usage::default()),
        }
    }

    async fn insert_invitation(
        &self,
        inv: &Invitation,
        inviter_roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        slot: SendSlot,
        max_open: u32,
    ) -> Result<(), InsertError> {
        let limits = (slot, max_open);
        let holder = match self.insert_retrying(inv, inviter_roles, now, purge_at, None, limits).await? {
            Inserted::Yes => return Ok(()),
            Inserted::LockHeldBy(holder) => holder,
        };
        // The lock outlives its invitation's answer (see the module notes): it is
        // free if the invitation holding it is no longer open. Only a re-invite
        // after an answer or a withdrawal pays for this read.
        let stale = match self.invitation(holder).await? {
            Some(held) => held.status_at(now) != Status::Open,
            None => true,
        };
        if !stale {
            return Err(InsertError::AlreadyInvited);
        }
        match self.insert_retrying(inv, inviter_roles, now, purge_at, Some(holder), limits).await? {
            Inserted::Yes => Ok(()),
            // Another invite took the stale lock first.
            Inserted::LockHeldBy(_) => Err(InsertError::AlreadyInvited),
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

    async fn record_delivery(&self, feedback: &DeliveryFeedback) -> Result<bool, StoreError> {
        let entry = HistoryEntry {
            at: feedback.at,
            change: Recorded::Delivery { delivery: feedback.delivery, bounce: feedback.bounce },
        };
        let mut values = item([
            (":d", s(feedback.delivery.as_str())),
            (":rank", n(feedback.delivery.rank().into())),
            (":gen", n(feedback.generation.into())),
        ]);
        values.extend(history_values(entry).map(|(k, v)| (k.to_owned(), v)));
        let mut update = format!("SET emailDelivery = :d, {DELIVERY_RANK} = :rank, {HISTORY_APPEND}");
        match feedback.bounce {
            Some(bounce) => {
                update.push_str(&format!(", {BOUNCE} = :bounce"));
                values.insert(":bounce".into(), s(bounce.as_str()));
            }
            None => update.push_str(&format!(" REMOVE {BOUNCE}")),
        }
        // Only over a lower rank, and only for the send the report is about: a
        // late report of an earlier send, or one arriving after a later report,
        // changes nothing. Invitations from before ranks were kept count as sent.
        let condition = format!(
            "attribute_exists(pk) AND (attribute_not_exists({DELIVERY_RANK}) OR {DELIVERY_RANK} < :rank){}",
            changes::generation_condition(feedback.generation)
        );
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(feedback.invitation)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(condition)
            .update_expression(update)
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        applied(out)
    }

    async fn history(&self, id: InvitationId) -> Result<Option<(Invitation, Vec<HistoryEntry>)>, StoreError> {
        let Some(item) = self.get(invitation_pk(id), INVITATION_SK.to_owned()).await? else {
            return Ok(None);
        };
        Ok(Some((parse_invitation(&item)?, parse_history(&item)?)))
    }

    async fn accept(
        &self,
        accepted: &Invitation,
        membership: &Membership,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), ResolveError> {
        let change = Change::resolve(
            accepted.id,
            &accepted.resolution,
            now,
            purge_at,
            Some(&accepted.team_id),
            Some(accepted.link_generation),
        )?;
        let mut items =
            vec![TransactWriteItem::builder().update(change.into_update(&self.table, accepted.id)?).build()];
        items.extend(self.membership_writes(membership, Some(accepted.id))?);
        items.push(self.limits_update(&accepted.team_id, LimitsChange::accept())?);
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::ACCEPT_INVITATION) => {
                Err(not_open(c.item(position::ACCEPT_INVITATION))?)
            }
            Err(Transact::Cancelled(c))
                if c.failed(position::ACCEPT_MEMBERSHIP) || c.failed(position::ACCEPT_MEMBER_EMAIL) =>
            {
                Err(ResolveError::AlreadyMember)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::ACCEPT_LIMITS) => {
                Err(ResolveError::Limit(LimitRefusal::TeamClosed))
            }
            // Lost a race to another transaction on the same items: let the caller
            // re-read and report whatever won.
            Err(Transact::Cancelled(c)) if c.conflict() => Err(ResolveError::NotOpen { current: None }),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn decline(
        &self,
        declined: &Invitation,
        generation: u32,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), ResolveError> {
        let id = declined.id;
        let change = Change::resolve(id, &declined.resolution, now, purge_at, None, Some(generation))?;
        let items = vec![
            TransactWriteItem::builder().update(change.into_update(&self.table, id)?).build(),
            self.limits_update(&declined.team_id, LimitsChange::leaving(1))?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::DECLINE_INVITATION) => {
                Err(not_open(c.item(position::DECLINE_INVITATION))?)
            }
            Err(Transact::Cancelled(c)) if c.conflict() => Err(ResolveError::NotOpen { current: None }),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn withdraw(
        &self,
        team: &TeamId,
        id: InvitationId,
        by: &UserId,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), ResolveError> {
        let resolution = Resolution::Withdrawn { by: by.clone(), at: now };
        let change = Change::resolve(id, &resolution, now, purge_at, Some(team), None)?;
        let Some(permitted) = self.holds_role(team, by, roles)? else {
            return Err(ResolveError::Forbidden);
        };
        let items = vec![
            TransactWriteItem::builder().update(change.into_update(&self.table, id)?).build(),
            permitted,
            self.limits_update(team, LimitsChange::leaving(1))?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Checked first: whoever may not withdraw learns nothing about the invitation.
            Err(Transact::Cancelled(c)) if c.failed(position::WITHDRAW_PERMISSION) => {
                Err(ResolveError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::WITHDRAW_INVITATION) => {
                Err(not_open(c.item(position::WITHDRAW_INVITATION))?)
            }
            Err(Transact::Cancelled(c)) if c.conflict() => Err(ResolveError::NotOpen { current: None }),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn resend(
        &self,
        resent: &Invitation,
        by: &UserId,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        slot: SendSlot,
    ) -> Result<(), ResolveError> {
        let previous = resent
            .link_generation
            .checked_sub(1)
            .ok_or_else(|| StoreError::Other("a resend raises the link generation".into()))?;
        let Some(permitted) = self.holds_role(&resent.team_id, by, roles)? else {
            return Err(ResolveError::Forbidden);
        };
        let expires_ms = n(resent.expires_at.timestamp_millis());
        let invitation = Update::builder()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(resent.id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(format!(
                "{STILL_OPEN} AND teamId = :team{}",
                changes::generation_condition(previous)
            ))
            // A new send: its delivery starts again from "sent".
            .update_expression(format!(
                "SET linkGeneration = :next, sentAt = :sent, expiresAt = :exp, expiresAtMs = :expms, \
                 gsi2sk = :sk2, emailDelivery = :delivery, purgeAt = :purge, {DELIVERY_RANK} = :rank, \
                 {HISTORY_APPEND} REMOVE {BOUNCE}"
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
                    (":expms", expires_ms.clone()),
                    (":sk2", s(by_status_sk(Status::Open, resent.expires_at, resent.id))),
                    (":delivery", s(resent.email_delivery.as_str())),
                    (":purge", n(purge_at.timestamp())),
                    (":rank", n(resent.email_delivery.rank().into())),
                ])
                .into_iter()
                .chain(
                    history_values(HistoryEntry {
                        at: resent.sent_at,
                        change: Recorded::Resent { by: by.clone() },
                    })
                    .map(|(k, v)| (k.to_owned(), v)),
                )
                .collect(),
            ))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        // The email's lock carries the holder's expiry: it moves with it, or a new
        // invite could take the lock over while this invitation is still open.
        let lock = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&resent.team_id)))
            .key("sk", s(open_lock_sk(&resent.email)))
            .condition_expression("invitationId = :id")
            .update_expression("SET expiresAtMs = :expms, purgeAt = :purge")
            .set_expression_attribute_values(Some(item([
                (":id", s(resent.id.to_string())),
                (":expms", expires_ms),
                (":purge", n(resent.expires_at.timestamp())),
            ])))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(invitation).build(),
            TransactWriteItem::builder().update(lock).build(),
            permitted,
            self.limits_update(&resent.team_id, LimitsChange::resend(slot, now))?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Checked first: whoever may not resend learns nothing about the invitation.
            Err(Transact::Cancelled(c)) if c.failed(position::RESEND_PERMISSION) => {
                Err(ResolveError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::RESEND_INVITATION) => {
                Err(not_open(c.item(position::RESEND_INVITATION))?)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::RESEND_LIMITS) => {
                Err(ResolveError::Limit(Self::limit_refusal(&c, position::RESEND_LIMITS, None)?))
            }
            Err(Transact::Cancelled(c)) if c.conflict() => Err(ResolveError::NotOpen { current: None }),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn list(&self, team: &TeamId, query: &ListQuery, now: DateTime<Utc>) -> Result<Page, StoreError> {
        // One status is one key range of `byStatus` (expired: the part of the open
        // range whose expiry has passed), so a page reads what it returns, plus
        // one item that tells whether another page exists (the last page never
        // carries a cursor to an empty one), whatever the team's history.
        let stored = query.status.map(|status| match status {
            Status::Expired => Status::Open,
            other => other,
        });
        let target = query.limit + 1;
        let mut found: Vec<Invitation> = Vec::with_capacity(target);
        let mut start = query.after.as_ref().map(|c| exclusive_start_key(team, stored, c));
        // More than one query only when DynamoDB's 1 MB response cap cut a page short.
        for _ in 0..MAX_QUERIES_PER_PAGE {
            let q = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", by_team_key(team))
                .scan_index_forward(false)
                .limit((target - found.len()) as i32)
                .set_exclusive_start_key(start.take());
            let q = match query.status {
                None => q.index_name(GSI_BY_TEAM).key_condition_expression("gsi1pk = :pk"),
                Some(status) => {
                    let (from, to) = by_status_range(status, now);
                    q.index_name(GSI_BY_STATUS)
                        .key_condition_expression("gsi1pk = :pk AND gsi2sk BETWEEN :from AND :to")
                        .expression_attribute_values(":from", s(from))
                        .expression_attribute_values(":to", s(to))
                }
            };
            let out = q.send().await.map_err(|e| store_error(&e))?;
            for item in out.items() {
                found.push(parse_invitation(item)?);
            }
            if found.len() >= target {
                found.truncate(query.limit);
                let next = found.last().map(|i| cursor_after(i, stored.is_some()));
                return Ok(Page { invitations: found, next });
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(Page { invitations: found, next: None }),
            }
        }
        // Budget spent: hand back what was found and where to go on.
        let next = match &start {
            Some(key) => Some(cursor_from_key(key)?),
            None => None,
        };
        Ok(Page { invitations: found, next })
    }

    async fn open_invitations_for(
        &self,
        email: &Email,
        limit: usize,
        after: Option<&PageCursor>,
        now: DateTime<Utc>,
    ) -> Result<Page, StoreError> {
        let (from, to) = by_status_range(Status::Open, now);
        // One more than the page tells whether another page exists.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_BY_EMAIL)
            .key_condition_expression("gsi3pk = :email AND gsi2sk BETWEEN :from AND :to")
            .expression_attribute_values(":email", s(by_email_pk(email)))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
            .scan_index_forward(false)
            .limit((limit + 1) as i32)
            .set_exclusive_start_key(after.map(|c| email_start_key(email, c)))
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        let mut invitations = out.items().iter().map(parse_invitation).collect::<Result<Vec<_>, _>>()?;
        let next = match invitations.len() > limit {
            true => {
                invitations.truncate(limit);
                invitations.last().map(|i| cursor_after(i, true))
            }
            false => None,
        };
        Ok(Page { invitations, next })
    }

    async fn members(&self, team: &TeamId, query: &MemberQuery) -> Result<MemberPage, StoreError> {
        let start = query
            .after
            .as_ref()
            .map(|MemberCursor(after)| item([("pk", s(team_pk(team))), ("sk", s(member_sk(after)))]));
        // One more than the page tells whether another page exists.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :member)")
            .expression_attribute_values(":pk", s(team_pk(team)))
            .expression_attribute_values(":member", s(MEMBER_SK_PREFIX))
            // A membership made a moment ago is listed (and a closing ends it).
            .consistent_read(true)
            .limit((query.limit + 1) as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        let mut members = out.items().iter().map(parse_membership).collect::<Result<Vec<_>, _>>()?;
        let next = match members.len() > query.limit {
            true => {
                members.truncate(query.limit);
                members.last().map(|m| MemberCursor(m.user_id.clone()))
            }
            false => None,
        };
        Ok(MemberPage { members, next })
    }

    async fn other_owner(&self, team: &TeamId, besides: &UserId) -> Result<Option<UserId>, StoreError> {
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :member)")
                .filter_expression("#role = :owner AND userId <> :besides")
                .expression_attribute_names("#role", "role")
                .expression_attribute_values(":pk", s(team_pk(team)))
                .expression_attribute_values(":member", s(MEMBER_SK_PREFIX))
                .expression_attribute_values(":owner", s(RoleName::OWNER))
                .expression_attribute_values(":besides", s(besides.as_str()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| store_error(&e))?;
            if let Some(owner) = out.items().first() {
                return Ok(Some(parse_membership(owner)?.user_id));
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(None),
            }
        }
    }

    async fn remove_member(
        &self,
        ended: &EndedMembership,
        manager_roles: &[RoleName],
        staying_owner: Option<&UserId>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), RemoveError> {
        let (m, by) = (&ended.membership, &ended.by);
        let mut items = vec![
            // Unchanged since it was read: the role the remover was judged against.
            self.delete_if(
                team_pk(&m.team_id),
                member_sk(&m.user_id),
                "#role = :role",
                item([(":role", s(m.role.as_str()))]),
            )?,
            self.delete_if(
                team_pk(&m.team_id),
                member_email_sk(&m.email),
                "userId = :user",
                item([(":user", s(m.user_id.as_str()))]),
            )?,
        ];
        // One item per membership in a transaction: when the remover is the owner
        // who stays, "still an owner" is the stronger check and covers both.
        let mut permission_at = None;
        if by != &m.user_id && staying_owner != Some(by) {
            let Some(permitted) = self.holds_role(&m.team_id, by, manager_roles)? else {
                return Err(RemoveError::Forbidden);
            };
            permission_at = Some(items.len());
            items.push(permitted);
        }
        let mut owner_at = None;
        if let Some(owner) = staying_owner {
            owner_at = Some(items.len());
            let values = item([(":owner", s(RoleName::OWNER))]);
            items.push(self.member_check(&m.team_id, owner, "#role = :owner", values)?);
        }
        items.push(self.ended_record(ended, purge_at)?);
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if permission_at.is_some_and(|at| c.failed(at)) => {
                Err(RemoveError::Forbidden)
            }
            Err(Transact::Cancelled(c))
                if c.failed(position::REMOVE_MEMBERSHIP) || c.failed(position::REMOVE_MEMBER_EMAIL) =>
            {
                Err(RemoveError::Changed)
            }
            Err(Transact::Cancelled(c)) if owner_at.is_some_and(|at| c.failed(at)) => {
                Err(RemoveError::OwnersChanged)
            }
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn create_team(&self, team: &Team, owner: &Membership) -> Result<(), CreateError> {
        let mut items = vec![self.put_if_absent(team_item(team))?];
        items.extend(self.membership_writes(owner, None)?);
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Only a failed "does not exist yet" condition means it exists.
            Err(Transact::Cancelled(c)) if c.any_failed() => Err(CreateError::AlreadyExists),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn add_member(&self, membership: &Membership) -> Result<(), CreateError> {
        let items = self.membership_writes(membership, None)?.to_vec();
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Only a failed "does not exist yet" condition means it exists.
            Err(Transact::Cancelled(c)) if c.any_failed() => Err(CreateError::AlreadyExists),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn team_record(&self, id: &TeamId) -> Result<Option<TeamRecord>, StoreError> {
        match self.get(team_pk(id), TEAM_SK.into()).await? {
            Some(item) => parse_team_record(id, &item).map(Some),
            None => Ok(None),
        }
    }

    async fn rename_team(&self, id: &TeamId, name: &TeamName) -> Result<Team, TeamChangeError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(team_pk(id)))
            .key("sk", s(TEAM_SK))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#closed)")
            .update_expression("SET #name = :name")
            .expression_attribute_names("#name", "name")
            .expression_attribute_names("#closed", CLOSED_AT)
            .expression_attribute_values(":name", s(name.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(out) => Ok(parse_team(id, &out.attributes.unwrap_or_default())?),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => match refused.item() {
                    Some(_) => Err(TeamChangeError::Closed),
                    None => Err(TeamChangeError::NotFound),
                },
                _ => Err(store_error(&e).into()),
            },
        }
    }

    async fn rename_invitation(
        &self,
        team: &TeamId,
        id: InvitationId,
        name: &TeamName,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression("#status = :open AND teamId = :team")
            .update_expression("SET teamName = :name")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(item([
                (":open", s(Status::Open.as_str())),
                (":team", s(team.as_str())),
                (":name", s(name.as_str())),
            ])))
            .send()
            .await;
        applied(out)
    }

    async fn close_team(&self, id: &TeamId, now: DateTime<Utc>) -> Result<TeamRecord, TeamChangeError> {
        // The first closing's time stays: a retry changes nothing.
        let closing = |sk: &str, condition: Option<&str>| {
            let mut update = Update::builder()
                .table_name(&self.table)
                .key("pk", s(team_pk(id)))
                .key("sk", s(sk))
                .update_expression("SET #closed = if_not_exists(#closed, :now)")
                .expression_attribute_names("#closed", CLOSED_AT)
                .expression_attribute_values(":now", s(format_timestamp(now)));
            if let Some(condition) = condition {
                update = update.condition_expression(condition);
            }
            update.build().map_err(build_error).map(|u| TransactWriteItem::builder().update(u).build())
        };
        let items = vec![closing(TEAM_SK, Some("attribute_exists(pk)"))?, closing(LIMITS_SK, None)?];
        match self.send_transaction(items).await {
            Ok(()) => {}
            Err(Transact::Failed(e)) => return Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(0) => return Err(TeamChangeError::NotFound),
            Err(Transact::Cancelled(c)) => return Err(c.unexpected().into()),
        }
        self.team_record(id).await?.ok_or(TeamChangeError::NotFound)
    }

    async fn withdraw_closing(
        &self,
        withdrawn: &Invitation,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let change = Change::resolve(
            withdrawn.id,
            &withdrawn.resolution,
            now,
            purge_at,
            Some(&withdrawn.team_id),
            None,
        )?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(withdrawn.id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(change.condition)
            .update_expression(change.update)
            .set_expression_attribute_names(Some(change.names))
            .set_expression_attribute_values(Some(change.values))
            .send()
            .await;
        applied(out)
    }

    async fn end_membership(
        &self,
        ended: &EndedMembership,
        purge_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let m = &ended.membership;
        let items = vec![
            self.delete_if(team_pk(&m.team_id), member_sk(&m.user_id), "attribute_exists(pk)", Item::new())?,
            self.delete_if(
                team_pk(&m.team_id),
                member_email_sk(&m.email),
                "userId = :user",
                item([(":user", s(m.user_id.as_str()))]),
            )?,
            self.ended_record(ended, purge_at)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(true),
            Err(Transact::Failed(e)) => Err(e),
            // Ended meanwhile (a retry, or its own removal).
            Err(Transact::Cancelled(c)) if c.any_failed() => Ok(false),
            Err(Transact::Cancelled(c)) => Err(c.unexpected()),
        }
    }
}
