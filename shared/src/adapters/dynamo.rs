//! DynamoDB store: one table, these items.
//!
//! | item | pk | sk | notes |
//! | --- | --- | --- | --- |
//! | team | `TEAM#{team}` | `TEAM` | name |
//! | membership | `TEAM#{team}` | `MEMBER#{user}` | role, email, joinedAt |
//! | member email | `TEAM#{team}` | `EMAIL#{email}` | makes "already a member" a condition |
//! | open-invitation lock | `TEAM#{team}` | `OPEN#{email}` | at most one open invitation per email |
//! | invitation | `INV#{id}` | `INV` | `byTeam` index: `TEAM#{team}#INV` / `{createdAt}#{id}` |
//!
//! Every write that depends on current state is a conditional write or a
//! transaction; no business decision rests on an earlier read.
//!
//! The lock names the invitation holding it and carries its expiry. Answering or
//! withdrawing an invitation does not touch the lock (decline and withdraw do not
//! even read the invitation, so they cannot know its key): a lock is free when it
//! has expired or when the invitation it names is no longer open, and the next
//! invite for that email checks the holder and takes the lock over.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use super::table::GSI_BY_TEAM;
use crate::domain::{
    Email, EmailDelivery, Invitation, InvitationId, Membership, Resolution, RoleName, Status, Team, TeamId,
    TeamName, UserId,
};
use crate::ports::{
    CreateError, InsertError, InvitationStore, ListQuery, Page, PageCursor, ResolveError, StoreError,
};
use crate::time::{format_timestamp, parse_timestamp};

type Item = HashMap<String, AttributeValue>;

/// Queries a filtered list makes at most before handing back a cursor, so that a
/// sparse filter cannot turn one request into a scan of the whole history.
const MAX_QUERIES_PER_PAGE: usize = 10;
const FILTERED_QUERY_LIMIT: i32 = 100;

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
            .map_err(|e| classify(&e))?;
        Ok(out.item)
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), Transact> {
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(err) => match err {
                SdkError::ServiceError(ref se) => match se.err() {
                    TransactWriteItemsError::TransactionCanceledException(e) => {
                        Err(Transact::Cancelled(e.cancellation_reasons().to_vec()))
                    }
                    _ => Err(Transact::Failed(classify(&err))),
                },
                _ => Err(Transact::Failed(classify(&err))),
            },
        }
    }
}

enum Transact {
    Cancelled(Vec<CancellationReason>),
    Failed(StoreError),
}

fn reason_code(reasons: &[CancellationReason], index: usize) -> Option<&str> {
    reasons.get(index).and_then(|r| r.code())
}

fn failed_condition(reasons: &[CancellationReason], index: usize) -> bool {
    reason_code(reasons, index) == Some("ConditionalCheckFailed")
}

fn any_conflict(reasons: &[CancellationReason]) -> bool {
    reasons.iter().any(|r| r.code() == Some("TransactionConflict"))
}

fn cancelled_unexpectedly(reasons: &[CancellationReason]) -> StoreError {
    let codes: Vec<&str> = reasons.iter().map(|r| r.code().unwrap_or("None")).collect();
    if codes
        .iter()
        .any(|c| matches!(*c, "ThrottlingError" | "ProvisionedThroughputExceeded" | "TransactionConflict"))
    {
        StoreError::Unavailable(format!("transaction cancelled: {codes:?}"))
    } else {
        StoreError::Other(format!("transaction cancelled: {codes:?}"))
    }
}

/// Sorts an SDK failure into "retry later" and "something is wrong".
pub(crate) fn classify<E, R>(err: &SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = DisplayErrorContext(err).to_string();
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(text)
        }
        SdkError::ServiceError(se) => match se.err().code() {
            Some(
                "ThrottlingException"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "LimitExceededException"
                // A transaction holds the item right now; retrying is the fix.
                | "TransactionConflictException",
            ) => StoreError::Unavailable(text),
            _ => StoreError::Other(text),
        },
        _ => StoreError::Other(text),
    }
}

