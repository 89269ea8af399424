//! The invitee's side: what the link shows, accepting, declining.

use std::sync::Arc;

use super::{checked_invitation, purge_at, refusal, same_link, view, InvitationView};
use crate::domain::{InvitationId, Membership};
use crate::error::Error;
use crate::ports::{InvitationStore, LinkKeySource};
use crate::service::{Caller, Context};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub invitation: InvitationView,
    pub membership: Membership,
}

pub struct Answering<S, K> {
    store: S,
    keys: K,
    ctx: Arc<Context>,
}

impl<S: InvitationStore, K: LinkKeySource> Answering<S, K> {
    pub fn new(store: S, keys: K, ctx: Arc<Context>) -> Self {
        Self { store, keys, ctx }
    }

    /// What the invitee sees before answering. Never changes anything: mail
    /// scanners follow GET links.
    pub async fn preview(&self, id: InvitationId, token: &str) -> Result<InvitationView, Error> {
        let (generation, invitation) = checked_invitation(&self.store, &self.keys, id, token).await?;
        let now = self.ctx.clock.now();
        let invitation = invitation.filter(same_link(generation)).ok_or(Error::NotFound)?;
        Ok(view(&self.ctx, invitation, now, None))
    }

    /// `token`: the link's. Without one, the invited person accepts from their
    /// own list (`my_invitations`): the verified address is then the whole
    /// credential, so it must be explicitly verified, whatever the operator
    /// trusts otherwise, by the user pool or a provider the deployment lists
    /// (docs/product.md says why this is safe).
    pub async fn accept(
        &self,
        caller: &Caller,
        id: InvitationId,
        token: Option<&str>,
    ) -> Result<Accepted, Error> {
        let (generation, invitation) = match token {
            Some(token) => {
                let (generation, invitation) = checked_invitation(&self.store, &self.keys, id, token).await?;
                (Some(generation), invitation)
            }
            None if caller.address_is_credential(&self.ctx.settings.linkless_providers) => {
                (None, self.store.invitation(id).await?)
            }
            // Verified, but by a provider not trusted to stand for the address.
            None if caller.email_verified == Some(true) => return Err(Error::LinkRequired),
            None => return Err(Error::EmailMismatch),
        };
        let now = self.ctx.clock.now();
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
            None => self.ctx.settings.trust_unverified_email,
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
            metadata: accepted.metadata.clone(),
        };
        if let Err(e) = self.store.accept(&accepted, &membership, now, purge_at(&self.ctx, &accepted)).await {
            return Err(refusal(&self.store, e, id, None, generation, now).await);
        }
        Ok(Accepted { invitation: view(&self.ctx, accepted, now, None), membership })
    }

    /// The link is checked (on a cold start, while the invitation is read),
    /// and the decline written under the conditions that settle races (the
    /// read gives the team whose open count it leaves).
    pub async fn decline(
        &self,
        caller: Option<&Caller>,
        id: InvitationId,
        token: &str,
    ) -> Result<InvitationView, Error> {
        let (generation, invitation) = checked_invitation(&self.store, &self.keys, id, token).await?;
        let now = self.ctx.clock.now();
        let invitation = invitation.filter(same_link(generation)).ok_or(Error::NotFound)?;
        let declined = invitation.decline(caller.map(|c| c.user_id.clone()), now)?;
        match self.store.decline(&declined, generation, now, purge_at(&self.ctx, &declined)).await {
            Ok(()) => Ok(view(&self.ctx, declined, now, None)),
            Err(e) => Err(refusal(&self.store, e, id, None, Some(generation), now).await),
        }
    }
}
