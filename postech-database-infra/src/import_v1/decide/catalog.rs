//! Categories and products.

use std::collections::HashMap;

use uuid::Uuid;

use super::{Verdict, fold, truncated};
use crate::import_v1::money::{FloatMoneyError, cents_from_v1_float, format_cents};
use crate::import_v1::rules::{Entity, Rule};
use crate::import_v1::source::{V1Category, V1Product};

/// The four categories postech seeds, with the ids of the v1 contract.
pub const FIXED_CATEGORIES: [(Uuid, &str); 4] = [
    (
        Uuid::from_u128(0xfcab78d9_c377_41f4_bf34_03d1a8bdbd89),
        "Lanche",
    ),
    (
        Uuid::from_u128(0xe8b1d3d4_738b_4207_9b2b_2c087858d7a7),
        "Acompanhamento",
    ),
    (
        Uuid::from_u128(0x6b2e43a7_8764_48ec_8f7a_65134c8c1b9e),
        "Bebida",
    ),
    (
        Uuid::from_u128(0xd290f1ee_6c54_4b01_90e6_d701748f0851),
        "Sobremesa",
    ),
];

/// postech's limits on products (the CHECK constraints of `products`).
const NAME_MIN: usize = 3;
const NAME_MAX: usize = 100;
const DESCRIPTION_MIN: usize = 10;
const DESCRIPTION_MAX: usize = 500;
const IMAGE_URL_MAX: usize = 2048;
const STOCK_MAX: i32 = 10_000;
/// 1000.00, the highest price (and payment) postech accepts.
pub const MAX_CENTS: i64 = 100_000;

/// Where each v1 category's products go: a fixed category, or nowhere (refused).
#[derive(Debug, Default)]
pub struct CategoryPlan {
    targets: HashMap<Uuid, Option<Uuid>>,
}

impl CategoryPlan {
    /// The fixed category of a v1 category id; `None` when refused or unknown.
    fn target(&self, v1_id: Uuid) -> Option<Uuid> {
        self.targets.get(&v1_id).copied().flatten()
    }
}

/// Decides every category; categories are never written (postech seeds the four).
pub fn decide_categories(rows: &[V1Category]) -> (Vec<Verdict>, CategoryPlan) {
    let mut plan = CategoryPlan::default();
    let verdicts = rows
        .iter()
        .map(|row| {
            let mut verdict = Verdict::superseded(Entity::Category, row.id.to_string());
            let by_id = FIXED_CATEGORIES.iter().find(|(id, _)| *id == row.id);
            let by_name = FIXED_CATEGORIES
                .iter()
                .find(|(_, name)| fold(name) == fold(&row.nome));
            let target = match (by_id, by_name) {
                (Some((id, name)), _) => {
                    if row.nome != *name {
                        verdict.apply_with(
                            Rule::CategoryNameDiffers,
                            format!(
                                "v1 name {}, postech keeps {name:?}",
                                super::quoted(&row.nome)
                            ),
                        );
                    }
                    Some(*id)
                }
                (None, Some((id, name))) => {
                    verdict.apply_with(
                        Rule::CategoryMappedByName,
                        format!("merged into {name} ({id})"),
                    );
                    Some(*id)
                }
                (None, None) => {
                    verdict.apply_with(
                        Rule::UnknownCategory,
                        format!("v1 name {}", super::quoted(&row.nome)),
                    );
                    None
                }
            };
            verdict.postech_id = target;
            plan.targets.insert(row.id, target);
            verdict
        })
        .collect();
    (verdicts, plan)
}

/// A `products` row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    /// The v1 id, kept.
    pub id: Uuid,
    /// A fixed category.
    pub category_id: Uuid,
    /// 3 to 100 characters.
    pub name: String,
    /// 10 to 500 characters.
    pub description: String,
    /// 1 to 100000 cents.
    pub price_cents: i64,
    /// At most 2048 characters.
    pub image_url: Option<String>,
    /// 0 to 10000.
    pub stock: i32,
    /// v1's `status`.
    pub active: bool,
}

