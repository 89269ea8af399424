//! Teams, as the platform manages them.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::{CreateError, StoreError};
use crate::domain::{
    Invitation, InvitationId, Membership, RoleChange, Team, TeamId, TeamLimits, TeamName, UserId,
};

/// A team as the platform sees it: a closed team is kept, so that its id is
/// not reused and its history stays readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRecord {
    pub team: Team,
    pub closed_at: Option<DateTime<Utc>>,
    /// The team's own limits, where the platform set them (None: the
    /// deployment's defaults).
    pub limits: Option<TeamLimits>,
    /// Where its closing stands, once closed.
    pub closing: Option<Closing>,
}

/// A closing goes on after the platform's call has been answered, a page at a
/// time, each page a step that the store moves on from one to the next
/// (`TeamStore::advance_closing`): the open invitations withdrawn, then the
/// memberships ended, then the open invitations once more (an invitation
/// committed just before the mark may show in the index only after the first
/// pass).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub stage: ClosingStage,
    /// Where the stage's next page starts, as its query's cursor encodes it
    /// (None: at the stage's start).
    pub after: Option<String>,
    /// The steps taken so far; each step is taken once, from the number it
    /// read (a duplicate of a page finds it moved on).
    pub step: u32,
    /// Who closed the team: each withdrawal and end names them.
    pub by: UserId,
    pub invitations_withdrawn: u64,
    pub memberships_ended: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosingStage {
    Invitations,
    Members,
    Recheck,
    Done,
}

impl ClosingStage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitations => "invitations",
            Self::Members => "members",
            Self::Recheck => "recheck",
            Self::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Invitations, Self::Members, Self::Recheck, Self::Done].into_iter().find(|st| st.as_str() == s)
    }
}

impl Closing {
    /// A closing's first step, by `by`.
    pub fn start(by: UserId) -> Self {
        Self {
            stage: ClosingStage::Invitations,
            after: None,
            step: 0,
            by,
            invitations_withdrawn: 0,
            memberships_ended: 0,
        }
    }

    pub fn done(&self) -> bool {
        self.stage == ClosingStage::Done
    }
}

/// Why a change to a team did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamChangeError {
    #[error("no such team")]
    NotFound,
    #[error("the team is closed")]
    Closed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why the platform's naming of a new owner did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnerError {
    #[error("the team is closed")]
    Closed,
    /// Another member joined with the address.
    #[error("the address is another member's")]
    EmailTaken,
    /// The user became a member meanwhile: read again.
    #[error("the membership changed meanwhile")]
    Changed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Teams, as the platform creates, renames and closes them, and what a rename or a closing changes in their open invitations.
pub trait TeamStore: Send + Sync {
    fn team(&self, id: &TeamId) -> impl Future<Output = Result<Option<Team>, StoreError>> + Send;

    /// A team, closed or not.
    fn team_record(&self, id: &TeamId)
        -> impl Future<Output = Result<Option<TeamRecord>, StoreError>> + Send;

    /// The team with its first owner and (given) its own limits, in one
    /// transaction, unless it exists.
    fn create_team(
        &self,
        team: &Team,
        owner: &Membership,
        limits: Option<TeamLimits>,
    ) -> impl Future<Output = Result<(), CreateError>> + Send;

    /// Makes `owner` (not a member yet) a member of its open team as an
    /// owner, in one transaction: the platform's recovery of a team whose
    /// owners are gone. No seat limit refuses it.
    fn add_owner(&self, owner: &Membership) -> impl Future<Output = Result<(), OwnerError>> + Send;

    /// Makes a member an owner, as `change` says (made by the platform: no
    /// permission to check, no owner to keep), unless their role changed or
    /// their membership ended since it was read; whether it did.
    fn make_owner(&self, change: &RoleChange) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Sets an existing, open team's own limits (what its next invites and
    /// resends are held to).
    fn set_team_limits(
        &self,
        id: &TeamId,
        limits: TeamLimits,
    ) -> impl Future<Output = Result<(), TeamChangeError>> + Send;

    /// Renames an existing, open team; returns it as renamed.
    fn rename_team(
        &self,
        id: &TeamId,
        name: &TeamName,
    ) -> impl Future<Output = Result<Team, TeamChangeError>> + Send;

    /// Gives open invitation `id` of `team` its team's new name (what its email
    /// and preview show), if it is still open; whether it did.
    fn rename_invitation(
        &self,
        team: &TeamId,
        id: InvitationId,
        name: &TeamName,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Marks a team closed (at `now`, or when it was first closed), with its
    /// limits item, so that no invite, resend or acceptance in it commits
    /// afterwards, and starts its closing by `by` (`Closing::start`); returns
    /// the team as closed. Called again, it keeps the first time and closer,
    /// and has a closing that has not finished take its current step again
    /// (one cut short resumes).
    fn close_team(
        &self,
        id: &TeamId,
        by: &UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<TeamRecord, TeamChangeError>> + Send;

    /// Where a team's closing stands now (a strongly consistent read).
    fn closing(&self, id: &TeamId) -> impl Future<Output = Result<Option<Closing>, StoreError>> + Send;

    /// Moves a team's closing on from step `from` to `to`, unless it is no
    /// longer at `from` (a duplicate page); whether it did.
    fn advance_closing(
        &self,
        id: &TeamId,
        from: u32,
        to: &Closing,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Withdraws invitation `withdrawn.id` as `withdrawn` says, if it is still
    /// open at `now`, without a permission check (its team is closing) or a
    /// change to the closed team's counts; whether it did.
    fn withdraw_closing(
        &self,
        withdrawn: &Invitation,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
