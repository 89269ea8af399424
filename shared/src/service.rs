//! The use cases. Each decides in one conditional write (or transaction), so that
//! races are settled by DynamoDB and never by what was read a moment earlier, and
//! makes as few sequential round trips as its semantics allow: withdraw writes
//! without reading first (the rules the domain's state machine states are then
//! the write's conditions; decline reads the invitation for the team whose open
//! count it changes), and the item as it was explains any refusal. Writes that
//! follow a decision without deciding anything: invite records a refused email
//! (`emailDelivery: failed`); a re-invite whose email lock is held by an answered
//! invitation retries its transaction once (see `adapters::dynamo`); a send whose
//! slot another request took meanwhile claims another, and a team at its open
//! limit releases its expired invitations and tries once more
//! (`domain::limits`).

pub mod events;
mod platform;

pub use platform::{Closed, NewTeam, PlatformCaller, Renamed};

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;
use std::time::Instant;

use crate::clock::Clock;
use crate::config::AWS_ATTEMPT_TIMEOUT;
use crate::domain::{
    retry_after_seconds, DeliveryFeedback, Email, EmailDelivery, EndReason, EndedMembership, HistoryEntry,
    Invitation, InvitationId, Limit, LinkKeys, LinkToken, Locale, Membership, Permission, Role, RoleCatalog,
    RoleName, SendLog, SendSlot, Status, Team, TeamId, TeamLimits, UserId, RELEASE_GRACE,
};
use crate::error::Error;
use crate::mail;
use crate::ports::{
    InsertError, InvitationStore, LimitRefusal, LinkKeySource, ListQuery, MailError, Mailer, MemberPage,
    MemberQuery, OutgoingEmail, PageCursor, RemoveError, ResolveError,
};

#[derive(Debug, Clone)]
pub struct Settings {
    /// Base of the links in emails, without a trailing slash.
    pub app_base_url: String,
    pub invitation_validity: TimeDelta,
    pub history_retention: TimeDelta,
    /// The least time between two sends of one invitation.
    pub resend_cooldown: TimeDelta,
    /// How the emails present the product.
    pub branding: mail::Branding,
    /// Count an identity without an `email_verified` claim as verified.
    pub trust_unverified_email: bool,
    /// Each team's open invitations and invitation emails per hour.
    pub limits: TeamLimits,
}

/// Who is calling, as the authorizer vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    /// The `email` claim, when it is a valid address (normalised like `Email`).
    pub email: Option<Email>,
    /// The `email_verified` claim where the identity provider sends one
    /// (`true` or `"true"` is `Some(true)`).
    pub email_verified: Option<bool>,
}

/// The most invitations one batch request may carry.
pub const MAX_BATCH: usize = 50;
/// How many of a batch's invitations are written and emailed at once.
pub const BATCH_PARALLELISM: usize = 8;

/// A send slot among the first `capacity` of `log`, or the 429 that says when
/// one frees. Starts at a random slot: see `SendLog::claim`.
fn claim(log: &mut SendLog, now: DateTime<Utc>, capacity: u32) -> Result<SendSlot, Error> {
    let start = (uuid::Uuid::new_v4().as_u128() % u128::from(capacity.max(1))) as usize;
    log.claim(now, capacity, start)
        .map_err(|wait| Error::RateLimited(Limit::EmailsPerHour, retry_after_seconds(wait)))
}

/// How many times a send may be written: a refusal because a concurrent
/// request took the claimed slot means that request sent, which happens at
/// most `capacity` times in an hour before every claim is refused outright;
/// one more for the retry after releasing expired invitations.
fn limit_attempts(limits: TeamLimits) -> usize {
    limits.emails_per_hour as usize + 2
}

/// What the invitations of one request share: the send log too, held by each
/// entry of a batch from its claim to its write, so that the entries' writes
/// (not their emails) take turns: they claim distinct slots, a refused entry
/// gives its slot back before the next claims, and they never contend for the
/// team's limits item in DynamoDB.
struct Inviting {
    inviter: Membership,
    team: Team,
    keys: LinkKeys,
    sends: futures_util::lock::Mutex<SendLog>,
}

