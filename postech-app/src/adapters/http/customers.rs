//! Customer routes: registration, the customer's own profile and orders, staff lookups.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::adapters::http::auth::{AdminCaller, CustomerAssurance, CustomerCaller};
use crate::adapters::http::error::{ApiError, ErrorBody, Location, ValidationErrorBody};
use crate::adapters::http::extract::parse_json;
use crate::adapters::http::orders::OrderBody;
use crate::adapters::http::state::AppState;
use crate::adapters::postgres::orders;
use crate::application::customers::{Registered, Registration, mask_email, mask_name};
use crate::application::error::UseCaseError;
use crate::domain::customer::Customer;

/// Header with the total number of customers on paginated admin lists.
pub const TOTAL_COUNT_HEADER: &str = "x-total-count";
const DEFAULT_PAGE_SIZE: u32 = 50;

/// A registration. Every field is optional; an empty body registers an anonymous customer.
#[derive(Deserialize, Default, ToSchema)]
pub struct RegistrationInput {
    /// Display name.
    nome: Option<String>,
    /// Email; unique, case-insensitive.
    email: Option<String>,
    /// CPF, formatted (`123.456.789-09`) or 11 digits; unique.
    cpf: Option<String>,
}

/// A customer. `cpf` is the 11 digits.
#[derive(Serialize, ToSchema)]
pub struct CustomerBody {
    id: Uuid,
    nome: Option<String>,
    email: Option<String>,
    #[schema(example = "52998224725")]
    cpf: Option<String>,
}

impl From<Customer> for CustomerBody {
    fn from(customer: Customer) -> Self {
        Self {
            id: customer.id.into_uuid(),
            nome: customer.name,
            email: customer.email,
            cpf: customer.cpf.map(|cpf| cpf.as_digits().to_owned()),
        }
    }
}

impl CustomerBody {
    /// What a kiosk token (a CPF alone) may see of its own customer: enough to greet them
    /// (first name) and let them recognise their record, not enough to recover the CPF or
    /// the e-mail address.
    fn masked(customer: Customer) -> Self {
        Self {
            id: customer.id.into_uuid(),
            nome: customer.name.as_deref().map(mask_name),
            email: customer.email.as_deref().map(mask_email),
            cpf: customer.cpf.map(|cpf| cpf.masked()),
        }
    }
}

/// Pagination of the admin customer list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–100 (default 50).
    limite: Option<u32>,
    /// Page number from 1 (default 1).
    pagina: Option<u32>,
}

/// The answer to every registration with a CPF, new or not.
#[derive(Serialize, ToSchema)]
pub struct RegistrationAccepted {
    /// What to do next.
    #[schema(
        example = "Se o cadastro puder ser concluído, enviamos um código para o e-mail informado."
    )]
    detail: String,
}

/// The wording of [`RegistrationAccepted`]: the same whether the CPF was new or not.
pub const REGISTRATION_ACCEPTED: &str = "Se o cadastro puder ser concluído, enviamos um código \
     para o e-mail informado. Confirme-o em POST /v1/api/clientes/confirmacao.";

/// Registers a customer. With a CPF the answer is always `202` with the same body, whether
/// the CPF was new (its row and Cognito identity are created and a code is e-mailed) or
/// already registered (nothing changes): the answer does not tell which, and a second
/// registration never overwrites the first. The full profile and the order history open
/// only after the code is confirmed (`POST /v1/api/clientes/confirmacao`). Without a CPF:
/// `201` with the customer, as in v1.
#[utoipa::path(
    tag = "clientes",
    request_body(content = RegistrationInput, description = "May be empty"),
    responses(
        (status = 201, description = "Registered without CPF", body = CustomerBody),
        (status = 202, description = "CPF registration: check the e-mail", body = RegistrationAccepted),
        (status = 409, description = "Registration without CPF: email already registered", body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
#[post("/v1/api/clientes")]
async fn register(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    // v1 accepted a request with no body at all as an anonymous registration.
    let input: RegistrationInput = if body.iter().all(u8::is_ascii_whitespace) {
        RegistrationInput::default()
    } else {
        parse_json(&body)?
    };
    let registered = state
        .customers
        .register(Registration {
            name: input.nome,
            email: input.email,
            cpf: input.cpf,
        })
        .await?;
    Ok(match registered {
        Registered::Customer(customer) => {
            HttpResponse::Created().json(CustomerBody::from(customer))
        }
        Registered::CheckEmail => HttpResponse::Accepted()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(RegistrationAccepted {
                detail: REGISTRATION_ACCEPTED.to_owned(),
            }),
    })
}

/// The code e-mailed at registration, typed back.
#[derive(Deserialize, ToSchema)]
pub struct ConfirmationInput {
    /// The CPF registered, formatted or 11 digits.
    cpf: String,
    /// The code from the e-mail.
    #[schema(example = "042917")]
    codigo: String,
}

/// Confirms a registration with the code e-mailed to the customer: the e-mail is verified
/// and the customer's record returned. A wrong, expired or spent code and an unknown CPF get
/// the same `422`; five wrong codes spend the code (a new registration attempt with the same
/// e-mail sends another).
#[utoipa::path(
    tag = "clientes",
    request_body = ConfirmationInput,
    responses(
        (status = 200, body = CustomerBody),
        (status = 422, body = ValidationErrorBody),
        (status = 503, body = ErrorBody),
    )
)]
#[post("/v1/api/clientes/confirmacao")]
async fn confirm_registration(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: ConfirmationInput = parse_json(&body)?;
    let customer = state
        .customers
        .confirm_email(&input.cpf, &input.codigo)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(CustomerBody::from(customer)))
}

