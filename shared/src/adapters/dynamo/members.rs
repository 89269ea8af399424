//! Memberships, and the email item that makes "already a member" a condition.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::errors::{build_error, store_error, Transact};
use super::items::*;
use super::{position, DynamoStore};
use crate::domain::{EndedMembership, Membership, RoleChange, RoleName, TeamId, UserId};
use crate::ports::{
    CreateError, MemberCursor, MemberPage, MemberQuery, MemberStore, RemoveError, StoreError,
};
use crate::time::format_timestamp;

impl DynamoStore {
    /// The checks a removal or a role change of `m` by `by` adds to its
    /// transaction: `by` still manages, and `staying_owner` is still an owner;
    /// where each went (None: not added). One item per membership in a
    /// transaction: when `by` is the member, or the owner who stays, the
    /// stronger condition already on that item covers the permission.
    fn manager_checks(
        &self,
        m: &Membership,
        by: &UserId,
        manager_roles: &[RoleName],
        staying_owner: Option<&UserId>,
        items: &mut Vec<TransactWriteItem>,
    ) -> Result<(Option<usize>, Option<usize>), RemoveError> {
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
        Ok((permission_at, owner_at))
    }
}

impl DynamoStore {
    /// `change` written on its membership, conditioned on the role being the
    /// one read (what the caller was judged against, or the platform saw).
    pub(super) fn role_update(&self, change: &RoleChange) -> Result<TransactWriteItem, StoreError> {
        let m = &change.membership;
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&m.team_id)))
            .key("sk", s(member_sk(&m.user_id)))
            .condition_expression("#role = :was")
            .update_expression("SET #role = :role, roleChangedBy = :by, roleChangedAt = :at")
            .expression_attribute_names("#role", "role")
            .set_expression_attribute_values(Some(item([
                (":was", s(m.role.as_str())),
                (":role", s(change.role.as_str())),
                (":by", s(change.by.as_str())),
                (":at", s(format_timestamp(change.at))),
            ])))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

impl MemberStore for DynamoStore {
    async fn membership(&self, team: &TeamId, user: &UserId) -> Result<Option<Membership>, StoreError> {
        match self.get(team_pk(team), member_sk(user)).await? {
            Some(item) => parse_membership(&item).map(Some),
            None => Ok(None),
        }
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
        let (permission_at, owner_at) =
            self.manager_checks(m, by, manager_roles, staying_owner, &mut items)?;
        items.push(self.ended_record(ended, purge_at)?);
        items.push(self.members_count(&m.team_id, -1)?);
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

    async fn change_role(
        &self,
        change: &RoleChange,
        manager_roles: &[RoleName],
        staying_owner: Option<&UserId>,
    ) -> Result<(), RemoveError> {
        let (m, by) = (&change.membership, &change.by);
        let mut items = vec![self.role_update(change)?];
        let (permission_at, owner_at) =
            self.manager_checks(m, by, manager_roles, staying_owner, &mut items)?;
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if permission_at.is_some_and(|at| c.failed(at)) => {
                Err(RemoveError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(0) => Err(RemoveError::Changed),
            Err(Transact::Cancelled(c)) if owner_at.is_some_and(|at| c.failed(at)) => {
                Err(RemoveError::OwnersChanged)
            }
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
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

    async fn add_member(&self, membership: &Membership) -> Result<(), CreateError> {
        let mut items = self.membership_writes(membership, None)?.to_vec();
        items.push(self.members_count(&membership.team_id, 1)?);
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Only a failed "does not exist yet" condition means it exists.
            Err(Transact::Cancelled(c)) if c.any_failed() => Err(CreateError::AlreadyExists),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }
}
