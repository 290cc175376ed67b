//! Menu routes: categories and products, public and admin.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::adapters::http::auth::AdminCaller;
use crate::adapters::http::error::{ApiError, ErrorBody, ValidationErrorBody};
use crate::adapters::http::extract::ValidJson;
use crate::adapters::http::prepared_cache::Prepared;
use crate::adapters::http::state::AppState;
use crate::adapters::postgres::products;
use crate::domain::catalog::{Category, Product, ProductDraft};
use crate::domain::ids::ProductId;
use crate::domain::money::Money;

/// A category.
#[derive(Serialize, ToSchema)]
pub struct CategoryBody {
    /// Fixed id (kept from v1).
    id: Uuid,
    /// Name: Lanche, Acompanhamento, Bebida or Sobremesa.
    nome: &'static str,
}

/// A product as the menu shows it.
#[derive(Serialize, ToSchema)]
pub struct ProductBody {
    id: Uuid,
    nome: String,
    descricao: String,
    /// Decimal string with two places, e.g. "15.90".
    #[schema(value_type = String, example = "15.90")]
    preco: Money,
    categoria_id: Uuid,
    imagem_url: Option<String>,
    estoque_disponivel: u32,
    /// Only in admin answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    ativo: Option<bool>,
}

impl ProductBody {
    fn public(product: Product) -> Self {
        Self::admin(product).without_status()
    }

    fn admin(product: Product) -> Self {
        Self {
            id: product.id.into_uuid(),
            nome: product.name,
            descricao: product.description,
            preco: product.price,
            categoria_id: product.category.id(),
            imagem_url: product.image_url,
            estoque_disponivel: product.stock_available,
            ativo: Some(product.active),
        }
    }

    fn without_status(mut self) -> Self {
        self.ativo = None;
        self
    }
}

/// Filters of the public menu.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Category id.
    categoria_id: Option<Uuid>,
    /// Category name, case- and accent-insensitive (`bebida`, `Acompanhámento`).
    categoria: Option<String>,
}

/// Body of product creation and update. Unknown fields (an admin tool echoing back `id` or
/// a category name) are ignored, as v1 ignored them.
#[derive(Deserialize, ToSchema)]
pub struct ProductInput {
    /// 3–100 characters.
    nome: String,
    /// 10–500 characters.
    descricao: String,
    /// 0 < preço ≤ 1000, at most two decimals; a JSON number or a string.
    #[schema(value_type = String, example = "15.90")]
    preco: Money,
    /// One of the four category ids.
    categoria_id: Uuid,
    /// Optional picture URL.
    imagem_url: Option<String>,
    /// 0–10000.
    estoque_disponivel: i64,
    /// On update only: `true` reactivates a deactivated product. Absent keeps the status.
    #[serde(default)]
    ativo: Option<bool>,
}

impl ProductInput {
    fn into_draft(self) -> (ProductDraft, Option<bool>) {
        (
            ProductDraft {
                name: self.nome,
                description: self.descricao,
                price: self.preco,
                category_id: self.categoria_id,
                image_url: self.imagem_url,
                stock_available: self.estoque_disponivel,
            },
            self.ativo,
        )
    }
}

/// The four categories (fixed in the code: prepared once per process).
#[utoipa::path(
    tag = "catalogo",
    responses(
        (status = 200, body = [CategoryBody], headers(("ETag" = String, description = "The answer's entity tag"))),
        (status = 304, description = "Not modified: the `If-None-Match` tag is current"),
    )
)]
#[get("/v1/api/categorias")]
async fn list_categories(request: HttpRequest) -> HttpResponse {
    static CATEGORIES: OnceLock<Prepared> = OnceLock::new();
    let prepared = CATEGORIES.get_or_init(|| {
        let body: Vec<CategoryBody> = Category::ALL
            .into_iter()
            .map(|category| CategoryBody {
                id: category.id(),
                nome: category.display_name(),
            })
            .collect();
        // Plain structs of strings and ids: serialising them cannot fail.
        Prepared::new(serde_json::to_vec(&body).unwrap_or_default())
    });
    prepared.answer(&request, MENU_CACHE_CONTROL)
}

