//! Orders with their lines, payments and queue row.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use postech_shared_sdk::order::OrderStatus;
use uuid::Uuid;

use super::catalog::{MAX_CENTS, ProductCatalog, ProductEntry};
use super::{Verdict, fold, quoted, truncated};
use crate::import_v1::money::{FloatMoneyError, cents_from_v1_float, format_cents};
use crate::import_v1::rules::{Entity, Rule};
use crate::import_v1::source::{V1Item, V1Order, V1Payment, V1QueueEntry};

/// postech's limits (the CHECK constraints of `orders` and `order_items`).
const NOTES_MAX: usize = 500;
const QUANTITY_MAX: i32 = 50;

/// The provider name of payments imported from v1: its own id space, so a v1 payment id can
/// never collide with (or be matched by a notification for) a postech Mercado Pago payment.
pub const V1_PROVIDER: &str = "v1";

/// The actor of the status history the import writes.
pub const IMPORT_ACTOR: &str = "v1-import";

/// Where each v1 customer went: kept as itself, or merged into another postech customer.
#[derive(Debug, Default)]
pub struct CustomerMap {
    kept: HashSet<Uuid>,
    merged: HashMap<Uuid, Uuid>,
}

impl CustomerMap {
    /// The customer stays under its v1 id.
    pub fn keep(&mut self, v1_id: Uuid) {
        self.kept.insert(v1_id);
    }

    /// The customer was merged into `postech_id`.
    pub fn merge(&mut self, v1_id: Uuid, postech_id: Uuid) {
        self.merged.insert(v1_id, postech_id);
    }

    /// The postech customer of a v1 customer id, if it was imported or merged.
    pub fn resolve(&self, v1_id: Uuid) -> Option<Uuid> {
        if self.kept.contains(&v1_id) {
            Some(v1_id)
        } else {
            self.merged.get(&v1_id).copied()
        }
    }
}

/// An order and everything of v1 that hangs off it.
#[derive(Debug, Clone)]
pub struct OrderInput {
    /// The order.
    pub order: V1Order,
    /// Its lines, by product id.
    pub items: Vec<V1Item>,
    /// Its payments, first confirmed first.
    pub payments: Vec<V1Payment>,
    /// Its queue row, if any.
    pub queue: Option<V1QueueEntry>,
}

/// An `orders` row to write (with `imported_from_v1 = true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    /// The v1 id, kept.
    pub id: Uuid,
    /// The postech customer, or anonymous.
    pub customer_id: Option<Uuid>,
    /// A stored status code.
    pub status: &'static str,
    /// The sum of the imported lines.
    pub total_cents: i64,
    /// At most 500 characters.
    pub notes: Option<String>,
    /// v1's `data_criacao` read as UTC (or the assumed time).
    pub created_at: DateTime<Utc>,
    /// The shortest legal path of status changes to `status`, as (from, to).
    pub history: Vec<(Option<&'static str>, &'static str)>,
}

/// An `order_items` row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    /// The order.
    pub order_id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// 1-based, in product id order (v1 kept no line order).
    pub position: i16,
    /// The product's name at import time.
    pub product_name: String,
    /// The product's price at import time.
    pub unit_price_cents: i64,
    /// 1 to 50.
    pub quantity: i32,
    /// The order's creation time.
    pub created_at: DateTime<Utc>,
}

/// A `payments` row to write (provider [`V1_PROVIDER`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    /// The v1 id, kept.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// v1's `payment_id`, unique.
    pub provider_payment_id: Option<String>,
    /// v1's `qrcode_id`, unique.
    pub provider_reference: Option<String>,
    /// A stored payment status code (never `pending`).
    pub status: &'static str,
    /// 1 to 100000 cents.
    pub amount_cents: i64,
    /// v1's `qrcode_url`.
    pub qr_code_url: Option<String>,
    /// Set exactly when approved.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// v1's `data_criacao` (or the order's).
    pub created_at: DateTime<Utc>,
}

