//! `import-v1` (feature `import-v1`): moves a v1 database into a migrated postech database.
//!
//! * v1 is read in **one read-only, repeatable-read transaction** (one consistent snapshot);
//!   the large tables through server-side cursors merged by order id, so memory stays bounded
//!   by the batch size (plus the menu and a map of the customers).
//! * postech is written **one transaction per batch**; imported rows keep their v1 ids, so a
//!   second run finds every row and writes nothing, and a run resumed after a crash writes
//!   exactly what was not committed ([`target`]).
//! * Every v1 row gets a decision under a stated [`rules::Rule`] (repaired, flagged, merged,
//!   superseded, refused); the [`report::ImportReport`] accounts for every row of every v1
//!   table, and `v1_import_notes` keeps the audit trail.
//! * Customers with a CPF are registered in Cognito through the SDK, paced ([`cognito`]).
//! * [`Mode::DryRun`] decides everything and writes nothing; [`Mode::Verify`] compares what
//!   the rules derive from v1 with what postech holds.
//!
//! Money: [`money`]. The README's "Switching a live v1 restaurant over" is the procedure.

pub mod cognito;
mod decide;
pub mod error;
pub mod money;
pub mod report;
pub mod rules;
mod source;
mod target;

use std::collections::HashMap;
use std::time::Instant;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use cognito::IdentityRegistry;
use decide::Verdict;
use decide::catalog::{self as catalog_rules, ProductCatalog};
use decide::customers::CustomerDecider;
use decide::orders::{self as order_rules, CustomerMap, OrderDecider, OrderInput};
pub use error::ImportError;
use error::Side;
use report::{ImportReport, ReportBuilder};
use source::{Cursor, V1Customer, V1Item, V1Order, V1Payment, V1QueueEntry};
use target::Target;

pub use source::SUPPORTED_REVISIONS;

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Writes what is not imported yet, and registers customers in Cognito.
    Import,
    /// Decides everything and reports what an import would do; writes nothing anywhere.
    DryRun,
    /// Compares counts and totals derived from v1 with what postech holds; writes nothing.
    Verify,
}

/// How a run goes.
#[derive(Debug, Clone, Copy)]
pub struct ImportSettings {
    /// What it does.
    pub mode: Mode,
    /// Rows per batch: per cursor fetch, and per postech transaction.
    pub batch_size: usize,
}