fn item<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn team_pk(team: &TeamId) -> String {
    format!("TEAM#{team}")
}

fn invitation_pk(id: InvitationId) -> String {
    format!("INV#{id}")
}

const INVITATION_SK: &str = "INV";

fn by_team_pk(team: &TeamId) -> String {
    format!("TEAM#{team}#INV")
}

fn by_team_sk(created_at: DateTime<Utc>, id: InvitationId) -> String {
    format!("{}#{id}", format_timestamp(created_at))
}

fn open_lock_sk(email: &Email) -> String {
    format!("OPEN#{email}")
}

fn member_sk(user: &UserId) -> String {
    format!("MEMBER#{user}")
}

fn member_email_sk(email: &Email) -> String {
    format!("EMAIL#{email}")
}

fn build_err(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Other(e.to_string())
}

fn corrupt(what: &str, field: &str) -> StoreError {
    StoreError::Other(format!("corrupt {what} item: bad or missing '{field}'"))
}

fn get_s<'a>(item: &'a Item, what: &str, field: &str) -> Result<&'a str, StoreError> {
    item.get(field).and_then(|v| v.as_s().ok()).map(String::as_str).ok_or_else(|| corrupt(what, field))
}

fn get_time(item: &Item, what: &str, field: &str) -> Result<DateTime<Utc>, StoreError> {
    parse_timestamp(get_s(item, what, field)?).ok_or_else(|| corrupt(what, field))
}

/// An invitation as stored. Public for tools that load items in bulk (the
/// benchmark's seeding); the service itself only writes through transactions.
pub fn invitation_item(inv: &Invitation, purge_at: DateTime<Utc>) -> Item {
    let mut attrs = item([
        ("pk", s(invitation_pk(inv.id))),
        ("sk", s(INVITATION_SK)),
        ("gsi1pk", s(by_team_pk(&inv.team_id))),
        ("gsi1sk", s(by_team_sk(inv.created_at, inv.id))),
        ("entity", s("invitation")),
        ("id", s(inv.id.to_string())),
        ("teamId", s(inv.team_id.as_str())),
        ("teamName", s(inv.team_name.as_str())),
        ("email", s(inv.email.as_str())),
        ("role", s(inv.role.as_str())),
        ("status", s(inv.resolution.stored_status().as_str())),
        ("invitedBy", s(inv.invited_by.as_str())),
        ("createdAt", s(format_timestamp(inv.created_at))),
        ("expiresAt", s(format_timestamp(inv.expires_at))),
        ("expiresAtMs", n(inv.expires_at.timestamp_millis())),
        ("emailDelivery", s(inv.email_delivery.as_str())),
        ("purgeAt", n(purge_at.timestamp())),
    ]);
    if let Some(at) = inv.resolution.at() {
        attrs.insert("resolvedAt".into(), s(format_timestamp(at)));
    }
    if let Some(by) = inv.resolution.by() {
        attrs.insert("resolvedBy".into(), s(by.as_str()));
    }
    attrs
}

