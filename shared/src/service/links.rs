//! Invite links (issue 22): a team's managers make, list and revoke them; a
//! signed-in person opens one and joins the team through it. A link sends no
//! email, so the team's open and email limits do not apply; its seats do.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use std::sync::Arc;

use super::join_requests::RequestView;
use super::members::withdraw_sent_by;
use super::{Caller, Context};
use crate::domain::{
    EndReason, EndedMembership, InviteLink, InviteLinkId, JoinRefusal, JoinRequest, Limit, LinkKeys,
    LinkSpec, LinkState, Membership, Permission, RoleName, TeamId,
};
use crate::error::Error;
use crate::ports::{
    Exceeded, InvitationStore, JoinError, JoinRequestStore, LimitRefusal, LimitStore, LinkKeySource,
    LinkStore, LinkUse, LinkWriteError, MemberStore, RequestError, TeamStore,
};

/// What the link use cases read and write.
pub trait LinksStore:
    LinkStore + JoinRequestStore + MemberStore + TeamStore + LimitStore + InvitationStore
{
}
impl<S: LinkStore + JoinRequestStore + MemberStore + TeamStore + LimitStore + InvitationStore> LinksStore
    for S
{
}

/// What joining through a link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined {
    /// The caller is a member.
    Member(Membership),
    /// The link needs approval: the caller asked, and waits for a manager.
    Asked(RequestView),
}

/// The most links a team's list shows (newest ids are random: the list is
/// by id, so a team with more sees an arbitrary hundred; revoke old ones).
pub const MAX_LISTED: usize = 100;
/// The most joiners shown per link in the list (its `uses` counts them all).
pub const JOINED_SHOWN: usize = 50;
/// Joins read per page, and memberships ended at once, when revoking a
/// link with the memberships it made.
const PAGE: usize = 100;
const PARALLELISM: usize = 8;
/// A join refused because the team's open count moved since it was read is
/// read again and retried, at most this many times in all.
const JOIN_ATTEMPTS: usize = 3;

/// A link as its team's managers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    pub link: InviteLink,
    pub state: LinkState,
    /// The first `JOINED_SHOWN` who joined through it (in user-id order).
    pub joined: Vec<LinkUse>,
}

/// A new link, with its secret: shown once, never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedLink {
    pub view: LinkView,
    pub url: String,
    pub token: String,
}

/// A revocation's answer: the link as it now is, and how many memberships it
/// had made were ended with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedLink {
    pub view: LinkView,
    pub memberships_ended: usize,
    /// Members who joined through it and stay: they left and came back
    /// otherwise, their role changed, or it is one the revoker cannot take.
    pub memberships_kept: usize,
}

/// What a signed-in person sees on a link's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    pub link: InviteLink,
    pub state: LinkState,
    /// The caller is a member of the team already.
    pub already_member: bool,
}

pub struct Links<S, K> {
    store: S,
    keys: K,
    ctx: Arc<Context>,
}

/// The token travels in the fragment, as an invitation's does (never sent
/// to a server, nor in a Referer).
fn join_url(ctx: &Context, link: &InviteLink, keys: &LinkKeys) -> (String, String) {
    let token = keys.sign_invite_link(link.id).as_str().to_owned();
    let url = format!("{}/join/{}/{}#token={}", ctx.settings.app_base_url, link.team_id, link.id, token);
    (url, token)
}

