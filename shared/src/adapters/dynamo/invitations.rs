//! Invitations: each write one conditional write or transaction, with its
//! history entry; the reads by id, by team (`byTeam`, `byStatus`) and by
//! address (`byEmail`).

use aws_sdk_dynamodb::types::{
    ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};

use super::changes::Change;
use super::errors::{build_error, store_error, Cancelled, Transact};
use super::items::*;
use super::renew::Again;
use super::table::{GSI_BY_EMAIL, GSI_BY_STATUS, GSI_BY_TEAM};
use super::{not_open, position, DynamoStore, MAX_QUERIES_PER_PAGE};
use crate::domain::{
    Email, HistoryEntry, Invitation, InvitationId, Membership, Resolution, RoleName, Status, TeamId, UserId,
};
use crate::ports::{
    InsertError, InvitationStore, LimitRefusal, ListQuery, Page, PageCursor, ResolveError, SendQuota,
    StoreError, Taken,
};

impl DynamoStore {
    /// One transaction: the invitation, the email's lock (free, expired, or held
    /// by `stale`, an invitation known to be answered), "no member has this
    /// email", "the inviter holds one of `roles`" at that moment, the team's
    /// limits, and the mailbox's emails of the day.
    async fn try_insert(
        &self,
        inv: &Invitation,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        stale: Option<InvitationId>,
        quota: SendQuota,
    ) -> Result<Attempt, InsertError> {
        let Some(permitted) = self.holds_role(&inv.team_id, &inv.invited_by, roles)? else {
            return Err(InsertError::Forbidden);
        };
        let mut lock = Put::builder()
            .table_name(&self.table)
            .set_item(Some(open_lock_item(inv)))
            // An expired invitation's lock may be taken over: expiry frees the email.
            .condition_expression("attribute_not_exists(pk) OR expiresAtMs <= :now")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(stale) = stale {
            lock = lock
                .condition_expression(
                    "attribute_not_exists(pk) OR expiresAtMs <= :now OR invitationId = :stale",
                )
                .expression_attribute_values(":stale", s(stale.to_string()));
        }
        let not_member = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&inv.team_id)))
            .key("sk", s(member_email_sk(&inv.email)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let items = vec![
            self.put_if_absent(invitation_item(inv, purge_at))?,
            TransactWriteItem::builder().put(lock.build().map_err(build_error)?).build(),
            TransactWriteItem::builder().condition_check(not_member).build(),
            permitted,
            match &quota.taken {
                Taken::Now(places) => self.limits_take(&inv.team_id, places)?,
                Taken::Reserved => self.limits_open_check(&inv.team_id)?,
            },
            self.mailbox_day_update(&inv.email, now, quota.per_recipient_per_day)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(Attempt::Done(Inserted::Yes)),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Checked first: whoever may not invite learns nothing about the email.
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_PERMISSION) => {
                Err(InsertError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_NOT_MEMBER) => {
                Err(InsertError::AlreadyMember)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_LOCK) => {
                let lock =
                    c.item(position::INSERT_LOCK).ok_or_else(|| corrupt("open-invitation lock", "item"))?;
                Ok(Attempt::Done(Inserted::LockHeldBy(lock_holder(lock)?)))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_LIMITS) => {
                Err(InsertError::Limit(Self::limit_refusal(&c, position::INSERT_LIMITS)))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::INSERT_MAILBOX) => {
                Err(InsertError::Limit(LimitRefusal::RecipientDaily))
            }
            // Another transaction held one of the items (real DynamoDB, racing
            // invites of one email): the caller tries once more.
            Err(Transact::Cancelled(c)) if c.conflict() => Ok(Attempt::Conflict),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    /// `try_insert`, once more after conflicts outlasted `send_transaction`'s
    /// retries: the attempt meets the winner's lock and reports it (409), as the
    /// emulators' serial answers do.
    async fn insert_retrying(
        &self,
        inv: &Invitation,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        stale: Option<InvitationId>,
        quota: SendQuota,
    ) -> Result<Inserted, InsertError> {
        for _ in 0..2 {
            if let Attempt::Done(inserted) = self.try_insert(inv, roles, now, purge_at, stale, quota).await? {
                return Ok(inserted);
            }
        }
        Err(StoreError::Unavailable("invite: the transaction kept meeting others".into()).into())
    }
}

pub(super) enum Inserted {
    Yes,
    /// The email's lock is held by this (unexpired) invitation.
    LockHeldBy(InvitationId),
}

enum Attempt {
    Done(Inserted),
    /// Cancelled by a concurrent transaction on one of its items.
    Conflict,
}

/// Development aid (`invitations-admin expire-invitation`, for the browser
/// suite's expired page, the stack journey's renewal): moves an open
/// invitation's expiry, and its email lock's, to `now`, and its last send as
/// far back, as if its period had passed (a renewal is then past the resend
/// cooldown, as it would be). Never in a release function.
#[cfg(any(test, feature = "dev"))]
impl DynamoStore {
    pub async fn expire_now(&self, id: InvitationId, now: DateTime<Utc>) -> Result<Invitation, StoreError> {
        let inv =
            self.invitation(id).await?.ok_or_else(|| StoreError::Other(format!("no invitation {id}")))?;
        if inv.resolution != Resolution::Open {
            return Err(StoreError::Other(format!("invitation {id} is {}", inv.resolution.stored_status())));
        }
        let sent_at = now - (inv.expires_at - inv.sent_at);
        let expired = Invitation { expires_at: now, sent_at, ..inv };
        let ms = n(now.timestamp_millis());
        let invitation = Update::builder()
            .table_name(&self.table)
            .key("pk", s(invitation_pk(id)))
            .key("sk", s(INVITATION_SK))
            .condition_expression("#status = :open")
            .update_expression("SET expiresAt = :exp, expiresAtMs = :ms, gsi2sk = :sk2, sentAt = :sent")
            .expression_attribute_names("#status", "status")
            .set_expression_attribute_values(Some(item([
                (":open", s(Status::Open.as_str())),
                (":exp", s(crate::time::format_timestamp(now))),
                (":ms", ms.clone()),
                (":sk2", s(by_status_sk(Status::Open, now, id))),
                (":sent", s(crate::time::format_timestamp(sent_at))),
            ])))
            .build()
            .map_err(build_error)?;
        let lock = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&expired.team_id)))
            .key("sk", s(open_lock_sk(&expired.email)))
            .condition_expression("invitationId = :id")
            .update_expression("SET expiresAtMs = :ms")
            .set_expression_attribute_values(Some(item([(":id", s(id.to_string())), (":ms", ms)])))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(invitation).build(),
            TransactWriteItem::builder().update(lock).build(),
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(expired),
            Err(Transact::Failed(e)) => Err(e),
            Err(Transact::Cancelled(c)) => Err(c.unexpected()),
        }
    }
}