/// The decision about one order and everything hanging off it.
#[derive(Debug, Clone)]
pub struct OrderDecision {
    /// The order's verdict.
    pub verdict: Verdict,
    /// The order to write, unless refused.
    pub row: Option<OrderRow>,
    /// Every line's verdict, with the row to write for imported ones.
    pub items: Vec<(Verdict, Option<ItemRow>)>,
    /// Every payment's verdict, with the row to write for imported ones.
    pub payments: Vec<(Verdict, Option<PaymentRow>)>,
    /// The queue row's verdict.
    pub queue: Option<Verdict>,
}

/// Decides orders one after the other, remembering the provider ids already given out.
pub struct OrderDecider<'a> {
    products: &'a ProductCatalog,
    customers: &'a CustomerMap,
    snapshot: NaiveDateTime,
    payment_ids: HashSet<String>,
    qr_code_ids: HashSet<String>,
}

impl<'a> OrderDecider<'a> {
    /// A decider over the decided products and customers; `snapshot` is the time of the v1
    /// snapshot, the creation time of last resort.
    pub fn new(
        products: &'a ProductCatalog,
        customers: &'a CustomerMap,
        snapshot: NaiveDateTime,
    ) -> Self {
        Self {
            products,
            customers,
            snapshot,
            payment_ids: HashSet::new(),
            qr_code_ids: HashSet::new(),
        }
    }

    /// Decides one order (call in v1 order id order).
    pub fn decide(&mut self, input: &OrderInput) -> OrderDecision {
        let order = &input.order;
        let mut verdict = Verdict::new(Entity::Order, order.id.to_string());

        let mut items = self.decide_items(order.id, &input.items);
        let imported_lines = items.iter().filter(|(_, row)| row.is_some()).count();
        let refused_lines = items.len() - imported_lines;
        let total_cents: i64 = items
            .iter()
            .filter_map(|(_, row)| row.as_ref())
            .map(|row| row.unit_price_cents * i64::from(row.quantity))
            .sum();
        if imported_lines == 0 {
            verdict.apply(Rule::NoImportableLines);
        } else {
            if refused_lines > 0 {
                verdict.apply_with(
                    Rule::LinesRefused,
                    format!("{refused_lines} line(s) refused"),
                );
            }
            if total_cents > MAX_CENTS {
                verdict.apply_with(
                    Rule::TotalAboveLimit,
                    format!("total {}", format_cents(total_cents)),
                );
            }
        }
        if !verdict.outcome().is_imported() {
            return self.refuse(verdict, items, input);
        }

        let created_at = match order.data_criacao {
            Some(time) => time,
            None => {
                let earliest_payment = input.payments.iter().filter_map(|p| p.data_criacao).min();
                let (time, source) = match earliest_payment {
                    Some(time) => (time, "its earliest payment"),
                    None => (self.snapshot, "the v1 snapshot"),
                };
                verdict.apply_with(Rule::CreatedAtAssumed, format!("time of {source}"));
                time
            }
        }
        .and_utc();
        for (_, row) in &mut items {
            if let Some(row) = row {
                row.created_at = created_at;
            }
        }

        let payments = self.decide_payments(order.id, total_cents, created_at, &input.payments);
        let has_approval = payments
            .iter()
            .any(|(_, row)| row.as_ref().is_some_and(|row| row.status == "approved"));

        let v1_status = order.status.as_deref().and_then(read_order_status);
        let status = match (v1_status, order.status.as_deref()) {
            (Some((OrderStatus::Received, _)), _) if has_approval => {
                verdict.apply(Rule::PaidPerApprovedPayment);
                OrderStatus::Paid
            }
            (Some((OrderStatus::Received, _)), _) => {
                verdict.apply(Rule::UnpaidAtSwitchOver);
                OrderStatus::Cancelled
            }
            (Some((status, normalized)), raw) => {
                if normalized {
                    verdict.apply_with(
                        Rule::StatusNormalized,
                        format!("v1 status {}", quoted(raw.unwrap_or_default())),
                    );
                }
                status
            }
            (None, raw) => {
                let seen = raw.map_or_else(|| "NULL".to_owned(), quoted);
                let approval = if has_approval {
                    "; it has an approved payment: check it for a refund"
                } else {
                    ""
                };
                verdict.apply_with(
                    Rule::StatusUnknownCancelled,
                    format!("v1 status {seen}{approval}"),
                );
                OrderStatus::Cancelled
            }
        };

        let customer_id = match order.cliente_id {
            None => None,
            Some(v1_customer) => match self.customers.resolve(v1_customer) {
                Some(postech_id) if postech_id == v1_customer => Some(postech_id),
                Some(postech_id) => {
                    verdict.apply_with(
                        Rule::CustomerMerged,
                        format!("customer {v1_customer} → {postech_id}"),
                    );
                    Some(postech_id)
                }
                None => {
                    verdict.apply_with(Rule::CustomerMissing, format!("customer {v1_customer}"));
                    None
                }
            },
        };

        let notes = order
            .observacoes
            .as_deref()
            .map(|notes| match truncated(notes, NOTES_MAX) {
                Some(cut) => {
                    verdict.apply_with(
                        Rule::NotesTruncated,
                        format!("{} characters", notes.chars().count()),
                    );
                    cut
                }
                None => notes.to_owned(),
            });

        let queue = input.queue.as_ref().map(|entry| {
            let mut queue = Verdict::superseded(Entity::QueueEntry, entry.id.to_string());
            let queued = read_order_status(&entry.status).map(|(status, _)| status);
            if queued.is_none() || queued != v1_status.map(|(status, _)| status) {
                queue.apply_with(
                    Rule::QueueStatusDiffers,
                    format!(
                        "queue {}, order {}",
                        quoted(&entry.status),
                        order
                            .status
                            .as_deref()
                            .map_or_else(|| "NULL".to_owned(), quoted)
                    ),
                );
            }
            queue.postech_id = Some(order.id);
            queue
        });

        verdict.postech_id = Some(order.id);
        OrderDecision {
            row: Some(OrderRow {
                id: order.id,
                customer_id,
                status: status_code(status),
                total_cents,
                notes,
                created_at,
                history: history_to(status),
            }),
            verdict,
            items,
            payments,
            queue,
        }
    }

