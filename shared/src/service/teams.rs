//! The platform's machine interface: teams come from the platform that owns
//! them, authorised as a service (API Gateway's IAM authorizer, SigV4), never
//! as a user. Creating is idempotent on the team id; closing marks the team
//! closed at once and then, in the background (the `closing` function, one
//! page per step), withdraws its open invitations and ends its memberships,
//! each change atomic on its own item; every step is safe to take twice.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use std::sync::Arc;

use super::Context;
use crate::domain::{
    ownable, DomainSpec, Email, EmailDomain, EndReason, EndedMembership, Invitation, JoinDomain, Membership,
    RoleChange, RoleName, Status, Team, TeamId, TeamLimits, TeamName, UserId,
};
use crate::error::{Error, FieldError};
use crate::ports::{
    Closing, ClosingStage, CreateError, DomainStore, InvitationStore, ListQuery, MemberCursor, MemberQuery,
    MemberStore, OwnerError, PageCursor, TeamChangeError, TeamRecord, TeamStore,
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

/// Runs `changes`, `PARALLELISM` at once; how many changed something.
async fn all<F>(changes: impl Iterator<Item = F>) -> Result<u64, Error>
where
    F: std::future::Future<Output = Result<bool, Error>>,
{
    stream::iter(changes)
        .buffer_unordered(PARALLELISM)
        .try_fold(0, |n, done| async move { Ok(n + u64::from(done)) })
        .await
}

/// A closing step whose cursor does not read: only this code writes it.
fn bad_step(team: &TeamId, after: &str) -> Error {
    Error::internal(format!("team {team}: closing step with an unreadable cursor {after:?}"))
}

fn team_change(e: TeamChangeError) -> Error {
    match e {
        TeamChangeError::NotFound => Error::TeamNotFound,
        TeamChangeError::Closed => Error::TeamClosed,
        TeamChangeError::Store(e) => e.into(),
    }
}

/// What naming an owner did: the membership as it now is, and its role
/// before (None: the person was no member, and the membership is new).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedOwner {
    pub membership: Membership,
    pub previous_role: Option<RoleName>,
}

/// How often naming an owner reads the membership again when it changed
/// under the write (joined, left, or its role changed meanwhile).
const OWNER_ATTEMPTS: usize = 3;

/// The platform's use cases on teams.
pub struct Teams<S> {
    store: S,
    ctx: Arc<Context>,
    /// Items a page of a closing reads and changes.
    page: usize,
}

/// The most verified domains one team holds: enough for a company's brands
/// and countries; more is a platform's mistake.
pub const MAX_DOMAINS: usize = 20;

impl<S: TeamStore + MemberStore + InvitationStore + DomainStore> Teams<S> {
    pub fn new(store: S, ctx: Arc<Context>) -> Self {
        Self { store, ctx, page: PAGE }
    }

    /// The roles a domain's declaration may name.
    pub fn roles(&self) -> &crate::domain::RoleCatalog {
        &self.ctx.roles
    }

