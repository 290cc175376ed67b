//! Answers prepared once (JSON bytes and their `ETag`) and served from memory while provably
//! current, shared by every worker of the process: the public product list (`menu_cache.rs`)
//! and the kitchen list's pages (`kitchen_cache.rs`).
//!
//! An answer is served from memory only while it is provably current: it was read after the
//! last notification of its channel this process heard (the database notifies at the commit
//! of every write that changes what the answer shows, from any pod), through the listening
//! connection that is still up in the same epoch, and it is younger than `max_age` (the bound
//! for a connection the network dropped without telling — the listener's ping notices that
//! within its own interval — and for the rare change the channel does not carry). Otherwise
//! the request reads the database, as without a cache: a lost notification connection never
//! leaves a stale answer behind. A read that raced a notification is answered but not kept:
//! the generation it started under is checked, not the one it ended under.
//!
//! With a read replica, the answers that are kept are read on the writer (the primary). A
//! notification is sent at the writer's commit; a refill it triggers on a replica could run
//! before the replica has replayed that commit, and the stale answer would then be kept as
//! current until the next notification or `max_age` — and a hot standby cannot `LISTEN`, so
//! notifications cannot be heard where the replica's replay stands. Only the answers that are
//! not kept ([`Keep::No`]: notifications not heard) may go through the replica, within its
//! lag bound (`adapters::postgres::replica`).

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, http::header};
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use sha2::{Digest, Sha256};

use crate::adapters::postgres::listener::{ChannelEvent, MissReason, PgListener};

/// No epoch: the channel is not known to be listened to.
const NOT_LISTENING: u64 = 0;

/// A prepared answer: the JSON body and its entity tag.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The JSON body.
    pub body: Bytes,
    /// A strong entity tag, quoted, derived from the body alone: every pod gives the same
    /// tag for the same answer, so a client's `If-None-Match` holds across pods.
    pub etag: String,
}

impl Prepared {
    /// Prepares `body`.
    pub fn new(body: Vec<u8>) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        Self {
            body: Bytes::from(body),
            etag,
        }
    }

    /// Whether an `If-None-Match` header value names this answer (`*`, or one of a list of
    /// tags, weak or strong: RFC 9110 compares them weakly for `If-None-Match`).
    pub fn matches(&self, if_none_match: &str) -> bool {
        if_none_match
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag.as_str())
    }

    /// 304 when the request's `If-None-Match` names this answer, else 200 with its body; both
    /// with its `ETag` and `cache_control` (which must make a client ask again before reuse).
    pub fn answer(&self, request: &HttpRequest, cache_control: &'static str) -> HttpResponse {
        let not_modified = request
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|tags| self.matches(tags));
        let mut answer = if not_modified {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        answer
            .insert_header((header::ETAG, self.etag.as_str()))
            .insert_header((header::CACHE_CONTROL, cache_control));
        if not_modified {
            answer.finish()
        } else {
            answer
                .content_type("application/json")
                .body(self.body.clone())
        }
    }
}

/// Whether a read is kept in the cache: only then must it be read on the writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Kept as current until the next notification: read it on the writer.
    Yes,
    /// Answered once: the replica may serve it, within its lag bound.
    No,
}

/// What a cache serves and how long an answer may be trusted without a notification.
#[derive(Clone, Copy, Debug)]
pub struct CacheSpec {
    /// Prefix of its series: `<name>_requests_total{result}`, `<name>_invalidations_total`.
    pub name: &'static str,
    /// What it holds, for the series' help texts.
    pub holds: &'static str,
    /// The notification channel of the writes that change its answers.
    pub channel: &'static str,
    /// Longest an answer is served without a re-read.
    pub max_age: Duration,
    /// Most keys kept at once; a request for another key reads the database (a client
    /// choosing keys cannot grow the process's memory).
    pub max_keys: usize,
}

impl CacheSpec {
    /// Whether anything is kept: a zero `max_age` turns the cache off, and every answer is
    /// read as one that is not kept (through the replica when there is one).
    pub fn keeps_anything(&self) -> bool {
        !self.max_age.is_zero() && self.max_keys > 0
    }
}

