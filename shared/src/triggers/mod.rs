//! The edges no client calls, beside `http`: each parses what Lambda hands
//! over, calls a use case, and answers as Lambda expects. Neither reaches a
//! store directly.
//!
//! - `stream`: a batch of the table's change stream -> `service::events`;
//! - `closing`: a closed team's next closing step, from the same stream ->
//!   `service::teams`;
//! - `ses`: SES's report on an email, from EventBridge -> `service::delivery`;
//! - `reminders`: EventBridge's schedule -> the reminders before expiry
//!   (`service::invitations`).

pub mod closing;
pub mod reminders;
pub mod ses;
pub mod stream;