/// A validated invite request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub email: Email,
    pub role: RoleName,
    /// The language of its email and page; English unless given.
    pub locale: Locale,
}

/// An invitation as one caller may see it at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationView {
    pub invitation: Invitation,
    pub status: Status,
    /// Only for callers holding `members.manage`, and only while open.
    pub link: Option<String>,
    /// The token in `link`, for clients that build the link themselves.
    pub link_token: Option<String>,
    /// What this caller may do with it now, so that a frontend never restates
    /// the permission rules.
    pub actions: Vec<Action>,
}

/// Something a caller may do with an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Resend,
    Withdraw,
    CopyLink,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Resend => "resend",
            Action::Withdraw => "withdraw",
            Action::CopyLink => "copyLink",
        }
    }
}

/// A role of the team's catalog, and whether the caller may invite into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRole {
    pub role: Role,
    pub grantable: bool,
}

/// The answer to a membership's removal: what ended, by whom, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub membership: Membership,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// The answer to a withdrawal: made in one blind write, it knows only what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    pub id: InvitationId,
    pub team_id: TeamId,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub invitation: InvitationView,
    pub membership: Membership,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationPage {
    pub invitations: Vec<InvitationView>,
    pub next: Option<PageCursor>,
}

pub struct InvitationService<S, M, K> {
    store: S,
    mailer: M,
    clock: Arc<dyn Clock>,
    keys: K,
    roles: RoleCatalog,
    settings: Settings,
}

impl<S: InvitationStore, M: Mailer, K: LinkKeySource> InvitationService<S, M, K> {
    pub fn new(
        store: S,
        mailer: M,
        clock: Arc<dyn Clock>,
        keys: K,
        roles: RoleCatalog,
        settings: Settings,
    ) -> Self {
        Self { store, mailer, clock, keys, roles, settings }
    }

    pub fn roles(&self) -> &RoleCatalog {
        &self.roles
    }

    fn link(&self, id: InvitationId, token: &LinkToken) -> String {
        format!("{}/invitations/{}?token={}", self.settings.app_base_url, id, token.as_str())
    }

    /// `keys`: given for callers holding `members.manage`, who see open links.
    fn view(&self, invitation: Invitation, now: DateTime<Utc>, keys: Option<&LinkKeys>) -> InvitationView {
        let status = invitation.status_at(now);
        let token = keys
            .filter(|_| status == Status::Open)
            .map(|keys| keys.sign(invitation.id, invitation.link_generation));
        let link = token.as_ref().map(|t| self.link(invitation.id, t));
        // A manager (the only caller given keys) may act on it while it is open;
        // resend once the cooldown since the last send has passed.
        let actions = match token {
            Some(_) if now >= invitation.sent_at + self.settings.resend_cooldown => {
                vec![Action::Resend, Action::Withdraw, Action::CopyLink]
            }
            Some(_) => vec![Action::Withdraw, Action::CopyLink],
            None => vec![],
        };
        InvitationView { invitation, status, link, link_token: token.map(|t| t.as_str().to_owned()), actions }
    }

    fn purge_at(&self, invitation: &Invitation) -> DateTime<Utc> {
        invitation.purge_at(self.settings.history_retention)
    }

    /// The caller's membership, if it grants `permission`. Non-members and
    /// members without it get the same 403, so team ids cannot be probed.
    fn authorize(&self, membership: Option<Membership>, permission: Permission) -> Result<Membership, Error> {
        membership.filter(|m| self.roles.allows(&m.role, permission)).ok_or(Error::Forbidden)
    }

