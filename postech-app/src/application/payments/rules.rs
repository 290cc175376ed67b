//! The payment rules, as pure decisions over what the PostgreSQL adapter read under its
//! locks (the checkout's `price_order` is the same shape): the adapter locks, asks these
//! functions what to do, and persists the answer in the same transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::{
    ApplyOutcome, Charge, PayableOrder, ProviderPayment, ProviderStatus, StoredPayment,
};
use crate::domain::order::{OrderStatus, PaymentStatus};

/// What a provider's report asks of the stored payment it names, before the order is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportVerdict {
    /// Nothing to write: refused against our records, a replay, or not final yet.
    Answer(ApplyOutcome),
    /// The payment was refused or cancelled: store this status; the order stays `Recebido`
    /// so the customer can ask for a new QR code and pay again.
    SetStatus(PaymentStatus),
    /// The payment was approved: see [`judge_approval`] once the order row is locked.
    Approve,
}

/// Checks a report against the stored payment: it must name our order and our amount,
/// and only a final status changes anything.
pub fn judge_report(payment: &StoredPayment, report: &ProviderPayment) -> ReportVerdict {
    let names_our_order = report
        .external_reference
        .as_deref()
        .and_then(|reference| Uuid::parse_str(reference.trim()).ok())
        == Some(payment.order_id.into_uuid());
    if !names_our_order {
        return ReportVerdict::Answer(ApplyOutcome::ReferenceMismatch);
    }
    if report.amount != Some(payment.amount) {
        return ReportVerdict::Answer(ApplyOutcome::AmountMismatch {
            expected: payment.amount,
            reported: report.amount,
        });
    }
    let target = match report.status {
        ProviderStatus::Approved => PaymentStatus::Approved,
        ProviderStatus::Rejected => PaymentStatus::Rejected,
        ProviderStatus::Cancelled => PaymentStatus::Cancelled,
        ProviderStatus::Pending | ProviderStatus::Other(_) => {
            return ReportVerdict::Answer(ApplyOutcome::Unchanged);
        }
    };
    match (target, payment.status) {
        // The provider has the money: an approval wins over whatever we stored, once.
        (PaymentStatus::Approved, PaymentStatus::Approved) => {
            ReportVerdict::Answer(ApplyOutcome::Unchanged)
        }
        (PaymentStatus::Approved, _) => ReportVerdict::Approve,
        (target, PaymentStatus::Pending) => ReportVerdict::SetStatus(target),
        _ => ReportVerdict::Answer(ApplyOutcome::Unchanged),
    }
}

/// What an approval does, given the locked order's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Another attempt of the order was approved already (one approved payment per order):
    /// nothing is written, the money is refunded by hand.
    RefundOnly(OrderStatus),
    /// The payment is approved but the order had left `Recebido` (expired, cancelled by
    /// staff): the approval is recorded and the money refunded by hand.
    RecordForRefund(OrderStatus),
    /// The payment is approved and the order moves `Recebido → Pago`.
    PayTheOrder,
}

/// Decides an approval from the order's status and whether another attempt of it was
/// approved already.
pub fn judge_approval(order_status: OrderStatus, another_approved: bool) -> Approval {
    if another_approved {
        Approval::RefundOnly(order_status)
    } else if order_status != OrderStatus::Received {
        Approval::RecordForRefund(order_status)
    } else {
        Approval::PayTheOrder
    }
}

/// What a QR-code request does with the order it found (read under its locks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReservationStep {
    /// No such order.
    OrderNotFound,
    /// The order is not `Recebido`: no charge, never a second one after an approval.
    NotPayable(OrderStatus),
    /// The live pending payment already has its charge: answer with it.
    Existing,
    /// A reservation without its charge yet (another request's provider call may be running):
    /// charge it under its own id, the provider's idempotency key.
    ChargeReserved,
    /// No pending payment: reserve a new one for the order's total.
    ReserveNew,
}

