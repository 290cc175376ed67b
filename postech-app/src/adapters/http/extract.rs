//! Request extraction whose failures are FastAPI-shaped 422s, never actix's plain-text 400s.

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::adapters::http::error::{ApiError, Location, ValidationIssue};

/// Largest accepted JSON body; the biggest legitimate one (a 20-line checkout) is ~2 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body whose deserialisation errors name the offending field.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(request, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|_| {
                ApiError::invalid(
                    vec!["body".into()],
                    format!("Corpo ausente ou maior que {MAX_BODY_BYTES} bytes"),
                    "value_error",
                )
            })?;
            parse_json(&bytes).map(ValidJson)
        })
    }
}

/// Parses a JSON document, pointing at the failing field on error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let mut loc: Vec<Location> = vec!["body".into()];
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Map { key } => loc.push(Location::Field(key.clone())),
                serde_path_to_error::Segment::Seq { index } => loc.push(Location::Index(*index)),
                serde_path_to_error::Segment::Enum { variant } => {
                    loc.push(Location::Field(variant.clone()))
                }
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        let inner = error.inner();
        let message = inner.to_string();
        let kind = if inner.is_syntax() || inner.is_eof() {
            "json_invalid"
        } else if message.starts_with("missing field") {
            // serde names the missing field in the message, not in the path.
            if let Some(field) = message.split('`').nth(1) {
                loc.push(Location::Field(field.to_owned()));
            }
            "missing"
        } else {
            "value_error"
        };
        ApiError::Validation(vec![ValidationIssue::new(
            loc,
            strip_position(&message),
            kind,
        )])
    })
}

/// serde_json appends " at line 1 column 42"; the location already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Path segments that do not parse (a malformed UUID) → 422 at `["path", …]`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error: PathError, request: &HttpRequest| {
        let name = request
            .match_info()
            .iter()
            .next()
            .map(|(name, _)| name.to_owned())
            .unwrap_or_else(|| "id".to_owned());
        let message = match &error {
            PathError::Deserialize(inner) => inner.to_string(),
            other => other.to_string(),
        };
        ApiError::invalid(
            vec!["path".into(), Location::Field(name)],
            message,
            "value_error",
        )
        .into()
    })
}

/// Query strings that do not parse → 422 at `["query"]`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _: &HttpRequest| {
        let message = match &error {
            QueryPayloadError::Deserialize(inner) => inner.to_string(),
            other => other.to_string(),
        };
        ApiError::invalid(vec!["query".into()], message, "value_error").into()
    })
}

/// A body limit for `web::Bytes` extraction used by [`ValidJson`].
pub fn payload_config() -> web::PayloadConfig {
    web::PayloadConfig::new(MAX_BODY_BYTES)
}
