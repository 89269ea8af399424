//! The link-signing keys from Secrets Manager: the secret's AWSCURRENT version
//! signs, its AWSPREVIOUS version (present after a rotation) still verifies.
//!
//! Read by the first request that needs them and kept, so a warm instance makes
//! no call. Kept for at most `MAX_AGE`, so an instance that lives through a
//! rotation moves on to the new key; and a link that fails to verify makes the
//! instance read again first (at most once per `MIN_REFRESH`), so a link signed
//! by a newer instance just after a rotation is not refused by an older one. A
//! failed first read is not kept: the next request tries again; when a later
//! read fails, the keys already held serve for another period.

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::Client;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

use crate::domain::{LinkKeys, LinkSigner, MIN_SECRET_LEN};
use crate::ports::{KeysError, LinkKeySource};

pub const CURRENT: &str = "AWSCURRENT";
pub const PREVIOUS: &str = "AWSPREVIOUS";
/// How long an instance signs with the keys it read before reading them again.
pub const MAX_AGE: Duration = Duration::from_secs(15 * 60);
/// How often an unverifiable link may make an instance read the keys again:
/// wrong links cannot turn into a stream of Secrets Manager calls.
pub const MIN_REFRESH: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct SecretsManagerKeys {
    client: Client,
    /// None for a function that neither signs nor verifies links (withdraw):
    /// it is given no secret, and asking for keys is a failure.
    secret_id: Option<String>,
    held: Mutex<Option<Held>>,
    min_refresh: Duration,
}

#[derive(Debug)]
struct Held {
    keys: LinkKeys,
    read_at: Instant,
}

impl SecretsManagerKeys {
    pub fn new(client: Client, secret_id: Option<String>) -> Self {
        Self { client, secret_id, held: Mutex::new(None), min_refresh: MIN_REFRESH }
    }

    /// Another `MIN_REFRESH` (tests rotate and re-check within seconds).
    pub fn with_min_refresh(self, min_refresh: Duration) -> Self {
        Self { min_refresh, ..self }
    }

    /// The held keys if younger than `max_age`; otherwise reads them again
    /// (keeping the old ones when the read fails and there are any).
    async fn keys_younger_than(&self, max_age: Duration) -> Result<(LinkKeys, bool), KeysError> {
        let mut held = self.held.lock().await;
        if let Some(h) = held.as_ref().filter(|h| h.read_at.elapsed() < max_age) {
            return Ok((h.keys.clone(), false));
        }
        match self.fetch().await {
            Ok(keys) => {
                *held = Some(Held { keys: keys.clone(), read_at: Instant::now() });
                Ok((keys, true))
            }
            // Keep serving with the keys held, for another period: during a
            // Secrets Manager outage every request would otherwise wait for a
            // failing read first.
            Err(e) => match held.as_mut() {
                Some(h) => {
                    tracing::warn!(error = %e, "could not read the link keys again; using the ones held");
                    h.read_at = Instant::now();
                    Ok((h.keys.clone(), false))
                }
                None => Err(e),
            },
        }
    }

    async fn fetch(&self) -> Result<LinkKeys, KeysError> {
        let id =
            self.secret_id.as_deref().ok_or_else(|| KeysError("this function has no link secret".into()))?;
        let (current, previous) = tokio::join!(self.version(id, CURRENT), self.version(id, PREVIOUS));
        let current = current?.ok_or_else(|| KeysError(format!("secret {id} has no {CURRENT} version")))?;
        Ok(LinkKeys::new(current, previous?))
    }

    /// The key in one version of the secret; None when the secret has no version
    /// with that label (no rotation yet, for AWSPREVIOUS).
    async fn version(&self, id: &str, stage: &str) -> Result<Option<LinkSigner>, KeysError> {
        let out = match self.client.get_secret_value().secret_id(id).version_stage(stage).send().await {
            Ok(out) => out,
            Err(e)
                if stage == PREVIOUS
                    && matches!(
                        e.as_service_error(),
                        Some(GetSecretValueError::ResourceNotFoundException(_))
                    ) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(KeysError(format!("reading {id} ({stage}): {}", DisplayErrorContext(&e))));
            }
        };
        let secret = match (out.secret_string(), out.secret_binary()) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(blob)) => blob.as_ref().to_vec(),
            (None, None) => return Err(KeysError(format!("{id} ({stage}) holds no value"))),
        };
        LinkSigner::new(&secret).map(Some).ok_or_else(|| {
            KeysError(format!(
                "{id} ({stage}) is shorter than {MIN_SECRET_LEN} bytes; links cannot be signed with it"
            ))
        })
    }
}

impl LinkKeySource for SecretsManagerKeys {
    async fn keys(&self) -> Result<LinkKeys, KeysError> {
        Ok(self.keys_younger_than(MAX_AGE).await?.0)
    }

    async fn reread(&self) -> Result<Option<LinkKeys>, KeysError> {
        let (keys, read) = self.keys_younger_than(self.min_refresh).await?;
        Ok(read.then_some(keys))
    }

    fn held(&self) -> bool {
        // Being read by another request counts as not held: this one would wait.
        self.held.try_lock().is_ok_and(|held| held.as_ref().is_some_and(|h| h.read_at.elapsed() < MAX_AGE))
    }
}
