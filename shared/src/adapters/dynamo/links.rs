//! Invite links (issue 22, `ports::LinkStore`): each in its team's partition
//! (`link_items`). Making one and revoking one are transactions with the
//! caller's permission at that moment; making one also with "the team is not
//! closed". A join is one transaction with the link's use, the membership and
//! the team's seats (`join_link`).

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::errors::{build_error, Cancelled, Transact};
use super::items::*;
use super::link_items::*;
use super::DynamoStore;
use crate::domain::{
    join_minute, Email, EndedMembership, InviteLink, InviteLinkId, JoinVia, Membership, RoleName, TeamId,
    UserId, LINK_JOINS_PER_MINUTE,
};
use crate::ports::{JoinError, LinkStore, LinkUse, LinkWriteError, StoreError};
use crate::time::format_timestamp;

/// A link's transactions: the link, then the caller's permission, then (on
/// making one) the team's "not closed". A join's: the link, then
/// `join_writes` (the membership, its address's item, the limits item, the
/// seats item, the use's record), then the link's count of joins this minute.
mod position {
    pub const LINK: usize = 0;
    pub const PERMISSION: usize = 1;
    pub const OPEN: usize = 2;
    pub const JOIN_WRITES: usize = 1;
    pub const JOIN_RATE: usize = 6;
    pub const END_MEMBERSHIP: usize = 0;
    pub const END_MEMBER_EMAIL: usize = 1;
    pub const END_PERMISSION: usize = 2;
}

/// The record of a member's join through a link: what lists the members a
/// link brought in, and what revoking it with its memberships ends.
fn link_use_item(link: InviteLinkId, m: &Membership) -> Item {
    item([
        ("pk", s(team_pk(&m.team_id))),
        ("sk", s(format!("{}{}", link_uses_prefix(link), m.user_id))),
        ("entity", s("invite-link-use")),
        ("linkId", s(link.to_string())),
        ("userId", s(m.user_id.as_str())),
        ("email", s(m.email.as_str())),
        ("joinedAt", s(format_timestamp(m.joined_at))),
    ])
}

/// The count of joins through `link` in one minute (`domain::join_minute`):
/// one item per link and minute, purged an hour after.
fn link_rate_key(team: &TeamId, link: InviteLinkId, minute: i64) -> (String, String) {
    (team_pk(team), format!("LINKRATE#{link}#{minute}"))
}

/// Where a link's records of joins begin in its team's partition.
fn link_uses_prefix(id: InviteLinkId) -> String {
    format!("LINKUSE#{id}#")
}

pub(super) fn parse_link_use(item: &Item) -> Result<LinkUse, StoreError> {
    const W: &str = "invite link use";
    Ok(LinkUse {
        link: InviteLinkId::parse(get_s(item, W, "linkId")?).map_err(|_| corrupt(W, "linkId"))?,
        user_id: UserId::parse(get_s(item, W, "userId")?).map_err(|_| corrupt(W, "userId"))?,
        email: Email::parse(get_s(item, W, "email")?).map_err(|_| corrupt(W, "email"))?,
        joined_at: get_time(item, W, "joinedAt")?,
    })
}

