//! The platform's machine interface: teams come from the platform that owns
//! them, authorised as a service (API Gateway's IAM authorizer, SigV4), never
//! as a user. Creating is idempotent on the team id; closing withdraws the
//! team's open invitations and ends its memberships, each change atomic on its
//! own item, and is safe to retry: a retry finds what is left.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use std::sync::Arc;

use super::Context;
use crate::domain::{
    Email, EndReason, EndedMembership, Invitation, Membership, RoleName, Status, Team, TeamId, TeamLimits,
    TeamName, UserId,
};
use crate::error::Error;
use crate::ports::{
    CreateError, InvitationStore, ListQuery, MemberQuery, MemberStore, TeamChangeError, TeamRecord, TeamStore,
};

/// The service that called, as IAM authenticated it (its ARN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformCaller {
    pub principal: String,
}

impl PlatformCaller {
    /// Who the invitations a closing withdraws are withdrawn by: the caller's
    /// ARN, where it fits a user id.
    fn as_user(&self) -> UserId {
        UserId::parse(&self.principal).unwrap_or_else(|_| UserId::parse("platform").expect("a valid user id"))
    }
}

/// A team the platform creates, with its first owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    pub id: TeamId,
    pub name: TeamName,
    pub owner: UserId,
    pub owner_email: Email,
    /// Its own limits (None: the deployment's defaults).
    pub limits: Option<TeamLimits>,
}

/// What a platform's change to a team asks for: a new name, new limits, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamChange {
    pub name: Option<TeamName>,
    pub limits: Option<TeamLimits>,
}

/// What a closing did: the team as closed, and what this call changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    pub team: TeamRecord,
    pub invitations_withdrawn: usize,
    pub memberships_ended: usize,
}

/// What a rename did: the team as renamed, and how many open invitations now
/// show the new name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    pub team: TeamRecord,
    pub invitations_renamed: usize,
}

/// Items a page of the closing or renaming reads, and writes at once.
const PAGE: usize = 100;
const PARALLELISM: usize = 8;

fn team_change(e: TeamChangeError) -> Error {
    match e {
        TeamChangeError::NotFound => Error::TeamNotFound,
        TeamChangeError::Closed => Error::TeamClosed,
        TeamChangeError::Store(e) => e.into(),
    }
}

/// The platform's use cases on teams.
pub struct Teams<S> {
    store: S,
    ctx: Arc<Context>,
}

impl<S: TeamStore + MemberStore + InvitationStore> Teams<S> {
    pub fn new(store: S, ctx: Arc<Context>) -> Self {
        Self { store, ctx }
    }

    pub async fn platform_team(&self, _caller: &PlatformCaller, id: &TeamId) -> Result<TeamRecord, Error> {
        self.store.team_record(id).await?.ok_or(Error::TeamNotFound)
    }

    /// The team with its owner, in one transaction; `true` when this call made
    /// it. A team that exists is answered as it is (a retry changes nothing),
    /// unless it was closed: its id is not reused.
    pub async fn create_team(
        &self,
        _caller: &PlatformCaller,
        new: NewTeam,
    ) -> Result<(TeamRecord, bool), Error> {
        let now = self.ctx.clock.now();
        let team = Team { id: new.id.clone(), name: new.name, created_at: now };
        let owner = Membership {
            team_id: new.id.clone(),
            user_id: new.owner,
            email: new.owner_email,
            role: RoleName::parse(RoleName::OWNER).expect("owner is a role name"),
            joined_at: now,
        };
        let created = match self.store.create_team(&team, &owner, new.limits).await {
            Ok(()) => true,
            Err(CreateError::AlreadyExists) => false,
            Err(CreateError::Store(e)) => return Err(e.into()),
        };
        // Created: as written. Not: the stored team, which may differ from the
        // request (renamed since), or not exist when only the owner's address
        // was taken (a member of no team cannot hold one: a corrupt state).
        let record = self
            .store
            .team_record(&new.id)
            .await?
            .ok_or_else(|| Error::internal(format!("team {} not created, yet not found", new.id)))?;
        if record.closed_at.is_some() {
            return Err(Error::TeamClosed);
        }
        Ok((record, created))
    }

