//! DynamoDB store: one table, these items.
//!
//! | item | pk | sk | notes |
//! | --- | --- | --- | --- |
//! | team | `TEAM#{team}` | `TEAM` | name |
//! | membership | `TEAM#{team}` | `MEMBER#{user}` | role, email, joinedAt |
//! | member email | `TEAM#{team}` | `EMAIL#{email}` | makes "already a member" a condition |
//! | open-invitation lock | `TEAM#{team}` | `OPEN#{email}` | at most one open invitation per email |
//! | team limits | `TEAM#{team}` | `LIMITS` | invitations opened, the send instant (`domain::limits`), the team's own limits where the platform set them |
//! | counter of leaving | `TEAM#{team}` | `LIMITS#LEFT#{0-7}` | invitations that left the open count, by `InvitationId::shard` (`ports::Usage`) |
//! | mailbox day | `MAILBOX#{mailbox}` | `DAY#{date}` | invitation emails to one mailbox (`Email::mailbox`) that UTC day, by every team; purged by TTL |
//! | invite link | `TEAM#{team}` | `LINK#{id}` | role, expiry, uses and their maximum, allowed domains, revocation (`link_items`) |
//! | invite link use | `TEAM#{team}` | `LINKUSE#{link}#{user}` | who joined through a link, when, as what address (`links`) |
//! | join request | `TEAM#{team}` | `JOINREQ#{user}` | with its copy `USER#{user}` / `JOINREQ#{team}`; the link or domain it came through, its answer (`join_requests`) |
//! | accept request | `TEAM#{team}` | `ACCEPTREQ#{invitation}` | a request to accept an invitation as another address: both addresses, the link generation asked with, its answer (`accept_requests`) |
//! | verified domain | `TEAM#{team}` | `DOMAIN#{domain}` | with its copy `DOMAIN#{domain}` / `TEAM#{team}` (who may join what); role, approval (`domains`) |
//! | ended membership | `TEAM#{team}` | `ENDED#{endedAt}#{user}` | who ended it and why, for the change stream; purged by TTL |
//! | invitation | `INV#{id}` | `INV` | with its `history` (one entry per change, written by that change); `byTeam` index: `gsi1pk` `TEAM#{team}#INV` / `gsi1sk` `{createdAt}#{id}`; `byStatus` index: `gsi1pk` / `gsi2sk` `{status}#{expiresAt or answeredAt}#{id}`; with a pending reminder, `byReminder` index: `remindHour` `REMIND#{hour}` / `remindAt` (`reminders`) |
//!
//! Every write that depends on current state is a conditional write or a
//! transaction; no business decision rests on an earlier read.
//!
//! - `items`: keys, attribute names, item <-> domain (pure, unit-tested);
//! - `changes`: the invitation state machine as write conditions;
//! - `errors`: SDK failures and transaction cancellations, sorted once;
//! - `stream`: the table's change stream read back as committed changes;
//! - `table`: the table's definition (keys, indexes, stream, TTL);
//! - `strict` (tests and `dev` only): DynamoDB's request rules, checked on
//!   every request a test sends, and what each would cost (`strict::capacity`);
//! - one file per resource, each implementing its port: `invitations`,
//!   `members`, `teams`, `limits` (the team's limits item), `delivery`,
//!   `reminders` (the schedule of reminders before expiry), `links` (invite
//!   links), `join_requests` (requests to join that need approval),
//!   `domains` (teams' verified domains), `accept_requests` (accepting as
//!   another address);
//! - here: the store and the transaction items its resources share.
//!
//! The lock names the invitation holding it and carries its expiry. Answering or
//! withdrawing an invitation does not touch the lock (withdraw does not even read
//! the invitation, so it cannot know its key): a lock is free when it
//! has expired or when the invitation it names is no longer open, and the next
//! invite for that email checks the holder and takes the lock over.

mod accept_requests;
mod changes;
mod delivery;
mod domains;
mod errors;
mod invitations;
pub(crate) mod items;
mod join_requests;
mod limits;
mod limits_items;
mod link_items;
mod links;
mod members;
mod reminders;
mod renew;
pub mod stream;
#[cfg(any(test, feature = "dev"))]
pub mod strict;
pub mod table;
mod teams;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

use crate::domain::{EndedMembership, InvitationId, Membership, RoleName, TeamId, UserId};
use crate::ports::{ResolveError, StoreError};
pub(crate) use errors::store_error;
use errors::{build_error, Transact};
use items::*;
pub use items::{invitation_item, membership_items, open_invitation_items, Item};

/// Queries one page makes at most before handing back a cursor (DynamoDB caps a
/// response at 1 MB, about 500 invitations: a page normally takes one).
const MAX_QUERIES_PER_PAGE: usize = 10;

/// Expired invitations one `release_expired` reads, and releases at most, in
/// one transaction (DynamoDB allows 100 items).
const RELEASE_BATCH: usize = 50;

/// Attempts of a transaction that met another on one of its items (real
/// DynamoDB: concurrent sends of one team share its limits item).
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
    pub const INSERT_MAILBOX: usize = 5;
    /// accept: the invitation's update, then the membership and its email item.
    pub const ACCEPT_INVITATION: usize = 0;
    pub const ACCEPT_MEMBERSHIP: usize = 1;
    pub const ACCEPT_MEMBER_EMAIL: usize = 2;
    pub const ACCEPT_SEATS: usize = 3;
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
    pub const RESEND_MAILBOX: usize = 4;
    /// renew (a resend of an expired invitation): as resend, the lock taken
    /// back instead of moved, then "no member has the address".
    pub const RENEW_LOCK: usize = 1;
    pub const RENEW_NOT_MEMBER: usize = 5;
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

    /// Up to `limit` items of partition `pk` whose sort key begins with
    /// `prefix`, in sort-key order, after the item keyed (`pk`, `after`) when
    /// given; read consistently.
    async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
        limit: usize,
        after: Option<String>,
    ) -> Result<Vec<Item>, StoreError> {
        let start = after.map(|sk| item([("pk", s(pk.clone())), ("sk", s(sk))]));
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .set_exclusive_start_key(start)
            .limit(limit.max(1) as i32)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        Ok(out.items.unwrap_or_default())
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
            .set_expression_attribute_values(placeholders(values))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Deletes the item if `condition` holds; `values`, what it names, may be
    /// empty (`attribute_exists(pk)`).
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
            .set_expression_attribute_values(placeholders(values));
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
