//! What the payment use cases talk about: stored payments, charges at the provider and the
//! provider's account of a payment.

use chrono::{DateTime, Utc};

use crate::domain::ids::{OrderId, PaymentId};
use crate::domain::money::Money;
use crate::domain::order::{OrderStatus, PaymentStatus};

/// A payment attempt as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPayment {
    /// Our id (also the idempotency key of the charge at the provider).
    pub id: PaymentId,
    /// The order it pays.
    pub order_id: OrderId,
    /// `mercadopago` or `simulated`.
    pub provider: String,
    /// The provider's payment id (`data.id` of its notifications).
    pub provider_payment_id: Option<String>,
    /// Where the attempt stands.
    pub status: PaymentStatus,
    /// Always the order total at the time of the charge.
    pub amount: Money,
    /// The EMV ("Pix copia e cola") payload the QR code encodes.
    pub qr_data: Option<String>,
    /// A page showing the QR code, when the provider has one.
    pub qr_code_url: Option<String>,
    /// The QR code as a base64 PNG, as the provider gave it (none for charges older than
    /// the column, or when the provider sent none).
    pub qr_code_base64: Option<String>,
    /// When an unpaid charge stops being payable.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the provider approved it.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// The facts of an order that charging needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayableOrder {
    /// The order.
    pub id: OrderId,
    /// Its display number (shown in the charge description).
    pub number: i64,
    /// Its status: only `Recebido` orders may be charged.
    pub status: OrderStatus,
    /// Its total, the amount to charge.
    pub total: Money,
}

/// What the provider is asked to charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRequest {
    /// Our payment id: the provider's idempotency key, so a retried request never charges
    /// twice.
    pub payment_id: PaymentId,
    /// The order, sent as the charge's external reference.
    pub order_id: OrderId,
    /// Human-readable description (`Pedido 42`).
    pub description: String,
    /// The amount.
    pub amount: Money,
    /// When the charge must stop being payable.
    pub expires_at: DateTime<Utc>,
}

/// A charge the provider created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The provider's payment id.
    pub provider_payment_id: String,
    /// The EMV payload of the QR code.
    pub qr_data: String,
    /// A page showing the QR code, if the provider offers one.
    pub qr_code_url: Option<String>,
    /// The QR code as a base64 PNG (Mercado Pago's `qr_code_base64`; rendered from
    /// `qr_data` by the simulated provider).
    pub qr_code_base64: Option<String>,
}

/// A payment's status in the provider's words, reduced to what matters here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderStatus {
    /// Not decided yet (`pending`, `in_process`, `authorized`, ...).
    Pending,
    /// Paid.
    Approved,
    /// Refused.
    Rejected,
    /// Cancelled (by us, or expired at the provider).
    Cancelled,
    /// Anything this service does not act on (`refunded`, `charged_back`, ...), verbatim.
    Other(String),
}

/// The provider's account of a payment: the only source of truth for a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderPayment {
    /// The provider's payment id.
    pub id: String,
    /// Its status.
    pub status: ProviderStatus,
    /// The order id we sent as external reference, verbatim.
    pub external_reference: Option<String>,
    /// The amount charged, if it is an amount of money with at most two decimals.
    pub amount: Option<Money>,
}

/// How a provider report changed (or did not change) the stored payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The payment moved to this status; for an approval the order is now `Pago`.
    Applied(PaymentStatus),
    /// Nothing to do: a replay, or a status that is not final yet.
    Unchanged,
    /// No stored payment has this provider id.
    UnknownPayment,
    /// No stored payment has this provider id yet, but the order it names has a charge in
    /// the making (a reservation whose charge is not attached): the notification outran the
    /// QR code request that created the charge. Answered 503, so the provider delivers it
    /// again once the charge is attached — acknowledging it would lose the approval.
    ChargeNotAttachedYet,
    /// The provider names another order than the stored payment: refused.
    ReferenceMismatch,
    /// The provider's amount differs from the stored one: refused.
    AmountMismatch {
        /// What we charged.
        expected: Money,
        /// What the provider reports, if it reported an amount at all.
        reported: Option<Money>,
    },
    /// Approved, but the order had already left `Recebido` (expired or cancelled by staff):
    /// the payment is recorded as approved and the money must be refunded by hand.
    ApprovedForClosedOrder(OrderStatus),
}

/// A payment the expiry closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiredPayment {
    /// Our id.
    pub id: PaymentId,
    /// The order, cancelled with it if it was still `Recebido`.
    pub order_id: OrderId,
    /// The provider it was created at.
    pub provider: String,
    /// The provider's id, to cancel the charge there too.
    pub provider_payment_id: Option<String>,
}

/// What reserving a charge for an order found or did (the first step of issuing a QR code,
/// a short transaction; the provider is called after it, with no database connection held).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reservation {
    /// The order already has a live pending payment with its charge: that one.
    Existing(StoredPayment),
    /// The order has a pending payment without a charge yet — reserved just now, or by a
    /// request whose provider call is still running: create the charge this request asks
    /// for. Its payment id is the provider's idempotency key, so two requests charging the
    /// same reservation get the same charge.
    ToCharge(ChargeRequest),
    /// No such order.
    OrderNotFound,
    /// The order is not `Recebido`.
    NotPayable(OrderStatus),
    /// The pending payment had run out of time: it was expired (and the order cancelled)
    /// just now.
    Expired(ExpiredPayment),
}

/// What storing a created charge on its reservation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attachment {
    /// The reservation now holds the charge; `created` is false when a concurrent request
    /// had stored the same charge first.
    Attached {
        /// The pending payment with its charge.
        payment: StoredPayment,
        /// Whether this request stored it.
        created: bool,
    },
    /// The reservation holds another charge: that payment stands, and the charge just
    /// created must be cancelled at the provider.
    Superseded(StoredPayment),
    /// The reservation was withdrawn while the provider worked (staff moved the order, or
    /// the expiry ran): nothing stored, the charge must be cancelled at the provider. The
    /// order's status now.
    Withdrawn(OrderStatus),
    /// The reservation is gone (a concurrent request's provider call failed and released
    /// it): nothing stored, the charge must be cancelled at the provider.
    Released,
}

/// What one look for an order nobody is paying found (see
/// `adapters::postgres::payments::cancel_next_unpaid_order`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnpaidOrderSweep {
    /// This order was cancelled and its stock released.
    Cancelled(OrderId),
    /// The order found had just got a pending payment: left alone; look again.
    PaymentStarted,
    /// No order is due.
    NothingDue,
}

/// The details of a new pending payment, decided by the use case.
#[derive(Clone, Debug)]
pub struct NewPayment {
    /// Its id, should a reservation be made: the charge's idempotency key.
    pub id: PaymentId,
    /// The order to charge.
    pub order_id: OrderId,
    /// Now, as the use case sees it.
    pub now: DateTime<Utc>,
    /// When the charge will expire.
    pub expires_at: DateTime<Utc>,
    /// The provider's stored name.
    pub provider: &'static str,
}
