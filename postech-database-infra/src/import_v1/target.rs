//! The postech side: what is already there, and — in an import — writing one batch per
//! transaction (rows, status history, notes; Cognito identities before the commit).
//!
//! Imported rows keep their v1 ids, so "already imported" is "the id exists": a rerun, or a
//! run resumed after a crash, writes exactly the rows a previous run did not commit, and a
//! second complete run writes nothing at all. Notes are written only when they change.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, SmallInt, Text, Timestamptz};
use uuid::Uuid;

use super::Mode;
use super::cognito::{IdentityRegistry, PendingIdentity};
use super::decide::Verdict;
use super::decide::catalog::ProductRow;
use super::decide::customers::{CustomerDecision, CustomerRow};
use super::decide::orders::{CustomerMap, IMPORT_ACTOR, OrderDecision, V1_PROVIDER};
use super::error::ImportError;
use super::rules::{Entity, Outcome, Rule};
use postech_shared_sdk::cognito::NewCustomerIdentity;

type SqlUuid = diesel::sql_types::Uuid;

/// The advisory lock key of `import-v1`: the ASCII bytes of "postechI".
pub const IMPORT_LOCK_KEY: i64 = 0x706f_7374_6563_6849;

/// What the postech side counted.
#[derive(Debug, Default)]
pub struct Tally {
    /// Rows written by this run (an import) or that would be (a dry run), per entity.
    pub written: BTreeMap<Entity, u64>,
    /// Rows an earlier run already imported, per entity.
    pub already_present: BTreeMap<Entity, u64>,
    /// Notes inserted, updated or deleted (an import).
    pub notes_changed: u64,
    /// Cognito identities registered (an import) or to register (a dry run).
    pub identities: u64,
    /// `--verify`: (entity, measure) → expected from v1.
    pub expected: BTreeMap<(Entity, String), i128>,
    /// `--verify`: (entity, measure) → found in postech.
    pub found: BTreeMap<(Entity, String), i128>,
}

impl Tally {
    fn add(map: &mut BTreeMap<Entity, u64>, entity: Entity, count: usize) {
        *map.entry(entity).or_default() += count as u64;
    }

    fn measure(&mut self, entity: Entity, measure: &str, expected: i128, found: i128) {
        *self
            .expected
            .entry((entity, measure.to_owned()))
            .or_default() += expected;
        *self.found.entry((entity, measure.to_owned())).or_default() += found;
    }
}

/// Whether a decided row is written, new, or already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RowState {
    NotWritten,
    New,
    AlreadyPresent,
}

/// The postech database, in the run's mode.
pub struct Target<'a, 'r> {
    connection: &'a mut PgConnection,
    mode: Mode,
    registry: Option<&'a mut (dyn IdentityRegistry + 'r)>,
    /// What was counted so far.
    pub tally: Tally,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct LockAnswer {
    #[diesel(sql_type = Bool)]
    acquired: bool,
}

#[derive(QueryableByName)]
struct HolderRow {
    #[diesel(sql_type = Text)]
    holder: String,
}

/// Takes the session-level import lock, so two imports never interleave their batches.
/// Released when the connection closes.
pub fn take_import_lock(connection: &mut PgConnection) -> Result<(), ImportError> {
    let answer: LockAnswer = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS acquired")
        .bind::<BigInt, _>(IMPORT_LOCK_KEY)
        .get_result(connection)
        .map_err(ImportError::query("taking the import lock"))?;
    if answer.acquired {
        return Ok(());
    }
    let holder = diesel::sql_query(
        "SELECT coalesce(string_agg(pid::text, ', '), 'unknown') AS holder FROM pg_locks \
          WHERE locktype = 'advisory' AND granted \
            AND ((classid::bigint << 32) | objid::bigint) = $1",
    )
    .bind::<BigInt, _>(IMPORT_LOCK_KEY)
    .get_result::<HolderRow>(connection)
    .map(|row| row.holder)
    .unwrap_or_else(|_| "unknown".to_owned());
    Err(ImportError::AlreadyRunning { holder })
}

