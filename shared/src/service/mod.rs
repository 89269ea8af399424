//! The use cases, one module per resource. Each decides in one conditional
//! write (or transaction), so that races are settled by DynamoDB and never by
//! what was read a moment earlier, and makes as few sequential round trips as
//! its semantics allow. Each use-case type depends on the ports it calls and
//! no others, so a function builds only what its routes use.
//!
//! - `invitations`: sending (invite, batch, resend), answering (preview,
//!   accept, decline), managing (list, history, withdraw, my invitations);
//! - `members`: a team's members and roles, removing one;
//! - `links`: invite links (make, list, revoke; open and join through one);
//! - `join_requests`: joins that wait for a manager (approve, deny, cancel);
//! - `teams`: the platform's teams (create, rename, close);
//! - `delivery`: SES's reports on invitation emails;
//! - `events`: committed changes, published as events.

pub mod delivery;
pub mod domains;
pub mod events;
pub mod invitations;
pub mod join_requests;
pub mod links;
pub mod members;
pub mod teams;

use chrono::TimeDelta;
use std::sync::Arc;

use crate::clock::Clock;
use crate::domain::{Email, Membership, Permission, RoleCatalog, TeamLimits, UserId};
use crate::error::Error;
use crate::mail;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Base of the links in emails, without a trailing slash.
    pub app_base_url: String,
    pub invitation_validity: TimeDelta,
    pub history_retention: TimeDelta,
    /// The least time between two sends of one invitation.
    pub resend_cooldown: TimeDelta,
    /// How long before an invitation expires its reminder goes out (None: no
    /// reminders).
    pub reminder_lead: Option<TimeDelta>,
    /// How the emails present the product.
    pub branding: mail::Branding,
    /// Count an identity without an `email_verified` claim as verified.
    pub trust_unverified_email: bool,
    /// Each team's open invitations and invitation emails per hour.
    pub limits: TeamLimits,
    /// The federated identity providers (by name) whose verified addresses
    /// count without the link (`LINKLESS_ACCEPT_PROVIDERS`); the pool's own
    /// accounts always do.
    pub linkless_providers: Vec<String>,
    /// The most invitation emails one mailbox is sent in a UTC day, by every
    /// team together.
    pub emails_per_recipient_per_day: u32,
}

/// What every use case shares: the clock, the role catalog, the settings.
pub struct Context {
    pub clock: Arc<dyn Clock>,
    pub roles: RoleCatalog,
    pub settings: Settings,
}

impl Context {
    pub fn new(clock: Arc<dyn Clock>, roles: RoleCatalog, settings: Settings) -> Arc<Self> {
        Arc::new(Self { clock, roles, settings })
    }

    /// The caller's membership, if it grants `permission`. Non-members and
    /// members without it get the same 403, so team ids cannot be probed.
    pub(crate) fn authorize(
        &self,
        membership: Option<Membership>,
        permission: Permission,
    ) -> Result<Membership, Error> {
        membership.filter(|m| self.roles.allows(&m.role, permission)).ok_or(Error::Forbidden)
    }
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
    /// Where the user pool got the identity from (Cognito's `identities`
    /// claim): another provider's word on the address is only as good as that
    /// provider (`Settings::linkless_providers`).
    pub provider: Provider,
}

/// The user pool's own account, or one federated from another identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Provider {
    /// No `identities` claim: the pool verified the address itself.
    #[default]
    Native,
    /// Federated; the provider's name, where the claim could be read.
    Federated(Option<String>),
}

impl Caller {
    /// Whether the caller's verified address alone may stand for them
    /// (listing their invitations, accepting without the link): explicitly
    /// verified, by the pool itself or by a provider the deployment trusts.
    pub fn address_is_credential(&self, trusted: &[String]) -> bool {
        self.email.is_some()
            && self.email_verified == Some(true)
            && match &self.provider {
                Provider::Native => true,
                Provider::Federated(Some(name)) => trusted.iter().any(|t| t == name),
                Provider::Federated(None) => false,
            }
    }
}
