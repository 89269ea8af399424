//! Join requests as stored (issue 22, items 2 and 3): asked, answered and read, each
//! change one conditional transaction.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::{JoinError, StoreError};
use crate::domain::{JoinRequest, Membership, RoleName, TeamId, UserId};

/// Why a request, or its answer, was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Another request of the person's waits in the team already.
    #[error("a request is pending already")]
    Pending,
    /// The request was answered, or expired, since it was read (or there is
    /// none).
    #[error("the request is not pending")]
    NotPending,
    /// The manager's role did not allow it at the write.
    #[error("not permitted")]
    Forbidden,
    /// Asking, or approving: as a join through the link, or the domain,
    /// would be refused.
    #[error(transparent)]
    Join(JoinError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Join requests: one per person and team, kept in the team's partition (for
/// its managers) and the person's (for them), both written in each change.
pub trait JoinRequestStore: Send + Sync {
    /// Writes `request` (replacing an earlier one that is no longer pending),
    /// only while the person is not a member and what it came through lets
    /// them ask: its link active at `now`, or its domain still the team's,
    /// with the request's role and needing approval.
    fn request_join(
        &self,
        request: &JoinRequest,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), RequestError>> + Send;

    /// `user`'s request in `team`, read consistently.
    fn join_request(
        &self,
        team: &TeamId,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<JoinRequest>, StoreError>> + Send;

    /// Up to `limit` of a team's requests (in the order of the askers' ids).
    fn join_requests(
        &self,
        team: &TeamId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<JoinRequest>, StoreError>> + Send;

    /// Up to `limit` of one person's requests, in every team.
    fn my_join_requests(
        &self,
        user: &UserId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<JoinRequest>, StoreError>> + Send;

    /// Writes `answered` (its decision set), only while the request is still
    /// pending at `now`; with `manager_roles`, only if its decider holds one
    /// of them then (a cancel by the person names none).
    fn answer_join(
        &self,
        answered: &JoinRequest,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), RequestError>> + Send;

    /// Approves: `approved` written as `answer_join` does, and in the same
    /// transaction the join through what it came through: a link's
    /// (`LinkStore::join_link`'s writes: the link's use, `membership`, the
    /// team's seats), the link only needing to be unrevoked and not used up;
    /// or a domain's (`DomainStore::join_by_domain`'s), the domain only
    /// needing to be the team's still, with the request's role.
    fn approve_join(
        &self,
        approved: &JoinRequest,
        membership: &Membership,
        manager_roles: &[RoleName],
        now: DateTime<Utc>,
        opened_at_most: Option<i64>,
    ) -> impl Future<Output = Result<(), RequestError>> + Send;
}