impl<'a, 'r> Target<'a, 'r> {
    /// The target in `mode`; an import registers customers through `registry`.
    pub fn new(
        connection: &'a mut PgConnection,
        mode: Mode,
        registry: Option<&'a mut (dyn IdentityRegistry + 'r)>,
    ) -> Self {
        Self {
            connection,
            mode,
            registry,
            tally: Tally::default(),
        }
    }

    /// Categories are seeded by the migrations: only their notes are written.
    pub fn categories(&mut self, verdicts: &[Verdict]) -> Result<(), ImportError> {
        let noted: Vec<(&Verdict, RowState)> = verdicts
            .iter()
            .map(|verdict| (verdict, RowState::NotWritten))
            .collect();
        match self.mode {
            Mode::Import => {
                let changed = self
                    .connection
                    .transaction(|connection| write_notes(connection, Entity::Category, &noted))?;
                self.tally.notes_changed += changed;
            }
            Mode::DryRun => {}
            Mode::Verify => self.verify_rejects(Entity::Category, verdicts)?,
        }
        Ok(())
    }

    /// One batch of products.
    pub fn products(&mut self, batch: &[(Verdict, Option<ProductRow>)]) -> Result<(), ImportError> {
        let ids: Vec<Uuid> = batch
            .iter()
            .filter_map(|(_, row)| row.as_ref())
            .map(|row| row.id)
            .collect();
        if self.mode == Mode::Verify {
            let rows: Vec<&ProductRow> = batch.iter().filter_map(|(_, row)| row.as_ref()).collect();
            let found = products_measures(self.connection, &ids)?;
            self.tally
                .measure(Entity::Product, "rows", rows.len() as i128, found.0);
            let cents: i128 = rows.iter().map(|row| i128::from(row.price_cents)).sum();
            self.tally
                .measure(Entity::Product, "price cents", cents, found.1);
            let stock: i128 = rows.iter().map(|row| i128::from(row.stock)).sum();
            self.tally.measure(Entity::Product, "stock", stock, found.2);
            let verdicts: Vec<Verdict> = batch.iter().map(|(verdict, _)| verdict.clone()).collect();
            return self.verify_rejects(Entity::Product, &verdicts);
        }
        let mode = self.mode;
        let (written, present, notes) = self.connection.transaction(|connection| {
            let existing = existing_ids(connection, "products", &ids)?;
            let states = states(
                batch
                    .iter()
                    .map(|(verdict, row)| (verdict, row.as_ref().map(|row| row.id))),
                &existing,
            );
            let new: Vec<&ProductRow> = batch
                .iter()
                .filter_map(|(_, row)| row.as_ref())
                .filter(|row| !existing.contains(&row.id))
                .collect();
            let mut notes = 0;
            if mode == Mode::Import {
                insert_products(connection, &new)?;
                notes = write_notes(connection, Entity::Product, &states)?;
            }
            Ok::<_, ImportError>((new.len(), existing.len(), notes))
        })?;
        Tally::add(&mut self.tally.written, Entity::Product, written);
        Tally::add(&mut self.tally.already_present, Entity::Product, present);
        self.tally.notes_changed += notes;
        Ok(())
    }

    /// One batch of customers, in v1 id order. Resolves where each goes (against postech
    /// too: a CPF postech already holds merges the v1 customer into that customer), records
    /// it in `map`, registers new customers with a CPF in Cognito before the commit (an
    /// import), and returns the final verdicts.
    pub fn customers(
        &mut self,
        decisions: Vec<CustomerDecision>,
        map: &mut CustomerMap,
    ) -> Result<Vec<Verdict>, ImportError> {
        let mode = self.mode;
        let registry = &mut self.registry;
        let tally = &mut self.tally;
        self.connection.transaction(|connection| {
            let survivor_ids: Vec<Uuid> = decisions
                .iter()
                .filter_map(|decision| decision.row.as_ref().map(|row| row.id))
                .collect();
            let existing = existing_ids(connection, "customers", &survivor_ids)?;
            let keys: Vec<String> = decisions.iter().map(|d| d.verdict.v1_key.clone()).collect();
            let earlier_merges = merged_notes(connection, &keys)?;
            let candidates: Vec<&CustomerRow> = decisions
                .iter()
                .filter_map(|decision| decision.row.as_ref())
                .filter(|row| !existing.contains(&row.id) && !earlier_merges.contains_key(&row.id))
                .collect();
            let (cpf_holders, taken_emails) = if mode == Mode::Verify {
                (HashMap::new(), HashSet::new())
            } else {
                postech_holders(connection, &candidates)?
            };

            let mut verdicts = Vec::with_capacity(decisions.len());
            let mut new_rows: Vec<CustomerRow> = Vec::new();
            // Customers that stay under their own id, and whether they have a CPF.
            let mut kept: Vec<(Uuid, bool)> = Vec::new();
            let mut row_states: Vec<(Verdict, RowState)> = Vec::new();
            for decision in decisions {
                let CustomerDecision {
                    mut verdict,
                    row,
                    merged_into,
                } = decision;
                let state = match (row, merged_into) {
                    (None, Some(owner)) => {
                        let target = map.resolve(owner).ok_or_else(|| {
                            ImportError::Internal(format!(
                                "customer {} merged into {owner}, which was not decided before it",
                                verdict.v1_key
                            ))
                        })?;
                        verdict.postech_id = Some(target);
                        if let Ok(v1_id) = verdict.v1_key.parse::<Uuid>() {
                            map.merge(v1_id, target);
                        }
                        RowState::NotWritten
                    }
                    (Some(row), _) if existing.contains(&row.id) => {
                        map.keep(row.id);
                        kept.push((row.id, row.cpf.is_some()));
                        RowState::AlreadyPresent
                    }
                    (Some(row), _) if earlier_merges.contains_key(&row.id) => {
                        let target = earlier_merges[&row.id];
                        merge_into_postech(&mut verdict, target);
                        map.merge(row.id, target);
                        RowState::AlreadyPresent
                    }
                    (Some(mut row), _) => {
                        let holder = row
                            .cpf
                            .as_ref()
                            .and_then(|cpf| cpf_holders.get(cpf.as_digits()));
                        if let Some(&target) = holder {
                            merge_into_postech(&mut verdict, target);
                            map.merge(row.id, target);
                            RowState::NotWritten
                        } else {
                            if row
                                .email
                                .as_ref()
                                .is_some_and(|email| taken_emails.contains(email))
                            {
                                verdict.apply(Rule::EmailTakenInPostech);
                                row.email = None;
                            }
                            map.keep(row.id);
                            kept.push((row.id, row.cpf.is_some()));
                            new_rows.push(row);
                            RowState::New
                        }
                    }
                    (None, None) => RowState::NotWritten,
                };
                row_states.push((verdict.clone(), state));
                verdicts.push(verdict);
            }

            match mode {
                Mode::Verify => {
                    let ids: Vec<Uuid> = kept.iter().map(|(id, _)| *id).collect();
                    let (rows, with_cpf, with_username) = customers_measures(connection, &ids)?;
                    let expected_cpfs = kept.iter().filter(|(_, has_cpf)| *has_cpf).count() as i128;
                    tally.measure(Entity::Customer, "rows", kept.len() as i128, rows);
                    tally.measure(Entity::Customer, "with CPF", expected_cpfs, with_cpf);
                    tally.measure(
                        Entity::Customer,
                        "with Cognito username",
                        expected_cpfs,
                        with_username,
                    );
                }
                Mode::DryRun => {
                    Tally::add(&mut tally.written, Entity::Customer, new_rows.len());
                    Tally::add(&mut tally.already_present, Entity::Customer, existing.len());
                    tally.identities +=
                        new_rows.iter().filter(|row| row.cpf.is_some()).count() as u64;
                }
                Mode::Import => {
                    let pending: Vec<PendingIdentity> = new_rows
                        .iter()
                        .filter_map(|row| {
                            row.cpf.as_ref().map(|cpf| PendingIdentity {
                                v1_customer: row.id,
                                identity: NewCustomerIdentity {
                                    cpf: cpf.clone(),
                                    customer_id: row.id.into(),
                                    name: row.name.clone(),
                                    email: row.email.clone(),
                                },
                            })
                        })
                        .collect();
                    if !pending.is_empty() {
                        let registry = registry.as_mut().ok_or(ImportError::NoIdentityRegistry)?;
                        registry.register(&pending)?;
                    }
                    insert_customers(connection, &new_rows)?;
                    let states: Vec<(&Verdict, RowState)> = row_states
                        .iter()
                        .map(|(verdict, state)| (verdict, *state))
                        .collect();
                    tally.notes_changed += write_notes(connection, Entity::Customer, &states)?;
                    Tally::add(&mut tally.written, Entity::Customer, new_rows.len());
                    Tally::add(&mut tally.already_present, Entity::Customer, existing.len());
                    tally.identities += pending.len() as u64;
                }
            }
            Ok(verdicts)
        })
    }

    /// One batch of orders with their lines, payments and queue rows, and the rows of the
    /// same key range that point at no order.
    pub fn orders(
        &mut self,
        decisions: &[OrderDecision],
        orphans: &[Verdict],
    ) -> Result<(), ImportError> {
        let order_ids: Vec<Uuid> = decisions
            .iter()
            .filter_map(|decision| decision.row.as_ref().map(|row| row.id))
            .collect();
        let payment_ids: Vec<Uuid> = decisions
            .iter()
            .flat_map(|decision| decision.payments.iter())
            .filter_map(|(_, row)| row.as_ref().map(|row| row.id))
            .collect();
        if self.mode == Mode::Verify {
            return self.verify_orders(decisions, orphans, &order_ids, &payment_ids);
        }
        let mode = self.mode;
        let tally = &mut self.tally;
        self.connection.transaction(|connection| {
            let existing_orders = existing_ids(connection, "orders", &order_ids)?;
            let existing_payments = existing_ids(connection, "payments", &payment_ids)?;
            let existing_items = existing_item_keys(connection, &order_ids)?;

            let order_states = states(
                decisions
                    .iter()
                    .map(|d| (&d.verdict, d.row.as_ref().map(|row| row.id))),
                &existing_orders,
            );
            let new_orders: Vec<&OrderDecision> = decisions
                .iter()
                .filter(|d| {
                    d.row
                        .as_ref()
                        .is_some_and(|row| !existing_orders.contains(&row.id))
                })
                .collect();
            let mut item_states = Vec::new();
            let mut new_items = Vec::new();
            let mut payment_states = Vec::new();
            let mut new_payments = Vec::new();
            let mut queue_states = Vec::new();
            for decision in decisions {
                for (verdict, row) in &decision.items {
                    let state = match row {
                        None => RowState::NotWritten,
                        Some(row) if existing_items.contains(&(row.order_id, row.product_id)) => {
                            RowState::AlreadyPresent
                        }
                        Some(row) => {
                            new_items.push(row);
                            RowState::New
                        }
                    };
                    item_states.push((verdict, state));
                }
                for (verdict, row) in &decision.payments {
                    let state = match row {
                        None => RowState::NotWritten,
                        Some(row) if existing_payments.contains(&row.id) => {
                            RowState::AlreadyPresent
                        }
                        Some(row) => {
                            new_payments.push(row);
                            RowState::New
                        }
                    };
                    payment_states.push((verdict, state));
                }
                if let Some(verdict) = &decision.queue {
                    queue_states.push((verdict, RowState::NotWritten));
                }
            }
            for verdict in orphans {
                let state = (verdict, RowState::NotWritten);
                match verdict.entity {
                    Entity::OrderItem => item_states.push(state),
                    Entity::Payment => payment_states.push(state),
                    _ => queue_states.push(state),
                }
            }

            if mode == Mode::Import {
                insert_orders(connection, &new_orders)?;
                insert_items(connection, &new_items)?;
                insert_payments(connection, &new_payments)?;
                for (entity, states) in [
                    (Entity::Order, &order_states),
                    (Entity::OrderItem, &item_states),
                    (Entity::Payment, &payment_states),
                    (Entity::QueueEntry, &queue_states),
                ] {
                    tally.notes_changed += write_notes(connection, entity, states)?;
                }
            }
            Tally::add(&mut tally.written, Entity::Order, new_orders.len());
            Tally::add(
                &mut tally.already_present,
                Entity::Order,
                existing_orders.len(),
            );
            Tally::add(&mut tally.written, Entity::OrderItem, new_items.len());
            let present_items = item_states
                .iter()
                .filter(|(_, state)| *state == RowState::AlreadyPresent)
                .count();
            Tally::add(&mut tally.already_present, Entity::OrderItem, present_items);
            Tally::add(&mut tally.written, Entity::Payment, new_payments.len());
            Tally::add(
                &mut tally.already_present,
                Entity::Payment,
                existing_payments.len(),
            );
            Ok(())
        })
    }

    fn verify_orders(
        &mut self,
        decisions: &[OrderDecision],
        orphans: &[Verdict],
        order_ids: &[Uuid],
        payment_ids: &[Uuid],
    ) -> Result<(), ImportError> {
        let rows: Vec<_> = decisions.iter().filter_map(|d| d.row.as_ref()).collect();
        let (count, cents, not_marked, statuses) = orders_measures(self.connection, order_ids)?;
        self.tally
            .measure(Entity::Order, "rows", rows.len() as i128, count);
        self.tally.measure(
            Entity::Order,
            "marked imported_from_v1",
            rows.len() as i128,
            count - not_marked,
        );
        let total: i128 = rows.iter().map(|row| i128::from(row.total_cents)).sum();
        self.tally
            .measure(Entity::Order, "total cents", total, cents);
        let mut expected_statuses: BTreeMap<&str, i128> = BTreeMap::new();
        for row in &rows {
            *expected_statuses.entry(row.status).or_default() += 1;
        }
        for code in crate::codes::ORDER_STATUSES {
            self.tally.measure(
                Entity::Order,
                &format!("status {code}"),
                expected_statuses.get(code).copied().unwrap_or_default(),
                statuses.get(code).copied().unwrap_or_default(),
            );
        }

        let items: Vec<_> = decisions
            .iter()
            .flat_map(|d| d.items.iter())
            .filter_map(|(_, row)| row.as_ref())
            .collect();
        let found = items_measures(self.connection, order_ids)?;
        self.tally
            .measure(Entity::OrderItem, "rows", items.len() as i128, found.0);
        let quantity: i128 = items.iter().map(|row| i128::from(row.quantity)).sum();
        self.tally
            .measure(Entity::OrderItem, "quantity", quantity, found.1);
        let line_cents: i128 = items
            .iter()
            .map(|row| i128::from(row.unit_price_cents) * i128::from(row.quantity))
            .sum();
        self.tally
            .measure(Entity::OrderItem, "line total cents", line_cents, found.2);

        let payments: Vec<_> = decisions
            .iter()
            .flat_map(|d| d.payments.iter())
            .filter_map(|(_, row)| row.as_ref())
            .collect();
        let found = payments_measures(self.connection, payment_ids)?;
        self.tally
            .measure(Entity::Payment, "rows", payments.len() as i128, found.0);
        let amount: i128 = payments
            .iter()
            .map(|row| i128::from(row.amount_cents))
            .sum();
        self.tally
            .measure(Entity::Payment, "amount cents", amount, found.1);

        let mut by_entity: BTreeMap<Entity, Vec<Verdict>> = BTreeMap::new();
        for decision in decisions {
            by_entity
                .entry(Entity::Order)
                .or_default()
                .push(decision.verdict.clone());
            let dependents = decision.items.iter().map(|(verdict, _)| verdict);
            for verdict in dependents.chain(decision.payments.iter().map(|(verdict, _)| verdict)) {
                by_entity
                    .entry(verdict.entity)
                    .or_default()
                    .push(verdict.clone());
            }
            if let Some(verdict) = &decision.queue {
                by_entity
                    .entry(Entity::QueueEntry)
                    .or_default()
                    .push(verdict.clone());
            }
        }
        for verdict in orphans {
            by_entity
                .entry(verdict.entity)
                .or_default()
                .push(verdict.clone());
        }
        for (entity, verdicts) in by_entity {
            self.verify_rejects(entity, &verdicts)?;
        }
        Ok(())
    }

    /// `--verify`: every refused row of the batch has its note.
    fn verify_rejects(&mut self, entity: Entity, verdicts: &[Verdict]) -> Result<(), ImportError> {
        let keys: Vec<String> = verdicts
            .iter()
            .filter(|verdict| verdict.outcome() == Outcome::Rejected)
            .map(|verdict| verdict.v1_key.clone())
            .collect();
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            count: i64,
        }
        let found: Count = diesel::sql_query(
            "SELECT count(*) AS count FROM v1_import_notes \
              WHERE entity = $1 AND outcome = 'rejected' AND v1_key = ANY($2)",
        )
        .bind::<Text, _>(entity.code())
        .bind::<Array<Text>, _>(&keys)
        .get_result(self.connection)
        .map_err(ImportError::query("counting the notes of refused rows"))?;
        self.tally.measure(
            entity,
            "refusal notes",
            keys.len() as i128,
            i128::from(found.count),
        );
        Ok(())
    }
}