    fn decide_items(&self, order_id: Uuid, items: &[V1Item]) -> Vec<(Verdict, Option<ItemRow>)> {
        let mut position: i16 = 0;
        items
            .iter()
            .map(|item| {
                let mut verdict = item_verdict(item);
                let product = self.products.get(&item.produto_id);
                match product {
                    None => verdict.apply(Rule::ProductDeleted),
                    Some(ProductEntry::Refused) => verdict.apply(Rule::ProductRefused),
                    Some(ProductEntry::Imported { .. }) => {}
                }
                if item.quantidade <= 0 {
                    verdict.apply_with(
                        Rule::QuantityNotPositive,
                        format!("quantidade {}", item.quantidade),
                    );
                } else if item.quantidade > QUANTITY_MAX {
                    verdict.apply_with(
                        Rule::QuantityAboveLimit,
                        format!("quantidade {}", item.quantidade),
                    );
                }
                let row = match product {
                    Some(ProductEntry::Imported { name, price_cents })
                        if verdict.outcome().is_imported() =>
                    {
                        position = position.saturating_add(1);
                        Some(ItemRow {
                            order_id,
                            product_id: item.produto_id,
                            position,
                            product_name: name.clone(),
                            unit_price_cents: *price_cents,
                            quantity: item.quantidade,
                            created_at: DateTime::<Utc>::UNIX_EPOCH,
                        })
                    }
                    _ => None,
                };
                if row.is_some() {
                    verdict.postech_id = Some(order_id);
                }
                (verdict, row)
            })
            .collect()
    }

