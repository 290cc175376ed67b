//! Field-level validation errors of every part of the domain (the menu, checkouts,
//! customers), shaped so the HTTP layer can answer FastAPI-style 422s
//! (`{"loc": [...], "msg": ..., "type": ...}`).

use std::fmt;

use serde::Serialize;

/// One step of the location of an invalid value: a field name (English, as in the domain
/// types; the HTTP layer maps it to the wire name) or a position in a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PathSegment {
    /// A named field, such as `quantity`.
    Field(&'static str),
    /// A zero-based position in a list.
    Index(usize),
}

impl fmt::Display for PathSegment {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSegment::Field(name) => formatter.write_str(name),
            PathSegment::Index(position) => write!(formatter, "{position}"),
        }
    }
}

/// A value that breaks a business rule, with where it is and why.
///
/// ```
/// use postech_shared_sdk::validation::{FieldError, PathSegment};
///
/// let error = FieldError::new(
///     vec![PathSegment::Field("items"), PathSegment::Index(2), PathSegment::Field("quantity")],
///     "less_than_equal",
///     "A quantidade deve ser no máximo 50",
/// );
/// assert_eq!(error.field(), Some("quantity"));
/// assert_eq!(error.to_string(), "items.2.quantity: A quantidade deve ser no máximo 50");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where the value is, outermost first (the request body itself is implied).
    pub path: Vec<PathSegment>,
    /// Machine-readable kind, using pydantic's names (`string_too_short`, `greater_than`,
    /// `less_than_equal`, `too_short`, `too_long`, `value_error`…) for FastAPI clients.
    pub error_type: &'static str,
    /// Message for the client, in Portuguese like every message of the API.
    pub message: String,
}

impl FieldError {
    /// An error at `path`.
    pub fn new(
        path: Vec<PathSegment>,
        error_type: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path,
            error_type,
            message: message.into(),
        }
    }

    /// An error on a top-level field.
    pub fn at_field(
        field: &'static str,
        error_type: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(vec![PathSegment::Field(field)], error_type, message)
    }

    /// The innermost field name of the path, if it has one.
    pub fn field(&self) -> Option<&'static str> {
        self.path.iter().rev().find_map(|segment| match segment {
            PathSegment::Field(name) => Some(*name),
            PathSegment::Index(_) => None,
        })
    }
}

/// `items.2.quantity: message`.
impl fmt::Display for FieldError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.path.iter().enumerate() {
            if position > 0 {
                formatter.write_str(".")?;
            }
            write!(formatter, "{segment}")?;
        }
        write!(formatter, ": {}", self.message)
    }
}

impl std::error::Error for FieldError {}

/// Checks that a free-text value can be stored: PostgreSQL's `text` refuses the NUL
/// character (`\u0000`, valid in JSON and in Rust strings) with an error of its own, so a
/// value carrying it must be refused here, as the client's mistake it is, under its field.
/// Every other character — accents, emoji, line breaks — is stored as sent. `label` starts
/// the message (`"O nome"`).
///
/// ```
/// use postech_shared_sdk::validation::check_storable_text;
///
/// assert!(check_storable_text("notes", "As observações", "sem cebola 🧅\n").is_ok());
/// let error = check_storable_text("notes", "As observações", "sem\u{0}cebola").unwrap_err();
/// assert_eq!(error.field(), Some("notes"));
/// assert_eq!(error.error_type, "value_error");
/// ```
pub fn check_storable_text(
    field: &'static str,
    label: &str,
    value: &str,
) -> Result<(), FieldError> {
    if value.contains('\0') {
        Err(FieldError::at_field(
            field,
            "value_error",
            format!("{label} não pode conter o caractere nulo (\\u0000)"),
        ))
    } else {
        Ok(())
    }
}
