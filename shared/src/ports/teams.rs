//! Teams, as the platform manages them.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::{CreateError, StoreError};
use crate::domain::{Invitation, InvitationId, Membership, Team, TeamId, TeamLimits, TeamName};

/// A team as the platform sees it: a closed team is kept, so that its id is
/// not reused and its history stays readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRecord {
    pub team: Team,
    pub closed_at: Option<DateTime<Utc>>,
    /// The team's own limits, where the platform set them (None: the
    /// deployment's defaults).
    pub limits: Option<TeamLimits>,
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
    /// afterwards; returns the team as closed.
    fn close_team(
        &self,
        id: &TeamId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<TeamRecord, TeamChangeError>> + Send;

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
