//! Whether an admin's token may still be honoured: the verifiers ask Cognito (enabled, in
//! group `admin`) at most once per admin and TTL, so disabling an admin ends their live tokens
//! within that bound instead of at the token's expiry (up to 2 h).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{CognitoClient, CognitoError};

/// A cache of [`CognitoClient::admin_is_active`] answers.
///
/// An answer (active or not) is trusted for the TTL. Past it, one request asks Cognito again
/// while concurrent requests for the same admin get the last answer at once, so a slow or
/// hanging Cognito delays at most one request per admin and TTL (the AWS clients' calls are
/// bounded, `aws_timeouts`) — the first lookup of an admin included: while it is under way,
/// the others get [`CognitoError::Unavailable`] at once rather than asking too. A failed lookup
/// keeps the last answer, however old, and trusts it for another TTL; with none known, the
/// error goes to the caller, and again at once for the TTL instead of another hanging call.
/// The verifiers then honour the token (it came from a login Cognito checked at most the
/// token's lifetime ago) and log a warning: a Cognito outage must not stop the kitchen display,
/// and disabling an admin is itself a Cognito call.
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
    answers: Mutex<HashMap<String, Answer>>,
}

/// What is known of one admin.
#[derive(Debug)]
struct Answer {
    /// Cognito's last answer; `None` while every lookup so far failed.
    active: Option<bool>,
    /// When that answer (or failure) came.
    asked_at: Instant,
    /// When a request started asking again, if one is asking.
    refreshing_since: Option<Instant>,
}

/// What a request does with the cache.
enum Lookup {
    /// Answer with this (fresh, or the last one while another request refreshes it).
    Known(bool),
    /// Every lookup failed recently: fail at once.
    RecentlyFailed,
    /// Nothing known yet and another request is asking: fail at once.
    NotYetKnown,
    /// Ask Cognito.
    Ask,
}

/// A refresh older than this was abandoned (its request cancelled): another may start. Past
/// the AWS clients' bounded operation time, so a live refresh is never doubled.
const ABANDONED_REFRESH: Duration = Duration::from_secs(15);

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
    /// [`ttl`](Self::ttl) ago — or, while another request is asking again or Cognito fails,
    /// as it last said.
    pub async fn is_active(&self, username: &str) -> Result<bool, CognitoError> {
        match self.lookup(username) {
            Lookup::Known(active) => return Ok(active),
            Lookup::RecentlyFailed => {
                return Err(CognitoError::Unavailable(
                    "admin status: Cognito failed within the cache TTL".to_owned(),
                ));
            }
            Lookup::NotYetKnown => {
                return Err(CognitoError::Unavailable(
                    "admin status: not known yet, a lookup is under way".to_owned(),
                ));
            }
            Lookup::Ask => {}
        }
        let asked = self.cognito.admin_is_active(username).await;
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        let answer = answers.entry(username.to_owned()).or_insert(Answer {
            active: None,
            asked_at: Instant::now(),
            refreshing_since: None,
        });
        answer.asked_at = Instant::now();
        answer.refreshing_since = None;
        match (asked, answer.active) {
            (Ok(active), _) => {
                answer.active = Some(active);
                Ok(active)
            }
            (Err(error), Some(active)) => {
                tracing::warn!(%error, active, "admin status unavailable: the last answer stands");
                Ok(active)
            }
            (Err(error), None) => Err(error),
        }
    }

    /// Decides, under the lock, whether this request answers from the cache or asks Cognito
    /// (and then marks the refresh as under way).
    fn lookup(&self, username: &str) -> Lookup {
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(answer) = answers.get_mut(username) else {
            // The first lookup of this admin: marked as under way, so that the requests
            // arriving meanwhile do not all ask too. Entries are only ever created for
            // verified admin tokens' subjects (real admins), so the map stays small.
            answers.insert(
                username.to_owned(),
                Answer {
                    active: None,
                    asked_at: Instant::now(),
                    refreshing_since: Some(Instant::now()),
                },
            );
            return Lookup::Ask;
        };
        let fresh = answer.asked_at.elapsed() < self.ttl;
        let refreshing = answer
            .refreshing_since
            .is_some_and(|since| since.elapsed() < ABANDONED_REFRESH);
        match (answer.active, fresh, refreshing) {
            (Some(active), true, _) | (Some(active), false, true) => Lookup::Known(active),
            (None, _, true) => Lookup::NotYetKnown,
            (None, true, false) => Lookup::RecentlyFailed,
            (_, false, false) => {
                answer.refreshing_since = Some(Instant::now());
                Lookup::Ask
            }
        }
    }
}
