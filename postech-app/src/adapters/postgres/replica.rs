//! Read-only routes on a read replica, with the writer as the answer to every doubt.
//!
//! A read goes to the replica only while its measured lag, aged by the time since it was
//! measured, is within the bound (`DATABASE_READER_MAX_LAG_MS`): so whatever was committed on
//! the writer longer ago than the bound is on the replica, and a replica read is never staler
//! than that. Otherwise — no replica configured, lag unknown or too high, the replica failing,
//! or the row asked for absent (or not in the state asked for) on the replica — the read goes
//! to the writer, and `db_read_route_total{outcome}` counts which.
//!
//! The lag is measured from the write-ahead log, not from `pg_last_xact_replay_timestamp()`
//! (which grows without bound while the writer is idle): every `DATABASE_READER_LAG_CHECK_MS`
//! the writer's insert position is sampled with the time, then the replica's replay position
//! is read; the newest sample the replica has replayed past says that everything committed
//! before that sample's time is on the replica. A server that is not in recovery (the writer
//! itself, a promoted replica) is never used as the replica: its lag is unknown.
//!
//! Reads that must see their own write never depend on the lag: an order or a product absent
//! on the replica is re-read on the writer (the order just placed is never a 404), and the
//! routes whose caller acts on a write just made (payments, the admin routes) always read the
//! writer. postech-app's README, "Read replica", explains the choice.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text};
use diesel_async::RunQueryDsl;
use prometheus::{Gauge, IntCounter, IntCounterVec, Opts, Registry};

use super::{PgPool, connection, to_port_error};
use crate::adapters::postgres::prepared::KeepPrepared;
use crate::application::error::{ErrorChain, PortError};

/// The writer's position now: where the WAL has been inserted up to, at or past the commit
/// record of every transaction that has returned.
const WRITER_POSITION_SQL: &str = "SELECT pg_current_wal_insert_lsn()::text AS lsn";
/// The replica's replay position; NULL on a server not in recovery.
const REPLAYED_POSITION_SQL: &str =
    "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END AS lsn";

/// Samples kept while the replica replays none of them: at the default 250 ms, over four
/// minutes, far past any bound (the lag reported is then at least the oldest sample's age).
const MAX_SAMPLES: usize = 1024;

/// Where a read was answered from, for `db_read_route_total{outcome}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The replica answered.
    Replica,
    /// No replica is configured: the writer answered.
    NoReplica,
    /// The replica's lag is unknown or beyond the bound: the writer answered.
    Lagging,
    /// The replica's connection or statement failed: the writer answered.
    ReplicaFailed,
    /// The replica did not have what was asked for (an order not yet replayed): the writer
    /// answered.
    ReplicaMiss,
}

impl ReadOutcome {
    /// Every outcome, for series created at zero.
    pub const ALL: [ReadOutcome; 5] = [
        ReadOutcome::Replica,
        ReadOutcome::NoReplica,
        ReadOutcome::Lagging,
        ReadOutcome::ReplicaFailed,
        ReadOutcome::ReplicaMiss,
    ];

    /// The label value.
    pub const fn label(self) -> &'static str {
        match self {
            ReadOutcome::Replica => "replica",
            ReadOutcome::NoReplica => "writer_no_replica",
            ReadOutcome::Lagging => "writer_replica_lagging",
            ReadOutcome::ReplicaFailed => "writer_replica_failed",
            ReadOutcome::ReplicaMiss => "writer_replica_miss",
        }
    }
}

/// The last lag measurement.
#[derive(Clone, Copy)]
struct Reading {
    lag: Duration,
    measured_at: Instant,
}

struct Replica {
    pool: PgPool,
    max_lag: Duration,
    reading: Mutex<Option<Reading>>,
    lag_seconds: Gauge,
    lag_check_failures: IntCounter,
}

impl Replica {
    /// Whether a read now sees everything committed more than `max_lag` ago: the lag
    /// measured, plus the time since (the replica may have replayed nothing since).
    fn within_bound(&self) -> bool {
        let reading = *self.reading.lock().unwrap_or_else(PoisonError::into_inner);
        reading.is_some_and(|reading| reading.lag + reading.measured_at.elapsed() <= self.max_lag)
    }

    fn record(&self, lag: Duration) {
        self.lag_seconds.set(lag.as_secs_f64());
        *self.reading.lock().unwrap_or_else(PoisonError::into_inner) = Some(Reading {
            lag,
            measured_at: Instant::now(),
        });
    }

