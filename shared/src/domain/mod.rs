//! The domain: types that cannot hold invalid values and pure rules over them.
//! Nothing here knows about HTTP, DynamoDB or SES.

mod accept_request;
mod delivery;
mod email;
mod history;
mod ids;
mod invitation;
mod invite_link;
mod join_domain;
mod join_request;
mod limits;
mod locale;
mod metadata;
mod note;
mod principals;
mod reminder;
mod role;
mod team;
mod token;

pub use accept_request::{AcceptRequest, SameAddress};
pub use delivery::{BounceType, DeliveryFeedback};
pub use email::{Email, EmailDomain, InvalidEmail};
pub use history::{Change, HistoryEntry};
pub use ids::{InvalidId, InvitationId, InviteLinkId, TeamId, UserId};
pub use invitation::{
    EmailDelivery, Invitation, ResendError, Resolution, Status, TransitionError, UnknownEmailDelivery,
    UnknownStatus, Unreachable, MAX_SENDS,
};
pub use invite_link::{
    InvalidMaxUses, InviteLink, JoinRefusal, LinkSpec, LinkState, MaxUses, Revoked, MAX_LINK_DOMAINS,
};
pub use join_domain::{ownable, DomainSpec, JoinDomain, PublicMailDomain, PUBLIC_MAIL_DOMAINS};
pub use join_request::{
    Decided, Decision, JoinRequest, JoinVia, NotPending, RequestStatus, REQUEST_VALIDITY,
};
pub use limits::{
    join_minute, open_places, retry_after_seconds, send_day, send_interval, until_next_day, Limit, SendClaim,
    TeamLimits, LINK_JOINS_PER_MINUTE, RECOUNT_EVERY, RELEASE_GRACE, SEND_WINDOW,
};
pub use locale::{InvalidLocale, Locale};
pub use metadata::{InvalidMetadata, Metadata};
pub use note::{InvalidNote, InvalidValidDays, Note, ValidDays};
pub use principals::{InvalidPrincipal, PlatformPrincipals};
pub use role::{InvalidRoleName, Permission, Role, RoleCatalog, RoleError, RoleName};
pub use team::{EndReason, EndedMembership, InvalidTeamName, Membership, RoleChange, Team, TeamName};
pub use token::{LinkKeys, LinkSigner, LinkToken, MIN_SECRET_LEN};

/// `str::parse` for every value type: the same rules as its `parse`.
macro_rules! from_str_by_parse {
    ($($t:ty => $e:ty),* $(,)?) => {
        $(impl std::str::FromStr for $t {
            type Err = $e;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        })*
    };
}

from_str_by_parse! {
    Email => InvalidEmail,
    TeamId => InvalidId,
    InvitationId => InvalidId,
    UserId => InvalidId,
    RoleName => InvalidRoleName,
    TeamName => InvalidTeamName,
    Status => UnknownStatus,
    EmailDelivery => UnknownEmailDelivery,
}
