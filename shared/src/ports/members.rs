//! A team's memberships.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use std::future::Future;

use super::StoreError;
use crate::domain::{EndedMembership, Membership, RoleChange, RoleName, TeamId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    #[error("it already exists")]
    AlreadyExists,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a page of a team's members starts: just after this member (members
/// are ordered by user id, which never changes). Opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberCursor(pub UserId);

impl MemberCursor {
    /// A prefix keeps a members cursor from passing for an invitations one.
    const PREFIX: &'static str = "member|";

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}{}", Self::PREFIX, self.0))
    }

    pub fn decode(s: &str) -> Option<Self> {
        if s.len() > 400 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
        let raw = std::str::from_utf8(&bytes).ok()?;
        UserId::parse(raw.strip_prefix(Self::PREFIX)?).ok().map(Self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberQuery {
    pub limit: usize,
    pub after: Option<MemberCursor>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPage {
    pub members: Vec<Membership>,
    pub next: Option<MemberCursor>,
}

/// Why a membership was not removed, or its role not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoveError {
    /// The caller's membership did not hold a managing role at the write.
    #[error("not permitted")]
    Forbidden,
    /// The membership changed (its role) or ended since it was read.
    #[error("the membership changed meanwhile")]
    Changed,
    /// The owner who was to stay is no longer one.
    #[error("the remaining owner changed meanwhile")]
    OwnersChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A team's memberships.
pub trait MemberStore: Send + Sync {
    fn membership(
        &self,
        team: &TeamId,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<Membership>, StoreError>> + Send;

    /// A page of a team's members, ordered by user id.
    fn members(
        &self,
        team: &TeamId,
        query: &MemberQuery,
    ) -> impl Future<Output = Result<MemberPage, StoreError>> + Send;

    /// An owner of `team` other than `besides`, if there is one.
    fn other_owner(
        &self,
        team: &TeamId,
        besides: &UserId,
    ) -> impl Future<Output = Result<Option<UserId>, StoreError>> + Send;

    /// Ends `ended.membership` and frees its email in the team, in one
    /// transaction, only if it is unchanged, `ended.by` holds one of
    /// `manager_roles` in the team at that moment (not checked when members
    /// remove themselves: the membership's own condition holds the role that was
    /// authorized), and, when given, `staying_owner` is still an owner. The
    /// record of who ended it and why is kept until `purge_at` (the change
    /// stream reads it).
    fn remove_member(
        &self,
        ended: &EndedMembership,
        manager_roles: &[RoleName],
        staying_owner: Option<&UserId>,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), RemoveError>> + Send;

    /// Gives `change.membership` its new role, in one transaction, only if its
    /// role is unchanged since it was read, `change.by` holds one of
    /// `manager_roles` at that moment (not checked when members change their
    /// own role: the membership's own condition holds the role that was
    /// authorized), and, when given, `staying_owner` is still an owner. Who
    /// changed it and when are kept on the membership (the stream reads them).
    fn change_role(
        &self,
        change: &RoleChange,
        manager_roles: &[RoleName],
        staying_owner: Option<&UserId>,
    ) -> impl Future<Output = Result<(), RemoveError>> + Send;

    /// Ends `ended.membership` and frees its email in the team, with the record
    /// of its end (kept until `purge_at`), in one transaction, if it still
    /// exists; whether it did.
    fn end_membership(
        &self,
        ended: &EndedMembership,
        purge_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn add_member(&self, membership: &Membership) -> impl Future<Output = Result<(), CreateError>> + Send;
}