    /// With pages of `page` items (the tests' closings take several steps).
    pub fn with_page(self, page: usize) -> Self {
        Self { page: page.clamp(1, PAGE), ..self }
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
            metadata: None,
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
            // What the teams-to-join list shows, with the new name too.
            for domain in self.store.join_domains(id, MAX_DOMAINS).await? {
                let renamed = JoinDomain { team_name: name.clone(), ..domain };
                self.store.set_join_domain(&renamed).await.map_err(team_change)?;
            }
        }
        let team = self.store.team_record(id).await?.ok_or(Error::TeamNotFound)?;
        Ok(Renamed { team, invitations_renamed: renamed })
    }

    /// Makes `user` an owner of the open team `id`: the platform's recovery of
    /// a team whose owners are gone. A member's role changes in place (the
    /// change names the platform's caller); someone not yet a member joins as
    /// an owner with `email`, whatever the team's seats; an owner stays one.
    pub async fn name_owner(
        &self,
        caller: &PlatformCaller,
        id: &TeamId,
        user: &UserId,
        email: Option<Email>,
    ) -> Result<NamedOwner, Error> {
        let record = self.store.team_record(id).await?.ok_or(Error::TeamNotFound)?;
        if record.closed_at.is_some() {
            return Err(Error::TeamClosed);
        }
        let owner = RoleName::parse(RoleName::OWNER).expect("owner is a role name");
        for _ in 0..OWNER_ATTEMPTS {
            let now = self.ctx.clock.now();
            let Some(member) = self.store.membership(id, user).await? else {
                let email = email.clone().ok_or_else(|| {
                    Error::Validation(vec![FieldError {
                        field: "email",
                        message: "email is required to name someone who is not a member".into(),
                    }])
                })?;
                let membership = Membership {
                    team_id: id.clone(),
                    user_id: user.clone(),
                    email,
                    role: owner.clone(),
                    joined_at: now,
                    metadata: None,
                };
                match self.store.add_owner(&membership).await {
                    Ok(()) => return Ok(NamedOwner { membership, previous_role: None }),
                    Err(OwnerError::Changed) => continue,
                    Err(OwnerError::EmailTaken) => return Err(Error::AlreadyMember),
                    Err(OwnerError::Closed) => return Err(Error::TeamClosed),
                    Err(OwnerError::Store(e)) => return Err(e.into()),
                }
            };
            if member.role == owner {
                return Ok(NamedOwner { previous_role: Some(owner), membership: member });
            }
            let change =
                RoleChange { membership: member, role: owner.clone(), by: caller.as_user(), at: now };
            if self.store.make_owner(&change).await? {
                let previous_role = Some(change.membership.role.clone());
                return Ok(NamedOwner { membership: change.changed(), previous_role });
            }
        }
        Err(Error::unavailable("naming an owner: the membership kept changing"))
    }

    /// Closes the team: marks it closed (no invite, resend, join or acceptance
    /// in it commits after that), removes its verified domains (no one sees it
    /// among the teams to join), and starts its closing, which withdraws every
    /// open invitation and ends every membership after this answers, a page at
    /// a time (`close_page`). A retry keeps the first closing's time, removes
    /// what domains are left, and has a closing cut short take its current page
    /// again.
    pub async fn close_team(&self, caller: &PlatformCaller, id: &TeamId) -> Result<TeamRecord, Error> {
        let now = self.ctx.clock.now();
        let closed = self.store.close_team(id, &caller.as_user(), now).await.map_err(team_change)?;
        // Marked closed first: no domain can be declared after this read.
        let domains = self.store.join_domains(id, MAX_DOMAINS).await?;
        let remove = |d: JoinDomain| async move { Ok(self.store.remove_join_domain(id, &d.domain).await?) };
        all(domains.into_iter().map(remove)).await?;
        Ok(closed)
    }

    /// The team's verified domains.
    pub async fn domains(&self, _caller: &PlatformCaller, id: &TeamId) -> Result<Vec<JoinDomain>, Error> {
        let (record, domains) =
            tokio::join!(self.store.team_record(id), self.store.join_domains(id, MAX_DOMAINS));
        record?.ok_or(Error::TeamNotFound)?;
        Ok(domains?)
    }

    /// Declares that the open team `id` owns `domain` (the platform verified
    /// it): whoever signs in with an address of it may join with `spec.role`,
    /// or ask to when `spec.approval`. Declaring it again replaces the role
    /// and approval. A public provider's domain is refused; so is a 21st
    /// domain (counted as read: the platform is the only writer).
    pub async fn set_domain(
        &self,
        caller: &PlatformCaller,
        id: &TeamId,
        domain: EmailDomain,
        spec: DomainSpec,
    ) -> Result<JoinDomain, Error> {
        ownable(&domain).map_err(|e| Error::invalid_field("domain", e.to_string()))?;
        let (record, domains) =
            tokio::join!(self.store.team_record(id), self.store.join_domains(id, MAX_DOMAINS));
        let record = record?.ok_or(Error::TeamNotFound)?;
        let domains = domains?;
        if domains.len() >= MAX_DOMAINS && !domains.iter().any(|d| d.domain == domain) {
            return Err(Error::invalid_field(
                "domain",
                format!("a team holds at most {MAX_DOMAINS} domains"),
            ));
        }
        let declared = JoinDomain {
            team_id: id.clone(),
            team_name: record.team.name,
            domain,
            role: spec.role,
            approval: spec.approval,
            verified_at: self.ctx.clock.now(),
            verified_by: caller.principal.clone(),
        };
        self.store.set_join_domain(&declared).await.map_err(team_change)?;
        Ok(declared)
    }

    /// Removes `domain` from the team's verified domains: no one joins by it
    /// after this, and its waiting requests can no longer be approved.
    /// Removing one the team does not hold changes nothing (a retry).
    pub async fn remove_domain(
        &self,
        _caller: &PlatformCaller,
        id: &TeamId,
        domain: &EmailDomain,
    ) -> Result<(), Error> {
        self.store.remove_join_domain(id, domain).await?;
        Ok(())
    }

    /// Takes a closing's step `at`: one page of the team's open invitations
    /// withdrawn or of its memberships ended, then the closing moved on to the
    /// next step. Returns that step, or None when `at` was taken already (a
    /// duplicate) or the closing is done. Each change is conditional on its
    /// own item, so a page taken twice changes nothing the second time.
    pub async fn close_page(&self, id: &TeamId, at: &Closing) -> Result<Option<Closing>, Error> {
        // A step handed over again after it was taken (Lambda's retry after a
        // timeout; a retried DELETE's record behind the step's own) would take
        // the next page uncounted: it stops here. Two copies of one step at the
        // same moment can still both run; the changes stay right, and the one
        // that loses the advance goes uncounted.
        match self.store.closing(id).await? {
            Some(current) if current.step == at.step => {}
            _ => return Ok(None),
        }
        let now = self.ctx.clock.now();
        let purge_at = now + self.ctx.settings.history_retention;
        let by = &at.by;
        let mut next = Closing { step: at.step + 1, ..at.clone() };
        match at.stage {
            ClosingStage::Done => return Ok(None),
            ClosingStage::Invitations | ClosingStage::Recheck => {
                let after = at.after.as_deref().map(|a| PageCursor::decode(a).ok_or_else(|| bad_step(id, a)));
                let query =
                    ListQuery { status: Some(Status::Open), limit: self.page, after: after.transpose()? };
                let page = self.store.list(id, &query, now).await?;
                let withdraw = |inv: Invitation| async move {
                    let inv = inv.withdraw(by.clone(), now)?;
                    self.store.withdraw_closing(&inv, now, purge_at).await.map_err(Error::from)
                };
                next.invitations_withdrawn += all(page.invitations.into_iter().map(withdraw)).await?;
                next.after = page.next.map(|c| c.encode());
                if next.after.is_none() {
                    next.stage = match at.stage {
                        // After the withdrawals: an acceptance that won its race
                        // against one has made its membership by now, and ends
                        // with the others.
                        ClosingStage::Invitations => ClosingStage::Members,
                        _ => ClosingStage::Done,
                    };
                }
            }
            ClosingStage::Members => {
                let after =
                    at.after.as_deref().map(|a| MemberCursor::decode(a).ok_or_else(|| bad_step(id, a)));
                let query = MemberQuery { limit: self.page, after: after.transpose()? };
                let page = self.store.members(id, &query).await?;
                let end = |membership: Membership| async move {
                    let ended = EndedMembership {
                        membership,
                        reason: EndReason::TeamClosed,
                        by: by.clone(),
                        at: now,
                    };
                    self.store.end_membership(&ended, purge_at).await.map_err(Error::from)
                };
                next.memberships_ended += all(page.members.into_iter().map(end)).await?;
                next.after = page.next.map(|c| c.encode());
                if next.after.is_none() {
                    // Once more: the index the first pass read lags the table by
                    // a moment, so an invitation committed just before the mark
                    // may only show now.
                    next.stage = ClosingStage::Recheck;
                }
            }
        }
        Ok(self.store.advance_closing(id, at.step, &next).await?.then_some(next))
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
            *changed += all(page.invitations.into_iter().map(&change)).await? as usize;
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(()),
            }
        }
    }
}