    /// A wrong token and an unknown invitation are the same 404. A token the
    /// held keys refuse may be signed with a key newer than them (a rotation
    /// since they were read): it is checked once more against keys read again.
    /// The token's link generation; the invitation must still hold it (see
    /// `same_link`), or the link was replaced by a resend.
    async fn check_token(&self, id: InvitationId, token: &str) -> Result<u32, Error> {
        if let Some(generation) = self.keys.keys().await?.verify(id, token) {
            return Ok(generation);
        }
        match self.keys.reread().await? {
            Some(newer) => newer.verify(id, token).ok_or(Error::NotFound),
            None => Err(Error::NotFound),
        }
    }

    /// `deadline`: when the invocation ends (Lambda's, where known). The email is
    /// given only the time that leaves room to record its failure.
    pub async fn invite(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        new: NewInvitation,
        deadline: Option<Instant>,
    ) -> Result<InvitationView, Error> {
        let inviting = self.inviting(caller, team_id).await?;
        self.invite_one(&inviting, new, deadline).await
    }

    /// Up to `MAX_BATCH` invitations at once, each decided on its own (a failure
    /// of one is its own answer, never another's), in request order; at most
    /// `BATCH_PARALLELISM` in flight, so a batch neither waits for its emails one
    /// by one nor bursts past SES's sending rate. The caller's permission is
    /// checked once for the request (and again by each write).
    pub async fn invite_batch(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        entries: Vec<Result<NewInvitation, Error>>,
        deadline: Option<Instant>,
    ) -> Result<Vec<Result<InvitationView, Error>>, Error> {
        use futures_util::stream::{self, StreamExt};
        let inviting = self.inviting(caller, team_id).await?;
        let inviting = &inviting;
        Ok(stream::iter(entries)
            .map(|entry| async move {
                match entry {
                    Ok(new) => self.invite_one(inviting, new, deadline).await,
                    Err(e) => Err(e),
                }
            })
            .buffered(BATCH_PARALLELISM)
            .collect()
            .await)
    }

    /// What every invitation of a request needs: the inviter's membership (which
    /// must manage members), the team, and the link keys, read together (the keys
    /// once per instance; cached after). The keys are needed for the link; had
    /// they failed after the write, the invitation would exist without its answer.
    async fn inviting(&self, caller: &Caller, team_id: &TeamId) -> Result<Inviting, Error> {
        let (membership, team, keys, usage) = tokio::join!(
            self.store.membership(team_id, &caller.user_id),
            self.store.team(team_id),
            self.keys.keys(),
            self.store.usage(team_id)
        );
        let inviter = self.authorize(membership?, Permission::MembersManage)?;
        let keys = keys?;
        let team = team?.ok_or_else(|| {
            Error::internal(format!("a membership exists in team {team_id}, which does not"))
        })?;
        let sends = futures_util::lock::Mutex::new(usage?.sends);
        Ok(Inviting { inviter, team, keys, sends })
    }

    async fn invite_one(
        &self,
        inviting: &Inviting,
        new: NewInvitation,
        deadline: Option<Instant>,
    ) -> Result<InvitationView, Error> {
        let Inviting { inviter, team, keys, .. } = inviting;
        let now = self.clock.now();
        // No one grants more than they hold (custom roles can manage members
        // without holding every permission).
        let granted =
            self.roles.get(new.role.as_str()).ok_or_else(|| Error::invalid_field("role", "unknown role"))?;
        if !self.roles.may_grant(&inviter.role, granted) {
            return Err(Error::invalid_field(
                "role",
                format!("your role cannot grant '{}': it has permissions yours does not", new.role),
            ));
        }
        // Written as sent (see `EmailDelivery`); a refusal from SES is recorded below.
        let mut invitation = Invitation::new(
            team,
            new.email,
            new.role,
            inviter.user_id.clone(),
            now,
            self.settings.invitation_validity,
        );
        invitation.locale = new.locale;
        invitation.invited_by_email = Some(inviter.email.clone());
        self.insert_within_limits(inviting, &invitation, now).await?;

        // From here on the invitation exists: a failed email is reported in the
        // response, never as an error, so the manager can copy the link instead.
        let link = self.link(invitation.id, &keys.sign(invitation.id, invitation.link_generation));
        let email = mail::invitation_email(&invitation, &inviter.email, &link, &self.settings.branding);
        if let Err(e) = self.send_within(&email, deadline).await {
            tracing::warn!(invitation = %invitation.id, error = %e, "invitation email failed");
            invitation.email_delivery = EmailDelivery::Failed;
            if let Err(e) = self.store.record_delivery(&failed_send(&invitation, now)).await {
                tracing::error!(invitation = %invitation.id, error = %e, "could not record the failed email");
            }
        }
        Ok(self.view(invitation, now, Some(keys)))
    }

