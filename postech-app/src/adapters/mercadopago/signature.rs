//! The `x-signature` of Mercado Pago's webhook notifications.
//!
//! Mercado Pago's notification documentation ("Validate notification origin", see
//! `docs/payments.md`): the header is `ts=<timestamp>,v1=<hex>`; `v1` is the HMAC-SHA256, in
//! hexadecimal, keyed with the application's secret signature, of the manifest
//! `id:[data.id_url];request-id:[x-request-id_header];ts:[ts_header];` — `data.id` from the
//! *query string*, the `x-request-id` header, `ts` from `x-signature`; a value absent from
//! the notification is removed from the template; an alphanumeric `data.id` is lower-cased.
//! `ts` may be compared with the reception time to bound replays: five minutes here.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::application::payments::notification::{Notification, SignatureError};

type HmacSha256 = Hmac<Sha256>;

/// How far `ts` may be from now, either way.
pub const MAX_SKEW_SECONDS: i64 = 5 * 60;

/// Timestamps above this are milliseconds: the documentation says `ts` is in milliseconds
/// while its own example (`ts=1704908010`) is in seconds, so both are accepted.
const MILLISECONDS_THRESHOLD: i64 = 100_000_000_000;

/// The signed manifest. Absent values leave their part out, as the documentation asks.
pub fn manifest(data_id: Option<&str>, request_id: Option<&str>, ts: &str) -> String {
    let mut manifest = String::new();
    if let Some(id) = data_id {
        manifest.push_str("id:");
        // Mercado Pago signs alphanumeric ids lower-cased (order ids like `ORD01J…`);
        // numeric payment ids are unaffected.
        manifest.push_str(&id.to_ascii_lowercase());
        manifest.push(';');
    }
    if let Some(request_id) = request_id {
        manifest.push_str("request-id:");
        manifest.push_str(request_id);
        manifest.push(';');
    }
    manifest.push_str("ts:");
    manifest.push_str(ts);
    manifest.push(';');
    manifest
}

/// `ts` and the decoded `v1` of an `x-signature` header.
fn parse_header(header: &str) -> Result<(&str, Vec<u8>), SignatureError> {
    let mut ts = None;
    let mut v1 = None;
    for part in header.split(',') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        match key.trim() {
            "ts" => ts = Some(value.trim()),
            "v1" => v1 = Some(value.trim()),
            _ => {}
        }
    }
    let ts = ts
        .filter(|ts| !ts.is_empty() && ts.len() <= 19 && ts.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(SignatureError::Malformed)?;
    let v1 = v1
        .and_then(|v1| hex::decode(v1).ok())
        .filter(|digest| digest.len() == 32)
        .ok_or(SignatureError::Malformed)?;
    Ok((ts, v1))
}

/// Seconds since the epoch of a `ts`, seconds or milliseconds.
fn epoch_seconds(ts: &str) -> Result<i64, SignatureError> {
    let value: i64 = ts.parse().map_err(|_| SignatureError::Malformed)?;
    Ok(if value >= MILLISECONDS_THRESHOLD {
        value / 1000
    } else {
        value
    })
}

/// Verifies a notification against `secret`: HMAC first (compared in constant time by
/// `verify_slice`), then freshness, so a forgery is reported as a mismatch and a genuine
/// but old notification as stale.
pub fn verify(
    secret: &[u8],
    notification: &Notification,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let header = notification
        .signature
        .as_deref()
        .ok_or(SignatureError::Missing)?;
    let (ts, expected) = parse_header(header)?;
    let manifest = manifest(
        notification.resource_id(),
        notification.request_id.as_deref(),
        ts,
    );
    let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(manifest.as_bytes());
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)?;
    let age = now.timestamp().saturating_sub(epoch_seconds(ts)?);
    if age.abs() > MAX_SKEW_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The HMAC implementation refused the secret as a key. HMAC takes keys of any length, so
/// this is a broken dependency, never a bad secret — but it is an error, not a header with an
/// empty digest.
#[derive(Debug, thiserror::Error)]
#[error("HMAC-SHA256 refused the webhook secret as a key")]
pub struct KeyRefused;

