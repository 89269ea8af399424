//! A team's members: who they are, the roles they may be given, ending one's
//! membership.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::{Caller, Context};
use crate::domain::{
    EndReason, EndedMembership, Membership, Permission, Role, RoleChange, RoleName, Status, TeamId, UserId,
};
use crate::error::Error;
use crate::ports::{
    InvitationStore, LimitStore, ListQuery, MemberPage, MemberQuery, MemberStore, RemoveError,
};

/// A role of the team's catalog, and whether the caller may invite into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRole {
    pub role: Role,
    pub grantable: bool,
    /// Whether the caller may give a member this role, or take it from one,
    /// by a role change (owner included, which no invitation grants).
    pub assignable: bool,
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

/// The answer to a role change: the membership as it now is, its former
/// role, and how many of the open invitations the person had sent were
/// withdrawn because they no longer manage the team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChanged {
    pub membership: Membership,
    pub previous_role: RoleName,
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

    pub fn context(&self) -> &Context {
        &self.ctx
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
                assignable: self.ctx.roles.may_assign(&member.role, role),
            })
            .collect())
    }
}

/// A team's seats as its managers see them, where it has a seat limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seats {
    pub limit: u32,
    pub members: i64,
    /// Open invitations, each holding a seat (those expired until released).
    pub open_invitations: i64,
    pub free: i64,
}

/// The members' page, and on the first page, for whoever may manage the
/// members, the team's seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembersPage {
    pub page: MemberPage,
    pub seats: Option<Seats>,
}

impl<S: MemberStore + LimitStore> Members<S> {
    /// A page of the team's members. The permission check comes first; the
    /// query and (for a manager's first page) the seats read run together.
    pub async fn members(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        query: &MemberQuery,
    ) -> Result<MembersPage, Error> {
        // Authorised first: a stranger's request reads nothing of the team's, and
        // its refusal cannot take longer for a bigger team.
        let member = self.store.membership(team_id, &caller.user_id).await?;
        let member = self.ctx.authorize(member, Permission::MembersRead)?;
        let manages = self.ctx.roles.allows(&member.role, Permission::MembersManage);
        let usage = async {
            match manages && query.after.is_none() {
                true => self.store.usage(team_id).await.map(Some),
                false => Ok(None),
            }
        };
        let (page, usage) = tokio::join!(self.store.members(team_id, query), usage);
        let seats = usage?.and_then(|usage| {
            Some(Seats {
                limit: usage.seats?,
                members: usage.members,
                open_invitations: usage.open(),
                free: usage.seats_free()?,
            })
        });
        Ok(MembersPage { page: page?, seats })
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
                    true => {
                        let (m, by) = (&ended.membership, &ended.by);
                        self.withdraw_sent_by(&m.team_id, &m.user_id, by).await?
                    }
                    false => 0,
                };
                Ok(Removed { membership: ended.membership, by: ended.by, at: now, invitations_withdrawn })
            }
            Err(e) => Err(self.refused(team_id, user, e).await),
        }
    }

    /// Gives `user` the role `role` in place (`members.manage`): only from and
    /// to roles the caller could grant, so an administrator never changes an
    /// owner; and a team keeps an owner, decided in the write as for a
    /// removal. A member who no longer manages loses the open invitations they
    /// sent, as a removed one does. The same role again changes nothing.
    pub async fn change_role(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        user: &UserId,
        role: &RoleName,
    ) -> Result<RoleChanged, Error> {
        let now = self.ctx.clock.now();
        let (mine, theirs) = tokio::join!(
            self.store.membership(team_id, &caller.user_id),
            self.store.membership(team_id, user)
        );
        let manager = self.ctx.authorize(mine?, Permission::MembersManage)?;
        let member = theirs?.ok_or(Error::MemberNotFound)?;
        let may_assign = |name: &RoleName| {
            self.ctx.roles.get(name.as_str()).is_some_and(|r| self.ctx.roles.may_assign(&manager.role, r))
        };
        if !may_assign(&member.role) || !may_assign(role) {
            return Err(Error::Forbidden);
        }
        if &member.role == role {
            return Ok(RoleChanged {
                membership: member,
                previous_role: role.clone(),
                invitations_withdrawn: 0,
            });
        }
        let staying_owner = match member.role.as_str() == RoleName::OWNER {
            true => Some(self.store.other_owner(team_id, user).await?.ok_or(Error::LastOwner)?),
            false => None,
        };
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let change =
            RoleChange { membership: member, role: role.clone(), by: caller.user_id.clone(), at: now };
        match self.store.change_role(&change, &managers, staying_owner.as_ref()).await {
            Ok(()) => {
                let roles = &self.ctx.roles;
                let stops_managing = roles.allows(&change.membership.role, Permission::MembersManage)
                    && !roles.allows(role, Permission::MembersManage);
                let invitations_withdrawn = match stops_managing {
                    true => self.withdraw_sent_by(team_id, &change.membership.user_id, &change.by).await?,
                    false => 0,
                };
                Ok(RoleChanged {
                    membership: change.changed(),
                    previous_role: change.membership.role,
                    invitations_withdrawn,
                })
            }
            Err(e) => Err(self.refused(team_id, user, e).await),
        }
    }

    /// What the write of a removal or a role change refused, for the caller.
    /// Gone meanwhile: as if it never was. Changed (a role) or the owner who
    /// was to stay is not one any more: the caller may retry, and is judged
    /// afresh.
    async fn refused(&self, team_id: &TeamId, user: &UserId, e: RemoveError) -> Error {
        match e {
            RemoveError::Forbidden => Error::Forbidden,
            RemoveError::Changed => match self.store.membership(team_id, user).await {
                Ok(None) => Error::MemberNotFound,
                Ok(Some(_)) => Error::unavailable("the membership changed meanwhile"),
                Err(e) => e.into(),
            },
            RemoveError::OwnersChanged => Error::unavailable("the team's owners changed meanwhile"),
            RemoveError::Store(e) => e.into(),
        }
    }

    async fn withdraw_sent_by(&self, team: &TeamId, sender: &UserId, by: &UserId) -> Result<usize, Error> {
        withdraw_sent_by(&self.store, &self.ctx, team, sender, by).await
    }
}

/// Withdraws the open invitations `sender` sent in `team`, a page at a time,
/// as `by`, who ended their membership or their say; how many. After that
/// commit, no new invitation of theirs can commit (each invite is
/// conditioned on its inviter's role); the team's list is an index, so one
/// committed a moment before may show up in it a moment late.
pub(crate) async fn withdraw_sent_by<S: InvitationStore>(
    store: &S,
    ctx: &Context,
    team: &TeamId,
    sender: &UserId,
    by: &UserId,
) -> Result<usize, Error> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    let now = ctx.clock.now();
    let mut withdrawn = 0;
    let mut after = None;
    loop {
        let query = ListQuery { status: Some(Status::Open), limit: PAGE, after };
        let page = store.list(team, &query, now).await?;
        let theirs = page.invitations.into_iter().filter(|inv| &inv.invited_by == sender);
        withdrawn += stream::iter(theirs.map(|inv| async move {
            let purge_at = inv.withdraw(by.clone(), now)?.purge_at(ctx.settings.history_retention);
            Ok::<_, Error>(store.withdraw_sent_by(team, inv.id, sender, by, now, purge_at).await?)
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