fn parse_invitation(item: &Item) -> Result<Invitation, StoreError> {
    const W: &str = "invitation";
    let id = InvitationId::parse(get_s(item, W, "id")?).map_err(|_| corrupt(W, "id"))?;
    let status = Status::parse(get_s(item, W, "status")?).ok_or_else(|| corrupt(W, "status"))?;
    let resolved_by = match item.get("resolvedBy").and_then(|v| v.as_s().ok()) {
        Some(raw) => Some(UserId::parse(raw).map_err(|_| corrupt(W, "resolvedBy"))?),
        None => None,
    };
    let resolution = match status {
        Status::Open | Status::Expired => Resolution::Open,
        Status::Accepted => Resolution::Accepted {
            by: resolved_by.ok_or_else(|| corrupt(W, "resolvedBy"))?,
            at: get_time(item, W, "resolvedAt")?,
        },
        Status::Declined => Resolution::Declined { by: resolved_by, at: get_time(item, W, "resolvedAt")? },
        Status::Withdrawn => Resolution::Withdrawn {
            by: resolved_by.ok_or_else(|| corrupt(W, "resolvedBy"))?,
            at: get_time(item, W, "resolvedAt")?,
        },
    };
    Ok(Invitation {
        id,
        team_id: TeamId::parse(get_s(item, W, "teamId")?).map_err(|_| corrupt(W, "teamId"))?,
        team_name: TeamName::parse(get_s(item, W, "teamName")?).ok_or_else(|| corrupt(W, "teamName"))?,
        email: Email::parse(get_s(item, W, "email")?).map_err(|_| corrupt(W, "email"))?,
        role: RoleName::parse(get_s(item, W, "role")?).ok_or_else(|| corrupt(W, "role"))?,
        invited_by: UserId::parse(get_s(item, W, "invitedBy")?).map_err(|_| corrupt(W, "invitedBy"))?,
        created_at: get_time(item, W, "createdAt")?,
        expires_at: get_time(item, W, "expiresAt")?,
        resolution,
        email_delivery: EmailDelivery::parse(get_s(item, W, "emailDelivery")?)
            .ok_or_else(|| corrupt(W, "emailDelivery"))?,
    })
}

fn membership_item(m: &Membership) -> Item {
    item([
        ("pk", s(team_pk(&m.team_id))),
        ("sk", s(member_sk(&m.user_id))),
        ("entity", s("membership")),
        ("teamId", s(m.team_id.as_str())),
        ("userId", s(m.user_id.as_str())),
        ("email", s(m.email.as_str())),
        ("role", s(m.role.as_str())),
        ("joinedAt", s(format_timestamp(m.joined_at))),
    ])
}

fn parse_membership(item: &Item) -> Result<Membership, StoreError> {
    const W: &str = "membership";
    Ok(Membership {
        team_id: TeamId::parse(get_s(item, W, "teamId")?).map_err(|_| corrupt(W, "teamId"))?,
        user_id: UserId::parse(get_s(item, W, "userId")?).map_err(|_| corrupt(W, "userId"))?,
        email: Email::parse(get_s(item, W, "email")?).map_err(|_| corrupt(W, "email"))?,
        role: RoleName::parse(get_s(item, W, "role")?).ok_or_else(|| corrupt(W, "role"))?,
        joined_at: get_time(item, W, "joinedAt")?,
    })
}

/// The update that moves an open invitation to `resolution`, conditioned on what
/// the domain's state machine requires: still open and unexpired at `now` (and,
/// when given, in `team`). Shared by the transactional and the single-item writes.
struct Change {
    condition: String,
    update: &'static str,
    names: HashMap<String, String>,
    values: Item,
}

impl Change {
    fn resolve(
        resolution: &Resolution,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        team: Option<&TeamId>,
    ) -> Result<Self, StoreError> {
        let at =
            resolution.at().ok_or_else(|| StoreError::Other("an open invitation is no resolution".into()))?;
        let mut values = item([
            (":open", s(Status::Open.as_str())),
            (":now", n(now.timestamp_millis())),
            (":new", s(resolution.stored_status().as_str())),
            (":at", s(format_timestamp(at))),
            (":purge", n(purge_at.timestamp())),
        ]);
        let mut condition = "#status = :open AND expiresAtMs > :now".to_owned();
        if let Some(team) = team {
            condition.push_str(" AND teamId = :team");
            values.insert(":team".into(), s(team.as_str()));
        }
        let update = match resolution.by() {
            Some(by) => {
                values.insert(":by".into(), s(by.as_str()));
                "SET #status = :new, resolvedAt = :at, resolvedBy = :by, purgeAt = :purge"
            }
            None => "SET #status = :new, resolvedAt = :at, purgeAt = :purge",
        };
        let names = HashMap::from([("#status".to_owned(), "status".to_owned())]);
        Ok(Self { condition, update, names, values })
    }

