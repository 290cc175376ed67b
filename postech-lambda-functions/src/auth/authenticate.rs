//! `authenticate`: customer login by CPF and admin login, answered with a postech JWT.
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `POST /auth` | `{"cpf"}` | 200 kiosk token (`role=customer`, `amr: ["cpf"]`, 10 min); 401 unknown or disabled (same body); 422 malformed CPF |
//! | `POST /auth` | `{"cpf", "enviar_codigo": true}` | 202 `{"sessao", "canal", "expires_in"}`, the same for any valid CPF; Cognito e-mails a one-time code to a registered customer's verified address |
//! | `POST /auth` | `{"cpf", "sessao", "codigo"}` | 200 step-up token (`amr: ["cpf", "otp"]`, 15 min); 401 wrong or expired code |
//! | `POST /auth/admin`, `POST /v1/api/admin/login` | `username`, `password` as JSON or form | 200 token (`role=admin`, `amr: ["pwd"]`) for an admin without MFA; 202 `{"sessao", "desafio": "totp", "expires_in"}` for one with TOTP MFA; 401 otherwise |
//! | the same | `username`, `sessao`, `codigo` | 200 token (`amr: ["pwd", "otp", "mfa"]`); 401 wrong or expired code |
//!
//! [`Authenticator`] is built once per cold start (Cognito client, signing key) and shared by
//! every invocation; [`Authenticator::handle`] is the function both the Lambda runtime and the
//! local HTTP server call.

mod login;
mod request;
mod response;

pub use login::{
    AdminDirectory, AdminLoginOutcome, CustomerDirectory, LoginError, log_in_admin,
    log_in_customer, send_customer_code, step_up_customer, verify_admin_totp,
};
pub use request::{
    AdminCredentials, AdminRequest, CustomerRequest, admin_credentials, admin_request,
    customer_cpf, customer_request,
};
pub use response::{
    ApiError, CODE_SESSION_SECONDS, FieldError, code_sent_response, token_response,
    totp_required_response,
};

use lambda_http::http::Method;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use postech_shared_sdk::cognito::{CallerContext, CognitoClient, PendingChallenge};
use postech_shared_sdk::secrets::EnvSource;
use postech_shared_sdk::telemetry::{SpanFlusher, set_parent_from_headers};
use tracing::Instrument;

use crate::config::{AuthenticateSettings, ConfigError};
use crate::invocation::{flushed, parent_on_invocation_trace};
use crate::keys::{KeyError, SigningKeys};
use crate::log_pseudonym::{LogPseudonyms, PseudonymKeyError};

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
    /// The key of the usernames' log pseudonyms could not be loaded.
    #[error(transparent)]
    PseudonymKey(#[from] PseudonymKeyError),
}

/// What every invocation shares: the identity directory, the signing key and the key of the
/// usernames' log pseudonyms.
#[derive(Debug)]
pub struct Authenticator<D> {
    directory: D,
    signing_keys: SigningKeys,
    pseudonyms: LogPseudonyms,
}

impl Authenticator<CognitoClient> {
    /// Builds the production wiring from the environment: `COGNITO_USER_POOL_ID`,
    /// `COGNITO_CLIENT_ID`, the signing key (`JWT_SIGNING_KEY_SECRET_ID`, or the plain
    /// `JWT_*` variables) and the log pseudonyms' key (`LOG_HASH_KEY_SECRET_ID`, or
    /// `LOG_HASH_KEY`).
    pub async fn from_env(
        env: &dyn EnvSource,
        sdk_config: &aws_config::SdkConfig,
    ) -> Result<Self, StartupError> {
        let settings = AuthenticateSettings::from_env(env)?;
        let directory = CognitoClient::new(sdk_config, settings.user_pool_id, settings.client_id);
        let signing_keys = SigningKeys::load(env, sdk_config, settings.key_refresh).await?;
        let pseudonyms = LogPseudonyms::load(env, sdk_config).await?;
        Ok(Self::new(directory, signing_keys, pseudonyms))
    }
}

impl<D> Authenticator<D> {
    /// The same signing key over another directory (the local stack wraps Cognito in the
    /// e-mail code double, `crate::otp_double`).
    pub fn map_directory<E>(self, wrap: impl FnOnce(D) -> E) -> Authenticator<E> {
        Authenticator {
            directory: wrap(self.directory),
            signing_keys: self.signing_keys,
            pseudonyms: self.pseudonyms,
        }
    }
}

impl<D: CustomerDirectory + AdminDirectory> Authenticator<D> {
    /// Wires a directory, a signing key and the log pseudonyms.
    pub fn new(directory: D, signing_keys: SigningKeys, pseudonyms: LogPseudonyms) -> Self {
        Self {
            directory,
            signing_keys,
            pseudonyms,
        }
    }

    /// The Lambda function's handler: [`handle`](Self::handle), then this invocation's spans
    /// exported before the answer goes back (`crate::invocation`).
    pub async fn handle_invocation(
        &self,
        request: Request,
        flusher: &SpanFlusher,
    ) -> Response<Body> {
        flushed(flusher, self.handle(request)).await
    }