/// What an order line needs to know of its product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductEntry {
    /// Imported: the line's snapshot is this name and price.
    Imported {
        /// The imported name.
        name: String,
        /// The imported price.
        price_cents: i64,
    },
    /// Refused by the import.
    Refused,
}

/// The fate of every v1 product, by id; a product absent from it was hard-deleted.
pub type ProductCatalog = HashMap<Uuid, ProductEntry>;

/// Decides one product.
pub fn decide_product(row: &V1Product, categories: &CategoryPlan) -> (Verdict, Option<ProductRow>) {
    let mut verdict = Verdict::new(Entity::Product, row.id.to_string());
    let category_id = categories.target(row.categoria_id);
    match category_id {
        None => verdict.apply(Rule::CategoryRefused),
        Some(id) if id != row.categoria_id => verdict.apply_with(
            Rule::CategoryRemapped,
            format!("category {} → {id}", row.categoria_id),
        ),
        Some(_) => {}
    }

    let price_cents = match cents_from_v1_float(row.preco) {
        Err(FloatMoneyError::NotFinite) => {
            verdict.apply(Rule::PriceNotFinite);
            None
        }
        Err(FloatMoneyError::OutOfRange) => {
            verdict.apply(if row.preco > 0.0 {
                Rule::PriceAboveLimit
            } else {
                Rule::PriceNotPositive
            });
            None
        }
        Ok(rounded) => {
            if rounded.rounded {
                verdict.apply_with(
                    Rule::PriceRounded,
                    format!("preco {} → {}", row.preco, format_cents(rounded.cents)),
                );
            }
            if rounded.cents <= 0 {
                verdict.apply_with(Rule::PriceNotPositive, format!("preco {}", row.preco));
            } else if rounded.cents > MAX_CENTS {
                verdict.apply_with(Rule::PriceAboveLimit, format!("preco {}", row.preco));
            }
            Some(rounded.cents)
        }
    };

    let name_length = row.nome.chars().count();
    let name = if name_length < NAME_MIN {
        verdict.apply_with(Rule::NameTooShort, format!("{name_length} characters"));
        row.nome.clone()
    } else if let Some(cut) = truncated(&row.nome, NAME_MAX) {
        verdict.apply_with(Rule::NameTruncated, format!("{name_length} characters"));
        cut
    } else {
        row.nome.clone()
    };

    let description = if row.descricao.chars().count() < DESCRIPTION_MIN {
        let joined = if row.descricao.trim().is_empty() {
            name.clone()
        } else {
            format!("{name} — {}", row.descricao.trim())
        };
        verdict.apply(Rule::DescriptionCompleted);
        if joined.chars().count() >= DESCRIPTION_MIN {
            truncated(&joined, DESCRIPTION_MAX).unwrap_or(joined)
        } else {
            format!("{name} (produto importado do v1)")
        }
    } else if let Some(cut) = truncated(&row.descricao, DESCRIPTION_MAX) {
        verdict.apply(Rule::DescriptionTruncated);
        cut
    } else {
        row.descricao.clone()
    };

    let image_url = match row.imagem_url.as_deref() {
        Some(url) if url.trim().is_empty() => {
            verdict.apply_with(Rule::BlankTextNulled, "imagem_url");
            None
        }
        Some(url) if url.chars().count() > IMAGE_URL_MAX => {
            verdict.apply(Rule::ImageUrlTooLong);
            None
        }
        other => other.map(str::to_owned),
    };

    let stock = row.estoque_disponivel.clamp(0, STOCK_MAX);
    if stock != row.estoque_disponivel {
        verdict.apply_with(
            Rule::StockClamped,
            format!("estoque_disponivel {} → {stock}", row.estoque_disponivel),
        );
    }

    let product = match (category_id, price_cents) {
        (Some(category_id), Some(price_cents)) if verdict.outcome().is_imported() => {
            verdict.postech_id = Some(row.id);
            Some(ProductRow {
                id: row.id,
                category_id,
                name,
                description,
                price_cents,
                image_url,
                stock,
                active: row.status,
            })
        }
        _ => None,
    };
    (verdict, product)
}

