//! Sending invitations: one, a batch, and again (resend). Each send is
//! decided in one transaction within the team's limits (`domain::limits`): a
//! send whose slot another request took meanwhile claims another, and a team
//! at its open limit releases its expired invitations and tries once more.
//! The email goes out after the commit; a refused email is recorded
//! (`emailDelivery: failed`), never turned into an error.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Instant;

use super::{failed_send, link, purge_at, view, InvitationView};
use crate::config::AWS_ATTEMPT_TIMEOUT;
use crate::domain::{
    retry_after_seconds, until_next_day, Email, EmailDelivery, Invitation, InvitationId, Limit, LinkKeys,
    Locale, Membership, Permission, RoleName, SendLog, SendSlot, Team, TeamId, TeamLimits, RELEASE_GRACE,
};
use crate::error::Error;
use crate::mail;
use crate::ports::{
    DeliveryStore, InsertError, InvitationStore, LimitRefusal, LimitStore, LinkKeySource, MailError, Mailer,
    MemberStore, OutgoingEmail, ResolveError, SendQuota, TeamStore,
};
use crate::service::{Caller, Context};

/// What sending reads and writes: the invitation, the inviter's membership,
/// the team, its limits, and the failed send's record.
pub trait SendingStore: InvitationStore + MemberStore + TeamStore + LimitStore + DeliveryStore {}
impl<S: InvitationStore + MemberStore + TeamStore + LimitStore + DeliveryStore> SendingStore for S {}

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

/// The caller's membership, judged by `authorize` as soon as it is read, and
/// `rest`, read meanwhile: on a refusal, `rest` is dropped unfinished.
async fn authorized_first<M, R, T>(
    membership: impl std::future::Future<Output = Result<M, crate::ports::StoreError>>,
    rest: impl std::future::Future<Output = R>,
    authorize: impl FnOnce(M) -> Result<T, Error>,
) -> Result<(T, R), Error> {
    tokio::pin!(membership, rest);
    tokio::select! {
        biased;
        m = &mut membership => {
            let allowed = authorize(m?)?;
            Ok((allowed, rest.await))
        }
        r = &mut rest => Ok((authorize(membership.await?)?, r)),
    }
}