    fn decide_payments(
        &mut self,
        order_id: Uuid,
        order_total_cents: i64,
        order_created_at: DateTime<Utc>,
        payments: &[V1Payment],
    ) -> Vec<(Verdict, Option<PaymentRow>)> {
        let mut approved_kept = false;
        payments
            .iter()
            .map(|payment| {
                let mut verdict = Verdict::new(Entity::Payment, payment.id.to_string());
                let status = match read_payment_status(&payment.status) {
                    None => {
                        verdict.apply_with(
                            Rule::PaymentStatusUnknown,
                            format!("v1 status {}", quoted(&payment.status)),
                        );
                        None
                    }
                    Some((code, normalized)) => {
                        if normalized {
                            verdict.apply_with(
                                Rule::StatusNormalized,
                                format!("v1 status {}", quoted(&payment.status)),
                            );
                        }
                        match code {
                            "pending" => {
                                verdict.apply(Rule::PendingExpired);
                                Some("expired")
                            }
                            "approved" if approved_kept => {
                                verdict.apply(Rule::SecondApproval);
                                None
                            }
                            other => Some(other),
                        }
                    }
                };
                let amount_cents = decide_amount(payment.valor, order_total_cents, &mut verdict);
                let created_at = match payment.data_criacao {
                    Some(time) => time.and_utc(),
                    None => {
                        verdict.apply_with(Rule::CreatedAtAssumed, "time of its order");
                        order_created_at
                    }
                };
                let confirmed_at = match (status, payment.data_confirmacao) {
                    // Refused anyway: nothing to say about its confirmation.
                    (None, _) => None,
                    (Some("approved"), Some(time)) => Some(time.and_utc()),
                    (Some("approved"), None) => {
                        verdict.apply(Rule::ConfirmedAtAssumed);
                        Some(created_at)
                    }
                    (_, Some(_)) => {
                        verdict.apply(Rule::ConfirmedAtDropped);
                        None
                    }
                    (_, None) => None,
                };
                let order_reference = order_id.to_string();
                let mismatched = payment
                    .external_reference
                    .as_deref()
                    .map(str::trim)
                    .is_some_and(|reference| {
                        !reference.is_empty() && !reference.eq_ignore_ascii_case(&order_reference)
                    });
                if mismatched {
                    verdict.apply(Rule::ExternalReferenceMismatch);
                }
                let qr_code_url =
                    nonblank(payment.qrcode_url.as_deref(), "qrcode_url", &mut verdict);
                let payment_id =
                    nonblank(payment.payment_id.as_deref(), "payment_id", &mut verdict);
                let qr_code_id = nonblank(payment.qrcode_id.as_deref(), "qrcode_id", &mut verdict);

                let row = match (status, amount_cents) {
                    (Some(status), Some(amount_cents)) if verdict.outcome().is_imported() => {
                        approved_kept |= status == "approved";
                        let provider_payment_id = claim(
                            &mut self.payment_ids,
                            payment_id,
                            "payment_id",
                            &mut verdict,
                        );
                        let provider_reference =
                            claim(&mut self.qr_code_ids, qr_code_id, "qrcode_id", &mut verdict);
                        verdict.postech_id = Some(payment.id);
                        Some(PaymentRow {
                            id: payment.id,
                            order_id,
                            provider_payment_id,
                            provider_reference,
                            status,
                            amount_cents,
                            qr_code_url,
                            confirmed_at,
                            created_at,
                        })
                    }
                    _ => None,
                };
                (verdict, row)
            })
            .collect()
    }

    /// The order is refused: so is everything hanging off it.
    fn refuse(
        &self,
        verdict: Verdict,
        items: Vec<(Verdict, Option<ItemRow>)>,
        input: &OrderInput,
    ) -> OrderDecision {
        let refused = |mut dependent: Verdict| {
            dependent.apply(Rule::OrderRefused);
            dependent.postech_id = None;
            dependent
        };
        OrderDecision {
            verdict,
            row: None,
            items: items
                .into_iter()
                .map(|(item, _)| (refused(item), None))
                .collect(),
            payments: input
                .payments
                .iter()
                .map(|payment| {
                    (
                        refused(Verdict::new(Entity::Payment, payment.id.to_string())),
                        None,
                    )
                })
                .collect(),
            queue: input.queue.as_ref().map(|entry| {
                refused(Verdict::superseded(
                    Entity::QueueEntry,
                    entry.id.to_string(),
                ))
            }),
        }
    }
}