impl DynamoStore {
    /// The link's use, while it is not revoked and used fewer times than it
    /// allows, and, given `now` (a join; not an approval, whose request was
    /// made while the link was open), unexpired.
    pub(super) fn link_use(
        &self,
        team: &TeamId,
        link: InviteLinkId,
        now: Option<DateTime<Utc>>,
    ) -> Result<TransactWriteItem, StoreError> {
        let condition = match now {
            Some(_) => "attribute_exists(pk) AND attribute_not_exists(#revoked) AND expiresAtMs > :now AND #uses < #max",
            None => "attribute_exists(pk) AND attribute_not_exists(#revoked) AND #uses < #max",
        };
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(link_sk(link)))
            .condition_expression(condition)
            .update_expression("ADD #uses :one")
            .expression_attribute_names("#revoked", REVOKED_AT)
            .expression_attribute_names("#uses", USES)
            .expression_attribute_names("#max", MAX_USES)
            .expression_attribute_values(":one", n(1))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(now) = now {
            update = update.expression_attribute_values(":now", n(now.timestamp_millis()));
        }
        Ok(TransactWriteItem::builder().update(update.build().map_err(build_error)?).build())
    }

    /// A join's writes beside what lets it in (a link's use, a domain's
    /// check), in this order: the membership (naming what it came through),
    /// its address's item, the team's limits and seats (see
    /// `LinkStore::join_link`), and for a link the record of its use, which
    /// has no condition and so comes last.
    pub(super) fn join_writes(
        &self,
        via: &JoinVia,
        m: &Membership,
        opened_at_most: Option<i64>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let team = &m.team_id;
        let mut membership = membership_item(m);
        match via {
            JoinVia::Link(id) => membership.insert(JOINED_VIA.into(), s(id.to_string())),
            JoinVia::Domain(domain) => membership.insert(JOINED_DOMAIN.into(), s(domain.as_str())),
        };
        let (limits, seats) = match opened_at_most {
            Some(most) => (self.limits_open_place(team, most)?, self.seats_accept(team)?),
            None => (self.limits_open_check(team)?, self.members_count(team, 1)?),
        };
        let mut writes =
            vec![self.put_if_absent(membership)?, self.put_if_absent(member_email_item(m))?, limits, seats];
        if let JoinVia::Link(id) = via {
            // Unconditional: it never fails, so its place does not matter.
            let record = Put::builder()
                .table_name(&self.table)
                .set_item(Some(link_use_item(*id, m)))
                .build()
                .map_err(build_error)?;
            writes.push(TransactWriteItem::builder().put(record).build());
        }
        Ok(writes)
    }

    /// What a cancelled join means when it was none of the items before
    /// `join_writes` (which begin at `first`): a member already, or the team's
    /// limits or seats.
    pub(super) fn join_writes_refusal(c: &Cancelled, first: usize) -> Result<JoinError, StoreError> {
        let (membership, address, limits, seats) = (first, first + 1, first + 2, first + 3);
        if c.failed(membership) || c.failed(address) {
            return Ok(JoinError::AlreadyMember);
        }
        if c.failed(limits) {
            return Ok(JoinError::Limit(Self::limit_refusal(c, limits)));
        }
        if c.failed(seats) {
            return Ok(JoinError::Limit(Self::seats_refusal(c, seats)));
        }
        Err(c.unexpected())
    }
}