fn merge_into_postech(verdict: &mut Verdict, target: Uuid) {
    verdict.apply_with(
        Rule::MergedIntoPostechCustomer,
        format!("merged into postech customer {target}"),
    );
    verdict.postech_id = Some(target);
}

fn states<'v>(
    rows: impl Iterator<Item = (&'v Verdict, Option<Uuid>)>,
    existing: &HashSet<Uuid>,
) -> Vec<(&'v Verdict, RowState)> {
    rows.map(|(verdict, id)| {
        let state = match id {
            None => RowState::NotWritten,
            Some(id) if existing.contains(&id) => RowState::AlreadyPresent,
            Some(_) => RowState::New,
        };
        (verdict, state)
    })
    .collect()
}

fn existing_ids(
    connection: &mut PgConnection,
    table: &'static str,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, ImportError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<IdRow> = diesel::sql_query(format!("SELECT id FROM {table} WHERE id = ANY($1)"))
        .bind::<Array<SqlUuid>, _>(ids)
        .load(connection)
        .map_err(ImportError::query("looking for rows already imported"))?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

#[derive(QueryableByName)]
struct ItemKey {
    #[diesel(sql_type = SqlUuid)]
    order_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    product_id: Uuid,
}

fn existing_item_keys(
    connection: &mut PgConnection,
    order_ids: &[Uuid],
) -> Result<HashSet<(Uuid, Uuid)>, ImportError> {
    if order_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<ItemKey> =
        diesel::sql_query("SELECT order_id, product_id FROM order_items WHERE order_id = ANY($1)")
            .bind::<Array<SqlUuid>, _>(order_ids)
            .load(connection)
            .map_err(ImportError::query(
                "looking for order lines already imported",
            ))?;
    Ok(rows
        .into_iter()
        .map(|row| (row.order_id, row.product_id))
        .collect())
}

#[derive(QueryableByName)]
struct MergeNote {
    #[diesel(sql_type = Text)]
    v1_key: String,
    #[diesel(sql_type = SqlUuid)]
    postech_id: Uuid,
}

/// Customers an earlier run merged into a postech customer, by v1 id.
fn merged_notes(
    connection: &mut PgConnection,
    keys: &[String],
) -> Result<HashMap<Uuid, Uuid>, ImportError> {
    let rows: Vec<MergeNote> = diesel::sql_query(
        "SELECT v1_key, postech_id FROM v1_import_notes \
          WHERE entity = 'customer' AND outcome = 'merged' AND postech_id IS NOT NULL \
            AND 'merged_into_postech_customer' = ANY(rules) AND v1_key = ANY($1)",
    )
    .bind::<Array<Text>, _>(keys)
    .load(connection)
    .map_err(ImportError::query("reading earlier customer merges"))?;
    Ok(rows
        .into_iter()
        .filter_map(|row| row.v1_key.parse().ok().map(|id| (id, row.postech_id)))
        .collect())
}

#[derive(QueryableByName)]
struct CpfHolder {
    #[diesel(sql_type = Text)]
    cpf: String,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct TakenEmail {
    #[diesel(sql_type = Text)]
    email: String,
}

/// Which candidates' CPFs and e-mails postech customers already hold.
fn postech_holders(
    connection: &mut PgConnection,
    candidates: &[&CustomerRow],
) -> Result<(HashMap<String, Uuid>, HashSet<String>), ImportError> {
    let cpfs: Vec<&str> = candidates
        .iter()
        .filter_map(|row| row.cpf.as_ref().map(|cpf| cpf.as_digits()))
        .collect();
    let emails: Vec<&str> = candidates
        .iter()
        .filter_map(|row| row.email.as_deref())
        .collect();
    let holders: Vec<CpfHolder> = if cpfs.is_empty() {
        Vec::new()
    } else {
        diesel::sql_query("SELECT cpf::text AS cpf, id FROM customers WHERE cpf = ANY($1)")
            .bind::<Array<Text>, _>(&cpfs)
            .load(connection)
            .map_err(ImportError::query("looking for CPFs postech already has"))?
    };
    let taken: Vec<TakenEmail> = if emails.is_empty() {
        Vec::new()
    } else {
        diesel::sql_query(
            "SELECT lower(email) AS email FROM customers WHERE lower(email) = ANY($1)",
        )
        .bind::<Array<Text>, _>(&emails)
        .load(connection)
        .map_err(ImportError::query(
            "looking for e-mails postech already has",
        ))?
    };
    Ok((
        holders.into_iter().map(|row| (row.cpf, row.id)).collect(),
        taken.into_iter().map(|row| row.email).collect(),
    ))
}

/// Inserts, updates (only when different) or deletes the notes of a batch: a note for every
/// row with a rule that this run decides (not for rows an earlier run imported), none for a
/// row written clean now (a refusal an earlier run noted and a fixed v1 row now imports).
fn write_notes(
    connection: &mut PgConnection,
    entity: Entity,
    rows: &[(&Verdict, RowState)],
) -> Result<u64, ImportError> {
    let noted: Vec<&Verdict> = rows
        .iter()
        .filter(|(verdict, state)| !verdict.rules.is_empty() && *state != RowState::AlreadyPresent)
        .map(|(verdict, _)| *verdict)
        .collect();
    let cleared: Vec<&str> = rows
        .iter()
        .filter(|(verdict, state)| verdict.rules.is_empty() && *state == RowState::New)
        .map(|(verdict, _)| verdict.v1_key.as_str())
        .collect();
    let mut changed = 0;
    if !noted.is_empty() {
        let keys: Vec<&str> = noted.iter().map(|v| v.v1_key.as_str()).collect();
        let outcomes: Vec<&str> = noted.iter().map(|v| v.outcome().code()).collect();
        let rules: Vec<String> = noted.iter().map(|v| v.rule_codes()).collect();
        let details: Vec<String> = noted.iter().map(|v| v.detail_text()).collect();
        let targets: Vec<Option<Uuid>> = noted
            .iter()
            .map(|v| match v.outcome() {
                Outcome::Rejected | Outcome::Superseded => None,
                _ => v.postech_id,
            })
            .collect();
        changed += diesel::sql_query(
            "INSERT INTO v1_import_notes (entity, v1_key, outcome, rules, detail, postech_id) \
             SELECT $1, key, outcome, string_to_array(rules, ','), detail, target \
               FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[]) \
                    AS note(key, outcome, rules, detail, target) \
             ON CONFLICT (entity, v1_key) DO UPDATE \
                SET outcome = excluded.outcome, rules = excluded.rules, \
                    detail = excluded.detail, postech_id = excluded.postech_id, \
                    recorded_at = now() \
              WHERE (v1_import_notes.outcome, v1_import_notes.rules, v1_import_notes.detail, \
                     v1_import_notes.postech_id) \
                    IS DISTINCT FROM \
                    (excluded.outcome, excluded.rules, excluded.detail, excluded.postech_id)",
        )
        .bind::<Text, _>(entity.code())
        .bind::<Array<Text>, _>(&keys)
        .bind::<Array<Text>, _>(&outcomes)
        .bind::<Array<Text>, _>(&rules)
        .bind::<Array<Text>, _>(&details)
        .bind::<Array<Nullable<SqlUuid>>, _>(&targets)
        .execute(connection)
        .map_err(ImportError::query("writing import notes"))? as u64;
    }
    if !cleared.is_empty() {
        changed +=
            diesel::sql_query("DELETE FROM v1_import_notes WHERE entity = $1 AND v1_key = ANY($2)")
                .bind::<Text, _>(entity.code())
                .bind::<Array<Text>, _>(&cleared)
                .execute(connection)
                .map_err(ImportError::query("clearing import notes"))? as u64;
    }
    Ok(changed)
}

fn insert_products(connection: &mut PgConnection, rows: &[&ProductRow]) -> Result<(), ImportError> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO products (id, category_id, name, description, price, image_url, \
                               stock_available, active) \
         SELECT id, category_id, name, description, cents::numeric / 100, image_url, stock, active \
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bigint[], \
                       $6::text[], $7::integer[], $8::boolean[]) \
                AS product(id, category_id, name, description, cents, image_url, stock, active)",
    )
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.category_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        rows.iter()
            .map(|r| r.description.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.price_cents).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        rows.iter()
            .map(|r| r.image_url.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Integer>, _>(rows.iter().map(|r| r.stock).collect::<Vec<_>>())
    .bind::<Array<Bool>, _>(rows.iter().map(|r| r.active).collect::<Vec<_>>())
    .execute(connection)
    .map_err(ImportError::query("inserting products"))?;
    Ok(())
}