    /// Sets the team's own limits (its next invites and resends are held to
    /// them), then renames it and its open invitations (what their emails and
    /// previews show; answered invitations keep the name they were sent with).
    pub async fn change_team(
        &self,
        _caller: &PlatformCaller,
        id: &TeamId,
        change: TeamChange,
    ) -> Result<Renamed, Error> {
        if let Some(limits) = change.limits {
            self.store.set_team_limits(id, limits).await.map_err(team_change)?;
        }
        let mut renamed = 0;
        if let Some(name) = &change.name {
            self.store.rename_team(id, name).await.map_err(team_change)?;
            self.each_open_invitation(
                id,
                |inv| async move { self.store.rename_invitation(id, inv.id, name).await.map_err(Error::from) },
                &mut renamed,
            )
            .await?;
        }
        let team = self.store.team_record(id).await?.ok_or(Error::TeamNotFound)?;
        Ok(Renamed { team, invitations_renamed: renamed })
    }

    /// Closes the team: first marked closed (no invite, resend or acceptance in
    /// it commits after that), then every open invitation withdrawn, then every
    /// membership ended. A retry of a closing cut short finishes it.
    pub async fn close_team(&self, caller: &PlatformCaller, id: &TeamId) -> Result<Closed, Error> {
        let now = self.ctx.clock.now();
        let team = self.store.close_team(id, now).await.map_err(team_change)?;
        let by = caller.as_user();
        let by = &by;
        let purge_at = now + self.ctx.settings.history_retention;
        let withdraw = |inv: Invitation| async move {
            let inv = inv.withdraw(by.clone(), now)?;
            self.store.withdraw_closing(&inv, now, purge_at).await.map_err(Error::from)
        };
        let mut withdrawn = 0;
        self.each_open_invitation(id, withdraw, &mut withdrawn).await?;
        // After the withdrawals: an acceptance that won its race against one has
        // made its membership by now, and ends here with the others.
        let mut ended = 0;
        let mut after = None;
        loop {
            let page = self.store.members(id, &MemberQuery { limit: PAGE, after }).await?;
            let ending = page.members.into_iter().map(|membership| async move {
                let ended =
                    EndedMembership { membership, reason: EndReason::TeamClosed, by: by.clone(), at: now };
                self.store.end_membership(&ended, purge_at).await
            });
            ended += stream::iter(ending)
                .buffer_unordered(PARALLELISM)
                .try_fold(
                    0,
                    |n, done| async move { Ok::<_, crate::ports::StoreError>(n + usize::from(done)) },
                )
                .await?;
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        // Once more: the index the first pass read lags the table by a moment,
        // so an invitation committed just before the mark may only show now.
        self.each_open_invitation(id, withdraw, &mut withdrawn).await?;
        Ok(Closed { team, invitations_withdrawn: withdrawn, memberships_ended: ended })
    }

    /// Runs `change` on each of the team's open invitations, a page at a time
    /// and `PARALLELISM` at once; counts those it changed into `changed`.
    async fn each_open_invitation<'a, F, Fut>(
        &'a self,
        team: &'a TeamId,
        change: F,
        changed: &mut usize,
    ) -> Result<(), Error>
    where
        F: Fn(Invitation) -> Fut,
        Fut: std::future::Future<Output = Result<bool, Error>>,
    {
        let now = self.ctx.clock.now();
        let mut after = None;
        loop {
            let query = ListQuery { status: Some(Status::Open), limit: PAGE, after };
            let page = self.store.list(team, &query, now).await?;
            *changed += stream::iter(page.invitations.into_iter().map(&change))
                .buffer_unordered(PARALLELISM)
                .try_fold(0, |n, done| async move { Ok::<_, Error>(n + usize::from(done)) })
                .await?;
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(()),
            }
        }
    }
}
