//! The six sample products of v1, for local runs and demos. Idempotent: each has a fixed id
//! and is inserted only when absent, so running the seed twice (or after staff edited a
//! sample) changes nothing.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use postech_database::schema::products;
use uuid::Uuid;

use super::money::SqlMoney;
use super::{PgPool, connection, to_port_error};
use crate::application::error::PortError;
use crate::domain::catalog::Category;
use crate::domain::money::Money;

/// Units each sample starts with.
const SAMPLE_STOCK: i32 = 100;

/// One sample product.
#[derive(Clone, Copy, Debug)]
pub struct SampleProduct {
    /// Fixed id (so seeding is idempotent and demos can name it).
    pub id: Uuid,
    /// Name.
    pub name: &'static str,
    /// Description.
    pub description: &'static str,
    /// Price in cents.
    pub price_cents: i64,
    /// Category.
    pub category: Category,
}

/// The v1 sample menu.
pub const SAMPLE_MENU: [SampleProduct; 6] = [
    SampleProduct {
        id: Uuid::from_u128(0x5a3e0001_0000_4000_8000_000000000001),
        name: "X-Burguer",
        description: "Hambúrguer bovino, queijo prato e molho da casa no pão de brioche",
        price_cents: 1590,
        category: Category::Burger,
    },
    SampleProduct {
        id: Uuid::from_u128(0x5a3e0001_0000_4000_8000_000000000002),
        name: "X-Salada",
        description: "Hambúrguer bovino, queijo, alface, tomate e maionese no pão de brioche",
        price_cents: 1690,
        category: Category::Burger,
    },
    SampleProduct {
        id: Uuid::from_u128(0x5a3e0001_0000_4000_8000_000000000003),
        name: "Batata Frita",
        description: "Porção média de batatas fritas crocantes com sal",
        price_cents: 990,
        category: Category::Side,
    },
    SampleProduct {
        id: Uuid::from_u128(0x5a3e0001_0000_4000_8000_000000000004),
        name: "Refrigerante",
        description: "Lata de 350 ml, sabores variados",
        price_cents: 600,
        category: Category::Drink,
    },
    SampleProduct {
        id: Uuid::from_u128(0x5a3e0001_0000_4000_8000_000000000005),
        name: "Suco Natural",
        description: "Copo de 400 ml de suco da fruta do dia, feito na hora",
        price_cents: 750,
        category: Category::Drink,
    },
    SampleProduct {
        id: Uuid::from_u128(0x5a3e0001_0000_4000_8000_000000000006),
        name: "Sorvete",
        description: "Casquinha com duas bolas de sorvete de creme ou chocolate",
        price_cents: 800,
        category: Category::Dessert,
    },
];

/// Inserts the sample products that are missing; returns how many were inserted.
pub async fn seed_sample_menu(pool: &PgPool) -> Result<usize, PortError> {
    let mut connection = connection(pool).await?;
    let rows: Vec<_> = SAMPLE_MENU
        .iter()
        .map(|sample| {
            (
                products::id.eq(sample.id),
                products::category_id.eq(sample.category.id()),
                products::name.eq(sample.name),
                products::description.eq(sample.description),
                products::price.eq(SqlMoney(Money::from_cents(sample.price_cents))),
                products::stock_available.eq(SAMPLE_STOCK),
                products::active.eq(true),
            )
        })
        .collect();
    diesel::insert_into(products::table)
        .values(&rows)
        .on_conflict(products::id)
        .do_nothing()
        .execute(&mut connection)
        .await
        .map_err(to_port_error)
}
