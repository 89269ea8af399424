//! Invite links (issue 22, `ports::LinkStore`): each in its team's partition
//! (`link_items`). Making one and revoking one are transactions with the
//! caller's permission at that moment; making one also with "the team is not
//! closed".

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::errors::{build_error, store_error, Transact};
use super::items::*;
use super::link_items::*;
use super::DynamoStore;
use crate::domain::{InviteLink, InviteLinkId, RoleName, TeamId, UserId};
use crate::ports::{LinkStore, LinkWriteError, StoreError};
use crate::time::format_timestamp;

/// A link's transactions: the link, then the caller's permission, then (on
/// making one) the team's "not closed".
mod position {
    pub const LINK: usize = 0;
    pub const PERMISSION: usize = 1;
    pub const OPEN: usize = 2;
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
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :links)")
            .expression_attribute_values(":pk", s(team_pk(team)))
            .expression_attribute_values(":links", s(LINK_SK_PREFIX))
            .limit(limit.max(1) as i32)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        out.items().iter().map(parse_invite_link).collect()
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
}