    /// Writes a new invitation with its send and its place in the open count,
    /// within the team's limits (`domain::limits`).
    async fn insert_within_limits(
        &self,
        inviting: &Inviting,
        invitation: &Invitation,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let TeamLimits { max_open, emails_per_hour } = self.settings.limits;
        // The permission read above decides what the caller sees; the write is
        // conditioned on it again, so a manager removed meanwhile cannot invite.
        let managers = self.roles.holding(Permission::MembersManage);
        let purge_at = self.purge_at(invitation);
        let mut released = false;
        let mut sends = inviting.sends.lock().await;
        for _ in 0..limit_attempts(self.settings.limits) {
            let slot = claim(&mut sends, now, emails_per_hour)?;
            let outcome =
                self.store.insert_invitation(invitation, &managers, now, purge_at, slot, max_open).await;
            if !matches!(outcome, Ok(()) | Err(InsertError::Limit(LimitRefusal::SlotTaken(_)))) {
                sends.unclaim(slot);
            }
            match outcome {
                Ok(()) => return Ok(()),
                Err(InsertError::AlreadyInvited) => return Err(Error::AlreadyInvited),
                Err(InsertError::AlreadyMember) => return Err(Error::AlreadyMember),
                Err(InsertError::Forbidden) => return Err(Error::Forbidden),
                Err(InsertError::Store(e)) => return Err(e.into()),
                Err(InsertError::Limit(LimitRefusal::TeamClosed)) => return Err(Error::TeamClosed),
                Err(InsertError::Limit(LimitRefusal::SlotTaken(log))) => *sends = log,
                Err(InsertError::Limit(LimitRefusal::TooManyOpen)) => {
                    // Expired invitations stay counted until released: release
                    // them (once per invite) and try again.
                    let found = self.store.release_expired(&invitation.team_id, now).await?;
                    if released || !found.freed {
                        // The next open one frees its place a grace after it expires.
                        let wait = found.next_expiry.map_or(RELEASE_GRACE, |at| at + RELEASE_GRACE - now);
                        return Err(Error::RateLimited(Limit::OpenInvitations, retry_after_seconds(wait)));
                    }
                    released = true;
                }
            }
        }
        Err(Error::unavailable("invite: the team's limits changed under every attempt"))
    }

    /// Sends `email` unless that could leave no time to record a failure before
    /// `deadline`: the invitation already says `sent`, and a function stopped by
    /// its timeout after the commit would leave that uncorrected.
    async fn send_within(&self, email: &OutgoingEmail, deadline: Option<Instant>) -> Result<(), MailError> {
        let Some(deadline) = deadline else {
            return self.mailer.send(email).await;
        };
        let budget = deadline.saturating_duration_since(Instant::now()).saturating_sub(AWS_ATTEMPT_TIMEOUT);
        if budget.is_zero() {
            return Err(MailError("not attempted: too little time left in this invocation".into()));
        }
        tokio::time::timeout(budget, self.mailer.send(email))
            .await
            .unwrap_or_else(|_| Err(MailError(format!("no answer within the {budget:?} left"))))
    }