/// The catalog entry of a decided product.
pub fn catalog_entry(row: Option<&ProductRow>) -> ProductEntry {
    match row {
        Some(row) => ProductEntry::Imported {
            name: row.name.clone(),
            price_cents: row.price_cents,
        },
        None => ProductEntry::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import_v1::rules::Outcome;

    const LANCHE: Uuid = FIXED_CATEGORIES[0].0;

    fn product(preco: f64) -> V1Product {
        V1Product {
            id: Uuid::from_u128(1),
            nome: "X-Burger".to_owned(),
            preco,
            categoria_id: LANCHE,
            descricao: "Pão, carne e queijo.".to_owned(),
            status: true,
            imagem_url: None,
            estoque_disponivel: 10,
        }
    }

    fn plan() -> CategoryPlan {
        decide_categories(&[V1Category {
            id: LANCHE,
            nome: "Lanche".to_owned(),
        }])
        .1
    }

    #[test]
    fn a_clean_product_is_imported_unchanged() {
        let (verdict, row) = decide_product(&product(15.9), &plan());
        assert_eq!(verdict.outcome(), Outcome::Clean);
        assert_eq!(row.map(|row| row.price_cents), Some(1590));
    }

    #[test]
    fn float_noise_is_rounded_and_marked_repaired() {
        let (verdict, row) = decide_product(&product(9.9000000001), &plan());
        assert_eq!(verdict.rules, [Rule::PriceRounded]);
        assert_eq!(row.map(|row| row.price_cents), Some(990));
    }

    #[test]
    fn prices_out_of_range_are_refused() {
        for (preco, rule) in [
            (0.0, Rule::PriceNotPositive),
            (0.004, Rule::PriceNotPositive),
            (-3.0, Rule::PriceNotPositive),
            (1000.01, Rule::PriceAboveLimit),
            (1e300, Rule::PriceAboveLimit),
            (f64::NAN, Rule::PriceNotFinite),
        ] {
            let (verdict, row) = decide_product(&product(preco), &plan());
            assert!(
                verdict.rules.contains(&rule),
                "{preco}: {:?}",
                verdict.rules
            );
            assert_eq!(verdict.outcome(), Outcome::Rejected);
            assert!(row.is_none());
        }
    }

    #[test]
    fn a_short_description_is_completed_with_the_name() {
        let mut short = product(5.0);
        short.descricao = "Lata".to_owned();
        let (verdict, row) = decide_product(&short, &plan());
        assert_eq!(verdict.outcome(), Outcome::Flagged);
        assert_eq!(
            row.map(|row| row.description),
            Some("X-Burger — Lata".to_owned())
        );
        short.nome = "Suco".to_owned();
        short.descricao = String::new();
        let (_, row) = decide_product(&short, &plan());
        assert_eq!(
            row.map(|row| row.description),
            Some("Suco (produto importado do v1)".to_owned())
        );
    }

    #[test]
    fn a_category_of_another_id_but_a_fixed_name_is_merged_into_it() {
        let other = Uuid::from_u128(99);
        let (verdicts, plan) = decide_categories(&[V1Category {
            id: other,
            nome: "BEBIDAS ".to_owned(),
        }]);
        // "bebidas" is not "bebida": refused, and its products with it.
        assert_eq!(verdicts[0].outcome(), Outcome::Rejected);
        let mut in_it = product(5.0);
        in_it.categoria_id = other;
        assert_eq!(
            decide_product(&in_it, &plan).0.rules,
            [Rule::CategoryRefused]
        );

        let (verdicts, plan) = decide_categories(&[V1Category {
            id: other,
            nome: " bebida".to_owned(),
        }]);
        assert_eq!(verdicts[0].outcome(), Outcome::Merged);
        let (verdict, row) = decide_product(&in_it, &plan);
        assert_eq!(verdict.rules, [Rule::CategoryRemapped]);
        assert_eq!(row.map(|row| row.category_id), Some(FIXED_CATEGORIES[2].0));
    }
}
