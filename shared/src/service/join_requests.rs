//! Join requests (issue 22, items 2 and 3): through an invite link, or a
//! verified domain, that needs a manager's approval, joining asks
//! (`Links::join`, `Domains::join`); the team's managers list
//! the requests and approve or deny them; the person lists theirs and may
//! cancel one while it waits. An approval is the join: the link's use (or the
//! domain's check), the membership and the team's seats, in the transaction
//! that answers it.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::{Caller, Context};
use crate::domain::{
    Decision, JoinRequest, LinkState, Membership, NotPending, Permission, RequestStatus, TeamId, UserId,
};
use crate::error::Error;
use crate::ports::{
    Exceeded, JoinError, JoinRequestStore, LimitRefusal, LimitStore, MemberStore, RequestError,
};

/// The most requests one list shows (a team's, or a person's).
pub const MAX_LISTED: usize = 100;
/// An approval refused because the team's open count moved since it was read
/// is read again and retried, at most this many times in all.
const ATTEMPTS: usize = 3;

/// A request as one caller sees it at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub request: JoinRequest,
    pub status: RequestStatus,
}

impl RequestView {
    pub fn at(request: JoinRequest, now: DateTime<Utc>) -> Self {
        Self { status: request.status_at(now), request }
    }
}

pub trait RequestsStore: JoinRequestStore + MemberStore + LimitStore {}
impl<S: JoinRequestStore + MemberStore + LimitStore> RequestsStore for S {}

pub struct JoinRequests<S> {
    store: S,
    ctx: Arc<Context>,
}

impl<S: RequestsStore> JoinRequests<S> {
    pub fn new(store: S, ctx: Arc<Context>) -> Self {
        Self { store, ctx }
    }

    /// The team's requests (`members.manage`), newest first.
    pub async fn list(&self, caller: &Caller, team: &TeamId) -> Result<Vec<RequestView>, Error> {
        let membership = self.store.membership(team, &caller.user_id).await?;
        self.ctx.authorize(membership, Permission::MembersManage)?;
        let now = self.ctx.clock.now();
        Ok(newest_first(self.store.join_requests(team, MAX_LISTED).await?, now))
    }

    /// The caller's own requests, in every team, newest first.
    pub async fn mine(&self, caller: &Caller) -> Result<Vec<RequestView>, Error> {
        let now = self.ctx.clock.now();
        Ok(newest_first(self.store.my_join_requests(&caller.user_id, MAX_LISTED).await?, now))
    }

    /// Approves `user`'s request (`members.manage`, and a role the caller
    /// could invite into): they become a member with the request's role,
    /// decided in one transaction with the link's use (a revoked or used-up
    /// link lets no one in, approved or not) or the domain still the team's,
    /// and the team's seats.
    pub async fn approve(&self, caller: &Caller, team: &TeamId, user: &UserId) -> Result<RequestView, Error> {
        let (mine, request) =
            tokio::join!(self.store.membership(team, &caller.user_id), self.store.join_request(team, user));
        let manager = self.ctx.authorize(mine?, Permission::MembersManage)?;
        let request = request?.ok_or(Error::NotFound)?;
        let grantable = self
            .ctx
            .roles
            .get(request.role.as_str())
            .is_some_and(|r| self.ctx.roles.may_invite_as(&manager.role, r));
        if !grantable {
            return Err(Error::Forbidden);
        }
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.ctx.clock.now();
            let approved =
                request.decide(Decision::Approved, caller.user_id.clone(), now).map_err(not_pending)?;
            let usage = self.store.usage(team).await?;
            let most = match usage.join_opened_at_most() {
                Ok(most) => most,
                Err(Exceeded::Seats) => return Err(Error::SeatLimit { joining: true }),
                Err(_) => return Err(Error::internal("an approval refused by a limit other than seats")),
            };
            let membership = Membership {
                team_id: team.clone(),
                user_id: request.user_id.clone(),
                email: request.email.clone(),
                role: request.role.clone(),
                joined_at: now,
                metadata: None,
            };
            match self.store.approve_join(&approved, &membership, &managers, now, most).await {
                Ok(()) => return Ok(RequestView::at(approved, now)),
                Err(RequestError::Join(JoinError::Limit(LimitRefusal::Changed))) if attempt < ATTEMPTS => {
                    continue
                }
                Err(e) => return Err(self.refused(team, user, e, now).await),
            }
        }
    }

    /// Denies `user`'s request (`members.manage`).
    pub async fn deny(&self, caller: &Caller, team: &TeamId, user: &UserId) -> Result<RequestView, Error> {
        let (mine, request) =
            tokio::join!(self.store.membership(team, &caller.user_id), self.store.join_request(team, user));
        self.ctx.authorize(mine?, Permission::MembersManage)?;
        let request = request?.ok_or(Error::NotFound)?;
        let now = self.ctx.clock.now();
        let denied = request.decide(Decision::Denied, caller.user_id.clone(), now).map_err(not_pending)?;
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        match self.store.answer_join(&denied, &managers, now).await {
            Ok(()) => Ok(RequestView::at(denied, now)),
            Err(e) => Err(self.refused(team, user, e, now).await),
        }
    }

    /// The caller cancels their own request to `team` while it waits.
    pub async fn cancel(&self, caller: &Caller, team: &TeamId) -> Result<RequestView, Error> {
        let request = self.store.join_request(team, &caller.user_id).await?.ok_or(Error::NotFound)?;
        let now = self.ctx.clock.now();
        let cancelled =
            request.decide(Decision::Cancelled, caller.user_id.clone(), now).map_err(not_pending)?;
        match self.store.answer_join(&cancelled, &[], now).await {
            Ok(()) => Ok(RequestView::at(cancelled, now)),
            Err(e) => Err(self.refused(team, &caller.user_id, e, now).await),
        }
    }

    /// What a refused answer means for the caller: a request answered or
    /// expired meanwhile says how it stands now.
    async fn refused(&self, team: &TeamId, user: &UserId, e: RequestError, now: DateTime<Utc>) -> Error {
        match e {
            RequestError::Forbidden => Error::Forbidden,
            RequestError::Pending => Error::JoinRequestPending,
            RequestError::NotPending => match self.store.join_request(team, user).await {
                Ok(Some(r)) => match r.status_at(now) {
                    RequestStatus::Pending => Error::unavailable("the request changed meanwhile"),
                    status => Error::JoinRequestNotPending(status),
                },
                Ok(None) => Error::NotFound,
                Err(e) => e.into(),
            },
            // The link purged (its retention after expiry passed): expired.
            RequestError::Join(JoinError::NotActive { current: None }) => {
                Error::LinkNotActive(LinkState::Expired)
            }
            RequestError::Join(e) => super::links::join_error(e, now),
            RequestError::Store(e) => e.into(),
        }
    }
}

fn not_pending(NotPending(status): NotPending) -> Error {
    Error::JoinRequestNotPending(status)
}

fn newest_first(requests: Vec<JoinRequest>, now: DateTime<Utc>) -> Vec<RequestView> {
    let mut views: Vec<RequestView> = requests.into_iter().map(|r| RequestView::at(r, now)).collect();
    views.sort_by_key(|v| std::cmp::Reverse(v.request.created_at));
    views
}