    pub async fn list(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        query: &ListQuery,
    ) -> Result<InvitationPage, Error> {
        let now = self.clock.now();
        // The permission check and the query start together, so a member waits
        // for one round trip; a refusal drops the query where it is, so a caller
        // without members.read costs the membership read and hears 403 at once,
        // whatever the size of the team it probed.
        let membership = self.store.membership(team_id, &caller.user_id);
        let page = self.store.list(team_id, query, now);
        tokio::pin!(membership, page);
        let (member, page) = tokio::select! {
            biased;
            m = &mut membership => {
                let member = self.authorize(m?, Permission::MembersRead)?;
                (member, page.await?)
            }
            p = &mut page => (self.authorize(membership.await?, Permission::MembersRead)?, p?),
        };
        let keys = match self.roles.allows(&member.role, Permission::MembersManage) {
            true => Some(self.keys.keys().await?),
            false => None,
        };
        Ok(InvitationPage {
            invitations: page.invitations.into_iter().map(|inv| self.view(inv, now, keys.as_ref())).collect(),
            next: page.next,
        })
    }

    /// What has happened to one of the team's invitations, oldest first. For
    /// managers: it names who did what. An invitation of another team is 404.
    pub async fn history(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        id: InvitationId,
    ) -> Result<Vec<HistoryEntry>, Error> {
        let (membership, found) =
            tokio::join!(self.store.membership(team_id, &caller.user_id), self.store.history(id));
        self.authorize(membership?, Permission::MembersManage)?;
        let (_, history) = found?.filter(|(inv, _)| &inv.team_id == team_id).ok_or(Error::NotFound)?;
        Ok(history)
    }

    /// Applies SES's report on an invitation email; whether it changed what the
    /// invitation shows (a report of an earlier send, or one older than what is
    /// known, changes nothing).
    pub async fn record_delivery(&self, feedback: &DeliveryFeedback) -> Result<bool, Error> {
        Ok(self.store.record_delivery(feedback).await?)
    }

    /// The open invitations addressed to the caller's verified email, across
    /// teams, as their previews: how someone whose email never arrived finds
    /// and accepts them. An unverified address proves nothing: 403.
    pub async fn my_invitations(
        &self,
        caller: &Caller,
        limit: usize,
        after: Option<&PageCursor>,
    ) -> Result<InvitationPage, Error> {
        let email = match (&caller.email, caller.email_verified) {
            (Some(email), Some(true)) => email,
            _ => return Err(Error::EmailUnverified),
        };
        let now = self.clock.now();
        let page = self.store.open_invitations_for(email, limit, after, now).await?;
        Ok(InvitationPage {
            invitations: page.invitations.into_iter().map(|inv| self.view(inv, now, None)).collect(),
            next: page.next,
        })
    }

    /// The team's roles with their permissions, and which of them the caller may
    /// invite people into.
    pub async fn team_roles(&self, caller: &Caller, team_id: &TeamId) -> Result<Vec<TeamRole>, Error> {
        let member = self.store.membership(team_id, &caller.user_id).await?;
        let member = self.authorize(member, Permission::MembersRead)?;
        Ok(self
            .roles
            .iter()
            .map(|role| TeamRole {
                role: role.clone(),
                grantable: self.roles.may_invite_as(&member.role, role),
            })
            .collect())
    }

    /// A page of the team's members. The permission check and the query run
    /// together: a page is one bounded query.
    pub async fn members(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        query: &MemberQuery,
    ) -> Result<MemberPage, Error> {
        let (member, page) =
            tokio::join!(self.store.membership(team_id, &caller.user_id), self.store.members(team_id, query));
        self.authorize(member?, Permission::MembersRead)?;
        Ok(page?)
    }

