//! Invite links as stored (issue 22): made, read, listed and revoked, each
//! change in one conditional write. Joining through one comes with its use case.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::StoreError;
use crate::domain::{InviteLink, InviteLinkId, RoleName, TeamId, UserId};

/// Why a change to a link was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkWriteError {
    /// The caller's membership did not hold a managing role at the write.
    #[error("not permitted")]
    Forbidden,
    #[error("the team is closed")]
    TeamClosed,
    #[error("no such link")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Invite links: each change one conditional transaction; reads by key and by team.
pub trait LinkStore: Send + Sync {
    /// Writes `link`, only if its creator holds one of `creator_roles` in its
    /// team at that moment and the team is not closed.
    fn create_link(
        &self,
        link: &InviteLink,
        creator_roles: &[RoleName],
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), LinkWriteError>> + Send;

    /// Link `id` of `team`, read consistently.
    fn invite_link(
        &self,
        team: &TeamId,
        id: InviteLinkId,
    ) -> impl Future<Output = Result<Option<InviteLink>, StoreError>> + Send;

    /// Up to `limit` of a team's links (in the order of their ids).
    fn invite_links(
        &self,
        team: &TeamId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<InviteLink>, StoreError>> + Send;

    /// Revokes link `id` of `team` as `by` at `now`, only if `by` holds one of
    /// `roles` in the team at that moment. Whether this call revoked it (a
    /// link revoked before stays as it was: false).
    fn revoke_link(
        &self,
        team: &TeamId,
        id: InviteLinkId,
        by: &UserId,
        roles: &[RoleName],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, LinkWriteError>> + Send;
}
