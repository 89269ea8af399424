//! Invitations: sending them (`send`), the invitee's answers (`answer`),
//! what a team's managers see and do with them (`manage`), and the reminders
//! before expiry (`remind`). What these share:
//! how an invitation is shown to a caller, and how a refused write is
//! explained.

mod answer;
mod consent;
mod manage;
mod remind;
mod send;

pub use answer::{Accepted, Answering};
pub use consent::{AcceptRequestView, ConsentStore, Consenting};
pub use manage::{InvitationPage, Listing, Withdrawing, Withdrawn};
pub use remind::{Reminded, RemindersRun, Reminding, RemindingStore, LOOKBACK, MAX_PER_RUN};
pub use send::{NewInvitation, Sending, SendingStore, BATCH_PARALLELISM, MAX_BATCH};

use chrono::{DateTime, Utc};

use super::Context;
use crate::domain::{
    DeliveryFeedback, EmailDelivery, Invitation, InvitationId, LinkKeys, LinkToken, Status, TeamId,
};
use crate::error::Error;
use crate::ports::{InvitationStore, LimitRefusal, LinkKeySource, ResolveError};

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

/// The token travels in the link's fragment: browsers never send a fragment
/// to a server nor put it in a Referer, so no CDN, firewall or log in front of
/// the site sees it. The page hands it to the API in a header or a body.
fn link(ctx: &Context, id: InvitationId, token: &LinkToken) -> String {
    format!("{}/invitations/{}#token={}", ctx.settings.app_base_url, id, token.as_str())
}

/// `keys`: given for callers holding `members.manage`, who see open links.
fn view(
    ctx: &Context,
    invitation: Invitation,
    now: DateTime<Utc>,
    keys: Option<&LinkKeys>,
) -> InvitationView {
    let status = invitation.status_at(now);
    let token = keys
        .filter(|_| status == Status::Open)
        .map(|keys| keys.sign(invitation.id, invitation.link_generation));
    let link = token.as_ref().map(|t| link(ctx, invitation.id, t));
    // A manager (the only caller given keys) may act on it while it is open,
    // and renew it once expired; resend when the domain would allow it now (past the cooldown, under the
    // cap on sends, the last email neither bounced for good nor spam).
    let resendable =
        || invitation.resend(now, ctx.settings.invitation_validity, ctx.settings.resend_cooldown).is_ok();
    let actions = match token {
        Some(_) if resendable() => vec![Action::Resend, Action::Withdraw, Action::CopyLink],
        Some(_) => vec![Action::Withdraw, Action::CopyLink],
        // Expired, a manager may renew it: a resend opens it again.
        None if keys.is_some() && status == Status::Expired && resendable() => vec![Action::Resend],
        None => vec![],
    };
    InvitationView { invitation, status, link, link_token: token.map(|t| t.as_str().to_owned()), actions }
}

fn purge_at(ctx: &Context, invitation: &Invitation) -> DateTime<Utc> {
    invitation.purge_at(ctx.settings.history_retention)
}

/// A wrong token and an unknown invitation are the same 404. A token the
/// held keys refuse may be signed with a key newer than them (a rotation
/// since they were read): it is checked once more against keys read again.
/// The token's link generation; the invitation must still hold it (see
/// `same_link`), or the link was replaced by a resend.
async fn check_token<K: LinkKeySource>(keys: &K, id: InvitationId, token: &str) -> Result<u32, Error> {
    if let Some(generation) = keys.keys().await?.verify(id, token) {
        return Ok(generation);
    }
    match keys.reread().await? {
        Some(newer) => newer.verify(id, token).ok_or(Error::NotFound),
        None => Err(Error::NotFound),
    }
}

/// The link's generation (`check_token`) and the invitation. An instance
/// that holds the keys checks the link first, so a wrong link reads nothing;
/// one that must read them first (its first link) reads the invitation
/// meanwhile: one round trip on a cold start instead of two, and a wrong
/// link's read is dropped for the same 404.
async fn checked_invitation<S: InvitationStore, K: LinkKeySource>(
    store: &S,
    keys: &K,
    id: InvitationId,
    token: &str,
) -> Result<(u32, Option<Invitation>), Error> {
    if keys.held() {
        let generation = check_token(keys, id, token).await?;
        return Ok((generation, store.invitation(id).await?));
    }
    let (generation, invitation) = tokio::join!(check_token(keys, id, token), store.invitation(id));
    Ok((generation?, invitation?))
}

/// Why a conditional write was refused, as the caller should hear it: what a
/// later caller would see. `team`: the invitation must be that team's, or it
/// does not exist as far as the caller can tell; `generation`: the presented
/// link's, which must still be the invitation's, or the link is not valid.
async fn refusal<S: InvitationStore>(
    store: &S,
    error: ResolveError,
    id: InvitationId,
    team: Option<&TeamId>,
    generation: Option<u32>,
    now: DateTime<Utc>,
) -> Error {
    let current = match error {
        ResolveError::Forbidden => return Error::Forbidden,
        ResolveError::AlreadyMember => return Error::AlreadyMember,
        ResolveError::Superseded => return Error::internal("an answer refused as superseded"),
        ResolveError::Limit(LimitRefusal::TeamClosed) => return Error::TeamClosed,
        ResolveError::Limit(LimitRefusal::Seats) => return Error::SeatLimit { joining: true },
        ResolveError::Limit(_) => return Error::internal("an answer refused by a limit"),
        ResolveError::Store(e) => return e.into(),
        ResolveError::NotOpen { current: Some(inv) } => Some(*inv),
        // Unknown after a conflicting transaction: one more read says who won.
        ResolveError::NotOpen { current: None } => match store.invitation(id).await {
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
        recipient: invitation.email.clone(),
    }
}
