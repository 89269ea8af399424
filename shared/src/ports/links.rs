//! Invite links as stored (issue 22): made, read, listed, revoked and joined
//! through, each change in one conditional write.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::{LimitRefusal, StoreError};
use crate::domain::{Email, EndedMembership, InviteLink, InviteLinkId, Membership, RoleName, TeamId, UserId};

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

/// Why a join through a link was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The link was not active when the write arrived: the link as the store
    /// saw it (revoked, expired, used up), or None when it is gone.
    #[error("the link is not active")]
    NotActive { current: Option<Box<InviteLink>> },
    /// The account, or another with the address, is a member already.
    #[error("already a member")]
    AlreadyMember,
    /// As many joined through the link this minute as it lets in
    /// (`domain::LINK_JOINS_PER_MINUTE`); the next minute starts in
    /// `retry_after` seconds.
    #[error("the link's joins this minute are used up")]
    RateLimited { retry_after: u64 },
    /// Joining through a verified domain: the team no longer owns it, or its
    /// role or its need for approval changed since it was read.
    #[error("the domain changed")]
    DomainChanged,
    /// The team is closed (`TeamClosed`), its seats are taken (`Seats`), or
    /// its open count moved since it was read (`Changed`: read it again).
    #[error(transparent)]
    Limit(LimitRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Someone who joined a team through a link, as recorded by the join's write
/// (kept after the membership ends: it is the link's history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkUse {
    pub link: InviteLinkId,
    pub user_id: UserId,
    pub email: Email,
    pub joined_at: DateTime<Utc>,
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

    /// Adds `membership` to the team of `link` through it, in one transaction:
    /// the link's use (only while it is not revoked, unexpired at `now` and
    /// used fewer times than it allows), the membership and its address's item
    /// (only if neither exists), the record of the use, the team's seats, and
    /// the link's count of joins in `now`'s minute (only while under
    /// `LINK_JOINS_PER_MINUTE`).
    /// With a seat limit, `opened_at_most` (`Usage::places` for one invitation,
    /// as read) keeps members and open invitations within it: the join is an
    /// invitation opened and accepted in the same write, so it meets the
    /// team's invites on the open count. Without one (None), the team must only
    /// be open.
    fn join_link(
        &self,
        link: &InviteLink,
        membership: &Membership,
        now: DateTime<Utc>,
        opened_at_most: Option<i64>,
    ) -> impl Future<Output = Result<(), JoinError>> + Send;

    /// Up to `limit` of the joins through link `id` of `team`, in the order
    /// of the joiners' user ids, after `after` (a user id) when given.
    fn link_uses(
        &self,
        team: &TeamId,
        id: InviteLinkId,
        limit: usize,
        after: Option<&UserId>,
    ) -> impl Future<Output = Result<Vec<LinkUse>, StoreError>> + Send;

    /// Ends `ended.membership` (with its address's item, the record of its
    /// end, kept until `purge_at`, and the team's member count), in one
    /// transaction, only if the membership was created through link `link`
    /// and its role is still the one read, and `ended.by` holds one of
    /// `manager_roles` at that moment. Whether it ended (false: it had ended,
    /// was made otherwise since, or its role changed).
    fn end_link_membership(
        &self,
        ended: &EndedMembership,
        link: InviteLinkId,
        manager_roles: &[RoleName],
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, LinkWriteError>> + Send;
}
