//! The JSON of Mercado Pago's Payments API (`/v1/payments`) that this client sends and
//! reads — only the fields it uses.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::application::payments::model::{ProviderPayment, ProviderStatus};
use crate::domain::money::{Money, as_json_number};

/// `POST /v1/payments` for a Pix charge.
#[derive(Debug, Serialize)]
pub struct CreatePixPayment<'a> {
    /// The amount, a JSON number with at most two decimals.
    #[serde(with = "as_json_number")]
    pub transaction_amount: Money,
    /// Shown to the payer.
    pub description: &'a str,
    /// Always `pix`.
    pub payment_method_id: &'static str,
    /// Our order id: the fetched payment must name it back.
    pub external_reference: String,
    /// When the Pix code stops being payable (ISO 8601 with offset and milliseconds).
    pub date_of_expiration: String,
    /// The payer; Pix requires an e-mail.
    pub payer: Payer<'a>,
    /// Where Mercado Pago sends this payment's notifications, if not configured in the panel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_url: Option<&'a str>,
}

/// The payer of a kiosk charge: the store's configured address (kiosk customers are often
/// anonymous, and their personal data is not Mercado Pago's business here).
#[derive(Debug, Serialize)]
pub struct Payer<'a> {
    /// E-mail address.
    pub email: &'a str,
}

/// `PUT /v1/payments/{id}` cancelling a charge.
#[derive(Debug, Serialize)]
pub struct CancelPayment {
    /// Always `cancelled`.
    pub status: &'static str,
}

/// A payment as `GET`/`POST /v1/payments` return it.
#[derive(Debug, Deserialize)]
pub struct PaymentResource {
    /// A number in Mercado Pago's answers; accepted as a string too.
    pub id: serde_json::Value,
    /// `pending`, `approved`, `authorized`, `in_process`, `in_mediation`, `rejected`,
    /// `cancelled`, `refunded`, `charged_back`.
    pub status: String,
    /// What we sent as `external_reference`.
    #[serde(default)]
    pub external_reference: Option<String>,
    /// The amount charged.
    #[serde(default)]
    pub transaction_amount: Option<serde_json::Number>,
    /// The QR code data.
    #[serde(default)]
    pub point_of_interaction: Option<PointOfInteraction>,
}

/// Where the payment happens; for Pix, the QR code.
#[derive(Debug, Default, Deserialize)]
pub struct PointOfInteraction {
    /// The QR code.
    #[serde(default)]
    pub transaction_data: Option<TransactionData>,
}

/// The QR code of a Pix payment.
#[derive(Debug, Default, Deserialize)]
pub struct TransactionData {
    /// The EMV payload ("Pix copia e cola").
    #[serde(default)]
    pub qr_code: Option<String>,
    /// A Mercado Pago page showing the QR code and instructions.
    #[serde(default)]
    pub ticket_url: Option<String>,
    /// The QR code as a base64 PNG.
    #[serde(default)]
    pub qr_code_base64: Option<String>,
}

/// An error answer: only `message` is kept (it never holds credentials).
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    /// What Mercado Pago says went wrong.
    #[serde(default)]
    pub message: Option<String>,
}

/// The shortest lifetime Mercado Pago accepts for a Pix charge (`date_of_expiration` at
/// least 30 minutes ahead; "Pix with Checkout API" in docs/payments.md).
pub const MIN_PIX_LIFETIME: TimeDelta = TimeDelta::minutes(30);
/// The longest lifetime Mercado Pago accepts for a Pix charge (30 days).
pub const MAX_PIX_LIFETIME: TimeDelta = TimeDelta::days(30);
/// Kept inside both bounds: the request may be retried for a few seconds, and Mercado Pago's
/// clock need not agree with ours to the second.
pub const PIX_LIFETIME_MARGIN: TimeDelta = TimeDelta::minutes(2);

/// The `date_of_expiration` to send for a charge we expire at `wanted`: `wanted` itself when
/// Mercado Pago allows it, else the nearest date it allows. A shorter lifetime than Mercado
/// Pago's minimum is still ours: the expiry sweep expires the payment at `wanted` and
/// cancels the charge at Mercado Pago then.
///
/// ```
/// use chrono::{TimeDelta, Utc};
/// use postech_app::adapters::mercadopago::wire::{pix_expiration, MIN_PIX_LIFETIME};
///
/// let now = Utc::now();
/// let sent = pix_expiration(now + TimeDelta::minutes(5), now);
/// assert!(sent >= now + MIN_PIX_LIFETIME);
/// let hours = now + TimeDelta::hours(3);
/// assert_eq!(pix_expiration(hours, now), hours);
/// ```
pub fn pix_expiration(wanted: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let earliest = now + MIN_PIX_LIFETIME + PIX_LIFETIME_MARGIN;
    let latest = now + MAX_PIX_LIFETIME - PIX_LIFETIME_MARGIN;
    wanted.clamp(earliest, latest)
}

/// Mercado Pago's date format: `2026-11-25T10:10:10.000+00:00`.
pub fn expiration_date(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, false)
}