struct Entry {
    prepared: Prepared,
    generation: u64,
    epoch: u64,
    filled_at: Instant,
}

/// One key's answer and the lock that lets one request refill it while the others wait for
/// its result instead of all reading the database.
#[derive(Default)]
struct Slot {
    entry: RwLock<Option<Arc<Entry>>>,
    refill: tokio::sync::Mutex<()>,
}

/// Where an answer came from, for `<name>_requests_total{result}`.
#[derive(Clone, Copy)]
enum Source {
    Cache,
    Refilled,
    Database,
}

struct Inner<K> {
    listener: PgListener,
    spec: CacheSpec,
    /// Bumped by every notification of the channel and every possible miss.
    generation: AtomicU64,
    /// The listener epoch in which the channel is listened to; [`NOT_LISTENING`] when none is.
    listening_epoch: AtomicU64,
    slots: RwLock<HashMap<K, Arc<Slot>>>,
    requests: IntCounterVec,
    invalidations: IntCounter,
}

/// Prepared answers by key, dropped on the notifications of one channel; cheap to clone.
pub struct PreparedCache<K> {
    inner: Arc<Inner<K>>,
}

impl<K> Clone for PreparedCache<K> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K: Clone + Eq + Hash + Send + Sync + 'static> PreparedCache<K> {
    /// A cache dropped on the notifications `listener` hears on `spec.channel` (its task
    /// subscribes now), with its series in `registry`.
    pub fn start(
        spec: CacheSpec,
        listener: PgListener,
        registry: &Registry,
    ) -> Result<Self, prometheus::Error> {
        let requests = IntCounterVec::new(
            Opts::new(
                format!("{}_requests_total", spec.name),
                format!(
                    "Answers of {} by source: cache, refilled (read and kept), database (read, not kept: notifications down or too many keys).",
                    spec.holds
                ),
            ),
            &["result"],
        )?;
        let invalidations = IntCounter::new(
            format!("{}_invalidations_total", spec.name),
            format!(
                "Notifications and notification-connection losses that dropped the prepared {}.",
                spec.holds
            ),
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(invalidations.clone()))?;
        for result in ["cache", "refilled", "database"] {
            requests.with_label_values(&[result]);
        }
        let inner = Arc::new(Inner {
            listener,
            spec,
            generation: AtomicU64::new(0),
            listening_epoch: AtomicU64::new(NOT_LISTENING),
            slots: RwLock::new(HashMap::new()),
            requests,
            invalidations,
        });
        tokio::spawn(follow_notifications(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    /// The answer for `key`: from memory while current, else from `read`, which is told
    /// whether its answer will be kept (then it must read the writer).
    pub async fn get<E, F, Fut>(&self, key: K, read: F) -> Result<Prepared, E>
    where
        F: FnOnce(Keep) -> Fut,
        Fut: Future<Output = Result<Prepared, E>>,
    {
        let inner = &self.inner;
        let slot = inner.slot(&key);
        if let Some(prepared) = slot.as_deref().and_then(|slot| inner.current(slot)) {
            inner.count(Source::Cache);
            return Ok(prepared);
        }
        let (Some(slot), Some(_)) = (slot, inner.trusted_epoch()) else {
            // Notifications are not being heard (nothing read now could be trusted later,
            // and an answer given once may come from the replica), or no room for the key.
            let prepared = read(Keep::No).await?;
            inner.count(Source::Database);
            return Ok(prepared);
        };
        let _refilling = slot.refill.lock().await;
        if let Some(prepared) = inner.current(&slot) {
            inner.count(Source::Cache);
            return Ok(prepared);
        }
        // Taken before the read: a notification arriving during it makes the entry stale.
        let generation = inner.generation.load(Ordering::SeqCst);
        let epoch = inner.trusted_epoch();
        let prepared = read(Keep::Yes).await?;
        match epoch {
            Some(epoch) => {
                let entry = Entry {
                    prepared: prepared.clone(),
                    generation,
                    epoch,
                    filled_at: Instant::now(),
                };
                *slot.entry.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(entry));
                inner.count(Source::Refilled);
            }
            None => inner.count(Source::Database),
        }
        Ok(prepared)
    }

    /// Drops the prepared answers now: this process just changed what they show, and its
    /// next answer must show it even before the database's notification comes back.
    pub fn invalidate(&self) {
        self.inner.invalidate();
    }
}

impl<K: Clone + Eq + Hash> Inner<K> {
    /// The slot of `key`, made when there is room; `None` when `max_keys` are taken or the
    /// cache keeps nothing.
    fn slot(&self, key: &K) -> Option<Arc<Slot>> {
        if !self.spec.keeps_anything() {
            return None;
        }
        if let Some(slot) = self
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
        {
            return Some(Arc::clone(slot));
        }
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = slots.get(key) {
            return Some(Arc::clone(slot));
        }
        (slots.len() < self.spec.max_keys).then(|| {
            let slot = Arc::new(Slot::default());
            slots.insert(key.clone(), Arc::clone(&slot));
            slot
        })
    }
}

impl<K> Inner<K> {
    /// The listener epoch under which a read now may be kept: the channel is listened to and
    /// the connection is up in that same epoch.
    fn trusted_epoch(&self) -> Option<u64> {
        let epoch = self.listening_epoch.load(Ordering::SeqCst);
        let state = self.listener.state();
        (epoch != NOT_LISTENING && state.connected && state.epoch == epoch).then_some(epoch)
    }

    fn current(&self, slot: &Slot) -> Option<Prepared> {
        let entry = slot
            .entry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        let fresh = entry.generation == self.generation.load(Ordering::SeqCst)
            && self.trusted_epoch() == Some(entry.epoch)
            && entry.filled_at.elapsed() < self.spec.max_age;
        fresh.then(|| entry.prepared.clone())
    }

    fn count(&self, source: Source) {
        let label = match source {
            Source::Cache => "cache",
            Source::Refilled => "refilled",
            Source::Database => "database",
        };
        self.requests.with_label_values(&[label]).inc();
    }

    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.invalidations.inc();
    }
}

