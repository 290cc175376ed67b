//! The public product list as prepared answers (JSON bytes and their `ETag`), one per
//! category filter, shared by every worker of the process.
//!
//! An answer is served from memory only while it is provably current: it was read after the
//! last `postech_menu` notification this process heard (the database notifies it at the commit
//! of every write of `products`, from any pod — see `postech_database::kitchen::MENU_CHANNEL`),
//! through the listening connection that is still up in the same epoch, and it is younger
//! than `max_age` (the bound for a connection the network dropped without telling: the
//! listener's ping notices that within its own interval). Otherwise the request reads the
//! database, as without a cache — a lost notification connection never leaves a stale menu
//! behind. A read that raced a notification is answered but not kept: the generation it
//! started under is checked, not the one it ended under.
//!
//! With a read replica, the lists that are kept are still read on the writer (the primary).
//! A notification is sent at the writer's commit; a refill it triggers on a replica could run
//! before the replica has replayed that commit, and the stale list would then be kept as
//! current until the next notification or `max_age` — and a hot standby cannot `LISTEN`, so
//! notifications cannot be heard where the replica's replay stands. Only the answers that are
//! not kept (notifications not heard: every request reads) go through the replica, within its
//! lag bound (`adapters::postgres::replica`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use postech_database::kitchen::MENU_CHANNEL;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use sha2::{Digest, Sha256};

use crate::adapters::postgres::listener::{ChannelEvent, MissReason, PgListener};
use crate::application::catalog::Catalog;
use crate::application::error::{PortError, UseCaseError};
use crate::domain::catalog::{Category, Product};

/// No epoch: the menu channel is not known to be listened to.
const NOT_LISTENING: u64 = 0;

/// A prepared answer: the JSON body and its entity tag.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The JSON body.
    pub body: Bytes,
    /// A strong entity tag, quoted, derived from the body alone: every pod gives the same
    /// tag for the same menu, so a kiosk's `If-None-Match` holds across pods.
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
}

struct Entry {
    prepared: Prepared,
    generation: u64,
    epoch: u64,
    filled_at: Instant,
}

/// One category filter's answer and the lock that lets one request refill it while the
/// others wait for its result instead of all reading the database.
#[derive(Default)]
struct Slot {
    entry: RwLock<Option<Arc<Entry>>>,
    refill: tokio::sync::Mutex<()>,
}

/// Whether a read is kept in the cache: only then must it be read on the writer.
#[derive(Clone, Copy)]
enum Keep {
    Yes,
    No,
}

/// Where an answer came from, for `menu_cache_requests_total{result}`.
#[derive(Clone, Copy)]
enum Source {
    Cache,
    Refilled,
    Database,
}

struct Inner {
    catalog: Catalog,
    listener: PgListener,
    max_age: Duration,
    /// Bumped by every notification of the menu channel and every possible miss.
    generation: AtomicU64,
    /// The listener epoch in which the menu channel is listened to; [`NOT_LISTENING`] when
    /// none is.
    listening_epoch: AtomicU64,
    /// The unfiltered list, then one per category in `Category::ALL` order.
    slots: [Slot; 1 + Category::ALL.len()],
    requests: IntCounterVec,
    invalidations: IntCounter,
}

/// The menu cache; cheap to clone.
#[derive(Clone)]
pub struct MenuCache {
    inner: Arc<Inner>,
}

impl MenuCache {
    /// A cache reading through `catalog`, dropped on the notifications `listener` hears
    /// (its task subscribes to the menu channel now), with its series in `registry`.
    pub fn start(
        catalog: Catalog,
        listener: PgListener,
        max_age: Duration,
        registry: &Registry,
    ) -> Result<Self, prometheus::Error> {
        let requests = IntCounterVec::new(
            Opts::new(
                "menu_cache_requests_total",
                "Product-list answers by source: cache, refilled (read and kept), database (read, not kept: notifications down).",
            ),
            &["result"],
        )?;
        let invalidations = IntCounter::new(
            "menu_cache_invalidations_total",
            "Menu notifications and notification-connection losses that dropped the prepared product lists.",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(invalidations.clone()))?;
        for result in ["cache", "refilled", "database"] {
            requests.with_label_values(&[result]);
        }
        let inner = Arc::new(Inner {
            catalog,
            listener,
            max_age,
            generation: AtomicU64::new(0),
            listening_epoch: AtomicU64::new(NOT_LISTENING),
            slots: Default::default(),
            requests,
            invalidations,
        });
        tokio::spawn(follow_notifications(Arc::downgrade(&inner)));
        Ok(Self { inner })
    }