impl DynamoStore {
    /// An acceptance's writes, in `position::ACCEPT_*` order: the invitation
    /// (open, in its team, its link generation as read), the membership and
    /// its address's item, the team's seats.
    pub(super) fn accept_writes(
        &self,
        accepted: &Invitation,
        membership: &Membership,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let change = Change::resolve(
            accepted.id,
            &accepted.resolution,
            now,
            purge_at,
            Some(&accepted.team_id),
            Some(accepted.link_generation),
        )?;
        let mut items =
            vec![TransactWriteItem::builder().update(change.into_update(&self.table, accepted.id)?).build()];
        items.extend(self.membership_writes(membership, Some(accepted.id))?);
        items.push(self.seats_accept(&accepted.team_id)?);
        Ok(items)
    }

    /// What a cancelled acceptance (`accept_writes` first in it) means.
    pub(super) fn accept_refusal(c: &Cancelled) -> Result<ResolveError, StoreError> {
        if c.failed(position::ACCEPT_INVITATION) {
            return not_open(c.item(position::ACCEPT_INVITATION));
        }
        if c.failed(position::ACCEPT_MEMBERSHIP) || c.failed(position::ACCEPT_MEMBER_EMAIL) {
            return Ok(ResolveError::AlreadyMember);
        }
        if c.failed(position::ACCEPT_SEATS) {
            return Ok(ResolveError::Limit(Self::seats_refusal(c, position::ACCEPT_SEATS)));
        }
        // Lost a race to another transaction on the same items: let the caller
        // re-read and report whatever won.
        if c.conflict() {
            return Ok(ResolveError::NotOpen { current: None });
        }
        Err(c.unexpected())
    }
}