/// Drops the prepared answers on every notification of the channel and on every possible
/// miss; ends with the cache or the listener.
async fn follow_notifications<K>(inner: std::sync::Weak<Inner<K>>) {
    let Some((listener, spec)) = inner
        .upgrade()
        .map(|inner| (inner.listener.clone(), inner.spec))
    else {
        return;
    };
    let mut subscription = match listener.subscribe(spec.channel).await {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::warn!(%error, cache = spec.name, "a prepared-answer cache cannot listen: every answer is read from the database");
            return;
        }
    };
    // Returned while connected: the channel is listened to in this epoch. Otherwise a
    // `Reconnected` event names the epoch in which it is.
    let state = listener.state();
    if state.connected
        && let Some(inner) = inner.upgrade()
    {
        inner.listening_epoch.store(state.epoch, Ordering::SeqCst);
        inner.invalidate();
    }
    while let Some(event) = subscription.recv().await {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        match event {
            ChannelEvent::MayHaveMissed(MissReason::Reconnected { epoch }) => {
                inner.listening_epoch.store(epoch, Ordering::SeqCst);
            }
            ChannelEvent::MayHaveMissed(MissReason::ConnectionLost) => {
                inner.listening_epoch.store(NOT_LISTENING, Ordering::SeqCst);
            }
            ChannelEvent::MayHaveMissed(MissReason::Lagged(_)) | ChannelEvent::Notification(_) => {}
        }
        inner.invalidate();
    }
    if let Some(inner) = inner.upgrade() {
        inner.listening_epoch.store(NOT_LISTENING, Ordering::SeqCst);
        inner.invalidate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_names_the_answer_by_any_tag_of_a_list_weak_or_strong_or_star() {
        let prepared = Prepared::new(b"[]".to_vec());
        let tag = prepared.etag.clone();
        assert!(prepared.matches(&tag));
        assert!(prepared.matches(&format!("\"other\", W/{tag}")));
        assert!(prepared.matches("*"));
        assert!(!prepared.matches("\"other\""));
        assert!(!Prepared::new(b"[1]".to_vec()).matches(&tag));
    }
}