/// Active products, optionally of one category. Served from the process's menu cache while
/// the database's change notifications are being heard (`menu_cache.rs`); kiosks that poll
/// may send the last `ETag` in `If-None-Match` and get 304 while the menu is unchanged.
#[utoipa::path(
    tag = "catalogo",
    params(ProductQuery),
    responses(
        (status = 200, body = [ProductBody], headers(("ETag" = String, description = "The answer's entity tag, the same on every pod for the same menu"))),
        (status = 304, description = "Not modified: the `If-None-Match` tag is current"),
        (status = 422, description = "Unknown category", body = ValidationErrorBody),
    )
)]
#[get("/v1/api/produtos")]
async fn list_products(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ProductQuery>,
) -> Result<HttpResponse, ApiError> {
    let category = category_filter(&query)?;
    let prepared = state.menu.products(category, public_menu_json).await?;
    Ok(prepared.answer(&request, MENU_CACHE_CONTROL))
}

/// A client may keep the menu, but must ask again (a 304 when unchanged) before reusing it.
const MENU_CACHE_CONTROL: &str = "no-cache";

/// The public menu's JSON body.
fn public_menu_json(menu: Vec<Product>) -> Result<Vec<u8>, serde_json::Error> {
    let body: Vec<ProductBody> = menu.into_iter().map(ProductBody::public).collect();
    serde_json::to_vec(&body)
}

fn category_filter(query: &ProductQuery) -> Result<Option<Category>, ApiError> {
    let unknown = |field: &str| {
        ApiError::invalid(
            vec!["query".into(), field.into()],
            "Categoria inexistente",
            "value_error",
        )
    };
    let by_id = query
        .categoria_id
        .map(|id| Category::from_id(id).ok_or_else(|| unknown("categoria_id")))
        .transpose()?;
    let by_name = query
        .categoria
        .as_deref()
        .map(|name| Category::from_name(name).ok_or_else(|| unknown("categoria")))
        .transpose()?;
    match (by_id, by_name) {
        (Some(id), Some(name)) if id != name => Err(ApiError::invalid(
            vec!["query".into()],
            "categoria_id e categoria indicam categorias diferentes",
            "value_error",
        )),
        (by_id, by_name) => Ok(by_id.or(by_name)),
    }
}

/// One active product.
#[utoipa::path(
    tag = "catalogo",
    responses(
        (status = 200, body = ProductBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[get("/v1/api/produtos/{product_id}")]
async fn get_product(
    state: web::Data<AppState>,
    product_id: web::Path<Uuid>,
) -> Result<web::Json<ProductBody>, ApiError> {
    let product = state
        .catalog
        .active_product(ProductId::from(product_id.into_inner()))
        .await?;
    Ok(web::Json(ProductBody::public(product)))
}

/// Every product, inactive included.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = [ProductBody]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/v1/api/admin/produtos")]
async fn admin_list_products(
    _admin: AdminCaller,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<ProductBody>>, ApiError> {
    let every_product = products::list(&state.pool, None, false).await?;
    Ok(web::Json(
        every_product.into_iter().map(ProductBody::admin).collect(),
    ))
}

/// Creates a product.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = ProductInput,
    responses(
        (status = 201, body = ProductBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[post("/v1/api/admin/produtos")]
async fn admin_create_product(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    ValidJson(input): ValidJson<ProductInput>,
) -> Result<HttpResponse, ApiError> {
    let (draft, _) = input.into_draft();
    let product = state.catalog.create(draft).await?;
    state.menu.invalidate();
    Ok(HttpResponse::Created().json(ProductBody::admin(product)))
}

/// Replaces a product; `ativo: true` reactivates it.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = ProductInput,
    responses(
        (status = 200, body = ProductBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[put("/v1/api/admin/produtos/{product_id}")]
async fn admin_update_product(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    product_id: web::Path<Uuid>,
    ValidJson(input): ValidJson<ProductInput>,
) -> Result<web::Json<ProductBody>, ApiError> {
    let (draft, active) = input.into_draft();
    let product = state
        .catalog
        .replace(ProductId::from(product_id.into_inner()), draft, active)
        .await?;
    state.menu.invalidate();
    Ok(web::Json(ProductBody::admin(product)))
}

/// Deactivates a product (past orders keep their snapshot).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "The id is not a UUID", body = ValidationErrorBody),
    )
)]
#[delete("/v1/api/admin/produtos/{product_id}")]
async fn admin_deactivate_product(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    product_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .catalog
        .deactivate(ProductId::from(product_id.into_inner()))
        .await?;
    state.menu.invalidate();
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the menu routes.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(list_categories)
        .service(list_products)
        .service(get_product)
        .service(admin_list_products)
        .service(admin_create_product)
        .service(admin_update_product)
        .service(admin_deactivate_product);
}