/// The calling customer's profile: in full for a step-up token (`amr` with `otp`) of a
/// customer whose e-mail is verified (403 before the registration is confirmed); masked
/// for a kiosk token (`nome` first name only, `email` like `a***@g***`, `cpf`
/// `***.***.***-25`), with the header `X-Postech-Dados-Mascarados: true`.
#[utoipa::path(
    tag = "clientes",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CustomerBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/v1/api/clientes/me")]
async fn my_profile(
    caller: CustomerCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(match caller.assurance {
        CustomerAssurance::SteppedUp => HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .json(CustomerBody::from(
                state.customers.require_verified(caller.id).await?,
            )),
        CustomerAssurance::Kiosk { .. } => HttpResponse::Ok()
            .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
            .insert_header((MASKED_HEADER, "true"))
            .json(CustomerBody::masked(
                state.customers.own_record(caller.id).await?,
            )),
    })
}

/// Set on answers whose personal data is masked (kiosk tokens): a client that needs the
/// full data asks for a step-up (`POST /auth` with `enviar_codigo`, then `codigo`).
pub const MASKED_HEADER: &str = "x-postech-dados-mascarados";

/// The calling customer's orders, newest first: all of them for a step-up token of a
/// customer whose e-mail is verified (403 before the registration is confirmed); for a
/// kiosk token, those placed since its login (the current visit) only.
#[utoipa::path(
    tag = "clientes",
    security(("bearer" = [])),
    responses(
        (status = 200, body = [OrderBody]),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
#[get("/v1/api/clientes/me/pedidos")]
async fn my_orders(
    caller: CustomerCaller,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<OrderBody>>, ApiError> {
    if caller.assurance == CustomerAssurance::SteppedUp {
        state.customers.require_verified(caller.id).await?;
    }
    let own_orders = orders::list_for_customer(&state.pool, caller.id).await?;
    let visible = own_orders
        .into_iter()
        .filter_map(|mut record| match caller.assurance {
            CustomerAssurance::SteppedUp => Some(record),
            CustomerAssurance::Kiosk { visit_started_at } => {
                (record.order.created_at >= visit_started_at).then(|| {
                    record.customer_name = record.customer_name.as_deref().map(mask_name);
                    record
                })
            }
        });
    Ok(web::Json(
        visible.map(OrderBody::try_from).collect::<Result<_, _>>()?,
    ))
}

/// Customers, paginated; the total is in `X-Total-Count`.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = [CustomerBody]),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[get("/v1/api/admin/clientes")]
async fn admin_list_customers(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .customers
        .list(
            query.limite.unwrap_or(DEFAULT_PAGE_SIZE),
            query.pagina.unwrap_or(1),
        )
        .await?;
    let body: Vec<CustomerBody> = page.customers.into_iter().map(CustomerBody::from).collect();
    Ok(HttpResponse::Ok()
        .insert_header((TOTAL_COUNT_HEADER, page.total.to_string()))
        .json(body))
}

/// A customer by CPF (either format).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("cpf" = String, Path, description = "CPF, formatted or 11 digits")),
    responses(
        (status = 200, body = CustomerBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ValidationErrorBody),
    )
)]
#[get("/v1/api/admin/clientes/{cpf}")]
async fn admin_customer_by_cpf(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    cpf: web::Path<String>,
) -> Result<web::Json<CustomerBody>, ApiError> {
    match state.customers.by_cpf(&cpf).await {
        Ok(customer) => Ok(web::Json(customer.into())),
        Err(UseCaseError::Invalid(_)) => Err(ApiError::invalid(
            vec!["path".into(), Location::Field("cpf".to_owned())],
            "CPF inválido",
            "value_error",
        )),
        Err(other) => Err(other.into()),
    }
}

/// Registers the customer routes.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(register)
        .service(confirm_registration)
        .service(my_profile)
        .service(my_orders)
        .service(admin_list_customers)
        .service(admin_customer_by_cpf);
}