impl LinkStore for DynamoStore {
    async fn create_link(
        &self,
        link: &InviteLink,
        creator_roles: &[RoleName],
        purge_at: DateTime<Utc>,
    ) -> Result<(), LinkWriteError> {
        let Some(permitted) = self.holds_role(&link.team_id, &link.created_by, creator_roles)? else {
            return Err(LinkWriteError::Forbidden);
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(invite_link_item(link, purge_at)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            permitted,
            self.limits_open_check(&link.team_id)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::PERMISSION) => Err(LinkWriteError::Forbidden),
            Err(Transact::Cancelled(c)) if c.failed(position::OPEN) => Err(LinkWriteError::TeamClosed),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn invite_link(&self, team: &TeamId, id: InviteLinkId) -> Result<Option<InviteLink>, StoreError> {
        match self.get(team_pk(team), link_sk(id)).await? {
            Some(item) => Ok(Some(parse_invite_link(&item)?)),
            None => Ok(None),
        }
    }

    async fn invite_links(&self, team: &TeamId, limit: usize) -> Result<Vec<InviteLink>, StoreError> {
        let items = self.query_prefix(team_pk(team), LINK_SK_PREFIX, limit, None).await?;
        items.iter().map(parse_invite_link).collect()
    }

    async fn join_link(
        &self,
        link: &InviteLink,
        membership: &Membership,
        now: DateTime<Utc>,
        opened_at_most: Option<i64>,
    ) -> Result<(), JoinError> {
        let mut items = vec![self.link_use(&link.team_id, link.id, Some(now))?];
        items.extend(self.join_writes(&JoinVia::Link(link.id), membership, opened_at_most)?);
        // This minute's joins, counted in the join's own write: never one more.
        let (minute, retry_after) = join_minute(now);
        let (pk, sk) = link_rate_key(&link.team_id, link.id, minute);
        let rate = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("attribute_not_exists(pk) OR joins < :max")
            .update_expression("SET purgeAt = :purge ADD joins :one")
            .expression_attribute_values(":max", n(LINK_JOINS_PER_MINUTE.into()))
            .expression_attribute_values(":purge", n((minute + 60) * 60))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build_error)?;
        debug_assert_eq!(items.len(), position::JOIN_RATE);
        items.push(TransactWriteItem::builder().update(rate).build());
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::LINK) => Err(JoinError::NotActive {
                current: c.item(position::LINK).map(parse_invite_link).transpose()?.map(Box::new),
            }),
            Err(Transact::Cancelled(c)) if c.failed(position::JOIN_RATE) => {
                Err(JoinError::RateLimited { retry_after })
            }
            Err(Transact::Cancelled(c)) => Err(Self::join_writes_refusal(&c, position::JOIN_WRITES)?),
        }
    }

    async fn revoke_link(
        &self,
        team: &TeamId,
        id: InviteLinkId,
        by: &UserId,
        roles: &[RoleName],
        now: DateTime<Utc>,
    ) -> Result<bool, LinkWriteError> {
        let Some(permitted) = self.holds_role(team, by, roles)? else {
            return Err(LinkWriteError::Forbidden);
        };
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(team)))
            .key("sk", s(link_sk(id)))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#revoked)")
            .update_expression("SET #revoked = :at, revokedBy = :by")
            .expression_attribute_names("#revoked", REVOKED_AT)
            .expression_attribute_values(":at", s(format_timestamp(now)))
            .expression_attribute_values(":by", s(by.as_str()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(build_error)?;
        let items = vec![TransactWriteItem::builder().update(update).build(), permitted];
        match self.send_transaction(items).await {
            Ok(()) => Ok(true),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Checked first: whoever may not revoke learns nothing about the link.
            Err(Transact::Cancelled(c)) if c.failed(position::PERMISSION) => Err(LinkWriteError::Forbidden),
            Err(Transact::Cancelled(c)) if c.failed(position::LINK) => match c.item(position::LINK) {
                Some(_) => Ok(false),
                None => Err(LinkWriteError::NotFound),
            },
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn link_uses(
        &self,
        team: &TeamId,
        id: InviteLinkId,
        limit: usize,
        after: Option<&UserId>,
    ) -> Result<Vec<LinkUse>, StoreError> {
        let prefix = link_uses_prefix(id);
        let after = after.map(|user| format!("{prefix}{user}"));
        let items = self.query_prefix(team_pk(team), &prefix, limit, after).await?;
        items.iter().map(parse_link_use).collect()
    }

    async fn end_link_membership(
        &self,
        ended: &EndedMembership,
        link: InviteLinkId,
        manager_roles: &[RoleName],
        purge_at: DateTime<Utc>,
    ) -> Result<bool, LinkWriteError> {
        let m = &ended.membership;
        let Some(permitted) = self.holds_role(&m.team_id, &ended.by, manager_roles)? else {
            return Err(LinkWriteError::Forbidden);
        };
        let items = vec![
            // Made through this link, and as the revoker judged it: a member who
            // left and came back another way, or whose role changed, stays.
            self.delete_if(
                team_pk(&m.team_id),
                member_sk(&m.user_id),
                &format!("{JOINED_VIA} = :link AND #role = :role"),
                item([(":link", s(link.to_string())), (":role", s(m.role.as_str()))]),
            )?,
            self.delete_if(
                team_pk(&m.team_id),
                member_email_sk(&m.email),
                "userId = :user",
                item([(":user", s(m.user_id.as_str()))]),
            )?,
            permitted,
            self.ended_record(ended, purge_at)?,
            self.members_count(&m.team_id, -1)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(true),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::END_PERMISSION) => {
                Err(LinkWriteError::Forbidden)
            }
            Err(Transact::Cancelled(c))
                if c.failed(position::END_MEMBERSHIP) || c.failed(position::END_MEMBER_EMAIL) =>
            {
                Ok(false)
            }
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }
}
