//! Accepting as another address, with a manager's consent (issue 22, item
//! 4): holding the link, a signed-in account whose verified address is not
//! the invited one asks the team to let it accept; the invitation stays open;
//! the team's managers see both addresses and approve (the invitation is
//! accepted, and the membership made, for the asking account, in the
//! transaction that answers the request) or refuse.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::{checked_invitation, purge_at, refusal, same_link};
use crate::domain::{
    AcceptRequest, Decision, InvitationId, Membership, NotPending, Permission, RequestStatus, TeamId,
};
use crate::error::Error;
use crate::ports::{AcceptRequestError, AcceptRequestStore, InvitationStore, LinkKeySource, MemberStore};
use crate::service::{Caller, Context};

/// The most requests the team's list shows.
pub const MAX_LISTED: usize = 100;

/// A request as one caller sees it at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptRequestView {
    pub request: AcceptRequest,
    pub status: RequestStatus,
}

impl AcceptRequestView {
    pub fn at(request: AcceptRequest, now: DateTime<Utc>) -> Self {
        Self { status: request.status_at(now), request }
    }
}

pub trait ConsentStore: AcceptRequestStore + InvitationStore + MemberStore {}
impl<S: AcceptRequestStore + InvitationStore + MemberStore> ConsentStore for S {}

pub struct Consenting<S, K> {
    store: S,
    keys: K,
    ctx: Arc<Context>,
}

impl<S: ConsentStore, K: LinkKeySource> Consenting<S, K> {
    pub fn new(store: S, keys: K, ctx: Arc<Context>) -> Self {
        Self { store, keys, ctx }
    }

    /// The caller, holding invitation `id`'s link (`token`) and signed in with
    /// a verified address other than the invited one, asks its team to let
    /// this account accept it. Changes nothing on the invitation.
    pub async fn ask(
        &self,
        caller: &Caller,
        id: InvitationId,
        token: &str,
    ) -> Result<AcceptRequestView, Error> {
        let (generation, invitation) = checked_invitation(&self.store, &self.keys, id, token).await?;
        let invitation = invitation.filter(same_link(generation)).ok_or(Error::NotFound)?;
        let now = self.ctx.clock.now();
        invitation.ensure_open(now)?;
        // The address becomes the membership's: the provider must have
        // verified it, whatever the operator trusts on the link path.
        let email = caller.email.clone().filter(|_| caller.email_verified == Some(true));
        let email = email.ok_or(Error::EmailUnverified)?;
        let request = AcceptRequest::new(&invitation, caller.user_id.clone(), email, now)
            .map_err(|e| Error::invalid_field("email", e.to_string()))?;
        match self.store.request_accept(&request, now, purge_at(&self.ctx, &invitation)).await {
            Ok(()) => Ok(AcceptRequestView::at(request, now)),
            Err(AcceptRequestError::Pending) => Err(Error::AcceptRequestPending),
            Err(AcceptRequestError::Invitation(e)) => {
                Err(refusal(&self.store, e, id, None, Some(generation), now).await)
            }
            Err(AcceptRequestError::Forbidden | AcceptRequestError::NotPending) => {
                Err(Error::internal("a request refused as an answer"))
            }
            Err(AcceptRequestError::Store(e)) => Err(e.into()),
        }
    }

    /// The team's requests (`members.manage`), newest first.
    pub async fn list(&self, caller: &Caller, team: &TeamId) -> Result<Vec<AcceptRequestView>, Error> {
        let membership = self.store.membership(team, &caller.user_id).await?;
        self.ctx.authorize(membership, Permission::MembersManage)?;
        let now = self.ctx.clock.now();
        let mut views: Vec<AcceptRequestView> = self
            .store
            .accept_requests(team, MAX_LISTED)
            .await?
            .into_iter()
            .map(|r| AcceptRequestView::at(r, now))
            .collect();
        views.sort_by_key(|v| std::cmp::Reverse(v.request.requested_at));
        Ok(views)
    }

