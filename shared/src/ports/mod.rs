//! The capabilities the use cases need, as small traits, one module per
//! resource: each use case depends on the traits it calls and no others. The
//! DynamoDB, SES, Secrets Manager and EventBridge adapters implement them; the
//! domain never sees an SDK type.

mod accept_requests;
mod delivery;
mod domains;
mod events;
mod invitations;
mod join_requests;
mod keys;
mod limits;
mod links;
mod mail;
mod members;
mod reminders;
mod teams;

pub use accept_requests::*;
pub use delivery::*;
pub use domains::*;
pub use events::*;
pub use invitations::*;
pub use join_requests::*;
pub use keys::*;
pub use limits::*;
pub use links::*;
pub use mail::*;
pub use members::*;
pub use reminders::*;
pub use teams::*;

/// A failure of the store itself (not a business outcome). The text is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Throttling, timeouts, connection failures: worth a retry.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("store failure: {0}")]
    Other(String),
}

impl From<StoreError> for crate::Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => crate::Error::unavailable(e.to_string()),
            StoreError::Other(_) => crate::Error::internal(e.to_string()),
        }
    }
}
