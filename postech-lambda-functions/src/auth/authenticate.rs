//! `authenticate`: customer login by CPF and admin login, answered with a postech JWT.
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `POST /auth` | `{"cpf"}` | 200 token (`role=customer`); 401 unknown or disabled (same body); 422 malformed CPF |
//! | `POST /auth/admin`, `POST /v1/api/admin/login` | `username`, `password` as JSON or form | 200 token (`role=admin`); 401 otherwise |
//!
//! [`Authenticator`] is built once per cold start (Cognito client, signing key) and shared by
//! every invocation; [`Authenticator::handle`] is the function both the Lambda runtime and the
//! local HTTP server call.

mod login;
mod request;
mod response;

pub use login::{AdminDirectory, CustomerDirectory, LoginError, log_in_admin, log_in_customer};
pub use request::{AdminCredentials, admin_credentials, customer_cpf, username_for_logs};
pub use response::{ApiError, FieldError, token_response};

use lambda_http::http::Method;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use postech_shared_sdk::cognito::CognitoClient;
use postech_shared_sdk::secrets::EnvSource;
use postech_shared_sdk::telemetry::set_parent_from_headers;
use tracing::Instrument;

use crate::config::{AuthenticateSettings, ConfigError};
use crate::keys::{KeyError, SigningKeys};

/// The routes of this function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRoute {
    /// `POST /auth`.
    CustomerLogin,
    /// `POST /auth/admin`.
    AdminLogin,
    /// `POST /v1/api/admin/login`, the v1 path of the admin login.
    AdminLoginV1,
}

impl AuthRoute {
    /// The route of a path, with or without a trailing slash.
    pub fn from_path(path: &str) -> Option<Self> {
        match path
            .strip_suffix('/')
            .filter(|rest| !rest.is_empty())
            .unwrap_or(path)
        {
            "/auth" => Some(Self::CustomerLogin),
            "/auth/admin" => Some(Self::AdminLogin),
            "/v1/api/admin/login" => Some(Self::AdminLoginV1),
            _ => None,
        }
    }

    /// The route as logs name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerLogin => "POST /auth",
            Self::AdminLogin => "POST /auth/admin",
            Self::AdminLoginV1 => "POST /v1/api/admin/login",
        }
    }
}

/// Why the function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The signing key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// What every invocation shares: the identity directory and the signing key.
#[derive(Debug)]
pub struct Authenticator<D> {
    directory: D,
    signing_keys: SigningKeys,
}

impl Authenticator<CognitoClient> {
    /// Builds the production wiring from the environment: `COGNITO_USER_POOL_ID`,
    /// `COGNITO_CLIENT_ID`, and the signing key (`JWT_SIGNING_KEY_SECRET_ID`, or the plain
    /// `JWT_*` variables).
    pub async fn from_env(
        env: &dyn EnvSource,
        sdk_config: &aws_config::SdkConfig,
    ) -> Result<Self, StartupError> {
        let settings = AuthenticateSettings::from_env(env)?;
        let directory = CognitoClient::new(sdk_config, settings.user_pool_id, settings.client_id);
        let signing_keys = SigningKeys::load(env, sdk_config, settings.key_refresh).await?;
        Ok(Self::new(directory, signing_keys))
    }
}

impl<D: CustomerDirectory + AdminDirectory> Authenticator<D> {
    /// Wires a directory and a signing key.
    pub fn new(directory: D, signing_keys: SigningKeys) -> Self {
        Self {
            directory,
            signing_keys,
        }
    }

    /// Answers one request. Never fails: every error is an HTTP answer.
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let request_id = request_id(&request);
        let path = route_path(&request);
        let Some(route) = AuthRoute::from_path(&path) else {
            return ApiError::NotFound.into_response();
        };
        if request.method() != Method::POST {
            return ApiError::MethodNotAllowed.into_response();
        }
        let span = tracing::info_span!("authenticate", route = route.as_str(), %request_id);
        set_parent_from_headers(&span, request.headers());
        async {
            match self.answer(route, &request, &request_id).await {
                Ok(response) => response,
                Err(error) => error.into_response(),
            }
        }
        .instrument(span)
        .await
    }

    async fn answer(
        &self,
        route: AuthRoute,
        request: &Request,
        request_id: &str,
    ) -> Result<Response<Body>, ApiError> {
        let issued = match route {
            AuthRoute::CustomerLogin => {
                let cpf = customer_cpf(request)?;
                log_in_customer(&self.directory, &self.signing_keys, &cpf)
                    .await
                    .inspect(|_| tracing::info!(cpf = %cpf.masked(), "customer token issued"))
                    .inspect_err(|error| {
                        tracing::info!(cpf = %cpf.masked(), %error, "customer login refused");
                    })
            }
            AuthRoute::AdminLogin | AuthRoute::AdminLoginV1 => {
                let credentials = admin_credentials(request)?;
                // Never the username as typed: a customer's username is a CPF.
                let username = credentials.username_for_logs();
                log_in_admin(
                    &self.directory,
                    &self.signing_keys,
                    &credentials.username,
                    &credentials.password,
                )
                .await
                .inspect(|_| tracing::info!(%username, "admin token issued"))
                .inspect_err(|error| tracing::info!(%username, %error, "admin login refused"))
            }
        };
        issued
            .map(|token| token_response(&token))
            .map_err(|error| to_api_error(error, request_id))
    }
}

fn to_api_error(error: LoginError, request_id: &str) -> ApiError {
    let request_id = request_id.to_owned();
    match error {
        LoginError::CustomerRefused => ApiError::CustomerRefused,
        LoginError::AdminRefused => ApiError::AdminRefused,
        LoginError::Throttled => ApiError::Unavailable { request_id },
        LoginError::Directory(error) => {
            tracing::error!(%error, "identity provider failed");
            ApiError::Unavailable { request_id }
        }
        LoginError::Key(KeyError::Secret(error)) => {
            tracing::error!(%error, "signing key unavailable");
            ApiError::Unavailable { request_id }
        }
        error @ (LoginError::Key(_) | LoginError::Token(_)) => {
            tracing::error!(%error, "token could not be issued");
            ApiError::Internal { request_id }
        }
    }
}

/// The path without the stage prefix API Gateway adds for REST (v1) stages.
fn route_path(request: &Request) -> String {
    let raw = request.raw_http_path();
    if raw.is_empty() {
        request.uri().path().to_owned()
    } else {
        raw.to_owned()
    }
}

/// The gateway's request id, else the Lambda invocation id, else a fresh one (local server).
fn request_id(request: &Request) -> String {
    let from_gateway = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        Some(RequestContext::ApiGatewayV1(context)) => context.request_id.clone(),
        _ => None,
    };
    from_gateway
        .or_else(|| {
            request
                .lambda_context_ref()
                .map(|context| context.request_id.clone())
        })
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}