impl InvitationStore for DynamoStore {
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        match self.get(invitation_pk(id), INVITATION_SK.into()).await? {
            Some(item) => parse_invitation(&item).map(Some),
            None => Ok(None),
        }
    }

    async fn insert_invitation(
        &self,
        inv: &Invitation,
        inviter_roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        quota: SendQuota,
    ) -> Result<(), InsertError> {
        let holder = match self.insert_retrying(inv, inviter_roles, now, purge_at, None, quota).await? {
            Inserted::Yes => return Ok(()),
            Inserted::LockHeldBy(holder) => holder,
        };
        // The lock outlives its invitation's answer (see the module notes): it is
        // free if the invitation holding it is no longer open. Only a re-invite
        // after an answer or a withdrawal pays for this read.
        let stale = match self.invitation(holder).await? {
            Some(held) => held.status_at(now) != Status::Open,
            None => true,
        };
        if !stale {
            return Err(InsertError::AlreadyInvited);
        }
        match self.insert_retrying(inv, inviter_roles, now, purge_at, Some(holder), quota).await? {
            Inserted::Yes => Ok(()),
            // Another invite took the stale lock first.
            Inserted::LockHeldBy(_) => Err(InsertError::AlreadyInvited),
        }
    }

    async fn accept(
        &self,
        accepted: &Invitation,
        membership: &Membership,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), ResolveError> {
        let items = self.accept_writes(accepted, membership, now, purge_at)?;
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) => Err(Self::accept_refusal(&c)?),
        }
    }

    async fn decline(
        &self,
        declined: &Invitation,
        generation: u32,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), ResolveError> {
        let id = declined.id;
        let change = Change::resolve(id, &declined.resolution, now, purge_at, None, Some(generation))?;
        let items = vec![
            TransactWriteItem::builder().update(change.into_update(&self.table, id)?).build(),
            self.left_update(&declined.team_id, left_sk_of(id), 1)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            Err(Transact::Cancelled(c)) if c.failed(position::DECLINE_INVITATION) => {
                Err(not_open(c.item(position::DECLINE_INVITATION))?)
            }
            Err(Transact::Cancelled(c)) if c.conflict() => Err(ResolveError::NotOpen { current: None }),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn withdraw(
        &self,
        team: &TeamId,
        id: InvitationId,
        by: &UserId,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<(), ResolveError> {
        let resolution = Resolution::Withdrawn { by: by.clone(), at: now };
        let change = Change::resolve(id, &resolution, now, purge_at, Some(team), None)?;
        let Some(permitted) = self.holds_role(team, by, roles)? else {
            return Err(ResolveError::Forbidden);
        };
        let items = vec![
            TransactWriteItem::builder().update(change.into_update(&self.table, id)?).build(),
            permitted,
            self.left_update(team, left_sk_of(id), 1)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Checked first: whoever may not withdraw learns nothing about the invitation.
            Err(Transact::Cancelled(c)) if c.failed(position::WITHDRAW_PERMISSION) => {
                Err(ResolveError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::WITHDRAW_INVITATION) => {
                Err(not_open(c.item(position::WITHDRAW_INVITATION))?)
            }
            Err(Transact::Cancelled(c)) if c.conflict() => Err(ResolveError::NotOpen { current: None }),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn withdraw_sent_by(
        &self,
        team: &TeamId,
        id: InvitationId,
        sender: &UserId,
        by: &UserId,
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let resolution = Resolution::Withdrawn { by: by.clone(), at: now };
        let change = Change::resolve(id, &resolution, now, purge_at, Some(team), None)?.sent_by(sender);
        let items = vec![
            TransactWriteItem::builder().update(change.into_update(&self.table, id)?).build(),
            self.left_update(team, left_sk_of(id), 1)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(true),
            Err(Transact::Failed(e)) => Err(e),
            // Answered, expired or withdrawn meanwhile: nothing left to withdraw.
            Err(Transact::Cancelled(c)) if c.failed(position::WITHDRAW_INVITATION) => Ok(false),
            Err(Transact::Cancelled(c)) => Err(c.unexpected()),
        }
    }

    async fn resend(
        &self,
        resent: &Invitation,
        by: &UserId,
        roles: &[RoleName],
        now: DateTime<Utc>,
        purge_at: DateTime<Utc>,
        quota: SendQuota,
    ) -> Result<(), ResolveError> {
        let previous = resent
            .link_generation
            .checked_sub(1)
            .ok_or_else(|| StoreError::Other("a resend raises the link generation".into()))?;
        let Some(permitted) = self.holds_role(&resent.team_id, by, roles)? else {
            return Err(ResolveError::Forbidden);
        };
        let Taken::Now(places) = quota.taken else {
            return Err(StoreError::Other("a resend takes its send in its own write".into()).into());
        };
        if places.invitations > 0 {
            return self.renew(resent, by, permitted, previous, (now, purge_at), quota).await;
        }
        let expires_ms = n(resent.expires_at.timestamp_millis());
        let invitation = self.send_again(resent, by, previous, now, purge_at, Again::Open)?;
        // The email's lock carries the holder's expiry: it moves with it, or a new
        // invite could take the lock over while this invitation is still open.
        let lock = Update::builder()
            .table_name(&self.table)
            .key("pk", s(team_pk(&resent.team_id)))
            .key("sk", s(open_lock_sk(&resent.email)))
            .condition_expression("invitationId = :id")
            .update_expression("SET expiresAtMs = :expms, purgeAt = :purge")
            .set_expression_attribute_values(Some(item([
                (":id", s(resent.id.to_string())),
                (":expms", expires_ms),
                (":purge", n(resent.expires_at.timestamp())),
            ])))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(invitation).build(),
            TransactWriteItem::builder().update(lock).build(),
            permitted,
            self.limits_take(&resent.team_id, &places)?,
            self.mailbox_day_update(&resent.email, now, quota.per_recipient_per_day)?,
        ];
        match self.send_transaction(items).await {
            Ok(()) => Ok(()),
            Err(Transact::Failed(e)) => Err(e.into()),
            // Checked first: whoever may not resend learns nothing about the invitation.
            Err(Transact::Cancelled(c)) if c.failed(position::RESEND_PERMISSION) => {
                Err(ResolveError::Forbidden)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::RESEND_INVITATION) => {
                Err(not_open(c.item(position::RESEND_INVITATION))?)
            }
            Err(Transact::Cancelled(c)) if c.failed(position::RESEND_LIMITS) => {
                Err(ResolveError::Limit(Self::limit_refusal(&c, position::RESEND_LIMITS)))
            }
            Err(Transact::Cancelled(c)) if c.failed(position::RESEND_MAILBOX) => {
                Err(ResolveError::Limit(LimitRefusal::RecipientDaily))
            }
            Err(Transact::Cancelled(c)) if c.conflict() => Err(ResolveError::NotOpen { current: None }),
            Err(Transact::Cancelled(c)) => Err(c.unexpected().into()),
        }
    }

    async fn list(&self, team: &TeamId, query: &ListQuery, now: DateTime<Utc>) -> Result<Page, StoreError> {
        // One status is one key range of `byStatus` (expired: the part of the open
        // range whose expiry has passed), so a page reads what it returns, plus
        // one item that tells whether another page exists (the last page never
        // carries a cursor to an empty one), whatever the team's history.
        let stored = query.status.map(|status| match status {
            Status::Expired => Status::Open,
            other => other,
        });
        let target = query.limit + 1;
        let mut found: Vec<Invitation> = Vec::with_capacity(target);
        let mut start = query.after.as_ref().map(|c| exclusive_start_key(team, stored, c));
        // More than one query only when DynamoDB's 1 MB response cap cut a page short.
        for _ in 0..MAX_QUERIES_PER_PAGE {
            let q = self
                .client
                .query()
                .table_name(&self.table)
                .expression_attribute_values(":pk", by_team_key(team))
                .scan_index_forward(false)
                .limit((target - found.len()) as i32)
                .set_exclusive_start_key(start.take());
            let q = match query.status {
                None => q.index_name(GSI_BY_TEAM).key_condition_expression("gsi1pk = :pk"),
                Some(status) => {
                    let (from, to) = by_status_range(status, now);
                    q.index_name(GSI_BY_STATUS)
                        .key_condition_expression("gsi1pk = :pk AND gsi2sk BETWEEN :from AND :to")
                        .expression_attribute_values(":from", s(from))
                        .expression_attribute_values(":to", s(to))
                }
            };
            let out = q.send().await.map_err(|e| store_error(&e))?;
            for item in out.items() {
                found.push(parse_invitation(item)?);
            }
            if found.len() >= target {
                found.truncate(query.limit);
                let next = found.last().map(|i| cursor_after(i, stored.is_some()));
                return Ok(Page { invitations: found, next });
            }
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(Page { invitations: found, next: None }),
            }
        }
        // Budget spent: hand back what was found and where to go on.
        let next = match &start {
            Some(key) => Some(cursor_from_key(key)?),
            None => None,
        };
        Ok(Page { invitations: found, next })
    }

    async fn open_invitations_for(
        &self,
        email: &Email,
        limit: usize,
        after: Option<&PageCursor>,
        now: DateTime<Utc>,
    ) -> Result<Page, StoreError> {
        let (from, to) = by_status_range(Status::Open, now);
        // One more than the page tells whether another page exists.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI_BY_EMAIL)
            .key_condition_expression("gsi3pk = :email AND gsi2sk BETWEEN :from AND :to")
            .expression_attribute_values(":email", s(by_email_pk(email)))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
            .scan_index_forward(false)
            .limit((limit + 1) as i32)
            .set_exclusive_start_key(after.map(|c| email_start_key(email, c)))
            .send()
            .await
            .map_err(|e| store_error(&e))?;
        let mut invitations = out.items().iter().map(parse_invitation).collect::<Result<Vec<_>, _>>()?;
        let next = match invitations.len() > limit {
            true => {
                invitations.truncate(limit);
                invitations.last().map(|i| cursor_after(i, true))
            }
            false => None,
        };
        Ok(Page { invitations, next })
    }

    async fn history(&self, id: InvitationId) -> Result<Option<(Invitation, Vec<HistoryEntry>)>, StoreError> {
        let Some(item) = self.get(invitation_pk(id), INVITATION_SK.to_owned()).await? else {
            return Ok(None);
        };
        Ok(Some((parse_invitation(&item)?, parse_history(&item)?)))
    }
}
