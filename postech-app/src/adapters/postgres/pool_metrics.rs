//! The pool's Prometheus series, read from the pool itself at each scrape (a gauge sampled
//! on use would lie between uses): `db_pool_connections{state="in_use"|"idle"}`,
//! `db_pool_max_connections`, and `db_pool_acquire_timeouts_total` (requests that waited
//! `DATABASE_ACQUIRE_TIMEOUT_SECONDS` for a connection and were answered 503).

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, IntGauge, IntGaugeVec, Opts};

/// The counter of acquire timeouts, created with the pool (which counts into it).
pub(super) fn acquire_timeouts_counter() -> Result<IntCounter, prometheus::Error> {
    IntCounter::new(
        "db_pool_acquire_timeouts_total",
        "Waits for a database connection that timed out (the request was answered 503).",
    )
}

/// The pool's series; register it once in the registry `/metrics` renders.
pub struct PoolCollector {
    pool: Pool<AsyncPgConnection>,
    connections: IntGaugeVec,
    max_connections: IntGauge,
    acquire_timeouts: IntCounter,
    descs: Vec<Desc>,
}

impl PoolCollector {
    pub(super) fn new(
        pool: Pool<AsyncPgConnection>,
        acquire_timeouts: IntCounter,
    ) -> Result<Self, prometheus::Error> {
        let connections = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Connections of the database pool, by state (in_use, idle).",
            ),
            &["state"],
        )?;
        let max_connections = IntGauge::new(
            "db_pool_max_connections",
            "Size of the database pool (DATABASE_POOL_SIZE).",
        )?;
        let descs = [
            connections.desc(),
            max_connections.desc(),
            acquire_timeouts.desc(),
        ]
        .concat()
        .into_iter()
        .cloned()
        .collect();
        Ok(Self {
            pool,
            connections,
            max_connections,
            acquire_timeouts,
            descs,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let status = self.pool.status();
        let gauge = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        self.connections
            .with_label_values(&["in_use"])
            .set(gauge(status.size.saturating_sub(status.available)));
        self.connections
            .with_label_values(&["idle"])
            .set(gauge(status.available));
        self.max_connections.set(gauge(status.max_size));
        [
            self.connections.collect(),
            self.max_connections.collect(),
            self.acquire_timeouts.collect(),
        ]
        .concat()
    }
}
