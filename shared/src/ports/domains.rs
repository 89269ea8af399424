//! Verified domains as stored (issue 22, item 3): declared and removed by the
//! platform, read by team and by domain, joined through in one transaction.

use std::future::Future;

use super::{JoinError, StoreError, TeamChangeError};
use crate::domain::{EmailDomain, JoinDomain, Membership, TeamId};

/// Teams' verified domains: each kept twice, under its team (the platform's
/// view, the closing) and under the domain (who may join what), both written
/// by each change.
pub trait DomainStore: Send + Sync {
    /// Writes `domain` (replacing the team's earlier declaration of it), only
    /// while its team exists and is not closed.
    fn set_join_domain(
        &self,
        domain: &JoinDomain,
    ) -> impl Future<Output = Result<(), TeamChangeError>> + Send;

    /// Removes `domain` from `team`; whether it was there.
    fn remove_join_domain(
        &self,
        team: &TeamId,
        domain: &EmailDomain,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Up to `limit` of a team's domains (in their order).
    fn join_domains(
        &self,
        team: &TeamId,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<JoinDomain>, StoreError>> + Send;

    /// Up to `limit` of the teams that own `domain` (in the order of their ids).
    fn domain_teams(
        &self,
        domain: &EmailDomain,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<JoinDomain>, StoreError>> + Send;

    /// `team`'s declaration of `domain`, read consistently.
    fn join_domain(
        &self,
        team: &TeamId,
        domain: &EmailDomain,
    ) -> impl Future<Output = Result<Option<JoinDomain>, StoreError>> + Send;

    /// Adds `membership` to the team of `domain` through it, in one
    /// transaction: the domain still the team's, with the role read and
    /// without approval (else `JoinError::DomainChanged`), the membership and
    /// its address's item (only if neither exists), and the team's seats, as
    /// `LinkStore::join_link` holds them.
    fn join_by_domain(
        &self,
        domain: &JoinDomain,
        membership: &Membership,
        opened_at_most: Option<i64>,
    ) -> impl Future<Output = Result<(), JoinError>> + Send;
}