    /// Ends `user`'s membership; the person can be invited again at once. No one
    /// removes a member whose role they could not grant, and a team keeps an
    /// owner: removing one is conditioned on another still being an owner.
    pub async fn remove_member(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        user: &UserId,
    ) -> Result<Removed, Error> {
        let now = self.clock.now();
        let (mine, theirs) = tokio::join!(
            self.store.membership(team_id, &caller.user_id),
            self.store.membership(team_id, user)
        );
        let remover = self.authorize(mine?, Permission::MembersManage)?;
        let removed = theirs?.ok_or(Error::MemberNotFound)?;
        let grantable =
            self.roles.get(removed.role.as_str()).is_some_and(|r| self.roles.may_grant(&remover.role, r));
        if !grantable {
            return Err(Error::Forbidden);
        }
        let staying_owner = match removed.role.as_str() == RoleName::OWNER {
            true => Some(self.store.other_owner(team_id, user).await?.ok_or(Error::LastOwner)?),
            false => None,
        };
        let managers = self.roles.holding(Permission::MembersManage);
        let reason = if &caller.user_id == user { EndReason::Left } else { EndReason::Removed };
        let ended = EndedMembership { membership: removed, reason, by: caller.user_id.clone(), at: now };
        let purge_at = now + self.settings.history_retention;
        match self.store.remove_member(&ended, &managers, staying_owner.as_ref(), purge_at).await {
            Ok(()) => Ok(Removed { membership: ended.membership, by: ended.by, at: now }),
            Err(RemoveError::Forbidden) => Err(Error::Forbidden),
            // Gone meanwhile: as if it never was. Changed (a role) or the owner who
            // was to stay is not one any more: the caller may retry, and is judged
            // afresh.
            Err(RemoveError::Changed) => match self.store.membership(team_id, user).await? {
                None => Err(Error::MemberNotFound),
                Some(_) => Err(Error::unavailable("the membership changed during its removal")),
            },
            Err(RemoveError::OwnersChanged) => Err(Error::unavailable("the team's owners changed meanwhile")),
            Err(RemoveError::Store(e)) => Err(e.into()),
        }
    }

    /// Sends an open invitation again with a new link (the old one stops
    /// working) and a new validity period, not within the cooldown of the last
    /// send. Read (with the caller's membership and the keys), then one
    /// transaction conditioned on nothing having changed since; then the email.
    pub async fn resend(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        id: InvitationId,
        deadline: Option<Instant>,
    ) -> Result<InvitationView, Error> {
        let now = self.clock.now();
        let (membership, invitation, keys, usage) = tokio::join!(
            self.store.membership(team_id, &caller.user_id),
            self.store.invitation(id),
            self.keys.keys(),
            self.store.usage(team_id)
        );
        let manager = self.authorize(membership?, Permission::MembersManage)?;
        let invitation = invitation?.filter(|inv| &inv.team_id == team_id).ok_or(Error::NotFound)?;
        let keys = keys?;
        if !self.roles.get(invitation.role.as_str()).is_some_and(|r| self.roles.may_grant(&manager.role, r)) {
            return Err(Error::Forbidden);
        }
        let (validity, cooldown) = (self.settings.invitation_validity, self.settings.resend_cooldown);
        let mut resent = invitation.resend(now, validity, cooldown)?;
        let managers = self.roles.holding(Permission::MembersManage);
        let mut sends = usage?.sends;
        let mut attempts = 0;
        loop {
            let slot = claim(&mut sends, now, self.settings.limits.emails_per_hour)?;
            match self
                .store
                .resend(&resent, &caller.user_id, &managers, now, self.purge_at(&resent), slot)
                .await
            {
                Ok(()) => break,
                Err(ResolveError::Limit(LimitRefusal::SlotTaken(log)))
                    if attempts < limit_attempts(self.settings.limits) =>
                {
                    attempts += 1;
                    sends = log;
                }
                Err(e) => return Err(self.resend_refusal(e, id, team_id, now).await),
            }
        }
        let link = self.link(resent.id, &keys.sign(resent.id, resent.link_generation));
        let email = mail::invitation_email(&resent, &manager.email, &link, &self.settings.branding);
        if let Err(e) = self.send_within(&email, deadline).await {
            tracing::warn!(invitation = %resent.id, error = %e, "invitation email failed (resend)");
            resent.email_delivery = EmailDelivery::Failed;
            if let Err(e) = self.store.record_delivery(&failed_send(&resent, now)).await {
                tracing::error!(invitation = %resent.id, error = %e, "could not record the failed email");
            }
        }
        Ok(self.view(resent, now, Some(&keys)))
    }

