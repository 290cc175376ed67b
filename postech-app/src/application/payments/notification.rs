//! A provider notification (Mercado Pago's webhook format) as the HTTP layer received it:
//! nothing in it is trusted until the signature is verified, and even then only the id is
//! used — the payment itself is fetched from the provider.

/// The parts of a webhook request the use case needs, raw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notification {
    /// `data.id` of the query string (`?data.id=…&type=payment`): the id the signature covers.
    pub query_data_id: Option<String>,
    /// `type` (or the older `topic`) of the query string.
    pub query_type: Option<String>,
    /// `data.id` of the JSON body.
    pub body_data_id: Option<String>,
    /// `type` of the JSON body.
    pub body_type: Option<String>,
    /// The `x-signature` header: `ts=<timestamp>,v1=<hex HMAC-SHA256>`.
    pub signature: Option<String>,
    /// The `x-request-id` header.
    pub request_id: Option<String>,
}

/// The topic of payment notifications.
pub const PAYMENT_TOPIC: &str = "payment";

impl Notification {
    /// The resource the notification is about: the query's `data.id` (signed), else the
    /// body's. Whichever it is, it is the one the signature manifest is built from, so an
    /// id that was not signed is never acted on.
    pub fn resource_id(&self) -> Option<&str> {
        self.query_data_id
            .as_deref()
            .or(self.body_data_id.as_deref())
            .filter(|id| !id.is_empty())
    }

    /// The notification's topic (`payment`, `merchant_order`, ...), query first.
    pub fn topic(&self) -> Option<&str> {
        self.query_type.as_deref().or(self.body_type.as_deref())
    }

    /// Whether it announces a change of a payment.
    pub fn is_about_a_payment(&self) -> bool {
        self.topic() == Some(PAYMENT_TOPIC)
    }
}

/// Why a notification's signature was refused (each reason is a metric label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `x-signature` header.
    #[error("x-signature header missing")]
    Missing,
    /// The header is not `ts=…,v1=…` with a numeric `ts` and a hex `v1`.
    #[error("x-signature header malformed")]
    Malformed,
    /// The HMAC does not match.
    #[error("x-signature does not match")]
    Mismatch,
    /// `ts` is further from now than the accepted window (a replay or a skewed clock).
    #[error("x-signature timestamp outside the accepted window")]
    Stale,
}

impl SignatureError {
    /// Every reason, for series created at zero.
    pub const ALL: [SignatureError; 4] = [
        SignatureError::Missing,
        SignatureError::Malformed,
        SignatureError::Mismatch,
        SignatureError::Stale,
    ];

    /// The metric label of the reason.
    pub const fn label(self) -> &'static str {
        match self {
            SignatureError::Missing => "missing",
            SignatureError::Malformed => "malformed",
            SignatureError::Mismatch => "mismatch",
            SignatureError::Stale => "stale",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_id_wins_over_the_body_id() {
        let notification = Notification {
            query_data_id: Some("111".into()),
            body_data_id: Some("222".into()),
            ..Notification::default()
        };
        assert_eq!(notification.resource_id(), Some("111"));
        let body_only = Notification {
            body_data_id: Some("222".into()),
            ..Notification::default()
        };
        assert_eq!(body_only.resource_id(), Some("222"));
        assert_eq!(Notification::default().resource_id(), None);
    }

    #[test]
    fn the_topic_comes_from_the_query_first() {
        let notification = Notification {
            query_type: Some("merchant_order".into()),
            body_type: Some("payment".into()),
            ..Notification::default()
        };
        assert!(!notification.is_about_a_payment());
        let body_only = Notification {
            body_type: Some("payment".into()),
            ..Notification::default()
        };
        assert!(body_only.is_about_a_payment());
    }
}
