//! The admin rules for creating and updating a product.

use std::ops::RangeInclusive;

use uuid::Uuid;

use super::Category;
use crate::money::Money;
use crate::validation::{FieldError, check_storable_text};

/// Allowed length of a product name, in characters, after trimming.
pub const NAME_CHARS: RangeInclusive<usize> = 3..=100;
/// Allowed length of a product description, in characters, after trimming.
pub const DESCRIPTION_CHARS: RangeInclusive<usize> = 10..=500;
/// Highest price of a product (prices must also be above zero).
pub const MAX_PRICE: Money = Money::from_cents(100_000);
/// Highest stock of a product.
pub const MAX_STOCK: u32 = 10_000;
/// Longest image URL accepted. The contract sets no limit; this one only keeps unbounded
/// text out of the database and is far above any real URL.
pub const MAX_IMAGE_URL_CHARS: usize = 2048;

/// A product as an admin submitted it, before the rules are checked.
///
/// Fields hold what the request can express (a negative stock, an unknown category id) so
/// that each broken rule becomes a [`FieldError`] instead of a parse failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductDraft {
    /// Name as typed.
    pub name: String,
    /// Description as typed.
    pub description: String,
    /// Price (already known to have at most two decimals).
    pub price: Money,
    /// Id of the category, possibly unknown.
    pub category_id: Uuid,
    /// Picture URL, if any; blank counts as none.
    pub image_url: Option<String>,
    /// Stock as submitted.
    pub stock_available: i64,
}

/// Product fields that satisfy every admin rule, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedProduct {
    /// Trimmed name, within [`NAME_CHARS`].
    pub name: String,
    /// Trimmed description, within [`DESCRIPTION_CHARS`].
    pub description: String,
    /// Price in `(0, MAX_PRICE]`.
    pub price: Money,
    /// A known category.
    pub category: Category,
    /// Trimmed, non-blank URL.
    pub image_url: Option<String>,
    /// Stock within `0..=MAX_STOCK`.
    pub stock_available: u32,
}

impl ProductDraft {
    /// Checks the rules of `POST`/`PUT /admin/produtos`: name 3–100 characters, description
    /// 10–500, `0 < price ≤ 1000.00`, a known category, stock 0–10 000, and no NUL character
    /// in name, description or image URL ([`check_storable_text`]). Every broken rule is
    /// reported, each under its field (`name`, `description`, `price`, `category_id`,
    /// `image_url`, `stock_available`).
    ///
    /// ```
    /// use postech_shared_sdk::catalog::{Category, ProductDraft};
    /// use postech_shared_sdk::money::Money;
    ///
    /// let draft = ProductDraft {
    ///     name: "  X-Burger ".into(),
    ///     description: "Pão, carne e queijo".into(),
    ///     price: Money::from_cents(2590),
    ///     category_id: Category::Burger.id(),
    ///     image_url: None,
    ///     stock_available: 40,
    /// };
    /// let product = draft.clone().validate().expect("valid draft");
    /// assert_eq!(product.name, "X-Burger");
    ///
    /// let errors = ProductDraft { stock_available: -1, price: Money::ZERO, ..draft }
    ///     .validate()
    ///     .unwrap_err();
    /// let fields: Vec<_> = errors.iter().filter_map(|error| error.field()).collect();
    /// assert_eq!(fields, ["price", "stock_available"]);
    /// ```
    pub fn validate(self) -> Result<ValidatedProduct, Vec<FieldError>> {
        let mut errors = Vec::new();

        let name = self.name.trim().to_owned();
        check_text(&mut errors, "name", "O nome", &name, NAME_CHARS);
        let description = self.description.trim().to_owned();
        check_text(
            &mut errors,
            "description",
            "A descrição",
            &description,
            DESCRIPTION_CHARS,
        );

        if self.price <= Money::ZERO {
            errors.push(FieldError::at_field(
                "price",
                "greater_than",
                "O preço deve ser maior que zero",
            ));
        } else if self.price > MAX_PRICE {
            errors.push(FieldError::at_field(
                "price",
                "less_than_equal",
                format!("O preço deve ser no máximo {MAX_PRICE}"),
            ));
        }

        let category = Category::from_id(self.category_id);
        if category.is_none() {
            errors.push(FieldError::at_field(
                "category_id",
                "value_error",
                "Categoria inexistente",
            ));
        }

        let image_url = self
            .image_url
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty());
        if let Some(Err(error)) = image_url
            .as_ref()
            .map(|url| check_storable_text("image_url", "A URL da imagem", url))
        {
            errors.push(error);
        }
        if image_url
            .as_ref()
            .is_some_and(|url| url.chars().count() > MAX_IMAGE_URL_CHARS)
        {
            errors.push(FieldError::at_field(
                "image_url",
                "string_too_long",
                format!("A URL da imagem deve ter no máximo {MAX_IMAGE_URL_CHARS} caracteres"),
            ));
        }

        if self.stock_available < 0 {
            errors.push(FieldError::at_field(
                "stock_available",
                "greater_than_equal",
                "O estoque não pode ser negativo",
            ));
        } else if self.stock_available > i64::from(MAX_STOCK) {
            errors.push(FieldError::at_field(
                "stock_available",
                "less_than_equal",
                format!("O estoque deve ser no máximo {MAX_STOCK}"),
            ));
        }
        // Fails exactly for the out-of-range values reported above.
        let stock_available = u32::try_from(self.stock_available).ok();

        match (category, stock_available) {
            (Some(category), Some(stock_available)) if errors.is_empty() => Ok(ValidatedProduct {
                name,
                description,
                price: self.price,
                category,
                image_url,
                stock_available,
            }),
            _ => Err(errors),
        }
    }
}

/// A text field's rules: storable, and a length within `allowed`.
fn check_text(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    label: &str,
    value: &str,
    allowed: RangeInclusive<usize>,
) {
    if let Err(error) = check_storable_text(field, label, value) {
        errors.push(error);
    }
    let length = value.chars().count();
    if length < *allowed.start() {
        errors.push(FieldError::at_field(
            field,
            "string_too_short",
            format!("{label} deve ter pelo menos {} caracteres", allowed.start()),
        ));
    } else if length > *allowed.end() {
        errors.push(FieldError::at_field(
            field,
            "string_too_long",
            format!("{label} deve ter no máximo {} caracteres", allowed.end()),
        ));
    }
}