fn insert_customers(
    connection: &mut PgConnection,
    rows: &[CustomerRow],
) -> Result<(), ImportError> {
    if rows.is_empty() {
        return Ok(());
    }
    let cpfs: Vec<Option<&str>> = rows
        .iter()
        .map(|r| r.cpf.as_ref().map(|cpf| cpf.as_digits()))
        .collect();
    // The Cognito username is the CPF (ARCHITECTURE.md); every CPF here was registered, so
    // its identity is confirmed; v1 customers keep a usable account (e-mail as verified), as
    // the migration that added the registration states does for rows already present.
    diesel::sql_query(
        "INSERT INTO customers (id, name, email, cpf, cognito_username, \
                                identity_confirmed_at, email_verified_at) \
         SELECT id, name, email, cpf, cpf, \
                CASE WHEN cpf IS NOT NULL THEN now() END, \
                CASE WHEN cpf IS NOT NULL AND email IS NOT NULL THEN now() END \
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) \
                AS customer(id, name, email, cpf)",
    )
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.name.as_deref()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.email.as_deref()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(&cpfs)
    .execute(connection)
    .map_err(ImportError::query("inserting customers"))?;
    Ok(())
}

fn insert_orders(
    connection: &mut PgConnection,
    orders: &[&OrderDecision],
) -> Result<(), ImportError> {
    let rows: Vec<_> = orders.iter().filter_map(|d| d.row.as_ref()).collect();
    if rows.is_empty() {
        return Ok(());
    }
    // WITH ORDINALITY keeps the batch's order, so display numbers follow v1 id order.
    diesel::sql_query(
        "INSERT INTO orders (id, customer_id, status, total, notes, created_at, imported_from_v1) \
         SELECT id, customer_id, status, cents::numeric / 100, notes, created_at, true \
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], \
                       $6::timestamptz[]) WITH ORDINALITY \
                AS o(id, customer_id, status, cents, notes, created_at, position) \
          ORDER BY position",
    )
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind::<Array<Nullable<SqlUuid>>, _>(rows.iter().map(|r| r.customer_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.status).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.total_cents).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.notes.as_deref()).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.created_at).collect::<Vec<_>>())
    .execute(connection)
    .map_err(ImportError::query("inserting orders"))?;

    let mut order_ids = Vec::new();
    let mut from = Vec::new();
    let mut to = Vec::new();
    let mut at: Vec<DateTime<Utc>> = Vec::new();
    for row in &rows {
        for (from_status, to_status) in &row.history {
            order_ids.push(row.id);
            from.push(*from_status);
            to.push(*to_status);
            at.push(row.created_at);
        }
    }
    diesel::sql_query(
        "INSERT INTO order_status_history (order_id, from_status, to_status, changed_at, actor) \
         SELECT order_id, from_status, to_status, changed_at, $5 \
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY \
                AS h(order_id, from_status, to_status, changed_at, position) \
          ORDER BY position",
    )
    .bind::<Array<SqlUuid>, _>(&order_ids)
    .bind::<Array<Nullable<Text>>, _>(&from)
    .bind::<Array<Text>, _>(&to)
    .bind::<Array<Timestamptz>, _>(&at)
    .bind::<Text, _>(IMPORT_ACTOR)
    .execute(connection)
    .map_err(ImportError::query("inserting the status history of orders"))?;
    Ok(())
}

