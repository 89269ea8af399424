//! The one error type use cases return. `http::problem` is the only place that
//! turns it into a status code and a problem document.

use crate::domain::{Limit, LinkState, RequestStatus, ResendError, Status, TransitionError, Unreachable};

/// One field that failed validation, for 422 responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Malformed JSON, a bad query parameter or cursor.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("the caller lacks the permission this needs")]
    Forbidden,
    /// Accepting while signed in as another address than the invited one.
    #[error("signed-in email does not match the invited email")]
    EmailMismatch,
    /// Listing one's own invitations needs an address the identity provider verified.
    #[error("the signed-in email is not verified")]
    EmailUnverified,
    /// The address is verified, but by a federated provider the deployment
    /// does not trust to stand for it without the link.
    #[error("the sign-in provider's addresses need the link")]
    LinkRequired,
    /// Also for a wrong or tampered link token: the two are indistinguishable.
    #[error("not found")]
    NotFound,
    #[error("an open invitation for this email already exists in the team")]
    AlreadyInvited,
    #[error("this person is already a member of the team")]
    AlreadyMember,
    /// No such member in the team (or not one the caller may see).
    #[error("no such member")]
    MemberNotFound,
    /// No route of the function answering has this method and path.
    #[error("no such route")]
    NoSuchRoute,
    /// No such team (platform routes).
    #[error("no such team")]
    TeamNotFound,
    /// The team was closed by the platform: nothing more happens in it.
    #[error("the team is closed")]
    TeamClosed,
    /// An expired invitation cannot be renewed: its address was invited again
    /// since; the newer invitation is the one to act on.
    #[error("the address was invited again since")]
    Superseded,
    /// The team's seats are all taken (`domain::TeamLimits::seats`): by
    /// members and open invitations, for an invite (`joining` false); by
    /// members, for an acceptance. Waiting does not help; freeing a seat does.
    #[error("the team has no free seat")]
    SeatLimit { joining: bool },
    /// Removing this membership would leave the team without an owner.
    #[error("the team's last owner cannot be removed or leave")]
    LastOwner,
    #[error("the invitation is {0}")]
    NotOpen(Status),
    #[error("the invitation has expired")]
    Expired,
    /// The invite link no longer lets anyone in (revoked, expired, used up).
    #[error("the invite link is {}", .0.as_str())]
    LinkNotActive(LinkState),
    /// The invite link, or the team's verified domains, are for addresses of
    /// other domains (or no longer hold the one asked through), or the
    /// caller's address is not one its sign-in provider may vouch for here.
    #[error("the address's domain does not let the caller in")]
    DomainNotAllowed,
    /// Asking to join while an earlier request waits.
    #[error("a join request is pending already")]
    JoinRequestPending,
    /// The join request was answered, or expired.
    #[error("the join request is {}", .0.as_str())]
    JoinRequestNotPending(RequestStatus),
    /// Asking to accept as another address while a request for the
    /// invitation waits already.
    #[error("a request to accept is pending already")]
    AcceptRequestPending,
    /// The request to accept as another address was answered, or expired
    /// (with its invitation, or by a resend of it).
    #[error("the request to accept is {}", .0.as_str())]
    AcceptRequestNotPending(RequestStatus),
    /// Sent again too soon after the last send; retry after this long.
    #[error("sent too recently; retry in {0} s")]
    ResendTooSoon(u64),
    /// The invitation sent its most emails (`domain::MAX_SENDS`); waiting does not help.
    #[error("the invitation was sent as many times as it may be")]
    ResendLimit,
    /// The last email bounced permanently or was marked as spam.
    #[error("the last email was {0}")]
    RecipientUnreachable(Unreachable),
    /// A per-team limit (`domain::TeamLimits`) is reached; retry after this
    /// many seconds.
    #[error("the team's {} limit is reached; retry in {} s", .0.as_str(), .1)]
    RateLimited(Limit, u64),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A dependency is throttling or unreachable; safe to retry.
    #[error("temporarily unavailable: {0}")]
    Unavailable(Cause),
    /// Anything else; the cause goes to the logs, never into the response.
    #[error("internal error: {0}")]
    Internal(Cause),
}

/// What went wrong underneath a 5xx, for the one log line of the request
/// (`http::logged`); never rendered to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause(pub String);

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error {
    pub fn unavailable(cause: impl Into<String>) -> Self {
        Error::Unavailable(Cause(cause.into()))
    }

    pub fn internal(cause: impl Into<String>) -> Self {
        Error::Internal(Cause(cause.into()))
    }

    /// The cause to log, for the errors that have one.
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            Error::Unavailable(c) | Error::Internal(c) => Some(c),
            _ => None,
        }
    }

    pub fn invalid_field(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError { field, message: message.into() }])
    }
}

impl From<TransitionError> for Error {
    fn from(e: TransitionError) -> Self {
        match e {
            TransitionError::Expired => Error::Expired,
            TransitionError::NotOpen(status) => Error::NotOpen(status),
        }
    }
}

impl From<ResendError> for Error {
    fn from(e: ResendError) -> Self {
        match e {
            ResendError::Transition(e) => e.into(),
            // Whole seconds, rounded up: retrying at once would be refused again.
            ResendError::TooSoon(wait) => {
                Error::ResendTooSoon((wait.num_milliseconds().max(0) as u64).div_ceil(1000))
            }
            ResendError::SendLimit => Error::ResendLimit,
            ResendError::Unreachable(why) => Error::RecipientUnreachable(why),
        }
    }
}