    /// Why a resend's write was refused: what the domain says of the invitation
    /// as it now is (answered, expired, or resent meanwhile: too soon).
    async fn resend_refusal(
        &self,
        error: ResolveError,
        id: InvitationId,
        team: &TeamId,
        now: DateTime<Utc>,
    ) -> Error {
        let current = match error {
            ResolveError::Forbidden => return Error::Forbidden,
            ResolveError::AlreadyMember => return Error::internal("a resend refused as already a member"),
            ResolveError::Limit(LimitRefusal::TeamClosed) => return Error::TeamClosed,
            ResolveError::Limit(_) => {
                return Error::unavailable("resend: the send slots changed under every attempt")
            }
            ResolveError::Store(e) => return e.into(),
            ResolveError::NotOpen { current: Some(inv) } => Some(*inv),
            ResolveError::NotOpen { current: None } => match self.store.invitation(id).await {
                Ok(inv) => inv,
                Err(e) => return e.into(),
            },
        };
        match current.filter(|inv| &inv.team_id == team) {
            None => Error::NotFound,
            Some(inv) => {
                match inv.resend(now, self.settings.invitation_validity, self.settings.resend_cooldown) {
                    Err(e) => e.into(),
                    Ok(_) => Error::unavailable("a concurrent transaction cancelled the resend"),
                }
            }
        }
    }

    /// One transaction: the invitation's update, conditioned on it being open and
    /// in this team, and a check that the caller holds a role with
    /// `members.manage` in the team at that moment.
    pub async fn withdraw(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        id: InvitationId,
    ) -> Result<Withdrawn, Error> {
        let now = self.clock.now();
        let managers = self.roles.holding(Permission::MembersManage);
        let purge_at = now + self.settings.history_retention;
        match self.store.withdraw(team_id, id, &caller.user_id, &managers, now, purge_at).await {
            Ok(()) => Ok(Withdrawn { id, team_id: team_id.clone(), by: caller.user_id.clone(), at: now }),
            Err(e) => Err(self.refusal(e, id, Some(team_id), None, now).await),
        }
    }

    /// What the invitee sees before answering. Never changes anything: mail
    /// scanners follow GET links.
    pub async fn preview(&self, id: InvitationId, token: &str) -> Result<InvitationView, Error> {
        let generation = self.check_token(id, token).await?;
        let now = self.clock.now();
        let invitation =
            self.store.invitation(id).await?.filter(same_link(generation)).ok_or(Error::NotFound)?;
        Ok(self.view(invitation, now, None))
    }

    /// `token`: the link's. Without one, the invited person accepts from their
    /// own list (`my_invitations`): the verified address is then the whole
    /// credential, so it must be explicitly verified, whatever the operator
    /// trusts otherwise (docs/product.md says why this is safe).
    pub async fn accept(
        &self,
        caller: &Caller,
        id: InvitationId,
        token: Option<&str>,
    ) -> Result<Accepted, Error> {
        let generation = match token {
            Some(token) => Some(self.check_token(id, token).await?),
            None if caller.email_verified == Some(true) => None,
            None => return Err(Error::EmailMismatch),
        };
        let now = self.clock.now();
        let invitation = self.store.invitation(id).await?;
        let invitation =
            invitation.filter(|inv| generation.is_none_or(|g| same_link(g)(inv))).ok_or(Error::NotFound)?;
        // Without the link, someone else's invitation is not found: its id tells nothing.
        if generation.is_none() && caller.email.as_ref() != Some(&invitation.email) {
            return Err(Error::NotFound);
        }
        invitation.ensure_open(now)?;
        // A forwarded link must not let another account join; the invitation stays
        // open for the right person. Only an address the identity provider says it
        // verified counts: providers that omit the claim would otherwise turn the
        // rule into "the token alone" (an operator may trust them explicitly).
        let verified = match caller.email_verified {
            Some(verified) => verified,
            None => self.settings.trust_unverified_email,
        };
        let same_email = caller.email.as_ref() == Some(&invitation.email);
        if !(verified && same_email) {
            return Err(Error::EmailMismatch);
        }
        let accepted = invitation.accept(caller.user_id.clone(), now)?;
        let membership = Membership {
            team_id: accepted.team_id.clone(),
            user_id: caller.user_id.clone(),
            email: accepted.email.clone(),
            role: accepted.role.clone(),
            joined_at: now,
        };
        if let Err(e) = self.store.accept(&accepted, &membership, now, self.purge_at(&accepted)).await {
            return Err(self.refusal(e, id, None, generation, now).await);
        }
        Ok(Accepted { invitation: self.view(accepted, now, None), membership })
    }