    /// The replica is not to be used until the next successful measurement.
    fn forget(&self) {
        *self.reading.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// The pools reads may use: the writer always, a replica when one is configured; cheap to
/// clone.
#[derive(Clone)]
pub struct ReadPools {
    writer: PgPool,
    replica: Option<Arc<Replica>>,
    outcomes: IntCounterVec,
}

impl ReadPools {
    /// Reads on `writer` only (no replica configured); the routing series in `registry`.
    pub fn writer_only(writer: PgPool, registry: &Registry) -> Result<Self, prometheus::Error> {
        let outcomes = IntCounterVec::new(
            Opts::new(
                "db_read_route_total",
                "Reads of the read-only routes by where they were answered: replica, or the writer and why (no replica, replica lagging, replica failed, row missing on the replica).",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(outcomes.clone()))?;
        for outcome in ReadOutcome::ALL {
            outcomes.with_label_values(&[outcome.label()]);
        }
        Ok(Self {
            writer,
            replica: None,
            outcomes,
        })
    }

    /// Reads on `replica` while its lag, measured every `lag_check_interval` (a task that
    /// ends when the last clone of these pools is dropped), is within `max_lag`; on `writer`
    /// otherwise.
    pub fn with_replica(
        writer: PgPool,
        replica: PgPool,
        max_lag: Duration,
        lag_check_interval: Duration,
        registry: &Registry,
    ) -> Result<Self, prometheus::Error> {
        let mut pools = Self::writer_only(writer, registry)?;
        let lag_seconds = Gauge::new(
            "db_replica_lag_seconds",
            "The read replica's last measured lag behind the writer (replay position vs the writer's WAL samples).",
        )?;
        let lag_check_failures = IntCounter::new(
            "db_replica_lag_check_failures_total",
            "Lag measurements that failed (writer or replica unreachable, replica not in recovery): reads went to the writer until the next success.",
        )?;
        registry.register(Box::new(lag_seconds.clone()))?;
        registry.register(Box::new(lag_check_failures.clone()))?;
        let replica = Arc::new(Replica {
            pool: replica,
            max_lag,
            reading: Mutex::new(None),
            lag_seconds,
            lag_check_failures,
        });
        tokio::spawn(measure_lag(
            Arc::downgrade(&replica),
            pools.writer.clone(),
            lag_check_interval,
        ));
        pools.replica = Some(replica);
        Ok(pools)
    }

    /// The writer: for writes, and reads that must see the latest commit.
    pub fn writer(&self) -> &PgPool {
        &self.writer
    }

    /// Runs `query` on the replica when it may answer, else (or when it fails) on the writer.
    pub async fn read<T, F, Fut>(&self, query: F) -> Result<T, PortError>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<T, PortError>>,
    {
        self.read_accepting(query, |_| true).await
    }

    /// [`Self::read`] for one row: `None` from the replica (not replayed yet) is asked of the
    /// writer, so a row that exists is never reported missing.
    pub async fn read_found<T, F, Fut>(&self, query: F) -> Result<Option<T>, PortError>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<Option<T>, PortError>>,
    {
        self.read_accepting(query, Option::is_some).await
    }

    /// [`Self::read`], where an answer of the replica that `acceptable` refuses (a row missing,
    /// or not in the state asked for) is asked of the writer again.
    pub async fn read_accepting<T, F, Fut>(
        &self,
        query: F,
        acceptable: impl Fn(&T) -> bool,
    ) -> Result<T, PortError>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<T, PortError>>,
    {
        let replica = match &self.replica {
            None => return self.on_writer(query, ReadOutcome::NoReplica).await,
            Some(replica) if !replica.within_bound() => {
                return self.on_writer(query, ReadOutcome::Lagging).await;
            }
            Some(replica) => replica,
        };
        match query(replica.pool.clone()).await {
            Ok(answer) if acceptable(&answer) => {
                self.count(ReadOutcome::Replica);
                Ok(answer)
            }
            Ok(_) => self.on_writer(query, ReadOutcome::ReplicaMiss).await,
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), "the read replica failed: reading the writer until its lag is measured again");
                replica.forget();
                self.on_writer(query, ReadOutcome::ReplicaFailed).await
            }
        }
    }

    async fn on_writer<T, F, Fut>(&self, query: F, outcome: ReadOutcome) -> Result<T, PortError>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<T, PortError>>,
    {
        self.count(outcome);
        query(self.writer.clone()).await
    }

    fn count(&self, outcome: ReadOutcome) {
        self.outcomes.with_label_values(&[outcome.label()]).inc();
    }
}

