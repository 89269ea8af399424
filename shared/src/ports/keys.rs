//! The keys that sign and verify invitation links.

use std::future::Future;

use crate::domain::LinkKeys;

/// The link secret could not be had (unreadable, missing, too short): the
/// request fails with a retryable 503; the text is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("link keys unavailable: {0}")]
pub struct KeysError(pub String);

impl From<KeysError> for crate::Error {
    fn from(e: KeysError) -> Self {
        crate::Error::unavailable(e.to_string())
    }
}

/// Where the keys that sign and verify links come from (Secrets Manager in
/// production, read once per instance).
pub trait LinkKeySource: Send + Sync {
    fn keys(&self) -> impl Future<Output = Result<LinkKeys, KeysError>> + Send;

    /// Newer keys, read again because a link did not verify (a rotation may
    /// have happened since they were read); None when they were read too
    /// recently to read again.
    fn reread(&self) -> impl Future<Output = Result<Option<LinkKeys>, KeysError>> + Send;

    /// Whether `keys` would answer at once, without reading them (a warm
    /// instance): a use case then checks a link before reading anything, and
    /// otherwise reads meanwhile rather than after.
    fn held(&self) -> bool {
        false
    }
}

/// Fixed keys are a source too (tests, tools).
impl LinkKeySource for LinkKeys {
    async fn keys(&self) -> Result<LinkKeys, KeysError> {
        Ok(self.clone())
    }

    async fn reread(&self) -> Result<Option<LinkKeys>, KeysError> {
        Ok(None)
    }

    fn held(&self) -> bool {
        true
    }
}
