//! Menu routes: categories and products, public and admin.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::adapters::http::auth::AdminCaller;
use crate::adapters::http::error::{ApiError, ErrorBody, ValidationErrorBody};
use crate::adapters::http::extract::ValidJson;
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

/// The four categories.
#[utoipa::path(tag = "catalogo", responses((status = 200, body = [CategoryBody])))]
#[get("/v1/api/categorias")]
async fn list_categories() -> web::Json<Vec<CategoryBody>> {
    web::Json(
        Category::ALL
            .into_iter()
            .map(|category| CategoryBody {
                id: category.id(),
                nome: category.display_name(),
            })
            .collect(),
    )
}

/// Active products, optionally of one category.
#[utoipa::path(
    tag = "catalogo",
    params(ProductQuery),
    responses(
        (status = 200, body = [ProductBody]),
        (status = 422, description = "Unknown category", body = ValidationErrorBody),
    )
)]
#[get("/v1/api/produtos")]
async fn list_products(
    state: web::Data<AppState>,
    query: web::Query<ProductQuery>,
) -> Result<web::Json<Vec<ProductBody>>, ApiError> {
    let category = category_filter(&query)?;
    let menu = state.catalog.list_active(category).await?;
    Ok(web::Json(
        menu.into_iter().map(ProductBody::public).collect(),
    ))
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
