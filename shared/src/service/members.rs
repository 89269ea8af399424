//! A team's members: who they are, the roles they may be given, ending one's
//! membership.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::{Caller, Context};
use crate::domain::{EndReason, EndedMembership, Membership, Permission, Role, RoleName, TeamId, UserId};
use crate::error::Error;
use crate::ports::{MemberPage, MemberQuery, MemberStore, RemoveError};

/// A role of the team's catalog, and whether the caller may invite into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRole {
    pub role: Role,
    pub grantable: bool,
}

/// The answer to a membership's removal: what ended, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub membership: Membership,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

pub struct Members<S> {
    store: S,
    ctx: Arc<Context>,
}

impl<S: MemberStore> Members<S> {
    pub fn new(store: S, ctx: Arc<Context>) -> Self {
        Self { store, ctx }
    }

    /// The team's roles with their permissions, and which of them the caller may
    /// invite people into.
    pub async fn team_roles(&self, caller: &Caller, team_id: &TeamId) -> Result<Vec<TeamRole>, Error> {
        let member = self.store.membership(team_id, &caller.user_id).await?;
        let member = self.ctx.authorize(member, Permission::MembersRead)?;
        Ok(self
            .ctx
            .roles
            .iter()
            .map(|role| TeamRole {
                role: role.clone(),
                grantable: self.ctx.roles.may_invite_as(&member.role, role),
            })
            .collect())
    }

    /// A page of the team's members. The permission check and the query run
    /// together: a page is one bounded query.
    pub async fn members(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        query: &MemberQuery,
    ) -> Result<MemberPage, Error> {
        // Authorised first: a stranger's request reads nothing of the team's, and
        // its refusal cannot take longer for a bigger team.
        let member = self.store.membership(team_id, &caller.user_id).await?;
        self.ctx.authorize(member, Permission::MembersRead)?;
        Ok(self.store.members(team_id, query).await?)
    }

    /// Ends `user`'s membership; the person can be invited again at once. No one
    /// removes a member whose role they could not grant, and a team keeps an
    /// owner: removing one is conditioned on another still being an owner.
    pub async fn remove_member(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        user: &UserId,
    ) -> Result<Removed, Error> {
        let now = self.ctx.clock.now();
        let (mine, theirs) = tokio::join!(
            self.store.membership(team_id, &caller.user_id),
            self.store.membership(team_id, user)
        );
        let remover = self.ctx.authorize(mine?, Permission::MembersManage)?;
        let removed = theirs?.ok_or(Error::MemberNotFound)?;
        let grantable = self
            .ctx
            .roles
            .get(removed.role.as_str())
            .is_some_and(|r| self.ctx.roles.may_grant(&remover.role, r));
        if !grantable {
            return Err(Error::Forbidden);
        }
        let staying_owner = match removed.role.as_str() == RoleName::OWNER {
            true => Some(self.store.other_owner(team_id, user).await?.ok_or(Error::LastOwner)?),
            false => None,
        };
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let reason = if &caller.user_id == user { EndReason::Left } else { EndReason::Removed };
        let ended = EndedMembership { membership: removed, reason, by: caller.user_id.clone(), at: now };
        let purge_at = now + self.ctx.settings.history_retention;
        match self.store.remove_member(&ended, &managers, staying_owner.as_ref(), purge_at).await {
            Ok(()) => Ok(Removed { membership: ended.membership, by: ended.by, at: now }),
            Err(RemoveError::Forbidden) => Err(Error::Forbidden),
            // Gone meanwhile: as if it never was. Changed (a role) or the owner who
            // was to stay is not one any more: the caller may retry, and is judged
            // afresh.
            Err(RemoveError::Changed) => match self.store.membership(team_id, user).await? {
                None => Err(Error::MemberNotFound),
                Some(_) => Err(Error::unavailable("the membership changed during its removal")),
            },
            Err(RemoveError::OwnersChanged) => Err(Error::unavailable("the team's owners changed meanwhile")),
            Err(RemoveError::Store(e)) => Err(e.into()),
        }
    }
}
