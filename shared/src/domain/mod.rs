//! The domain: types that cannot hold invalid values and pure rules over them.
//! Nothing here knows about HTTP, DynamoDB or SES.

mod email;
mod ids;
mod invitation;
mod role;
mod team;
mod token;

pub use email::{Email, InvalidEmail};
pub use ids::{InvalidId, InvitationId, TeamId, UserId};
pub use invitation::{EmailDelivery, Invitation, Resolution, Status, TransitionError};
pub use role::{Permission, Role, RoleCatalog, RoleError, RoleName};
pub use team::{Membership, Team, TeamName};
pub use token::{LinkSigner, LinkToken, MIN_SECRET_LEN};
