//! Teams, as the platform manages them.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::{CreateError, StoreError};
use crate::domain::{Invitation, InvitationId, Membership, Team, TeamId, TeamName};

/// A team as the platform sees it: a closed team is kept, so that its id is
/// not reused and its history stays readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRecord {
    pub team: Team,
    pub closed_at: Option<DateTime<Utc>>,
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

    fn create_team(
        &self,
        team: &Team,
        owner: &Membership,
    ) -> impl Future<Output = Result<(), CreateError>> + Send;

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