    fn transact(self, table: &str, id: InvitationId) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(self.condition)
            .update_expression(self.update)
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(Some(self.values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_err)
    }
}

/// A refused resolution, with the invitation as it was (none: it does not exist).
fn not_open(item: Option<&Item>) -> Result<ResolveError, StoreError> {
    let current = match item {
        Some(item) => Some(Box::new(parse_invitation(item)?)),
        None => None,
    };
    Ok(ResolveError::NotOpen { current })
}

enum Inserted {
    Yes,
    /// The email's lock is held by this (unexpired) invitation.
    LockHeldBy(InvitationId),
}

impl DynamoStore {
    /// One transaction: the invitation, the email's lock (free, expired, or held
    /// by `stale`, an invitation known to be answered), and "no member has this
    /// email".
    async fn try_insert(
        &self,
        inv: &Invitation,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        stale: Option<InvitationId>,
    ) -> Result<Inserted, InsertError> {
        let lock = item([
            ("pk", s(team_pk(&inv.team_id))),
            ("sk", s(open_lock_sk(&inv.email))),
            ("entity", s("open-invitation")),
            ("invitationId", s(inv.id.to_string())),
            ("expiresAtMs", n(inv.expires_at.timestamp_millis())),
            // Past expiry the lock no longer blocks anything; let TTL tidy it.
            ("purgeAt", n(inv.expires_at.timestamp())),
        ]);
        let mut lock = Put::builder()
            .table_name(&self.table)
            .set_item(Some(lock))
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
            .map_err(build_err)?;
        let items = vec![
            self.put_if_absent(invitation_item(inv, purge_at))?,
            TransactWriteItem::builder().put(lock.build().map_err(build_err)?).build(),
            TransactWriteItem::builder().condition_check(not_member).build(),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(Inserted::Yes),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(reasons)) if failed_condition(&reasons, 2) => {
                Err(InsertError::AlreadyMember)
            }
            Err(Transact::Cancelled(reasons)) if failed_condition(&reasons, 1) => {
                let holder = reasons[1]
                    .item()
                    .and_then(|lock| lock.get("invitationId"))
                    .and_then(|v| v.as_s().ok())
                    .and_then(|id| InvitationId::parse(id).ok())
                    .ok_or_else(|| corrupt("open-invitation lock", "invitationId"))?;
                Ok(Inserted::LockHeldBy(holder))
            }
            Err(Transact::Cancelled(reasons)) => Err(cancelled_unexpectedly(&reasons).into()),
        }
    }
}

impl DynamoStore {
    fn put_if_absent(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The membership and the item that reserves its email in the team.
    fn membership_writes(&self, m: &Membership) -> Result<[TransactWriteItem; 2], StoreError> {
        let email_item = item([
            ("pk", s(team_pk(&m.team_id))),
            ("sk", s(member_email_sk(&m.email))),
            ("entity", s("member-email")),
            ("userId", s(m.user_id.as_str())),
        ]);
        Ok([self.put_if_absent(membership_item(m))?, self.put_if_absent(email_item)?])
    }

    fn exclusive_start_key(team: &TeamId, cursor: &PageCursor) -> Item {
        item([
            ("pk", s(invitation_pk(cursor.id))),
            ("sk", s(INVITATION_SK)),
            ("gsi1pk", s(by_team_pk(team))),
            ("gsi1sk", s(by_team_sk(cursor.created_at, cursor.id))),
        ])
    }

    fn cursor_from_key(key: &Item) -> Result<PageCursor, StoreError> {
        let raw = get_s(key, "last evaluated key", "gsi1sk")?;
        let (at, id) = raw.rsplit_once('#').ok_or_else(|| corrupt("key", "gsi1sk"))?;
        Ok(PageCursor {
            created_at: parse_timestamp(at).ok_or_else(|| corrupt("key", "gsi1sk"))?,
            id: InvitationId::parse(id).map_err(|_| corrupt("key", "gsi1sk"))?,
        })
    }
}

impl InvitationStore for DynamoStore {
    async fn team(&self, id: &TeamId) -> Result<Option<Team>, StoreError> {
        let Some(item) = self.get(team_pk(id), "TEAM".into()).await? else {
            return Ok(None);
        };
        Ok(Some(Team {
            id: id.clone(),
            name: TeamName::parse(get_s(&item, "team", "name")?).ok_or_else(|| corrupt("team", "name"))?,
            created_at: get_time(&item, "team", "createdAt")?,
        }))
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

    async fn insert_invitation(
        &self,
        inv: &Invitation,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), InsertError> {
        let holder = match self.try_insert(inv, now, purge_at, None).await? {
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
        match self.try_insert(inv, now, purge_at, Some(holder)).await? {
            Inserted::Yes => Ok(()),
            // Another invite took the stale lock first.
            Inserted::LockHeldBy(_) => Err(InsertError::AlreadyInvited),
        }
    }

    async fn set_email_delivery(&self, id: InvitationId, delivery: EmailDelivery) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .update_expression("SET emailDelivery = :d")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":d", s(delivery.as_str()))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(())
    }