    /// The link is checked (before any I/O), the invitation read, and the decline written under
    /// the conditions that settle races (the read gives the team whose open
    /// count it leaves).
    pub async fn decline(
        &self,
        caller: Option<&Caller>,
        id: InvitationId,
        token: &str,
    ) -> Result<InvitationView, Error> {
        let generation = self.check_token(id, token).await?;
        let now = self.clock.now();
        let invitation =
            self.store.invitation(id).await?.filter(same_link(generation)).ok_or(Error::NotFound)?;
        let declined = invitation.decline(caller.map(|c| c.user_id.clone()), now)?;
        match self.store.decline(&declined, generation, now, self.purge_at(&declined)).await {
            Ok(()) => Ok(self.view(declined, now, None)),
            Err(e) => Err(self.refusal(e, id, None, Some(generation), now).await),
        }
    }

    /// Why a conditional write was refused, as the caller should hear it: what a
    /// later caller would see. `team`: the invitation must be that team's, or it
    /// does not exist as far as the caller can tell; `generation`: the presented
    /// link's, which must still be the invitation's, or the link is not valid.
    async fn refusal(
        &self,
        error: ResolveError,
        id: InvitationId,
        team: Option<&TeamId>,
        generation: Option<u32>,
        now: DateTime<Utc>,
    ) -> Error {
        let current = match error {
            ResolveError::Forbidden => return Error::Forbidden,
            ResolveError::AlreadyMember => return Error::AlreadyMember,
            ResolveError::Limit(LimitRefusal::TeamClosed) => return Error::TeamClosed,
            ResolveError::Limit(_) => return Error::internal("an answer refused by a limit"),
            ResolveError::Store(e) => return e.into(),
            ResolveError::NotOpen { current: Some(inv) } => Some(*inv),
            // Unknown after a conflicting transaction: one more read says who won.
            ResolveError::NotOpen { current: None } => match self.store.invitation(id).await {
                Ok(inv) => inv,
                Err(e) => return e.into(),
            },
        };
        let current = current.filter(|inv| team.is_none_or(|t| &inv.team_id == t));
        match current.filter(|inv| generation.is_none_or(|g| inv.link_generation == g)) {
            None => Error::NotFound,
            Some(inv) => match inv.ensure_open(now) {
                Err(e) => e.into(),
                // Still open: a concurrent transaction got in the way and then
                // failed; the caller may simply retry.
                Ok(()) => Error::unavailable("a concurrent transaction cancelled the write"),
            },
        }
    }
}

/// Whether an invitation still holds the link generation `generation`: a
/// resend replaces the link, and the replaced one then names nothing.
fn same_link(generation: u32) -> impl Fn(&Invitation) -> bool {
    move |inv| inv.link_generation == generation
}

/// SES refused (or did not answer) the send of `invitation`'s current link:
/// recorded as feedback on that send, so that it neither overwrites a report
/// that arrived first nor applies to a later send.
fn failed_send(invitation: &Invitation, at: DateTime<Utc>) -> DeliveryFeedback {
    DeliveryFeedback {
        invitation: invitation.id,
        generation: invitation.link_generation,
        delivery: EmailDelivery::Failed,
        bounce: None,
        at,
    }
}