fn insert_items(
    connection: &mut PgConnection,
    rows: &[&super::decide::orders::ItemRow],
) -> Result<(), ImportError> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO order_items (order_id, product_id, position, product_name, unit_price, \
                                  quantity, created_at) \
         SELECT order_id, product_id, position, product_name, cents::numeric / 100, quantity, \
                created_at \
           FROM unnest($1::uuid[], $2::uuid[], $3::smallint[], $4::text[], $5::bigint[], \
                       $6::integer[], $7::timestamptz[]) \
                AS i(order_id, product_id, position, product_name, cents, quantity, created_at)",
    )
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.order_id).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.product_id).collect::<Vec<_>>())
    .bind::<Array<SmallInt>, _>(rows.iter().map(|r| r.position).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        rows.iter()
            .map(|r| r.product_name.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.unit_price_cents).collect::<Vec<_>>())
    .bind::<Array<Integer>, _>(rows.iter().map(|r| r.quantity).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.created_at).collect::<Vec<_>>())
    .execute(connection)
    .map_err(ImportError::query("inserting order lines"))?;
    Ok(())
}

fn insert_payments(
    connection: &mut PgConnection,
    rows: &[&super::decide::orders::PaymentRow],
) -> Result<(), ImportError> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "INSERT INTO payments (id, order_id, provider, provider_payment_id, provider_reference, \
                               status, amount, qr_code_url, confirmed_at, created_at) \
         SELECT id, order_id, $1, payment_id, reference, status, cents::numeric / 100, \
                qr_code_url, confirmed_at, created_at \
           FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], \
                       $7::bigint[], $8::text[], $9::timestamptz[], $10::timestamptz[]) \
                AS p(id, order_id, payment_id, reference, status, cents, qr_code_url, \
                     confirmed_at, created_at)",
    )
    .bind::<Text, _>(V1_PROVIDER)
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.order_id).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        rows.iter()
            .map(|r| r.provider_payment_id.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Text>>, _>(
        rows.iter()
            .map(|r| r.provider_reference.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(rows.iter().map(|r| r.status).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.amount_cents).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        rows.iter()
            .map(|r| r.qr_code_url.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamptz>>, _>(
        rows.iter().map(|r| r.confirmed_at).collect::<Vec<_>>(),
    )
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.created_at).collect::<Vec<_>>())
    .execute(connection)
    .map_err(ImportError::query("inserting payments"))?;
    Ok(())
}

#[derive(QueryableByName)]
struct Measures3 {
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = BigInt)]
    b: i64,
    #[diesel(sql_type = BigInt)]
    c: i64,
}