/// The verdict of a line pointing at an order v1 does not have.
pub fn orphan_item(item: &V1Item) -> Verdict {
    let mut verdict = item_verdict(item);
    verdict.apply_with(Rule::OrderMissing, format!("order {}", item.pedido_id));
    verdict
}

/// The verdict of a payment pointing at an order v1 does not have.
pub fn orphan_payment(payment: &V1Payment) -> Verdict {
    let mut verdict = Verdict::new(Entity::Payment, payment.id.to_string());
    verdict.apply_with(Rule::OrderMissing, format!("order {}", payment.pedido_id));
    verdict
}

/// The verdict of a queue row pointing at an order v1 does not have.
pub fn orphan_queue_entry(entry: &V1QueueEntry) -> Verdict {
    let mut verdict = Verdict::superseded(Entity::QueueEntry, entry.id.to_string());
    verdict.apply_with(Rule::OrderMissing, format!("order {}", entry.id));
    verdict
}

fn item_verdict(item: &V1Item) -> Verdict {
    Verdict::new(
        Entity::OrderItem,
        format!("{}/{}", item.pedido_id, item.produto_id),
    )
}

fn decide_amount(valor: f64, order_total_cents: i64, verdict: &mut Verdict) -> Option<i64> {
    let cents = match cents_from_v1_float(valor) {
        Err(FloatMoneyError::NotFinite) => {
            verdict.apply(Rule::AmountNotFinite);
            return None;
        }
        Err(FloatMoneyError::OutOfRange) => {
            verdict.apply(if valor > 0.0 {
                Rule::AmountAboveLimit
            } else {
                Rule::AmountNegative
            });
            return None;
        }
        Ok(rounded) => {
            if rounded.rounded {
                verdict.apply_with(
                    Rule::AmountRounded,
                    format!("valor {valor} → {}", format_cents(rounded.cents)),
                );
            }
            rounded.cents
        }
    };
    if cents < 0 {
        verdict.apply_with(Rule::AmountNegative, format!("valor {valor}"));
        None
    } else if cents == 0 {
        verdict.apply_with(
            Rule::AmountFromOrderTotal,
            format!("amount {}", format_cents(order_total_cents)),
        );
        Some(order_total_cents)
    } else if cents > MAX_CENTS {
        verdict.apply_with(Rule::AmountAboveLimit, format!("valor {valor}"));
        None
    } else {
        Some(cents)
    }
}

fn nonblank(value: Option<&str>, column: &str, verdict: &mut Verdict) -> Option<String> {
    match value {
        Some(text) if text.trim().is_empty() => {
            verdict.apply_with(Rule::BlankTextNulled, column.to_owned());
            None
        }
        other => other.map(str::to_owned),
    }
}

/// `id` unless an earlier payment holds it.
fn claim(
    seen: &mut HashSet<String>,
    id: Option<String>,
    column: &str,
    verdict: &mut Verdict,
) -> Option<String> {
    let id = id?;
    if seen.insert(id.clone()) {
        Some(id)
    } else {
        verdict.apply_with(Rule::ProviderIdDuplicate, column.to_owned());
        None
    }
}

/// A v1 order status: exactly a wire name, or one written differently (`true`).
pub fn read_order_status(raw: &str) -> Option<(OrderStatus, bool)> {
    if let Some(status) = OrderStatus::from_wire_name(raw) {
        return Some((status, false));
    }
    let folded = fold(raw);
    OrderStatus::ALL
        .into_iter()
        .find(|status| fold(status.wire_name()) == folded)
        .map(|status| (status, true))
}