/// Whether a pending payment's time is up at `now`.
pub fn is_due(payment: &StoredPayment, now: DateTime<Utc>) -> bool {
    payment
        .expires_at
        .is_some_and(|expires_at| expires_at <= now)
}

/// Decides a QR-code request from the order and its live (not due) pending payment.
pub fn judge_reservation(
    order: Option<&PayableOrder>,
    pending: Option<&StoredPayment>,
) -> ReservationStep {
    match (order, pending) {
        (None, _) => ReservationStep::OrderNotFound,
        (Some(order), _) if order.status != OrderStatus::Received => {
            ReservationStep::NotPayable(order.status)
        }
        (Some(_), Some(pending)) if pending.provider_payment_id.is_some() => {
            ReservationStep::Existing
        }
        (Some(_), Some(_)) => ReservationStep::ChargeReserved,
        (Some(_), None) => ReservationStep::ReserveNew,
    }
}

/// What the payer sees as the charge's description.
pub fn charge_description(order_number: i64) -> String {
    format!("Pedido {order_number}")
}

/// What storing a created charge does with its reservation (read under its lock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttachmentStep {
    /// The reservation is gone (a concurrent request's provider call failed and released
    /// it): cancel the charge at the provider.
    Released,
    /// Staff or the expiry withdrew the reservation while the provider worked: cancel the
    /// charge at the provider.
    Withdrawn,
    /// A concurrent request stored this very charge first: answer with it.
    AlreadyAttached,
    /// The reservation holds another charge: that one stands, cancel this one.
    Superseded,
    /// Store the charge on the reservation.
    Attach,
}

