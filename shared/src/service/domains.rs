//! Joining by a verified domain (issue 22, item 3): the platform declares the
//! domains a team owns (`Teams::set_domain`); a person signed in with an
//! address of one, verified by a provider that may stand for it, sees the
//! team among those they may join and joins it with the domain's role, or
//! asks to (a `JoinRequest`) where the team wants a manager's approval.

use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::sync::Arc;

use super::join_requests::RequestView;
use super::links::{seated, write_request, Joined};
use super::{Caller, Context};
use crate::domain::{Email, JoinDomain, JoinRequest, Membership, RequestStatus, TeamId};
use crate::error::Error;
use crate::ports::{DomainStore, JoinRequestStore, LimitStore, MemberStore};

/// What joining by domain reads and writes.
pub trait DomainsStore: DomainStore + JoinRequestStore + MemberStore + LimitStore {}
impl<S: DomainStore + JoinRequestStore + MemberStore + LimitStore> DomainsStore for S {}

/// The most teams one domain lists (a domain is rarely more than one team's).
pub const MAX_LISTED: usize = 50;
const PARALLELISM: usize = 8;

/// A team the caller's domain lets them join, as they see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinableTeam {
    pub domain: JoinDomain,
    /// The caller is a member already.
    pub member: bool,
    /// Their request to join it, when one waits.
    pub pending: Option<RequestView>,
}

/// The teams the caller may join by their address's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joinable {
    /// Whether the caller's address counts for its domain at all (verified by
    /// a provider that may stand for it): when not, the list is empty.
    pub address_counts: bool,
    pub teams: Vec<JoinableTeam>,
}

pub struct Domains<S> {
    store: S,
    ctx: Arc<Context>,
}

impl<S: DomainsStore> Domains<S> {
    pub fn new(store: S, ctx: Arc<Context>) -> Self {
        Self { store, ctx }
    }

    /// The caller's address, where it counts for its domain: verified, by a
    /// provider that may vouch for it alone (the domain is then the whole
    /// credential, as for a domain-limited link).
    fn domain_address(&self, caller: &Caller) -> Option<Email> {
        match caller.address_is_credential(&self.ctx.settings.linkless_providers) {
            true => caller.email.clone(),
            false => None,
        }
    }

    /// The teams whose verified domain is the caller's address's, with
    /// whether they belong to each and their request waiting in it.
    pub async fn joinable(&self, caller: &Caller) -> Result<Joinable, Error> {
        let Some(email) = self.domain_address(caller) else {
            return Ok(Joinable { address_counts: false, teams: vec![] });
        };
        let now = self.ctx.clock.now();
        let domains = self.store.domain_teams(&email.domain(), MAX_LISTED).await?;
        let teams = stream::iter(domains.into_iter().map(|domain| async move {
            let (member, request) = tokio::join!(
                self.store.membership(&domain.team_id, &caller.user_id),
                self.store.join_request(&domain.team_id, &caller.user_id)
            );
            let pending =
                request?.map(|r| RequestView::at(r, now)).filter(|v| v.status == RequestStatus::Pending);
            Ok::<_, Error>(JoinableTeam { member: member?.is_some(), pending, domain })
        }))
        .buffered(PARALLELISM)
        .try_collect()
        .await?;
        Ok(Joinable { address_counts: true, teams })
    }

    /// The caller joins `team` by their address's domain, with the domain's
    /// role: the domain's declaration as read, the membership and the team's
    /// seats in one transaction. A team that wants approval takes a request
    /// instead, held to the same declaration; its approval is the join.
    pub async fn join(&self, caller: &Caller, team: &TeamId) -> Result<Joined, Error> {
        let email = self.domain_address(caller).ok_or(match caller.email_verified {
            Some(true) => Error::DomainNotAllowed,
            _ => Error::EmailUnverified,
        })?;
        let domain = self.store.join_domain(team, &email.domain()).await?.ok_or(Error::DomainNotAllowed)?;
        if domain.approval {
            let now = self.ctx.clock.now();
            let request = JoinRequest::by_domain(&domain, caller.user_id.clone(), email, now);
            return write_request(&self.store, &self.ctx, request, now).await.map(Joined::Asked);
        }
        let joined = seated(&self.store, &self.ctx, team, |now, most| {
            let membership = Membership {
                team_id: team.clone(),
                user_id: caller.user_id.clone(),
                email: email.clone(),
                role: domain.role.clone(),
                joined_at: now,
                metadata: None,
            };
            let domain = &domain;
            async move { self.store.join_by_domain(domain, &membership, most).await.map(|()| membership) }
        })
        .await?;
        Ok(Joined::Member(joined))
    }
}