/// Measures the replica's lag every `interval` while it exists.
async fn measure_lag(replica: Weak<Replica>, writer: PgPool, interval: Duration) {
    let mut samples = VecDeque::new();
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(replica) = replica.upgrade() else {
            return;
        };
        match lag(&writer, &replica.pool, &mut samples).await {
            Ok(lag) => replica.record(lag),
            Err(error) => {
                tracing::debug!(%error, "the read replica's lag could not be measured");
                replica.lag_check_failures.inc();
                replica.forget();
            }
        }
    }
}

/// One measurement: samples the writer's position, then reads the replica's, and returns the
/// age of the newest sample the replica has replayed (of the oldest kept when it has replayed
/// none: the lag is at least that).
async fn lag(
    writer: &PgPool,
    replica: &PgPool,
    samples: &mut VecDeque<(Instant, u64)>,
) -> Result<Duration, PortError> {
    let sampled_at = Instant::now();
    let written = position(writer, WRITER_POSITION_SQL)
        .await?
        .ok_or_else(|| unexpected("the writer reports no WAL position".to_owned()))?;
    samples.push_back((sampled_at, written));
    if samples.len() > MAX_SAMPLES {
        samples.pop_front();
    }
    let Some(replayed) = position(replica, REPLAYED_POSITION_SQL).await? else {
        samples.clear();
        return Err(unexpected(
            "the reader endpoint is not a replica in recovery".to_owned(),
        ));
    };
    Ok(replayed_lag(samples, replayed))
}

/// The age of the newest sample at or below `replayed` (everything committed before it was
/// taken is on the replica), or of the oldest sample when none is (the lag is at least that).
/// Drops the samples older than the one used: they can never again say more.
fn replayed_lag(samples: &mut VecDeque<(Instant, u64)>, replayed: u64) -> Duration {
    if let Some(newest_replayed) = samples.iter().rposition(|(_, lsn)| *lsn <= replayed) {
        samples.drain(..newest_replayed);
    }
    samples
        .front()
        .map_or(Duration::ZERO, |(at, _)| at.elapsed())
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Nullable<Text>)]
    lsn: Option<String>,
}

async fn position(pool: &PgPool, sql: &'static str) -> Result<Option<u64>, PortError> {
    let mut connection = connection(pool).await?;
    let row = diesel::sql_query(sql)
        .keep_prepared()
        .get_result::<Position>(&mut connection)
        .await
        .map_err(to_port_error)?;
    row.lsn
        .map(|text| parse_lsn(&text).ok_or_else(|| unexpected(format!("not an LSN: {text}"))))
        .transpose()
}

/// `pg_lsn`'s text form, `XXXXXXXX/XXXXXXXX` (two hexadecimal halves), as one number.
fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    let high = u32::from_str_radix(high, 16).ok()?;
    let low = u32::from_str_radix(low, 16).ok()?;
    Some((u64::from(high) << 32) | u64::from(low))
}

fn unexpected(cause: String) -> PortError {
    PortError::Unexpected {
        dependency: "database replica",
        cause: cause.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsns_order_as_the_server_orders_them() {
        assert_eq!(parse_lsn("0/16B3748"), Some(0x016B_3748));
        assert_eq!(parse_lsn("1/0"), Some(1 << 32));
        assert!(parse_lsn("0/FFFFFFFF") < parse_lsn("1/0"));
        assert_eq!(parse_lsn("16B3748"), None);
        assert_eq!(parse_lsn("0/xyz"), None);
    }

    #[test]
    fn the_lag_is_the_age_of_the_newest_sample_replayed_past() {
        let now = Instant::now();
        let ago = |millis| {
            now.checked_sub(Duration::from_millis(millis))
                .unwrap_or(now)
        };
        let mut samples = VecDeque::from([(ago(900), 100), (ago(600), 200), (ago(300), 300)]);
        // Replayed past 200 but not 300: everything before the sample of 600 ms ago is there.
        let lag = replayed_lag(&mut samples, 250);
        assert!(lag >= Duration::from_millis(600) && lag < Duration::from_millis(900));
        assert_eq!(samples.len(), 2, "the older sample is dropped");
        // Replayed nothing newer: at least as old as the oldest sample kept.
        assert!(replayed_lag(&mut samples, 150) >= Duration::from_millis(600));
        // Caught up: the newest sample's age, and only it is kept.
        let lag = replayed_lag(&mut samples, 300);
        assert!(lag >= Duration::from_millis(300) && lag < Duration::from_millis(600));
        assert_eq!(samples.len(), 1);
    }

    #[test]
    fn outcome_labels_are_distinct() {
        let mut labels: Vec<&str> = ReadOutcome::ALL.iter().map(|o| o.label()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), ReadOutcome::ALL.len());
    }
}