/// Told how far the run is (the command line draws a progress bar with it).
pub trait Progress {
    /// A phase starts, with `total` rows to go through.
    fn start(&self, phase: &'static str, total: u64);
    /// `rows` more rows were gone through.
    fn advance(&self, rows: u64);
    /// The current phase ended.
    fn finish(&self);
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _phase: &'static str, _total: u64) {}
    fn advance(&self, _rows: u64) {}
    fn finish(&self) {}
}

/// Runs an import, a dry run or a verification of the v1 database at `v1_url` against the
/// postech database at `postech_url`. An import needs `registry` (Cognito).
///
/// Fails without writing anything more when a database, Cognito or the shape of v1 is a
/// problem; what earlier batches committed stays, and running again resumes.
pub fn run(
    v1_url: &str,
    postech_url: &str,
    settings: ImportSettings,
    registry: Option<&mut dyn IdentityRegistry>,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    if settings.mode == Mode::Import && registry.is_none() {
        return Err(ImportError::NoIdentityRegistry);
    }
    let started = Instant::now();
    let status = crate::status(postech_url).map_err(ImportError::Migrator)?;
    let pending = status.pending();
    if !pending.is_empty() || !status.unknown_applied.is_empty() {
        let names: Vec<String> = pending
            .iter()
            .map(|migration| migration.name.clone())
            .chain(
                status
                    .unknown_applied
                    .iter()
                    .map(|v| format!("{v} (unknown)")),
            )
            .collect();
        return Err(ImportError::NotMigrated {
            pending: names.join(", "),
        });
    }
    let mut postech =
        PgConnection::establish(postech_url).map_err(|source| ImportError::Connect {
            side: Side::Postech,
            source,
        })?;
    target::take_import_lock(&mut postech)?;
    let mut v1 = PgConnection::establish(v1_url).map_err(|source| ImportError::Connect {
        side: Side::V1,
        source,
    })?;
    let batch_size = settings.batch_size.max(1);
    v1.build_transaction()
        .repeatable_read()
        .read_only()
        .run(|v1| {
            let mut target = Target::new(&mut postech, settings.mode, registry);
            let mut builder = ReportBuilder::default();
            let revisions = source::check_shape(v1)?;
            let counts = source::row_counts(v1)?;
            let snapshot = source::snapshot_time(v1)?;

            progress.start("categories and products", counts[0] + counts[1]);
            let catalog = import_catalog(v1, &mut target, &mut builder, batch_size, progress)?;
            progress.finish();

            progress.start("customers", counts[2]);
            let customers = import_customers(v1, &mut target, &mut builder, batch_size, progress)?;
            progress.finish();

            progress.start("orders", counts[3]);
            let mut decider = OrderDecider::new(&catalog, &customers, snapshot);
            import_orders(
                v1,
                &mut target,
                &mut builder,
                &mut decider,
                batch_size,
                progress,
            )?;
            progress.finish();

            builder
                .finish(
                    settings.mode,
                    revisions,
                    batch_size,
                    counts,
                    target.tally,
                    started.elapsed().as_secs_f64(),
                )
                .map_err(ImportError::Internal)
        })
}

fn import_catalog(
    v1: &mut PgConnection,
    target: &mut Target<'_, '_>,
    builder: &mut ReportBuilder,
    batch_size: usize,
    progress: &dyn Progress,
) -> Result<ProductCatalog, ImportError> {
    let categories = source::categories(v1)?;
    let (verdicts, plan) = catalog_rules::decide_categories(&categories);
    target.categories(&verdicts)?;
    verdicts.iter().for_each(|verdict| builder.record(verdict));
    progress.advance(categories.len() as u64);

    let products = source::products(v1)?;
    let mut catalog: ProductCatalog = HashMap::with_capacity(products.len());
    for chunk in products.chunks(batch_size) {
        let decisions: Vec<_> = chunk
            .iter()
            .map(|product| catalog_rules::decide_product(product, &plan))
            .collect();
        target.products(&decisions)?;
        for (product, (verdict, row)) in chunk.iter().zip(&decisions) {
            builder.record(verdict);
            catalog.insert(product.id, catalog_rules::catalog_entry(row.as_ref()));
        }
        progress.advance(chunk.len() as u64);
    }
    Ok(catalog)
}

fn import_customers(
    v1: &mut PgConnection,
    target: &mut Target<'_, '_>,
    builder: &mut ReportBuilder,
    batch_size: usize,
    progress: &dyn Progress,
) -> Result<CustomerMap, ImportError> {
    let mut cursor: Cursor<V1Customer> =
        Cursor::open(v1, "v1_customers", source::CUSTOMERS_QUERY, batch_size)?;
    let mut decider = CustomerDecider::default();
    let mut map = CustomerMap::default();
    loop {
        let rows = cursor.next_batch(v1, batch_size)?;
        if rows.is_empty() {
            break;
        }
        let decisions = rows.iter().map(|row| decider.decide(row)).collect();
        for verdict in target.customers(decisions, &mut map)? {
            builder.record(&verdict);
        }
        progress.advance(rows.len() as u64);
    }
    Ok(map)
}

fn import_orders(
    v1: &mut PgConnection,
    target: &mut Target<'_, '_>,
    builder: &mut ReportBuilder,
    decider: &mut OrderDecider<'_>,
    batch_size: usize,
    progress: &dyn Progress,
) -> Result<(), ImportError> {
    let mut orders: Cursor<V1Order> =
        Cursor::open(v1, "v1_orders", source::ORDERS_QUERY, batch_size)?;
    let mut items: Cursor<V1Item> = Cursor::open(v1, "v1_items", source::ITEMS_QUERY, batch_size)?;
    let mut payments: Cursor<V1Payment> =
        Cursor::open(v1, "v1_payments", source::PAYMENTS_QUERY, batch_size)?;
    let mut queue: Cursor<V1QueueEntry> =
        Cursor::open(v1, "v1_queue", source::QUEUE_QUERY, batch_size)?;
    loop {
        let batch = orders.next_batch(v1, batch_size)?;
        let Some(last) = batch.last().map(|order| order.id) else {
            break;
        };
        let mut inputs: Vec<OrderInput> = batch
            .into_iter()
            .map(|order| OrderInput {
                order,
                items: Vec::new(),
                payments: Vec::new(),
                queue: None,
            })
            .collect();
        let index: HashMap<Uuid, usize> = inputs
            .iter()
            .enumerate()
            .map(|(position, input)| (input.order.id, position))
            .collect();
        let mut orphans = Vec::new();
        for item in items.take_through(v1, last, |item| item.pedido_id)? {
            match index.get(&item.pedido_id) {
                Some(&position) => inputs[position].items.push(item),
                None => orphans.push(order_rules::orphan_item(&item)),
            }
        }
        for payment in payments.take_through(v1, last, |payment| payment.pedido_id)? {
            match index.get(&payment.pedido_id) {
                Some(&position) => inputs[position].payments.push(payment),
                None => orphans.push(order_rules::orphan_payment(&payment)),
            }
        }
        for entry in queue.take_through(v1, last, |entry| entry.id)? {
            match index.get(&entry.id) {
                Some(&position) => inputs[position].queue = Some(entry),
                None => orphans.push(order_rules::orphan_queue_entry(&entry)),
            }
        }
        let decisions: Vec<_> = inputs.iter().map(|input| decider.decide(input)).collect();
        target.orders(&decisions, &orphans)?;
        for decision in &decisions {
            builder.record(&decision.verdict);
            let items = decision.items.iter().map(|(verdict, _)| verdict);
            let payments = decision.payments.iter().map(|(verdict, _)| verdict);
            items
                .chain(payments)
                .for_each(|verdict| builder.record(verdict));
            if let Some(verdict) = &decision.queue {
                builder.record(verdict);
            }
        }
        orphans.iter().for_each(|verdict| builder.record(verdict));
        progress.advance(inputs.len() as u64);
    }
    // Whatever is left points at orders beyond the last one: none of them exists.
    loop {
        let mut orphans: Vec<Verdict> = Vec::new();
        orphans.extend(
            items
                .next_batch(v1, batch_size)?
                .iter()
                .map(order_rules::orphan_item),
        );
        orphans.extend(
            payments
                .next_batch(v1, batch_size)?
                .iter()
                .map(order_rules::orphan_payment),
        );
        orphans.extend(
            queue
                .next_batch(v1, batch_size)?
                .iter()
                .map(order_rules::orphan_queue_entry),
        );
        if orphans.is_empty() {
            break;
        }
        target.orders(&[], &orphans)?;
        orphans.iter().for_each(|verdict| builder.record(verdict));
    }
    Ok(())
}