    /// The active products of `category` (all when `None`) as a prepared JSON answer built by
    /// `prepare`.
    pub async fn products(
        &self,
        category: Option<Category>,
        prepare: fn(Vec<Product>) -> Result<Vec<u8>, serde_json::Error>,
    ) -> Result<Prepared, UseCaseError> {
        let inner = &self.inner;
        let slot = &inner.slots[slot_index(category)];
        if let Some(prepared) = inner.current(slot) {
            inner.count(Source::Cache);
            return Ok(prepared);
        }
        if inner.trusted_epoch().is_none() {
            // Notifications are not being heard: nothing read now could be trusted later, and
            // an answer given once may come from the replica.
            let prepared = inner.read(category, prepare, Keep::No).await?;
            inner.count(Source::Database);
            return Ok(prepared);
        }
        let _refilling = slot.refill.lock().await;
        if let Some(prepared) = inner.current(slot) {
            inner.count(Source::Cache);
            return Ok(prepared);
        }
        // Taken before the read: a notification arriving during it makes the entry stale.
        let generation = inner.generation.load(Ordering::SeqCst);
        let epoch = inner.trusted_epoch();
        let prepared = inner.read(category, prepare, Keep::Yes).await?;
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
}

impl MenuCache {
    /// Drops the prepared answers now: this process just changed what the menu shows, and
    /// its next answer must show it even before the database's notification comes back.
    pub fn invalidate(&self) {
        self.inner.invalidate();
    }
}

impl Inner {
    /// The listener epoch under which a read now may be kept: the menu channel is listened
    /// to and the connection is up in that same epoch.
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
            && entry.filled_at.elapsed() < self.max_age;
        fresh.then(|| entry.prepared.clone())
    }

    async fn read(
        &self,
        category: Option<Category>,
        prepare: fn(Vec<Product>) -> Result<Vec<u8>, serde_json::Error>,
        keep: Keep,
    ) -> Result<Prepared, UseCaseError> {
        let products = match keep {
            Keep::Yes => self.catalog.list_active(category).await?,
            Keep::No => self.catalog.list_active_for_one_answer(category).await?,
        };
        let body = prepare(products).map_err(|error| PortError::Unexpected {
            dependency: "json",
            cause: error.into(),
        })?;
        Ok(Prepared::new(body))
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

fn slot_index(category: Option<Category>) -> usize {
    category
        .and_then(|category| Category::ALL.iter().position(|each| *each == category))
        .map_or(0, |position| position + 1)
}

/// Drops the prepared answers on every notification of the menu channel and on every
/// possible miss; ends with the cache or the listener.
async fn follow_notifications(inner: std::sync::Weak<Inner>) {
    let Some(listener) = inner.upgrade().map(|inner| inner.listener.clone()) else {
        return;
    };
    let mut subscription = match listener.subscribe(MENU_CHANNEL).await {
        Ok(subscription) => subscription,
        Err(error) => {
            tracing::warn!(%error, "the menu cache cannot listen: every product list is read from the database");
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

    #[test]
    fn every_category_filter_has_its_own_slot() {
        let mut indexes: Vec<usize> = Category::ALL
            .into_iter()
            .map(|category| slot_index(Some(category)))
            .collect();
        indexes.push(slot_index(None));
        indexes.sort_unstable();
        indexes.dedup();
        assert_eq!(indexes.len(), 1 + Category::ALL.len());
    }
}
