//! A secret kept in memory and re-read from Secrets Manager once its refresh interval passed.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::error::DisplayErrorContext;
use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

use super::{SecretsError, TypedSecret, parse_secret_json};

/// A typed secret, shared by every task of a process. Cloning is cheap and clones share the
/// cache.
///
/// Backed by Secrets Manager, [`CachedSecret::get`] serves the cached value until
/// `refresh_interval` has passed since it was last read, then reads it again, so a rotation
/// reaches the process within one interval. When a refresh fails the last good value keeps
/// being served (with a warning in the logs) and the next attempt waits another interval, so
/// an outage of Secrets Manager neither stops the service nor floods the API.
pub struct CachedSecret<T> {
    backing: Arc<Backing<T>>,
}

enum Backing<T> {
    Fixed(Arc<T>),
    SecretsManager(Remote<T>),
}

struct Remote<T> {
    client: aws_sdk_secretsmanager::Client,
    secret_id: String,
    refresh_interval: Duration,
    entry: RwLock<Option<Entry<T>>>,
    /// One refresh at a time: tasks that find the value stale while a refresh runs wait for
    /// it instead of calling Secrets Manager too.
    refreshing: Mutex<()>,
}

struct Entry<T> {
    value: Arc<T>,
    checked_at: Instant,
}

impl<T> Clone for CachedSecret<T> {
    fn clone(&self) -> Self {
        Self {
            backing: Arc::clone(&self.backing),
        }
    }
}

impl<T> fmt::Debug for CachedSecret<T> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.backing.as_ref() {
            Backing::Fixed(_) => formatter.write_str("CachedSecret(fixed)"),
            Backing::SecretsManager(remote) => formatter
                .debug_struct("CachedSecret")
                .field("secret_id", &remote.secret_id)
                .field("refresh_interval", &remote.refresh_interval)
                .finish_non_exhaustive(),
        }
    }
}

impl<T: TypedSecret> CachedSecret<T> {
    /// A value that never changes, e.g. one read from plain environment variables.
    pub fn fixed(value: T) -> Self {
        Self {
            backing: Arc::new(Backing::Fixed(Arc::new(value))),
        }
    }

    /// A secret read from Secrets Manager on the first [`get`](Self::get) and re-read after
    /// each `refresh_interval`.
    pub fn from_secrets_manager(
        client: aws_sdk_secretsmanager::Client,
        secret_id: impl Into<String>,
        refresh_interval: Duration,
    ) -> Self {
        Self {
            backing: Arc::new(Backing::SecretsManager(Remote {
                client,
                secret_id: secret_id.into(),
                refresh_interval,
                entry: RwLock::new(None),
                refreshing: Mutex::new(()),
            })),
        }
    }

    /// The Secrets Manager id, or `None` for a fixed value.
    pub fn secret_id(&self) -> Option<&str> {
        match self.backing.as_ref() {
            Backing::Fixed(_) => None,
            Backing::SecretsManager(remote) => Some(&remote.secret_id),
        }
    }

    /// The current value. Fails only when no value was ever read successfully.
    pub async fn get(&self) -> Result<Arc<T>, SecretsError> {
        match self.backing.as_ref() {
            Backing::Fixed(value) => Ok(Arc::clone(value)),
            Backing::SecretsManager(remote) => remote.get().await,
        }
    }
}

impl<T: TypedSecret> Remote<T> {
    async fn get(&self) -> Result<Arc<T>, SecretsError> {
        if let Some(value) = self.fresh_value().await {
            return Ok(value);
        }
        let _refreshing = self.refreshing.lock().await;
        if let Some(value) = self.fresh_value().await {
            return Ok(value);
        }
        let fetched = self.fetch().await;
        let mut entry = self.entry.write().await;
        match (fetched, entry.as_mut()) {
            (Ok(value), _) => {
                let value = Arc::new(value);
                *entry = Some(Entry {
                    value: Arc::clone(&value),
                    checked_at: Instant::now(),
                });
                Ok(value)
            }
            (Err(error), Some(previous)) => {
                tracing::warn!(secret_id = %self.secret_id, %error,
                    "secret refresh failed; serving the last good value");
                previous.checked_at = Instant::now();
                Ok(Arc::clone(&previous.value))
            }
            (Err(error), None) => Err(error),
        }
    }

    async fn fresh_value(&self) -> Option<Arc<T>> {
        let entry = self.entry.read().await;
        entry
            .as_ref()
            .filter(|entry| entry.checked_at.elapsed() < self.refresh_interval)
            .map(|entry| Arc::clone(&entry.value))
    }

    async fn fetch(&self) -> Result<T, SecretsError> {
        let output = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .send()
            .await
            .map_err(|error| SecretsError::Fetch {
                secret_id: self.secret_id.clone(),
                reason: DisplayErrorContext(&error).to_string(),
            })?;
        let text = output
            .secret_string()
            .ok_or_else(|| SecretsError::NotText {
                secret_id: self.secret_id.clone(),
            })?;
        parse_secret_json(text, &self.secret_id)
    }
}
