//! Sending an email.

use std::future::Future;

use crate::domain::Email;

/// A rendered email, ready for any transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Name/value pairs that travel with SES's reports on the email (which
    /// invitation, which send of it), so that each report finds its invitation.
    pub tags: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("email not sent: {0}")]
pub struct MailError(pub String);

pub trait Mailer: Send + Sync {
    fn send(&self, email: &OutgoingEmail) -> impl Future<Output = Result<(), MailError>> + Send;
}