/// The `x-signature` header Mercado Pago would send (the simulator and the tests sign
/// with it).
pub fn sign(
    secret: &[u8],
    data_id: Option<&str>,
    request_id: Option<&str>,
    ts: i64,
) -> Result<String, KeyRefused> {
    let ts = ts.to_string();
    let manifest = manifest(data_id, request_id, &ts);
    let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| KeyRefused)?;
    mac.update(manifest.as_bytes());
    let digest = hex::encode(mac.finalize().into_bytes());
    Ok(format!("ts={ts},v1={digest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-of-the-application";

    fn signed(data_id: &str, request_id: &str, ts: i64) -> Notification {
        Notification {
            query_data_id: Some(data_id.to_owned()),
            query_type: Some("payment".to_owned()),
            signature: Some(sign(SECRET, Some(data_id), Some(request_id), ts).unwrap()),
            request_id: Some(request_id.to_owned()),
            ..Notification::default()
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap_or_default()
    }

    #[test]
    fn the_manifest_follows_the_documented_template() {
        assert_eq!(
            manifest(Some("123456"), Some("bb56a2f1"), "1704908010"),
            "id:123456;request-id:bb56a2f1;ts:1704908010;"
        );
        assert_eq!(
            manifest(Some("ORD01ABC"), None, "1"),
            "id:ord01abc;ts:1;",
            "alphanumeric ids lower-cased, absent request id left out"
        );
    }

    #[test]
    fn a_known_hmac_matches_an_independent_computation() {
        // printf 'id:123;request-id:abc;ts:1700000000;' | openssl dgst -sha256 -hmac key
        assert_eq!(
            sign(b"key", Some("123"), Some("abc"), 1_700_000_000).unwrap(),
            "ts=1700000000,v1=2066a087f748fc6bdbe57a7167142ee813c25a682d011384e8ea93c8149af2ce"
        );
    }

    #[test]
    fn a_fresh_correct_signature_verifies() {
        let now = 1_800_000_000;
        assert_eq!(
            verify(SECRET, &signed("987654321", "req-1", now), at(now)),
            Ok(())
        );
        assert_eq!(
            verify(SECRET, &signed("987654321", "req-1", now * 1000), at(now)),
            Ok(()),
            "milliseconds accepted"
        );
    }

    #[test]
    fn another_secret_id_or_request_id_is_a_mismatch() {
        let now = 1_800_000_000;
        let notification = signed("987654321", "req-1", now);
        assert_eq!(
            verify(b"other-secret", &notification, at(now)),
            Err(SignatureError::Mismatch)
        );
        let mut other_id = notification.clone();
        other_id.query_data_id = Some("987654322".to_owned());
        assert_eq!(
            verify(SECRET, &other_id, at(now)),
            Err(SignatureError::Mismatch)
        );
        let mut other_request = notification;
        other_request.request_id = Some("req-2".to_owned());
        assert_eq!(
            verify(SECRET, &other_request, at(now)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_older_or_newer_than_five_minutes_is_stale() {
        let signed_at = 1_800_000_000;
        let notification = signed("1", "r", signed_at);
        assert_eq!(verify(SECRET, &notification, at(signed_at + 300)), Ok(()));
        assert_eq!(
            verify(SECRET, &notification, at(signed_at + 301)),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, &notification, at(signed_at - 301)),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_told_apart() {
        let mut notification = signed("1", "r", 1);
        notification.signature = None;
        assert_eq!(
            verify(SECRET, &notification, at(1)),
            Err(SignatureError::Missing)
        );
        for header in [
            "",
            "ts=1",
            "v1=00",
            "ts=abc,v1=00",
            "ts=1,v1=zz",
            "ts=1,v1=0011",
        ] {
            notification.signature = Some(header.to_owned());
            assert_eq!(
                verify(SECRET, &notification, at(1)),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
    }

    #[test]
    fn spaces_around_the_parts_are_tolerated() {
        let now = 1_800_000_000;
        let mut notification = signed("55", "r", now);
        let header = notification.signature.clone().unwrap_or_default();
        notification.signature = Some(header.replace(',', ", "));
        assert_eq!(verify(SECRET, &notification, at(now)), Ok(()));
    }
}
