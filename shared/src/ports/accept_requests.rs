//! Requests to accept an invitation as another address (issue 22, item 4),
//! as stored: asked, answered and read, each change one conditional
//! transaction.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::{ResolveError, StoreError};
use crate::domain::{AcceptRequest, Invitation, InvitationId, Membership, RoleName, TeamId};

/// Why a request, or its answer, was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcceptRequestError {
    /// Another request to accept this invitation waits already.
    #[error("a request is pending already")]
    Pending,
    /// The request was answered, or expired, since it was read.
    #[error("the request is not pending")]
    NotPending,
    /// The manager's role did not allow it at the write.
    #[error("not permitted")]
    Forbidden,
    /// The invitation refused: no longer open, resent since (`NotOpen`), or
    /// the asking account's address a member already (`AlreadyMember`), or the
    /// team's seats or closing (`Limit`).
    #[error(transparent)]
    Invitation(ResolveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One request per invitation, in its team's partition.
pub trait AcceptRequestStore: Send + Sync {
    /// Writes `request` (replacing an earlier one that is no longer pending),
    /// only while its invitation is open at `now`, in its team, with the link
    /// generation the asker held.
    fn request_accept(
        &self,
        request: &AcceptRequest,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), AcceptRequestError>> + Send;

    /// The request to accept invitation `id` of `team`, read consistently.
    fn accept_request(
        &self,
        team: &TeamId,
        id: InvitationId,
    ) -> impl Future<Output = Result<Option<AcceptRequest>, StoreError>> + Send;

    /// Up to `limit` of a team's requests (in the order of their invitations' ids).
    fn accept_requests(
        &self,
        team: &TeamId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AcceptRequest>, StoreError>> + Send;

    /// Writes `refused` (its decision set), only while the request is still
    /// pending at `now` and its decider holds one of `manager_roles`.
    fn refuse_accept(
        &self,
        refused: &AcceptRequest,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), AcceptRequestError>> + Send;

    /// Approves: `approved` written as `refuse_accept` writes an answer, and in
    /// the same transaction `accepted` (the invitation accepted by the asking
    /// account, still open with the link generation asked under), `membership`
    /// (the asking account's) and the team's seats, as `InvitationStore::accept`
    /// writes them.
    fn approve_accept(
        &self,
        approved: &AcceptRequest,
        accepted: &Invitation,
        membership: &Membership,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), AcceptRequestError>> + Send;
}