impl<S: LinksStore, K: LinkKeySource> Links<S, K> {
    pub fn new(store: S, keys: K, ctx: Arc<Context>) -> Self {
        Self { store, keys, ctx }
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// A new link of `team_id` (`members.manage`), for a role the caller
    /// could invite into (never owner), decided again in the write with the
    /// caller's role at that moment and the team not closed.
    pub async fn create(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        spec: LinkSpec,
    ) -> Result<CreatedLink, Error> {
        let now = self.ctx.clock.now();
        let membership = self.store.membership(team_id, &caller.user_id).await?;
        let creator = self.ctx.authorize(membership, Permission::MembersManage)?;
        let role = self
            .ctx
            .roles
            .get(spec.role.as_str())
            .ok_or_else(|| Error::invalid_field("role", "unknown role"))?;
        if !self.ctx.roles.may_invite_as(&creator.role, role) {
            return Err(Error::invalid_field(
                "role",
                format!("your role cannot grant '{}' by a link", spec.role),
            ));
        }
        let (team, keys) = tokio::join!(self.store.team(team_id), self.keys.keys());
        let team = team?.ok_or(Error::TeamClosed)?;
        let keys = keys?;
        let link = InviteLink::new(&team, &creator, now, spec);
        let purge_at = link.expires_at + self.ctx.settings.history_retention;
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        self.store.create_link(&link, &managers, purge_at).await.map_err(write_error)?;
        let (url, token) = join_url(&self.ctx, &link, &keys);
        Ok(CreatedLink { view: LinkView { state: link.state_at(now), link, joined: vec![] }, url, token })
    }

    /// The team's links (`members.manage`: they name who joined), with who
    /// joined through each.
    pub async fn list(&self, caller: &Caller, team_id: &TeamId) -> Result<Vec<LinkView>, Error> {
        let membership = self.store.membership(team_id, &caller.user_id).await?;
        self.ctx.authorize(membership, Permission::MembersManage)?;
        let now = self.ctx.clock.now();
        let links = self.store.invite_links(team_id, MAX_LISTED).await?;
        stream::iter(links.into_iter().map(|link| self.view(link, now)))
            .buffered(PARALLELISM)
            .try_collect()
            .await
    }

    async fn view(&self, link: InviteLink, now: DateTime<Utc>) -> Result<LinkView, Error> {
        let joined = match link.uses {
            0 => vec![],
            _ => self.store.link_uses(&link.team_id, link.id, JOINED_SHOWN, None).await?,
        };
        Ok(LinkView { state: link.state_at(now), link, joined })
    }

    /// Revokes link `id` (`members.manage`); revoking it again changes
    /// nothing but may still end its memberships. With `end_memberships`,
    /// every membership made through it ends too (`EndReason::LinkRevoked`),
    /// except owners' and those whose role the caller could not grant; a
    /// manager's open invitations go with their membership, as on a removal.
    pub async fn revoke(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        id: InviteLinkId,
        end_memberships: bool,
    ) -> Result<RevokedLink, Error> {
        let now = self.ctx.clock.now();
        let membership = self.store.membership(team_id, &caller.user_id).await?;
        let revoker = self.ctx.authorize(membership, Permission::MembersManage)?;
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        self.store.revoke_link(team_id, id, &caller.user_id, &managers, now).await.map_err(write_error)?;
        let (mut ended, mut kept) = (0, 0);
        if end_memberships {
            let mut after = None;
            loop {
                let page = self.store.link_uses(team_id, id, PAGE, after.as_ref()).await?;
                let done = page.len() < PAGE;
                after = page.last().map(|u| u.user_id.clone());
                let results: Vec<Option<bool>> =
                    stream::iter(page.into_iter().map(|u| self.end_joined(&revoker, u, now)))
                        .buffer_unordered(PARALLELISM)
                        .try_collect()
                        .await?;
                ended += results.iter().filter(|e| **e == Some(true)).count();
                kept += results.iter().filter(|e| **e == Some(false)).count();
                if done {
                    break;
                }
            }
        }
        let link = self.store.invite_link(team_id, id).await?.ok_or(Error::NotFound)?;
        Ok(RevokedLink {
            view: self.view(link, now).await?,
            memberships_ended: ended,
            memberships_kept: kept,
        })
    }

    /// Ends the membership `joined` made, if it still is that one and the
    /// revoker may take its role: whether it ended (None: no membership of
    /// that person is left to end).
    async fn end_joined(
        &self,
        revoker: &Membership,
        joined: LinkUse,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>, Error> {
        let team = &revoker.team_id;
        let Some(member) = self.store.membership(team, &joined.user_id).await? else { return Ok(None) };
        let roles = &self.ctx.roles;
        let takeable = member.role.as_str() != RoleName::OWNER
            && roles.get(member.role.as_str()).is_some_and(|r| roles.may_grant(&revoker.role, r));
        if !takeable {
            return Ok(Some(false));
        }
        let could_invite = roles.allows(&member.role, Permission::MembersManage);
        let ended = EndedMembership {
            membership: member,
            reason: EndReason::LinkRevoked,
            by: revoker.user_id.clone(),
            at: now,
        };
        let purge_at = now + self.ctx.settings.history_retention;
        let managers = roles.holding(Permission::MembersManage);
        if !self
            .store
            .end_link_membership(&ended, joined.link, &managers, purge_at)
            .await
            .map_err(write_error)?
        {
            // Made otherwise since, or changed: it stays (a race with its own
            // end reads as kept; asking again settles it).
            return Ok(Some(false));
        }
        if could_invite {
            withdraw_sent_by(&self.store, &self.ctx, team, &joined.user_id, &revoker.user_id).await?;
        }
        Ok(Some(true))
    }

    /// Whether `token` is link `id`'s: a wrong token and an unknown link are
    /// the same 404. A token the held keys refuse is checked once more against
    /// keys read again (a rotation since they were read).
    async fn check_token(&self, id: InviteLinkId, token: &str) -> Result<(), Error> {
        let valid = match self.keys.keys().await?.verify_invite_link(id, token) {
            true => true,
            false => self.keys.reread().await?.is_some_and(|keys| keys.verify_invite_link(id, token)),
        };
        valid.then_some(()).ok_or(Error::NotFound)
    }

    /// The link `id` of `team_id` that `token` opens (nothing is read for a
    /// wrong token).
    async fn opened(&self, team_id: &TeamId, id: InviteLinkId, token: &str) -> Result<InviteLink, Error> {
        self.check_token(id, token).await?;
        self.store.invite_link(team_id, id).await?.ok_or(Error::NotFound)
    }

    /// What the link's page shows a signed-in person: the team, the role, who
    /// made it, whether it still lets anyone in. Changes nothing.
    pub async fn preview(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        id: InviteLinkId,
        token: &str,
    ) -> Result<LinkPreview, Error> {
        self.check_token(id, token).await?;
        // The page needs both: read together, once the token holds.
        let (link, membership) = tokio::join!(
            self.store.invite_link(team_id, id),
            self.store.membership(team_id, &caller.user_id)
        );
        let link = link?.ok_or(Error::NotFound)?;
        let already_member = membership?.is_some();
        let now = self.ctx.clock.now();
        Ok(LinkPreview { state: link.state_at(now), link, already_member })
    }

    /// The caller joins the team through the link, with its role, as their
    /// verified address. The link's use, the membership and the team's seats
    /// are one transaction: a link never lets in one more than it allows. A
    /// link that needs approval takes a request instead, held to the same
    /// rules (active, not a member); its approval is the join.
    pub async fn join(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        id: InviteLinkId,
        token: &str,
    ) -> Result<Joined, Error> {
        let link = self.opened(team_id, id, token).await?;
        let email = self.joining_address(caller, &link)?;
        if link.approval {
            return self.ask(caller, &link, email).await.map(Joined::Asked);
        }
        self.join_now(caller, &link, email).await.map(Joined::Member)
    }

    async fn ask(
        &self,
        caller: &Caller,
        link: &InviteLink,
        email: crate::domain::Email,
    ) -> Result<RequestView, Error> {
        let now = self.ctx.clock.now();
        link.join(&email, now).map_err(refusal)?;
        let request = JoinRequest::new(link, caller.user_id.clone(), email, now);
        write_request(&self.store, &self.ctx, request, now).await
    }

    async fn join_now(
        &self,
        caller: &Caller,
        link: &InviteLink,
        email: crate::domain::Email,
    ) -> Result<Membership, Error> {
        link.join(&email, self.ctx.clock.now()).map_err(refusal)?;
        seated(&self.store, &self.ctx, &link.team_id, |now, most| {
            let membership = Membership {
                team_id: link.team_id.clone(),
                user_id: caller.user_id.clone(),
                email: email.clone(),
                role: link.role.clone(),
                joined_at: now,
                metadata: None,
            };
            async move { self.store.join_link(link, &membership, now, most).await.map(|()| membership) }
        })
        .await
    }

    /// The address the caller joins as: one the identity provider verified
    /// (or, where the operator trusts unverified ones, any); for a link
    /// limited to some domains, one whose provider may stand for it alone,
    /// since the domain is then the whole credential.
    fn joining_address(&self, caller: &Caller, link: &InviteLink) -> Result<crate::domain::Email, Error> {
        let verified = caller.email_verified.unwrap_or(self.ctx.settings.trust_unverified_email);
        let email = caller.email.clone().filter(|_| verified).ok_or(Error::EmailUnverified)?;
        if !link.domains.is_empty() && !caller.address_is_credential(&self.ctx.settings.linkless_providers) {
            return Err(Error::DomainNotAllowed);
        }
        Ok(email)
    }
}

/// A join's write (`write`, given the moment and the bound on the team's open
/// count, `Usage::join_opened_at_most`) with the team's seats as read: read
/// again and retried when the open count moved under it.
pub(super) async fn seated<S, T, F, Fut>(
    store: &S,
    ctx: &Context,
    team: &TeamId,
    write: F,
) -> Result<T, Error>
where
    S: LimitStore,
    F: Fn(DateTime<Utc>, Option<i64>) -> Fut,
    Fut: std::future::Future<Output = Result<T, JoinError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let now = ctx.clock.now();
        let usage = store.usage(team).await?;
        if usage.closed {
            return Err(Error::TeamClosed);
        }
        let most = match usage.join_opened_at_most() {
            Ok(most) => most,
            Err(Exceeded::Seats) => return Err(Error::SeatLimit { joining: true }),
            Err(_) => return Err(Error::internal("a join refused by a limit other than seats")),
        };
        match write(now, most).await {
            Ok(joined) => return Ok(joined),
            Err(JoinError::Limit(LimitRefusal::Changed)) if attempt < JOIN_ATTEMPTS => continue,
            Err(e) => return Err(join_error(e, now)),
        }
    }
}