/// The 429 of an address that was sent its most emails today.
fn recipient_daily(now: DateTime<Utc>) -> Error {
    Error::RateLimited(Limit::EmailsPerRecipientPerDay, retry_after_seconds(until_next_day(now)))
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
    /// The team's own limits, or the deployment's.
    limits: TeamLimits,
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

pub struct Sending<S, M, K> {
    store: S,
    mailer: M,
    keys: K,
    ctx: Arc<Context>,
}

impl<S: SendingStore, M: Mailer, K: LinkKeySource> Sending<S, M, K> {
    pub fn new(store: S, mailer: M, keys: K, ctx: Arc<Context>) -> Self {
        Self { store, mailer, keys, ctx }
    }

    pub fn context(&self) -> &Context {
        &self.ctx
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
    /// must manage members), the team, its limits and the link keys, read
    /// together (the keys once per instance; cached after). The keys are needed
    /// for the link; had they failed after the write, the invitation would exist
    /// without its answer. The permission decides as soon as it is known: a
    /// refused caller waits for none of the rest (on a cold start, the keys are
    /// a round trip to Secrets Manager), which is dropped unfinished.
    async fn inviting(&self, caller: &Caller, team_id: &TeamId) -> Result<Inviting, Error> {
        let membership = self.store.membership(team_id, &caller.user_id);
        let rest =
            async { tokio::join!(self.store.team(team_id), self.keys.keys(), self.store.usage(team_id)) };
        let (inviter, (team, keys, usage)) =
            authorized_first(membership, rest, |m| self.ctx.authorize(m, Permission::MembersManage)).await?;
        let keys = keys?;
        let team = team?.ok_or_else(|| {
            Error::internal(format!("a membership exists in team {team_id}, which does not"))
        })?;
        let usage = usage?;
        let limits = usage.limits_or(self.ctx.settings.limits);
        Ok(Inviting { inviter, team, keys, limits, sends: futures_util::lock::Mutex::new(usage.sends) })
    }

    async fn invite_one(
        &self,
        inviting: &Inviting,
        new: NewInvitation,
        deadline: Option<Instant>,
    ) -> Result<InvitationView, Error> {
        let Inviting { inviter, team, keys, .. } = inviting;
        let now = self.ctx.clock.now();
        // No one grants more than they hold (custom roles can manage members
        // without holding every permission).
        let granted = self
            .ctx
            .roles
            .get(new.role.as_str())
            .ok_or_else(|| Error::invalid_field("role", "unknown role"))?;
        if !self.ctx.roles.may_grant(&inviter.role, granted) {
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
            self.ctx.settings.invitation_validity,
        );
        invitation.locale = new.locale;
        invitation.invited_by_email = Some(inviter.email.clone());
        self.insert_within_limits(inviting, &invitation, now).await?;

        // From here on the invitation exists: a failed email is reported in the
        // response, never as an error, so the manager can copy the link instead.
        let link = link(&self.ctx, invitation.id, &keys.sign(invitation.id, invitation.link_generation));
        let email = mail::invitation_email(&invitation, &inviter.email, &link, &self.ctx.settings.branding);
        if let Err(e) = self.send_within(&email, deadline).await {
            tracing::warn!(invitation = %invitation.id, error = %e, "invitation email failed");
            invitation.email_delivery = EmailDelivery::Failed;
            if let Err(e) = self.store.record_delivery(&failed_send(&invitation, now)).await {
                tracing::error!(invitation = %invitation.id, error = %e, "could not record the failed email");
            }
        }
        Ok(view(&self.ctx, invitation, now, Some(keys)))
    }

    /// Writes a new invitation with its send and its place in the open count,
    /// within the team's limits (`domain::limits`).
    async fn insert_within_limits(
        &self,
        inviting: &Inviting,
        invitation: &Invitation,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let TeamLimits { max_open, emails_per_hour } = inviting.limits;
        // The permission read above decides what the caller sees; the write is
        // conditioned on it again, so a manager removed meanwhile cannot invite.
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let purge_at = purge_at(&self.ctx, invitation);
        let mut released = false;
        let mut sends = inviting.sends.lock().await;
        for _ in 0..limit_attempts(inviting.limits) {
            let slot = claim(&mut sends, now, emails_per_hour)?;
            let quota = self.quota(slot);
            let outcome =
                self.store.insert_invitation(invitation, &managers, now, purge_at, quota, max_open).await;
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
                Err(InsertError::Limit(LimitRefusal::RecipientDaily)) => return Err(recipient_daily(now)),
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

    fn quota(&self, slot: SendSlot) -> SendQuota {
        SendQuota { slot, per_recipient_per_day: self.ctx.settings.emails_per_recipient_per_day }
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
        let now = self.ctx.clock.now();
        let membership = self.store.membership(team_id, &caller.user_id);
        let rest =
            async { tokio::join!(self.store.invitation(id), self.keys.keys(), self.store.usage(team_id)) };
        let (manager, (invitation, keys, usage)) =
            authorized_first(membership, rest, |m| self.ctx.authorize(m, Permission::MembersManage)).await?;
        let invitation = invitation?.filter(|inv| &inv.team_id == team_id).ok_or(Error::NotFound)?;
        let keys = keys?;
        if !self
            .ctx
            .roles
            .get(invitation.role.as_str())
            .is_some_and(|r| self.ctx.roles.may_grant(&manager.role, r))
        {
            return Err(Error::Forbidden);
        }
        let (validity, cooldown) = (self.ctx.settings.invitation_validity, self.ctx.settings.resend_cooldown);
        let mut resent = invitation.resend(now, validity, cooldown)?;
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let usage = usage?;
        let limits = usage.limits_or(self.ctx.settings.limits);
        let mut sends = usage.sends;
        let mut attempts = 0;
        loop {
            let slot = claim(&mut sends, now, limits.emails_per_hour)?;
            match self
                .store
                .resend(
                    &resent,
                    &caller.user_id,
                    &managers,
                    now,
                    purge_at(&self.ctx, &resent),
                    self.quota(slot),
                )
                .await
            {
                Ok(()) => break,
                Err(ResolveError::Limit(LimitRefusal::SlotTaken(log)))
                    if attempts < limit_attempts(limits) =>
                {
                    attempts += 1;
                    sends = log;
                }
                Err(e) => return Err(self.resend_refusal(e, id, team_id, now).await),
            }
        }
        let link = link(&self.ctx, resent.id, &keys.sign(resent.id, resent.link_generation));
        let email = mail::invitation_email(&resent, &manager.email, &link, &self.ctx.settings.branding);
        if let Err(e) = self.send_within(&email, deadline).await {
            tracing::warn!(invitation = %resent.id, error = %e, "invitation email failed (resend)");
            resent.email_delivery = EmailDelivery::Failed;
            if let Err(e) = self.store.record_delivery(&failed_send(&resent, now)).await {
                tracing::error!(invitation = %resent.id, error = %e, "could not record the failed email");
            }
        }
        Ok(view(&self.ctx, resent, now, Some(&keys)))
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
            ResolveError::Limit(LimitRefusal::RecipientDaily) => return recipient_daily(now),
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
                match inv.resend(
                    now,
                    self.ctx.settings.invitation_validity,
                    self.ctx.settings.resend_cooldown,
                ) {
                    Err(e) => e.into(),
                    Ok(_) => Error::unavailable("a concurrent transaction cancelled the resend"),
                }
            }
        }
    }
}