fn measures3(
    connection: &mut PgConnection,
    sql: &str,
    ids: &[Uuid],
) -> Result<(i128, i128, i128), ImportError> {
    let row: Measures3 = diesel::sql_query(sql)
        .bind::<Array<SqlUuid>, _>(ids)
        .get_result(connection)
        .map_err(ImportError::query("measuring what postech holds"))?;
    Ok((row.a.into(), row.b.into(), row.c.into()))
}

fn products_measures(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> Result<(i128, i128, i128), ImportError> {
    measures3(
        connection,
        "SELECT count(*) AS a, coalesce(sum(price * 100), 0)::bigint AS b, \
                coalesce(sum(stock_available), 0)::bigint AS c \
           FROM products WHERE id = ANY($1)",
        ids,
    )
}

fn customers_measures(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> Result<(i128, i128, i128), ImportError> {
    measures3(
        connection,
        "SELECT count(*) AS a, count(cpf) AS b, count(cognito_username) AS c \
           FROM customers WHERE id = ANY($1)",
        ids,
    )
}

fn items_measures(
    connection: &mut PgConnection,
    order_ids: &[Uuid],
) -> Result<(i128, i128, i128), ImportError> {
    measures3(
        connection,
        "SELECT count(*) AS a, coalesce(sum(quantity), 0)::bigint AS b, \
                coalesce(sum(line_total * 100), 0)::bigint AS c \
           FROM order_items WHERE order_id = ANY($1)",
        order_ids,
    )
}

fn payments_measures(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> Result<(i128, i128), ImportError> {
    let (rows, cents, _) = measures3(
        connection,
        "SELECT count(*) AS a, coalesce(sum(amount * 100), 0)::bigint AS b, 0::bigint AS c \
           FROM payments WHERE id = ANY($1)",
        ids,
    )?;
    Ok((rows, cents))
}

#[derive(QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

fn orders_measures(
    connection: &mut PgConnection,
    ids: &[Uuid],
) -> Result<(i128, i128, i128, HashMap<String, i128>), ImportError> {
    let (rows, cents, not_marked) = measures3(
        connection,
        "SELECT count(*) AS a, coalesce(sum(total * 100), 0)::bigint AS b, \
                count(*) FILTER (WHERE NOT imported_from_v1) AS c \
           FROM orders WHERE id = ANY($1)",
        ids,
    )?;
    let statuses: Vec<StatusCount> = diesel::sql_query(
        "SELECT status, count(*) AS count FROM orders WHERE id = ANY($1) GROUP BY status",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .load(connection)
    .map_err(ImportError::query("measuring what postech holds"))?;
    Ok((
        rows,
        cents,
        not_marked,
        statuses
            .into_iter()
            .map(|row| (row.status, i128::from(row.count)))
            .collect(),
    ))
}