    async fn accept(
        &self,
        accepted: &Invitation,
        membership: &Membership,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), ResolveError> {
        let change = Change::resolve(&accepted.resolution, now, purge_at, Some(&accepted.team_id))?;
        let mut items =
            vec![TransactWriteItem::builder().update(change.transact(&self.table, accepted.id)?).build()];
        items.extend(self.membership_writes(membership)?);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(reasons)) if failed_condition(&reasons, 0) => {
                Err(not_open(reasons[0].item())?)
            }
            Err(Transact::Cancelled(reasons))
                if failed_condition(&reasons, 1) || failed_condition(&reasons, 2) =>
            {
                Err(ResolveError::AlreadyMember)
            }
            // Lost a race to another transaction on the same items: let the caller
            // re-read and report whatever won.
            Err(Transact::Cancelled(reasons)) if any_conflict(&reasons) => {
                Err(ResolveError::NotOpen { current: None })
            }
            Err(Transact::Cancelled(reasons)) => Err(cancelled_unexpectedly(&reasons).into()),
        }
    }

    async fn decline(
        &self,
        id: InvitationId,
        by: Option<&UserId>,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<Invitation, ResolveError> {
        let resolution = Resolution::Declined { by: by.cloned(), at: now };
        let change = Change::resolve(&resolution, now, purge_at, None)?;
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression(change.condition)
            .update_expression(change.update)
            .set_expression_attribute_names(Some(change.names))
            .set_expression_attribute_values(Some(change.values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match out {
            Ok(out) => {
                let item =
                    out.attributes.ok_or_else(|| StoreError::Other("update returned no item".into()))?;
                Ok(parse_invitation(&item)?)
            }
            Err(SdkError::ServiceError(se)) => match se.err() {
                UpdateItemError::ConditionalCheckFailedException(refused) => Err(not_open(refused.item())?),
                _ => Err(classify(&SdkError::ServiceError(se)).into()),
            },
            Err(e) => Err(classify(&e).into()),
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
        let change = Change::resolve(&resolution, now, purge_at, Some(team))?;
        // The permission check, as a condition on the caller's membership at the
        // moment of the write.
        let mut values = Item::new();
        let placeholders: Vec<String> = roles
            .iter()
            .enumerate()
            .map(|(i, role)| {
                values.insert(format!(":role{i}"), s(role.as_str()));
                format!(":role{i}")
            })
            .collect();
        if placeholders.is_empty() {
            return Err(ResolveError::Forbidden);
        }
        let permitted = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(member_sk(by)))
            .condition_expression(format!("#role IN ({})", placeholders.join(", ")))
            .expression_attribute_names("#role", "role")
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(build_err)?;
        let items = vec![
            TransactWriteItem::builder().update(change.transact(&self.table, id)?).build(),
            TransactWriteItem::builder().condition_check(permitted).build(),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Checked first: whoever may not withdraw learns nothing about the invitation.
            Err(Transact::Cancelled(reasons)) if failed_condition(&reasons, 1) => {
                Err(ResolveError::Forbidden)
            }
            Err(Transact::Cancelled(reasons)) if failed_condition(&reasons, 0) => {
                Err(not_open(reasons[0].item())?)
            }
            Err(Transact::Cancelled(reasons)) if any_conflict(&reasons) => {
                Err(ResolveError::NotOpen { current: None })
            }
            Err(Transact::Cancelled(reasons)) => Err(cancelled_unexpectedly(&reasons).into()),
        }
    }

    async fn list(&self, team: &TeamId, query: &ListQuery, now: DateTime<Utc>) -> Result<Page, StoreError> {
        let (filter, status_value) = match query.status {
            None => (None, None),
            Some(Status::Open) => (Some("#status = :status AND expiresAtMs > :now"), Some(Status::Open)),
            Some(Status::Expired) => (Some("#status = :status AND expiresAtMs <= :now"), Some(Status::Open)),
            Some(other) => (Some("#status = :status"), Some(other)),
        };
        // One item more than the page tells whether another page exists, so the
        // last page never carries a cursor to an empty one.
        let target = query.limit + 1;
        let mut found: Vec<Invitation> = Vec::with_capacity(target);
        let mut start = query.after.as_ref().map(|c| Self::exclusive_start_key(team, c));
        for _ in 0..MAX_QUERIES_PER_PAGE {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI_BY_TEAM)
                .key_condition_expression("gsi1pk = :pk")
                .expression_attribute_values(":pk", s(by_team_pk(team)))
                .scan_index_forward(false)
                .set_exclusive_start_key(start.take());
            q = match (filter, status_value) {
                (Some(f), Some(st)) => {
                    let q = q
                        .filter_expression(f)
                        .expression_attribute_names("#status", "status")
                        .expression_attribute_values(":status", s(st.as_str()))
                        .limit(FILTERED_QUERY_LIMIT);
                    if f.contains(":now") {
                        q.expression_attribute_values(":now", n(now.timestamp_millis()))
                    } else {
                        q
                    }
                }
                _ => q.limit((target - found.len()) as i32),
            };
            let out = q.send().await.map_err(|e| classify(&e))?;
            for item in out.items() {
                found.push(parse_invitation(item)?);
            }
            if found.len() >= target {
                found.truncate(query.limit);
                let next = found.last().map(|i| PageCursor { created_at: i.created_at, id: i.id });
                return Ok(Page { invitations: found, next });
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(Page { invitations: found, next: None }),
            }
        }
        // Budget spent on a sparse filter: hand back what was found and where to go on.
        let next = match &start {
            Some(key) => Some(Self::cursor_from_key(key)?),
            None => None,
        };
        Ok(Page { invitations: found, next })
    }

    async fn create_team(&self, team: &Team, owner: &Membership) -> Result<(), CreateError> {
        let team_item = item([
            ("pk", s(team_pk(&team.id))),
            ("sk", s("TEAM")),
            ("entity", s("team")),
            ("teamId", s(team.id.as_str())),
            ("name", s(team.name.as_str())),
            ("createdAt", s(format_timestamp(team.created_at))),
        ]);
        let mut items = vec![self.put_if_absent(team_item)?];
        items.extend(self.membership_writes(owner)?);
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(reasons)) if !any_conflict(&reasons) => Err(CreateError::AlreadyExists),
            Err(Transact::Cancelled(reasons)) => Err(cancelled_unexpectedly(&reasons).into()),
        }
    }

    async fn add_member(&self, membership: &Membership) -> Result<(), CreateError> {
        let items = self.membership_writes(membership)?.to_vec();
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(reasons)) if !any_conflict(&reasons) => Err(CreateError::AlreadyExists),
            Err(Transact::Cancelled(reasons)) => Err(cancelled_unexpectedly(&reasons).into()),
        }
    }
}