/// Decides what to do with a charge the provider created for `reservation`.
pub fn judge_attachment(reservation: Option<&StoredPayment>, charge: &Charge) -> AttachmentStep {
    let Some(reservation) = reservation else {
        return AttachmentStep::Released;
    };
    if reservation.status != PaymentStatus::Pending {
        return AttachmentStep::Withdrawn;
    }
    match reservation.provider_payment_id.as_deref() {
        Some(id) if id == charge.provider_payment_id => AttachmentStep::AlreadyAttached,
        Some(_) => AttachmentStep::Superseded,
        None => AttachmentStep::Attach,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{OrderId, PaymentId};
    use crate::domain::money::Money;

    fn pending(order_id: OrderId) -> StoredPayment {
        StoredPayment {
            id: PaymentId::new_random(),
            order_id,
            provider: "mercadopago".to_owned(),
            provider_payment_id: Some("123".to_owned()),
            status: PaymentStatus::Pending,
            amount: Money::from_cents(3180),
            qr_data: None,
            qr_code_url: None,
            expires_at: None,
            confirmed_at: None,
        }
    }

    fn report(payment: &StoredPayment, status: ProviderStatus) -> ProviderPayment {
        ProviderPayment {
            id: "123".to_owned(),
            status,
            external_reference: Some(payment.order_id.to_string()),
            amount: Some(payment.amount),
        }
    }

    #[test]
    fn a_report_naming_another_order_is_refused() {
        let payment = pending(OrderId::new_random());
        let mut foreign = report(&payment, ProviderStatus::Approved);
        foreign.external_reference = Some(OrderId::new_random().to_string());
        assert_eq!(
            judge_report(&payment, &foreign),
            ReportVerdict::Answer(ApplyOutcome::ReferenceMismatch)
        );
    }

    #[test]
    fn a_report_of_another_amount_is_refused() {
        let payment = pending(OrderId::new_random());
        let mut cheaper = report(&payment, ProviderStatus::Approved);
        cheaper.amount = Some(Money::from_cents(1));
        assert_eq!(
            judge_report(&payment, &cheaper),
            ReportVerdict::Answer(ApplyOutcome::AmountMismatch {
                expected: payment.amount,
                reported: Some(Money::from_cents(1)),
            })
        );
    }

    #[test]
    fn a_rejection_of_a_pending_payment_is_stored_and_of_a_settled_one_ignored() {
        let mut payment = pending(OrderId::new_random());
        let rejected = report(&payment, ProviderStatus::Rejected);
        assert_eq!(
            judge_report(&payment, &rejected),
            ReportVerdict::SetStatus(PaymentStatus::Rejected)
        );
        payment.status = PaymentStatus::Expired;
        assert_eq!(
            judge_report(&payment, &rejected),
            ReportVerdict::Answer(ApplyOutcome::Unchanged)
        );
    }

    #[test]
    fn an_approval_wins_over_any_stored_status_but_only_once() {
        let mut payment = pending(OrderId::new_random());
        payment.status = PaymentStatus::Cancelled;
        let approved = report(&payment, ProviderStatus::Approved);
        assert_eq!(judge_report(&payment, &approved), ReportVerdict::Approve);
        payment.status = PaymentStatus::Approved;
        assert_eq!(
            judge_report(&payment, &approved),
            ReportVerdict::Answer(ApplyOutcome::Unchanged)
        );
    }

    #[test]
    fn an_undecided_report_changes_nothing() {
        let payment = pending(OrderId::new_random());
        let undecided = report(&payment, ProviderStatus::Other("in_process".to_owned()));
        assert_eq!(
            judge_report(&payment, &undecided),
            ReportVerdict::Answer(ApplyOutcome::Unchanged)
        );
    }

    #[test]
    fn an_approval_pays_only_a_received_order_without_another_approval() {
        assert_eq!(
            judge_approval(OrderStatus::Received, false),
            Approval::PayTheOrder
        );
        assert_eq!(
            judge_approval(OrderStatus::Cancelled, false),
            Approval::RecordForRefund(OrderStatus::Cancelled)
        );
        assert_eq!(
            judge_approval(OrderStatus::Paid, true),
            Approval::RefundOnly(OrderStatus::Paid)
        );
    }

    #[test]
    fn a_qr_code_is_refused_once_the_order_left_received() {
        let order = PayableOrder {
            id: OrderId::new_random(),
            number: 7,
            status: OrderStatus::Paid,
            total: Money::from_cents(3180),
        };
        assert_eq!(
            judge_reservation(Some(&order), None),
            ReservationStep::NotPayable(OrderStatus::Paid)
        );
        assert_eq!(
            judge_reservation(None, None),
            ReservationStep::OrderNotFound
        );
    }

    #[test]
    fn a_reservation_without_its_charge_is_charged_again_under_its_own_id() {
        let order = PayableOrder {
            id: OrderId::new_random(),
            number: 7,
            status: OrderStatus::Received,
            total: Money::from_cents(3180),
        };
        let mut reserved = pending(order.id);
        reserved.provider_payment_id = None;
        assert_eq!(
            judge_reservation(Some(&order), Some(&reserved)),
            ReservationStep::ChargeReserved
        );
        assert_eq!(
            judge_reservation(Some(&order), Some(&pending(order.id))),
            ReservationStep::Existing
        );
        assert_eq!(
            judge_reservation(Some(&order), None),
            ReservationStep::ReserveNew
        );
    }

    #[test]
    fn a_charge_is_attached_only_to_a_pending_reservation_without_one() {
        let charge = Charge {
            provider_payment_id: "123".to_owned(),
            qr_data: "000201".to_owned(),
            qr_code_url: None,
        };
        let mut reservation = pending(OrderId::new_random());
        assert_eq!(
            judge_attachment(Some(&reservation), &charge),
            AttachmentStep::AlreadyAttached
        );
        reservation.provider_payment_id = Some("999".to_owned());
        assert_eq!(
            judge_attachment(Some(&reservation), &charge),
            AttachmentStep::Superseded
        );
        reservation.provider_payment_id = None;
        assert_eq!(
            judge_attachment(Some(&reservation), &charge),
            AttachmentStep::Attach
        );
        reservation.status = PaymentStatus::Cancelled;
        assert_eq!(
            judge_attachment(Some(&reservation), &charge),
            AttachmentStep::Withdrawn
        );
        assert_eq!(judge_attachment(None, &charge), AttachmentStep::Released);
    }
}
