//! What a team's managers and members see and do with its invitations, and
//! what an invited person finds addressed to them.

use chrono::{DateTime, Utc};
use std::sync::Arc;

use super::{refusal, view, InvitationView};
use crate::domain::{HistoryEntry, InvitationId, Permission, TeamId, UserId};
use crate::error::Error;
use crate::ports::{InvitationStore, LinkKeySource, ListQuery, MemberStore, PageCursor};
use crate::service::{Caller, Context};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationPage {
    pub invitations: Vec<InvitationView>,
    pub next: Option<PageCursor>,
}

/// The answer to a withdrawal: made in one blind write, it knows only what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    pub id: InvitationId,
    pub team_id: TeamId,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// The reads: a team's invitations (with their links for managers), one
/// invitation's history, and the caller's own open invitations.
pub struct Listing<S, K> {
    store: S,
    keys: K,
    ctx: Arc<Context>,
}

impl<S: InvitationStore + MemberStore, K: LinkKeySource> Listing<S, K> {
    pub fn new(store: S, keys: K, ctx: Arc<Context>) -> Self {
        Self { store, keys, ctx }
    }

    pub async fn list(
        &self,
        caller: &Caller,
        team_id: &TeamId,
        query: &ListQuery,
    ) -> Result<InvitationPage, Error> {
        let now = self.ctx.clock.now();
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
                let member = self.ctx.authorize(m?, Permission::MembersRead)?;
                (member, page.await?)
            }
            p = &mut page => (self.ctx.authorize(membership.await?, Permission::MembersRead)?, p?),
        };
        let keys = match self.ctx.roles.allows(&member.role, Permission::MembersManage) {
            true => Some(self.keys.keys().await?),
            false => None,
        };
        Ok(InvitationPage {
            invitations: page
                .invitations
                .into_iter()
                .map(|inv| view(&self.ctx, inv, now, keys.as_ref()))
                .collect(),
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
        // Authorised first: a stranger's request reads nothing of the team's.
        let membership = self.store.membership(team_id, &caller.user_id).await?;
        self.ctx.authorize(membership, Permission::MembersManage)?;
        let found = self.store.history(id).await?;
        let (_, history) = found.filter(|(inv, _)| &inv.team_id == team_id).ok_or(Error::NotFound)?;
        Ok(history)
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
        if !caller.address_is_credential(&self.ctx.settings.linkless_providers) {
            return Err(Error::LinkRequired);
        }
        let now = self.ctx.clock.now();
        let page = self.store.open_invitations_for(email, limit, after, now).await?;
        Ok(InvitationPage {
            invitations: page.invitations.into_iter().map(|inv| view(&self.ctx, inv, now, None)).collect(),
            next: page.next,
        })
    }
}

/// Withdrawing an open invitation (no link keys needed).
pub struct Withdrawing<S> {
    store: S,
    ctx: Arc<Context>,
}

impl<S: InvitationStore> Withdrawing<S> {
    pub fn new(store: S, ctx: Arc<Context>) -> Self {
        Self { store, ctx }
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
        let now = self.ctx.clock.now();
        let managers = self.ctx.roles.holding(Permission::MembersManage);
        let purge_at = now + self.ctx.settings.history_retention;
        match self.store.withdraw(team_id, id, &caller.user_id, &managers, now, purge_at).await {
            Ok(()) => Ok(Withdrawn { id, team_id: team_id.clone(), by: caller.user_id.clone(), at: now }),
            Err(e) => Err(refusal(&self.store, e, id, Some(team_id), None, now).await),
        }
    }
}