    /// Approves the request to accept invitation `id` (`members.manage`, and
    /// a role that could invite into the invitation's): the invitation is
    /// accepted by the asking account, which becomes a member with its role,
    /// under its own address, in the transaction that answers the request.
    pub async fn approve(
        &self,
        caller: &Caller,
        team: &TeamId,
        id: InvitationId,
    ) -> Result<AcceptRequestView, Error> {
        let (mine, request, invitation) = tokio::join!(
            self.store.membership(team, &caller.user_id),
            self.store.accept_request(team, id),
            self.store.invitation(id)
        );
        let manager = self.ctx.authorize(mine?, Permission::MembersManage)?;
        let request = request?.ok_or(Error::NotFound)?;
        let roles = &self.ctx.roles;
        if !roles.get(request.role.as_str()).is_some_and(|r| roles.may_invite_as(&manager.role, r)) {
            return Err(Error::Forbidden);
        }
        let now = self.ctx.clock.now();
        let approved =
            request.decide(Decision::Approved, caller.user_id.clone(), now).map_err(not_pending)?;
        let invitation = invitation?.filter(|inv| &inv.team_id == team).ok_or(Error::NotFound)?;
        // Resent since: the request was made with a link that names nothing now.
        if invitation.link_generation != request.link_generation {
            return Err(Error::AcceptRequestNotPending(RequestStatus::Expired));
        }
        let accepted = invitation.accept(request.user_id.clone(), now)?;
        let membership = Membership {
            team_id: team.clone(),
            user_id: request.user_id.clone(),
            email: request.email.clone(),
            role: accepted.role.clone(),
            joined_at: now,
            metadata: accepted.metadata.clone(),
        };
        let managers = roles.holding(Permission::MembersManage);
        let purge = purge_at(&self.ctx, &accepted);
        match self.store.approve_accept(&approved, &accepted, &membership, &managers, now, purge).await {
            Ok(()) => Ok(AcceptRequestView::at(approved, now)),
            Err(AcceptRequestError::Invitation(e)) => {
                Err(refusal(&self.store, e, id, Some(team), Some(request.link_generation), now).await)
            }
            Err(e) => Err(self.refused(team, id, e, now).await),
        }
    }

    /// Refuses the request to accept invitation `id` (`members.manage`): the
    /// invitation stays open for the invited address.
    pub async fn refuse(
        &self,
        caller: &Caller,
        team: &TeamId,
        id: InvitationId,
    ) -> Result<AcceptRequestView, Error> {
        let (mine, request) =
            tokio::join!(self.store.membership(team, &caller.user_id), self.store.accept_request(team, id));
        self.ctx.authorize(mine?, Permission::MembersManage)?;
        let request = request?.ok_or(Error::NotFound)?;
        let now = self.ctx.clock.now();
        let refused = request.decide(Decision::Denied, caller.user_id.clone(), now).map_err(not_pending)?;
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        match self.store.refuse_accept(&refused, &managers, now).await {
            Ok(()) => Ok(AcceptRequestView::at(refused, now)),
            Err(e) => Err(self.refused(team, id, e, now).await),
        }
    }

    /// A refused answer, as the caller should hear it: a request answered or
    /// expired meanwhile says how it stands now.
    async fn refused(
        &self,
        team: &TeamId,
        id: InvitationId,
        e: AcceptRequestError,
        now: DateTime<Utc>,
    ) -> Error {
        match e {
            AcceptRequestError::Forbidden => Error::Forbidden,
            AcceptRequestError::Pending => Error::AcceptRequestPending,
            AcceptRequestError::NotPending => match self.store.accept_request(team, id).await {
                Ok(Some(r)) => match r.status_at(now) {
                    RequestStatus::Pending => Error::unavailable("the request changed meanwhile"),
                    status => Error::AcceptRequestNotPending(status),
                },
                Ok(None) => Error::NotFound,
                Err(e) => e.into(),
            },
            AcceptRequestError::Invitation(_) => Error::internal("an answer refused by its invitation"),
            AcceptRequestError::Store(e) => e.into(),
        }
    }
}

fn not_pending(NotPending(status): NotPending) -> Error {
    Error::AcceptRequestNotPending(status)
}
