//! A team's members: who they are, the roles they may be given, ending one's
//! membership.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::{Caller, Context};
use crate::domain::{
    EndReason, EndedMembership, Membership, Permission, Role, RoleName, Status, TeamId, UserId,
};
use crate::error::Error;
use crate::ports::{InvitationStore, ListQuery, MemberPage, MemberQuery, MemberStore, RemoveError};

/// A role of the team's catalog, and whether the caller may invite into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRole {
    pub role: Role,
    pub grantable: bool,
}

/// The answer to a membership's removal: what ended, by whom, when, and how
/// many of the open invitations the person had sent were withdrawn with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub membership: Membership,
    pub by: UserId,
    pub at: DateTime<Utc>,
    pub invitations_withdrawn: usize,
}

/// Open invitations read per page, and withdrawn at once, after a removal.
const PAGE: usize = 100;
const PARALLELISM: usize = 8;

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
}

/// Removing reaches the invitations too: what a removed manager sent goes.
impl<S: MemberStore + InvitationStore> Members<S> {
    /// Ends `user`'s membership; the person can be invited again at once. Every
    /// member may leave (`user` is the caller), whatever their role allows; no
    /// one removes another member whose role they could not grant; and a team
    /// keeps an owner: removing or leaving as one is conditioned on another
    /// still being an owner.
    pub async fn remove_member(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        user: &UserId,
    ) -> Result<Removed, Error> {
        let now = self.ctx.clock.now();
        let leaving = &caller.user_id == user;
        let removed = match leaving {
            // A stranger asking to leave learns nothing about the team.
            true => self.store.membership(team_id, user).await?.ok_or(Error::Forbidden)?,
            false => {
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
                removed
            }
        };
        let staying_owner = match removed.role.as_str() == RoleName::OWNER {
            true => Some(self.store.other_owner(team_id, user).await?.ok_or(Error::LastOwner)?),
            false => None,
        };
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let reason = if leaving { EndReason::Left } else { EndReason::Removed };
        let ended = EndedMembership { membership: removed, reason, by: caller.user_id.clone(), at: now };
        let purge_at = now + self.ctx.settings.history_retention;
        let could_invite = self.ctx.roles.allows(&ended.membership.role, Permission::MembersManage);
        match self.store.remove_member(&ended, &managers, staying_owner.as_ref(), purge_at).await {
            Ok(()) => {
                // A removed manager's invitations stop with their membership: an
                // invitation of their own second address must not outlive it.
                let invitations_withdrawn = match could_invite {
                    true => self.withdraw_sent_by(&ended).await?,
                    false => 0,
                };
                Ok(Removed { membership: ended.membership, by: ended.by, at: now, invitations_withdrawn })
            }
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

    /// Withdraws the open invitations `ended`'s member sent, a page at a time,
    /// as the one who ended the membership; how many. After the removal's
    /// commit, no new invitation of theirs can commit (each invite is
    /// conditioned on its inviter's role); the team's list is an index, so one
    /// committed a moment before may show up in it a moment late.
    async fn withdraw_sent_by(&self, ended: &EndedMembership) -> Result<usize, Error> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let (team, sender, by) = (&ended.membership.team_id, &ended.membership.user_id, &ended.by);
        let now = self.ctx.clock.now();
        let mut withdrawn = 0;
        let mut after = None;
        loop {
            let query = ListQuery { status: Some(Status::Open), limit: PAGE, after };
            let page = self.store.list(team, &query, now).await?;
            let theirs = page.invitations.into_iter().filter(|inv| &inv.invited_by == sender);
            withdrawn += stream::iter(theirs.map(|inv| async move {
                let purge_at = inv.withdraw(by.clone(), now)?.purge_at(self.ctx.settings.history_retention);
                Ok::<_, Error>(self.store.withdraw_sent_by(team, inv.id, sender, by, now, purge_at).await?)
            }))
            .buffer_unordered(PARALLELISM)
            .try_fold(0, |n, done| async move { Ok(n + usize::from(done)) })
            .await?;
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(withdrawn),
            }
        }
    }
}