    /// Answers one request. Never fails: every error is an HTTP answer.
    ///
    /// Its span continues the invocation's X-Ray trace under Lambda (the request carries the
    /// Lambda context); the local server has none, and continues the caller's `traceparent`.
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
        match request.lambda_context_ref() {
            Some(context) => parent_on_invocation_trace(&span, context),
            None => set_parent_from_headers(&span, request.headers()),
        }
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
            AuthRoute::CustomerLogin => match customer_request(request)? {
                CustomerRequest::Login(cpf) => log_in_customer(
                    &self.directory,
                    &self.signing_keys,
                    &cpf,
                )
                .await
                .inspect(
                    |_| tracing::info!(cpf = %cpf.masked(), amr = "cpf", "customer token issued"),
                )
                .inspect_err(|error| {
                    tracing::info!(cpf = %cpf.masked(), %error, "customer login refused");
                }),
                CustomerRequest::SendCode(cpf) => {
                    let context = caller_context(request, route);
                    return send_customer_code(&self.directory, &cpf, &context)
                        .await
                        .map(|challenge| code_sent_response(&challenge.session))
                        .map_err(|error| to_api_error(error, request_id));
                }
                CustomerRequest::VerifyCode { cpf, session, code } => {
                    let context = caller_context(request, route);
                    let challenge = PendingChallenge { session };
                    step_up_customer(
                        &self.directory,
                        &self.signing_keys,
                        &cpf,
                        &challenge,
                        &code,
                        &context,
                    )
                    .await
                    .inspect(|_| tracing::info!(cpf = %cpf.masked(), amr = "cpf otp", "customer step-up token issued"))
                    .inspect_err(|error| {
                        tracing::info!(cpf = %cpf.masked(), %error, "step-up refused");
                    })
                }
            },
            AuthRoute::AdminLogin | AuthRoute::AdminLoginV1 => {
                return self.answer_admin(route, request, request_id).await;
            }
        };
        issued
            .map(|token| token_response(&token))
            .map_err(|error| to_api_error(error, request_id))
    }
}

impl<D: CustomerDirectory + AdminDirectory> Authenticator<D> {
    /// The admin login: the password step, then the TOTP step for admins with MFA.
    async fn answer_admin(
        &self,
        route: AuthRoute,
        request: &Request,
        request_id: &str,
    ) -> Result<Response<Body>, ApiError> {
        let admin_request = admin_request(request)?;
        // Never the username as typed: a customer's username is a CPF, and a password typed
        // into the wrong field would be logged too.
        let username = self.pseudonyms.username(admin_request.username());
        let context = caller_context(request, route);
        let answer = match &admin_request {
            AdminRequest::Password(credentials) => log_in_admin(
                &self.directory,
                &self.signing_keys,
                &credentials.username,
                &credentials.password,
                &context,
            )
            .await
            .map(|outcome| match outcome {
                AdminLoginOutcome::Token(token) => {
                    tracing::info!(%username, amr = "pwd", "admin token issued");
                    token_response(&token)
                }
                AdminLoginOutcome::TotpRequired(challenge) => {
                    tracing::info!(%username, "admin password accepted, TOTP code required");
                    totp_required_response(&challenge.session)
                }
            }),
            AdminRequest::Totp {
                username: typed,
                session,
                code,
            } => verify_admin_totp(
                &self.directory,
                &self.signing_keys,
                typed,
                &PendingChallenge {
                    session: session.clone(),
                },
                code,
                &context,
            )
            .await
            .map(|token| {
                tracing::info!(%username, amr = "pwd otp mfa", "admin token issued");
                token_response(&token)
            }),
        };
        answer
            .inspect_err(|error| tracing::info!(%username, %error, "admin login refused"))
            .map_err(|error| to_api_error(error, request_id))
    }
}

fn to_api_error(error: LoginError, request_id: &str) -> ApiError {
    let request_id = request_id.to_owned();
    match error {
        LoginError::CustomerRefused => ApiError::CustomerRefused,
        LoginError::AdminRefused => ApiError::AdminRefused,
        LoginError::CodeRefused => ApiError::CodeRefused,
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

/// The caller as Cognito's risk checks want it: source IP (from the gateway's request
/// context), `User-Agent`, host and path.
fn caller_context(request: &Request, route: AuthRoute) -> CallerContext {
    let ip_address = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => {
            context.identity.source_ip.clone().unwrap_or_default()
        }
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.http.source_ip.clone().unwrap_or_default()
        }
        _ => String::new(),
    };
    let header = |name: lambda_http::http::header::HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    CallerContext {
        ip_address,
        user_agent: header(lambda_http::http::header::USER_AGENT),
        server_name: header(lambda_http::http::header::HOST).unwrap_or_default(),
        server_path: route.as_str().trim_start_matches("POST ").to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What Cognito's risk checks get with both admin login steps (`ContextData`); moto
    /// ignores it, so this is checked here, on an API Gateway event.
    #[test]
    fn the_caller_context_carries_the_gateway_source_ip_and_user_agent() {
        let event = include_str!("../../tests/fixtures/apigw_v1_post_v1_admin_login_form.json");
        let request = lambda_http::request::from_str(event).expect("REST API event");

        let context = caller_context(&request, AuthRoute::AdminLoginV1);

        assert_eq!(context.ip_address, "203.0.113.40");
        assert_eq!(
            context.user_agent.as_deref(),
            Some("python-requests/2.31.0")
        );
        assert_eq!(
            context.server_name,
            "xyz987wvu6.execute-api.us-east-1.amazonaws.com"
        );
        assert_eq!(context.server_path, "/v1/api/admin/login");
    }
}