/// Writes `request`, asked at `now` (see `JoinRequestStore::request_join`):
/// the caller's request, as they will see it.
pub(super) async fn write_request<S: JoinRequestStore>(
    store: &S,
    ctx: &Context,
    request: JoinRequest,
    now: DateTime<Utc>,
) -> Result<RequestView, Error> {
    let purge_at = request.expires_at + ctx.settings.history_retention;
    match store.request_join(&request, now, purge_at).await {
        Ok(()) => Ok(RequestView::at(request, now)),
        Err(RequestError::Pending) => Err(Error::JoinRequestPending),
        Err(RequestError::Join(e)) => Err(join_error(e, now)),
        Err(RequestError::Forbidden | RequestError::NotPending) => {
            Err(Error::internal("a request refused as an answer"))
        }
        Err(RequestError::Store(e)) => Err(e.into()),
    }
}

fn write_error(e: LinkWriteError) -> Error {
    match e {
        LinkWriteError::Forbidden => Error::Forbidden,
        LinkWriteError::TeamClosed => Error::TeamClosed,
        LinkWriteError::NotFound => Error::NotFound,
        LinkWriteError::Store(e) => e.into(),
    }
}

fn refusal(refusal: JoinRefusal) -> Error {
    match refusal {
        JoinRefusal::NotActive(state) => Error::LinkNotActive(state),
        JoinRefusal::Domain => Error::DomainNotAllowed,
    }
}

pub(super) fn join_error(e: JoinError, now: DateTime<Utc>) -> Error {
    match e {
        JoinError::NotActive { current: Some(link) } => match link.state_at(now) {
            // Active as the store saw it after the refusal: another join got
            // in the way; the caller may retry.
            LinkState::Active => Error::unavailable("a concurrent join cancelled the write"),
            state => Error::LinkNotActive(state),
        },
        JoinError::NotActive { current: None } => Error::NotFound,
        JoinError::AlreadyMember => Error::AlreadyMember,
        JoinError::DomainChanged => Error::DomainNotAllowed,
        JoinError::RateLimited { retry_after } => Error::RateLimited(Limit::LinkJoinsPerMinute, retry_after),
        JoinError::Limit(LimitRefusal::TeamClosed) => Error::TeamClosed,
        JoinError::Limit(LimitRefusal::Seats) => Error::SeatLimit { joining: true },
        JoinError::Limit(LimitRefusal::Changed) => Error::unavailable("the team's seats changed meanwhile"),
        JoinError::Limit(LimitRefusal::RecipientDaily) => Error::internal("a join refused by an email limit"),
        JoinError::Store(e) => e.into(),
    }
}
