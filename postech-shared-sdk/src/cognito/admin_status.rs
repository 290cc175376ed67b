//! Whether an admin's token may still be honoured: the verifiers ask Cognito (enabled, in
//! group `admin`) at most once per admin and TTL, so disabling an admin ends their live tokens
//! within that bound instead of at the token's expiry (up to 2 h).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{CognitoClient, CognitoError};

/// A cache of [`CognitoClient::admin_is_active`] answers.
///
/// Answers (active or not) are cached. A failed lookup is not: the next request asks again,
/// and meanwhile the last answer known for the admin stands, however old; with none, the
/// error goes to the caller. The verifiers then honour the token (it came from a login Cognito
/// checked at most the token's lifetime ago) and log a warning: a Cognito outage must not stop
/// the kitchen display, and disabling an admin is itself a Cognito call.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use postech_shared_sdk::cognito::{AdminStatusCache, CognitoClient};
///
/// let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let cognito = CognitoClient::new(&sdk_config, "us-east-1_ExamplePool", "example-client-id");
/// let admins = AdminStatusCache::new(cognito, Duration::from_secs(30));
/// if !admins.is_active("gerente").await? {
///     println!("refuse the token");
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AdminStatusCache {
    cognito: CognitoClient,
    ttl: Duration,
    answers: Mutex<HashMap<String, (bool, Instant)>>,
}

impl AdminStatusCache {
    /// The longest an answer is trusted: the bound within which a disabled admin's tokens
    /// stop working everywhere.
    pub const MAX_TTL: Duration = Duration::from_secs(60);

    /// A cache over `cognito`, trusting each answer for `ttl` (at most [`Self::MAX_TTL`]).
    pub fn new(cognito: CognitoClient, ttl: Duration) -> Self {
        Self {
            cognito,
            ttl: ttl.min(Self::MAX_TTL),
            answers: Mutex::default(),
        }
    }

    /// How long an answer is trusted.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Whether `username` exists, is enabled and is in group `admin`, as Cognito said at most
    /// [`ttl`](Self::ttl) ago.
    pub async fn is_active(&self, username: &str) -> Result<bool, CognitoError> {
        if let Some(active) = self.fresh_answer(username) {
            return Ok(active);
        }
        let active = match self.cognito.admin_is_active(username).await {
            Ok(active) => active,
            Err(error) => {
                return match self.last_answer(username) {
                    Some(active) => {
                        tracing::warn!(%error, active, "admin status unavailable: the last answer stands");
                        Ok(active)
                    }
                    None => Err(error),
                };
            }
        };
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        // Entries are only ever created for verified admin tokens' subjects (real admins), so
        // the map stays small; an expired one is kept as the last answer until replaced.
        answers.insert(username.to_owned(), (active, Instant::now()));
        Ok(active)
    }

    fn last_answer(&self, username: &str) -> Option<bool> {
        let answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        answers.get(username).map(|(active, _)| *active)
    }

    fn fresh_answer(&self, username: &str) -> Option<bool> {
        let answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        answers
            .get(username)
            .filter(|(_, asked_at)| asked_at.elapsed() < self.ttl)
            .map(|(active, _)| *active)
    }
}