impl PaymentResource {
    /// The payment id as text (`12345678901`).
    pub fn id_text(&self) -> Option<String> {
        match &self.id {
            serde_json::Value::Number(number) => Some(number.to_string()),
            serde_json::Value::String(text) if !text.is_empty() => Some(text.clone()),
            _ => None,
        }
    }

    /// The QR payload and page.
    pub fn qr_code(&self) -> (Option<String>, Option<String>) {
        let data = self.transaction_data();
        (
            data.and_then(|data| data.qr_code.clone()),
            data.and_then(|data| data.ticket_url.clone()),
        )
    }

    /// The QR code's picture, when Mercado Pago sent one that is a base64 PNG.
    pub fn qr_code_base64(&self) -> Option<String> {
        self.transaction_data()
            .and_then(|data| data.qr_code_base64.as_deref())
            .filter(|text| crate::adapters::qr_image::decode_png_base64(text).is_some())
            .map(|text| text.trim().to_owned())
    }

    fn transaction_data(&self) -> Option<&TransactionData> {
        self.point_of_interaction
            .as_ref()
            .and_then(|point| point.transaction_data.as_ref())
    }

    /// The domain's view of the payment, or `None` without a usable id.
    pub fn into_provider_payment(self) -> Option<ProviderPayment> {
        let id = self.id_text()?;
        Some(ProviderPayment {
            id,
            status: status(&self.status),
            amount: self.transaction_amount.as_ref().and_then(amount),
            external_reference: self.external_reference,
        })
    }
}

/// Mercado Pago's statuses, reduced: undecided ones are pending; after-sale ones
/// (`refunded`, `charged_back`, `in_mediation`) are kept verbatim and not acted on.
pub fn status(status: &str) -> ProviderStatus {
    match status {
        "approved" => ProviderStatus::Approved,
        "pending" | "in_process" | "authorized" => ProviderStatus::Pending,
        "rejected" => ProviderStatus::Rejected,
        "cancelled" => ProviderStatus::Cancelled,
        other => ProviderStatus::Other(other.to_owned()),
    }
}

/// A JSON amount as money, if it has at most two decimals. Integers are exact; a decimal
/// is read through f64, whose error for amounts of this size is far below a cent, and
/// refused when it is not a whole number of cents.
pub fn amount(number: &serde_json::Number) -> Option<Money> {
    if let Some(units) = number.as_i64() {
        return units.checked_mul(100).map(Money::from_cents);
    }
    let cents = number.as_f64()? * 100.0;
    let rounded = cents.round();
    let whole_cents = (cents - rounded).abs() < 1e-6 && rounded.abs() < 1e15;
    // Checked above: |rounded| < 1e15 fits an i64 exactly.
    #[allow(clippy::cast_possible_truncation)]
    whole_cents.then(|| Money::from_cents(rounded as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> serde_json::Number {
        serde_json::from_str(text).unwrap_or_else(|_| serde_json::Number::from(0))
    }

    #[test]
    fn amounts_are_read_to_the_cent() {
        assert_eq!(amount(&number("41.7")), Some(Money::from_cents(4170)));
        assert_eq!(amount(&number("100")), Some(Money::from_cents(10_000)));
        assert_eq!(amount(&number("0.1")), Some(Money::from_cents(10)));
        assert_eq!(
            amount(&number("50.699999999999996")),
            Some(Money::from_cents(5070))
        );
        assert_eq!(amount(&number("10.005")), None, "a fraction of a cent");
    }

    #[test]
    fn statuses_are_reduced() {
        assert_eq!(status("approved"), ProviderStatus::Approved);
        assert_eq!(status("in_process"), ProviderStatus::Pending);
        assert_eq!(status("cancelled"), ProviderStatus::Cancelled);
        assert_eq!(status("refunded"), ProviderStatus::Other("refunded".into()));
    }

    #[test]
    fn a_payment_answer_is_read() -> Result<(), serde_json::Error> {
        let resource: PaymentResource = serde_json::from_str(
            r#"{"id": 5466310457, "status": "pending", "status_detail": "pending_waiting_transfer",
                "external_reference": "b3b0c7a4-8a43-4cbb-9a3c-0f6f4f0f2a11", "transaction_amount": 41.7,
                "point_of_interaction": {"type": "PIX", "transaction_data": {"qr_code": "000201...", "ticket_url": "https://www.mercadopago.com.br/payments/5466310457/ticket"}}}"#,
        )?;
        assert_eq!(
            resource.qr_code(),
            (
                Some("000201...".to_owned()),
                Some("https://www.mercadopago.com.br/payments/5466310457/ticket".to_owned())
            )
        );
        let payment = resource.into_provider_payment();
        assert_eq!(
            payment,
            Some(ProviderPayment {
                id: "5466310457".into(),
                status: ProviderStatus::Pending,
                external_reference: Some("b3b0c7a4-8a43-4cbb-9a3c-0f6f4f0f2a11".into()),
                amount: Some(Money::from_cents(4170)),
            })
        );
        Ok(())
    }

    #[test]
    fn the_expiration_date_has_milliseconds_and_an_offset() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        assert_eq!(expiration_date(at), "2023-11-14T22:13:20.000+00:00");
    }
}
