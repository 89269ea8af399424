//! Sending invitations: one, a batch, and again (resend). Each send is
//! decided in one transaction within the team's limits (`domain::limits`): a
//! send refused because the team's usage moved meanwhile reads it again and
//! decides anew, and a team at its open limit releases its expired invitations
//! and tries once more. A batch takes the places of all its entries in one
//! write first, and gives back in one more what its refused entries left.
//! The email goes out after the commit; a refused email is recorded
//! (`emailDelivery: failed`), never turned into an error.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Instant;

use super::{failed_send, link, purge_at, view, InvitationView};
use crate::config::AWS_ATTEMPT_TIMEOUT;
use crate::domain::{
    retry_after_seconds, until_next_day, Email, EmailDelivery, Invitation, InvitationId, Limit, LinkKeys,
    Locale, Membership, Metadata, Note, Permission, RoleName, SendClaim, Status, Team, TeamId, TeamLimits,
    ValidDays, RELEASE_GRACE,
};
use crate::error::Error;
use crate::mail;
use crate::ports::{
    DeliveryStore, Exceeded, InsertError, InvitationStore, LimitRefusal, LimitStore, LinkKeySource,
    MailError, Mailer, MemberStore, OutgoingEmail, Released, ResolveError, SendQuota, Taken, TeamStore,
    Usage,
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

/// The 429 of the emails-per-hour limit, free again after `wait`.
fn hourly(wait: chrono::TimeDelta) -> Error {
    Error::RateLimited(Limit::EmailsPerHour, retry_after_seconds(wait))
}

/// The 429 of a team at its open limit after releasing what had expired: the
/// next open one frees its place a grace after it expires.
fn open_full(found: &Released, now: DateTime<Utc>) -> Error {
    let wait = found.next_expiry.map_or(RELEASE_GRACE, |at| at + RELEASE_GRACE - now);
    Error::RateLimited(Limit::OpenInvitations, retry_after_seconds(wait))
}

/// A refused insert, as the inviter should hear it.
fn insert_refusal(error: InsertError, now: DateTime<Utc>) -> Error {
    match error {
        InsertError::AlreadyInvited => Error::AlreadyInvited,
        InsertError::AlreadyMember => Error::AlreadyMember,
        InsertError::Forbidden => Error::Forbidden,
        InsertError::Store(e) => e.into(),
        InsertError::Limit(LimitRefusal::TeamClosed) => Error::TeamClosed,
        InsertError::Limit(LimitRefusal::RecipientDaily) => recipient_daily(now),
        InsertError::Limit(LimitRefusal::Seats) => Error::SeatLimit { joining: false },
        InsertError::Limit(LimitRefusal::Changed) => {
            Error::unavailable("invite: the team's limits changed under every attempt")
        }
    }
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

/// How many times a send may be written: a refusal because the team's usage
/// moved means another request of the team sent meanwhile, which happens at
/// most `emails_per_hour` times in a burst before the limit refuses outright;
/// one more for the retry after releasing expired invitations.
fn limit_attempts(limits: TeamLimits) -> usize {
    limits.emails_per_hour as usize + 2
}

/// What the invitations of one request share.
struct Inviting {
    inviter: Membership,
    team: Team,
    keys: LinkKeys,
    /// The team's own limits, or the deployment's.
    limits: TeamLimits,
    /// As read with the inviter's membership.
    usage: Usage,
}

/// A validated invite request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    pub email: Email,
    pub role: RoleName,
    /// The language of its email and page; English unless given.
    pub locale: Locale,
    /// How many days it stays open (None: the deployment's validity).
    pub valid_days: Option<ValidDays>,
    /// The inviter's personal note.
    pub note: Option<Note>,
    /// The platform's or the frontend's own data, never shown to the invitee.
    pub metadata: Option<Metadata>,
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
        // Boxed: its reads together make a large future, kept off the stack.
        let inviting = Box::pin(self.inviting(caller, team_id)).await?;
        let now = self.ctx.clock.now();
        let invitation = self.prepare(&inviting, new, now)?;
        self.insert_within_limits(&inviting, &invitation, now).await?;
        Ok(self.deliver(&inviting, invitation, now, deadline).await)
    }

    /// Up to `MAX_BATCH` invitations at once, each decided on its own (a failure
    /// of one is its own answer, never another's), in request order; at most
    /// `BATCH_PARALLELISM` in flight, so a batch neither waits for its emails one
    /// by one nor bursts past SES's sending rate. The caller's permission is
    /// checked once for the request (and again by each write). The places of
    /// every entry are taken in one write first (as many as the limits leave,
    /// to the first entries), so the entries' writes never contend for the
    /// team's limits item; what refused entries leave is given back in one more.
    pub async fn invite_batch(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        entries: Vec<Result<NewInvitation, Error>>,
        deadline: Option<Instant>,
    ) -> Result<Vec<Result<InvitationView, Error>>, Error> {
        use futures_util::stream::{self, StreamExt};
        let inviting = Box::pin(self.inviting(caller, team_id)).await?;
        let now = self.ctx.clock.now();
        let prepared: Vec<_> = entries
            .into_iter()
            .map(|entry| entry.and_then(|new| self.prepare(&inviting, new, now)))
            .collect();
        let wanted = prepared.iter().filter(|p| p.is_ok()).count() as u32;
        // Boxed, as are the rounds: a batch's futures are large, and a
        // handler's future lives on its task's stack.
        let (granted, beyond) = Box::pin(self.reserve(&inviting, wanted, now)).await?;
        let mut answers: Vec<Option<Result<InvitationView, Error>>> = vec![None; prepared.len()];
        let (mut round, mut waiting) = (Vec::new(), std::collections::VecDeque::new());
        for (i, entry) in prepared.into_iter().enumerate() {
            match entry {
                Ok(invitation) if round.len() < granted as usize => round.push((i, invitation)),
                Ok(invitation) => waiting.push_back((i, invitation)),
                Err(e) => answers[i] = Some(Err(e)),
            }
        }
        // A place an entry did not use (invited already, say) goes to the next
        // entry beyond the reservation, in a later round; what is left over is
        // given back.
        let inviting = &inviting;
        let mut spare = 0;
        while !round.is_empty() {
            let outcomes: Vec<_> = Box::pin(
                stream::iter(round)
                    .map(|(i, invitation)| async move {
                        match self.insert(&invitation, now, self.quota(Taken::Reserved)).await {
                            Ok(()) => (i, Ok(self.deliver(inviting, invitation, now, deadline).await)),
                            Err(e) => (i, Err(insert_refusal(e, now))),
                        }
                    })
                    .buffered(BATCH_PARALLELISM)
                    .collect::<Vec<_>>(),
            )
            .await;
            for (i, answer) in outcomes {
                spare += u32::from(answer.is_err());
                answers[i] = Some(answer);
            }
            round = waiting.drain(..waiting.len().min(spare as usize)).collect();
            spare -= round.len() as u32;
        }
        for (i, _) in waiting {
            answers[i] =
                Some(Err(beyond.clone().unwrap_or_else(|| Error::internal("a batch entry without a place"))));
        }
        let refund = SendClaim::refund(inviting.limits.emails_per_hour, spare);
        if let Err(e) = self.store.give_back(team_id, spare, refund).await {
            // Left taken, the places free again when the count is next
            // corrected (a refusal at the limit counts again).
            tracing::error!(team = %team_id, spare, error = %e, "could not give back a batch's unused places");
        }
        Ok(answers
            .into_iter()
            .map(|answer| answer.unwrap_or_else(|| Err(Error::internal("a batch entry without an answer"))))
            .collect())
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
        Ok(Inviting { inviter, team, keys, limits, usage })
    }

    /// The invitation `new` asks for, if the inviter may grant its role.
    fn prepare(
        &self,
        inviting: &Inviting,
        new: NewInvitation,
        now: DateTime<Utc>,
    ) -> Result<Invitation, Error> {
        let Inviting { inviter, team, .. } = inviting;
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
        // Written as sent (see `EmailDelivery`); a refusal from SES is recorded later.
        let mut invitation = Invitation::new(
            team,
            new.email,
            new.role,
            inviter.user_id.clone(),
            now,
            new.valid_days.map_or(self.ctx.settings.invitation_validity, ValidDays::duration),
        );
        invitation.locale = new.locale;
        invitation.invited_by_email = Some(inviter.email.clone());
        invitation.valid_days = new.valid_days;
        invitation.note = new.note;
        invitation.metadata = new.metadata;
        Ok(invitation.with_reminder(self.ctx.settings.reminder_lead))
    }

    /// Emails a written invitation. From here on the invitation exists: a
    /// failed email is reported in the response, never as an error, so the
    /// manager can copy the link instead.
    async fn deliver(
        &self,
        inviting: &Inviting,
        mut invitation: Invitation,
        now: DateTime<Utc>,
        deadline: Option<Instant>,
    ) -> InvitationView {
        let Inviting { inviter, keys, .. } = inviting;
        let link = link(&self.ctx, invitation.id, &keys.sign(invitation.id, invitation.link_generation));
        let email = mail::invitation_email(&invitation, &inviter.email, &link, &self.ctx.settings.branding);
        if let Err(e) = self.send_within(&email, deadline).await {
            tracing::warn!(invitation = %invitation.id, error = %e, "invitation email failed");
            invitation.email_delivery = EmailDelivery::Failed;
            if let Err(e) = self.store.record_delivery(&failed_send(&invitation, now)).await {
                tracing::error!(invitation = %invitation.id, error = %e, "could not record the failed email");
            }
        }
        view(&self.ctx, invitation, now, Some(keys))
    }

    /// Writes a new invitation with its send, conditioned again on the
    /// inviter's permission (read above to decide what the caller sees): a
    /// manager removed meanwhile cannot invite.
    async fn insert(
        &self,
        invitation: &Invitation,
        now: DateTime<Utc>,
        quota: SendQuota,
    ) -> Result<(), InsertError> {
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let purge_at = purge_at(&self.ctx, invitation);
        self.store.insert_invitation(invitation, &managers, now, purge_at, quota).await
    }

    /// Releases the team's expired invitations from its open count (once per
    /// request) and reads its usage again; a team with nothing to release is
    /// refused at once.
    /// `exceeded`: the limit that left no room, which a refusal names.
    async fn release(
        &self,
        team: &TeamId,
        usage: &Usage,
        released: &mut Option<Released>,
        exceeded: Exceeded,
        now: DateTime<Utc>,
    ) -> Result<Usage, Error> {
        let refused = |found: &Released| match exceeded {
            Exceeded::Seats => Error::SeatLimit { joining: false },
            _ => open_full(found, now),
        };
        if let Some(found) = released {
            return Err(refused(found));
        }
        let found = self.store.release_expired(team, usage, now).await?;
        if !found.freed {
            return Err(refused(&found));
        }
        *released = Some(found);
        Ok(self.store.usage(team).await?)
    }

    /// Writes a new invitation with its send and its place in the open count,
    /// within the team's limits (`domain::limits`).
    async fn insert_within_limits(
        &self,
        inviting: &Inviting,
        invitation: &Invitation,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let team = &invitation.team_id;
        let mut usage = inviting.usage.clone();
        let mut released = None;
        for _ in 0..limit_attempts(inviting.limits) {
            let places = match usage.places(inviting.limits, now, 1) {
                Ok(places) => places,
                Err(Exceeded::EmailsPerHour(wait)) => return Err(hourly(wait)),
                Err(exceeded @ (Exceeded::OpenInvitations | Exceeded::Seats)) => {
                    usage = self.release(team, &usage, &mut released, exceeded, now).await?;
                    continue;
                }
            };
            match self.insert(invitation, now, self.quota(Taken::Now(places))).await {
                Ok(()) => return Ok(()),
                Err(InsertError::Limit(LimitRefusal::Changed)) => usage = self.store.usage(team).await?,
                Err(e) => return Err(insert_refusal(e, now)),
            }
        }
        Err(Error::unavailable("invite: the team's limits changed under every attempt"))
    }

    /// Takes the places of up to `wanted` new invitations in one write: how
    /// many it took, and what the entries beyond them are told.
    async fn reserve(
        &self,
        inviting: &Inviting,
        wanted: u32,
        now: DateTime<Utc>,
    ) -> Result<(u32, Option<Error>), Error> {
        if wanted == 0 {
            return Ok((0, None));
        }
        let team = &inviting.team.id;
        let limits = inviting.limits;
        let mut usage = inviting.usage.clone();
        let mut released: Option<Released> = None;
        for _ in 0..limit_attempts(limits) {
            let (open_fit, seat_fit) = usage.fits(limits, wanted);
            let open_fit = open_fit.min(seat_fit);
            // Short of places: expired invitations may be holding some (once).
            if open_fit < wanted && released.is_none() {
                let found = self.store.release_expired(team, &usage, now).await?;
                let freed = found.freed;
                released = Some(found);
                if freed {
                    usage = self.store.usage(team).await?;
                    continue;
                }
            }
            let full = || match &released {
                Some(_) if seat_fit == open_fit => Error::SeatLimit { joining: false },
                Some(found) => open_full(found, now),
                None => Error::internal("the open limit binds before any release"),
            };
            let places = match usage.places(limits, now, wanted) {
                Ok(places) => places,
                Err(Exceeded::EmailsPerHour(wait)) => return Ok((0, Some(hourly(wait)))),
                Err(Exceeded::OpenInvitations | Exceeded::Seats) => return Ok((0, Some(full()))),
            };
            match self.store.reserve(team, places).await {
                Ok(()) => {}
                Err(InsertError::Limit(LimitRefusal::Changed)) => {
                    usage = self.store.usage(team).await?;
                    continue;
                }
                Err(e) => return Err(insert_refusal(e, now)),
            }
            let beyond = match places.invitations {
                all if all == wanted => None,
                some if some == open_fit => Some(full()),
                _ => {
                    let next = SendClaim::take(Some(places.sends.until), now, limits.emails_per_hour, 1);
                    Some(hourly(next.err().unwrap_or_default()))
                }
            };
            return Ok((places.invitations, beyond));
        }
        Err(Error::unavailable("batch: the team's limits changed under every attempt"))
    }

    fn quota(&self, taken: Taken) -> SendQuota {
        SendQuota { taken, per_recipient_per_day: self.ctx.settings.emails_per_recipient_per_day }
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
        let mut resent =
            invitation.resend(now, validity, cooldown)?.with_reminder(self.ctx.settings.reminder_lead);
        // Renewing an expired invitation opens it again: it takes a place in
        // the open count and a seat, as a new one does (the store gives back
        // the place it still held, if any).
        let renewing = u32::from(invitation.status_at(now) == Status::Expired);
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let mut usage = usage?;
        let limits = usage.limits_or(self.ctx.settings.limits);
        let (mut attempts, mut released) = (0, None);
        loop {
            let places = match usage.places(limits, now, renewing) {
                Ok(places) => places,
                Err(Exceeded::EmailsPerHour(wait)) => return Err(hourly(wait)),
                Err(exceeded @ (Exceeded::OpenInvitations | Exceeded::Seats)) => {
                    usage = self.release(team_id, &usage, &mut released, exceeded, now).await?;
                    continue;
                }
            };
            match self
                .store
                .resend(
                    &resent,
                    &caller.user_id,
                    &managers,
                    now,
                    purge_at(&self.ctx, &resent),
                    self.quota(Taken::Now(places)),
                )
                .await
            {
                Ok(()) => break,
                Err(ResolveError::Limit(LimitRefusal::Changed)) if attempts < limit_attempts(limits) => {
                    attempts += 1;
                    usage = self.store.usage(team_id).await?;
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
            // A renewal: the address joined the team, or was invited again, since.
            ResolveError::AlreadyMember => return Error::AlreadyMember,
            ResolveError::Superseded => return Error::Superseded,
            ResolveError::Limit(LimitRefusal::TeamClosed) => return Error::TeamClosed,
            ResolveError::Limit(LimitRefusal::RecipientDaily) => return recipient_daily(now),
            ResolveError::Limit(_) => {
                return Error::unavailable("resend: the team's send instant changed under every attempt")
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