/// A v1 payment status as a stored code: exactly a wire name, or one written differently
/// or in Mercado Pago's English (`true`).
pub fn read_payment_status(raw: &str) -> Option<(&'static str, bool)> {
    let exact = match raw {
        "pendente" => Some("pending"),
        "aprovado" => Some("approved"),
        "rejeitado" => Some("rejected"),
        "cancelado" => Some("cancelled"),
        "expirado" => Some("expired"),
        _ => None,
    };
    if let Some(code) = exact {
        return Some((code, false));
    }
    let code = match fold(raw).as_str() {
        "pendente" | "pending" | "in process" | "in mediation" | "authorized" => "pending",
        "aprovado" | "approved" => "approved",
        "rejeitado" | "rejected" => "rejected",
        "cancelado" | "cancelled" | "canceled" => "cancelled",
        "expirado" | "expired" => "expired",
        _ => return None,
    };
    Some((code, true))
}

/// The stored code of an order status.
pub const fn status_code(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Received => "received",
        OrderStatus::Paid => "paid",
        OrderStatus::InPreparation => "in_preparation",
        OrderStatus::Ready => "ready",
        OrderStatus::Finished => "finished",
        OrderStatus::Cancelled => "cancelled",
    }
}

/// The shortest path of legal moves from creation to `status`: v1 recorded no history, and
/// postech's history only accepts legal moves.
pub fn history_to(status: OrderStatus) -> Vec<(Option<&'static str>, &'static str)> {
    let path: &[OrderStatus] = match status {
        OrderStatus::Received => &[OrderStatus::Received],
        OrderStatus::Paid => &[OrderStatus::Received, OrderStatus::Paid],
        OrderStatus::InPreparation => &[
            OrderStatus::Received,
            OrderStatus::Paid,
            OrderStatus::InPreparation,
        ],
        OrderStatus::Ready => &[
            OrderStatus::Received,
            OrderStatus::Paid,
            OrderStatus::InPreparation,
            OrderStatus::Ready,
        ],
        OrderStatus::Finished => &[
            OrderStatus::Received,
            OrderStatus::Paid,
            OrderStatus::InPreparation,
            OrderStatus::Ready,
            OrderStatus::Finished,
        ],
        OrderStatus::Cancelled => &[OrderStatus::Received, OrderStatus::Cancelled],
    };
    let mut previous = None;
    path.iter()
        .map(|&status| {
            let step = (previous, status_code(status));
            previous = Some(status_code(status));
            step
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import_v1::rules::Outcome;

    const BURGER: Uuid = Uuid::from_u128(0xb);
    const ORDER: Uuid = Uuid::from_u128(0x0);

    fn catalog() -> ProductCatalog {
        HashMap::from([(
            BURGER,
            ProductEntry::Imported {
                name: "X-Burger".to_owned(),
                price_cents: 1590,
            },
        )])
    }

    fn time() -> NaiveDateTime {
        DateTime::<Utc>::UNIX_EPOCH.naive_utc()
    }

    fn input(status: Option<&str>, quantities: &[i32], payments: Vec<V1Payment>) -> OrderInput {
        OrderInput {
            order: V1Order {
                id: ORDER,
                cliente_id: None,
                status: status.map(str::to_owned),
                data_criacao: Some(time()),
                observacoes: None,
            },
            items: quantities
                .iter()
                .map(|&quantidade| V1Item {
                    pedido_id: ORDER,
                    produto_id: BURGER,
                    quantidade,
                })
                .collect(),
            payments,
            queue: None,
        }
    }

    fn payment(id: u128, status: &str, valor: f64) -> V1Payment {
        V1Payment {
            id: Uuid::from_u128(id),
            pedido_id: ORDER,
            status: status.to_owned(),
            data_criacao: Some(time()),
            data_confirmacao: None,
            qrcode_url: None,
            qrcode_id: None,
            external_reference: None,
            payment_id: None,
            valor,
        }
    }

    fn decide(input: &OrderInput) -> OrderDecision {
        let products = catalog();
        let customers = CustomerMap::default();
        OrderDecider::new(&products, &customers, time()).decide(input)
    }

    #[test]
    fn statuses_written_differently_are_read_and_unknown_ones_cancel() {
        assert_eq!(
            read_order_status("Em preparação"),
            Some((OrderStatus::InPreparation, false))
        );
        assert_eq!(
            read_order_status("EM_PREPARACAO "),
            Some((OrderStatus::InPreparation, true))
        );
        assert_eq!(read_order_status("Entregue"), None);
        let decision = decide(&input(None, &[1], vec![]));
        assert_eq!(decision.verdict.rules, [Rule::StatusUnknownCancelled]);
        assert_eq!(decision.row.map(|row| row.status), Some("cancelled"));
    }

    #[test]
    fn received_orders_are_cancelled_unless_an_approved_payment_paid_them() {
        let unpaid = decide(&input(Some("Recebido"), &[1], vec![]));
        assert_eq!(unpaid.row.map(|row| row.status), Some("cancelled"));
        let paid = decide(&input(
            Some("Recebido"),
            &[1],
            vec![payment(1, "aprovado", 15.9)],
        ));
        let row = paid.row.as_ref().map(|row| (row.status, row.history.len()));
        assert_eq!(row, Some(("paid", 2)));
    }

    #[test]
    fn history_is_the_shortest_legal_path() {
        assert_eq!(
            history_to(OrderStatus::Ready),
            [
                (None, "received"),
                (Some("received"), "paid"),
                (Some("paid"), "in_preparation"),
                (Some("in_preparation"), "ready"),
            ]
        );
        assert_eq!(
            history_to(OrderStatus::Cancelled),
            [(None, "received"), (Some("received"), "cancelled")]
        );
    }

    #[test]
    fn an_order_of_refused_lines_only_is_refused_with_its_payments() {
        let decision = decide(&input(
            Some("Pago"),
            &[0],
            vec![payment(1, "aprovado", 15.9)],
        ));
        assert_eq!(decision.verdict.outcome(), Outcome::Rejected);
        assert_eq!(decision.payments[0].0.rules, [Rule::OrderRefused]);
        assert_eq!(
            decision.items[0].0.rules,
            [Rule::QuantityNotPositive, Rule::OrderRefused]
        );
    }

    #[test]
    fn a_total_above_the_limit_refuses_the_order() {
        let decision = decide(&input(Some("Pago"), &[50, 50], vec![]));
        // Two lines of the same product never happen in v1 (primary key); the sum is what counts.
        assert!(decision.verdict.rules.contains(&Rule::TotalAboveLimit));
    }

    #[test]
    fn payments_keep_one_approval_expire_pending_ones_and_fill_zero_amounts() {
        let decision = decide(&input(
            Some("Pago"),
            &[2],
            vec![
                payment(1, "aprovado", 31.8),
                payment(2, "approved", 31.8),
                payment(3, "pendente", 0.0),
                payment(4, "estornado", 31.8),
                payment(5, "rejeitado", -1.0),
            ],
        ));
        let outcomes: Vec<(Outcome, Option<&str>, Option<i64>)> = decision
            .payments
            .iter()
            .map(|(verdict, row)| {
                (
                    verdict.outcome(),
                    row.as_ref().map(|row| row.status),
                    row.as_ref().map(|row| row.amount_cents),
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            [
                (Outcome::Flagged, Some("approved"), Some(3180)),
                (Outcome::Rejected, None, None),
                (Outcome::Flagged, Some("expired"), Some(3180)),
                (Outcome::Rejected, None, None),
                (Outcome::Rejected, None, None),
            ]
        );
        assert_eq!(
            decision.payments[1].0.rules,
            [Rule::StatusNormalized, Rule::SecondApproval]
        );
        assert_eq!(decision.payments[0].0.rules, [Rule::ConfirmedAtAssumed]);
    }
}
