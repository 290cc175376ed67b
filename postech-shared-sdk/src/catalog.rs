//! The menu: the four fixed categories and the products staff manage.

mod draft;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::ids::ProductId;
use crate::money::Money;

/// Kept here for the consumers of 0.2.0; the types live in [`crate::validation`], shared by
/// every part of the domain.
pub use crate::validation::{FieldError, PathSegment, check_storable_text};
pub use draft::{
    DESCRIPTION_CHARS, MAX_IMAGE_URL_CHARS, MAX_PRICE, MAX_STOCK, NAME_CHARS, ProductDraft,
    ValidatedProduct,
};

/// A menu category. The set and the ids are fixed (kept from v1 so clients keep working).
///
/// Serialises as its id.
///
/// ```
/// use postech_shared_sdk::catalog::Category;
///
/// assert_eq!(Category::from_name(" BEBIDA "), Some(Category::Drink));
/// assert_eq!(Category::from_name("acompanhámento"), Some(Category::Side));
/// assert_eq!(Category::Drink.display_name(), "Bebida");
/// assert_eq!(Category::from_id(Category::Drink.id()), Some(Category::Drink));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// "Lanche": burgers and sandwiches.
    Burger,
    /// "Acompanhamento": fries and other sides.
    Side,
    /// "Bebida": drinks.
    Drink,
    /// "Sobremesa": desserts.
    Dessert,
}

impl Category {
    /// Every category, in menu order.
    pub const ALL: [Category; 4] = [
        Category::Burger,
        Category::Side,
        Category::Drink,
        Category::Dessert,
    ];

    /// The fixed id of the category (the `categoria_id` of the contract).
    pub const fn id(self) -> Uuid {
        match self {
            Category::Burger => Uuid::from_u128(0xfcab78d9_c377_41f4_bf34_03d1a8bdbd89),
            Category::Side => Uuid::from_u128(0xe8b1d3d4_738b_4207_9b2b_2c087858d7a7),
            Category::Drink => Uuid::from_u128(0x6b2e43a7_8764_48ec_8f7a_65134c8c1b9e),
            Category::Dessert => Uuid::from_u128(0xd290f1ee_6c54_4b01_90e6_d701748f0851),
        }
    }

    /// The Portuguese name shown to customers (`Lanche`, `Acompanhamento`, `Bebida`,
    /// `Sobremesa`).
    pub const fn display_name(self) -> &'static str {
        match self {
            Category::Burger => "Lanche",
            Category::Side => "Acompanhamento",
            Category::Drink => "Bebida",
            Category::Dessert => "Sobremesa",
        }
    }

    /// The category with this id, if any.
    pub fn from_id(id: Uuid) -> Option<Category> {
        Self::ALL.into_iter().find(|category| category.id() == id)
    }

    /// The category with this display name, ignoring case, Portuguese accents and
    /// surrounding whitespace (`bebida`, `BEBIDA`, `acompanhámento`).
    pub fn from_name(name: &str) -> Option<Category> {
        let wanted = fold_case_and_accents(name.trim());
        Self::ALL
            .into_iter()
            .find(|category| fold_case_and_accents(category.display_name()) == wanted)
    }
}

/// Lower-cases and strips the diacritics of Portuguese (and common Latin-1) letters, so
/// names compare the way people type them. Precomposed letters only, which is what keyboards
/// and browsers send; other characters pass through lower-cased.
fn fold_case_and_accents(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|letter| match letter {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            other => other,
        })
        .collect()
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.id().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = Uuid::deserialize(deserializer)?;
        Category::from_id(id)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown category id {id}")))
    }
}

/// A product of the menu as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Its id.
    pub id: ProductId,
    /// Name shown on the kiosk (3–100 characters).
    pub name: String,
    /// Description shown on the kiosk (10–500 characters).
    pub description: String,
    /// Current unit price; orders keep their own snapshot.
    pub price: Money,
    /// Its category.
    pub category: Category,
    /// Picture, if any.
    pub image_url: Option<String>,
    /// Units that can still be reserved by orders (0–10 000).
    pub stock_available: u32,
    /// Inactive products are hidden from customers and cannot be ordered; they are never
    /// deleted because past orders refer to them.
    pub active: bool,
}

impl Product {
    /// The product with id `id` built from fields that passed [`ProductDraft::validate`].
    pub fn from_validated(id: ProductId, fields: ValidatedProduct, active: bool) -> Product {
        Product {
            id,
            name: fields.name,
            description: fields.description,
            price: fields.price,
            category: fields.category,
            image_url: fields.image_url,
            stock_available: fields.stock_available,
            active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_portuguese_accents_and_case() {
        assert_eq!(fold_case_and_accents("AÇÃO Pão Créme"), "acao pao creme");
        assert_eq!(fold_case_and_accents("ÁÉÍÓÚÂÊÔÀÜÑ"), "aeiouaeoaun");
    }

    #[test]
    fn category_serialises_as_its_fixed_id() {
        let json = serde_json::to_string(&Category::Dessert).expect("serialises");
        assert_eq!(json, "\"d290f1ee-6c54-4b01-90e6-d701748f0851\"");
        let back: Category = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, Category::Dessert);
        assert!(
            serde_json::from_str::<Category>("\"00000000-0000-0000-0000-000000000000\"").is_err()
        );
    }
}
