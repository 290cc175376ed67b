//! `validate_jwt`: the REST API's Lambda REQUEST authorizer, answering with IAM policies.
//!
//! Public routes pass with or without a token; protected routes need a valid token, customer
//! routes `role=customer` and admin routes `role=admin` ([`RouteAccess`]). Without a usable
//! token (missing, not bearer, malformed, expired, badly signed, unknown key) the answer is
//! the error `Unauthorized`, which API Gateway turns into 401 with `WWW-Authenticate: Bearer`;
//! a valid token on a route its role may not use gets a Deny policy, answered 403. The context
//! carries `sub` and `role` for the app; an admin request also names the API key of the usage
//! plan it counts against. A refusal is logged with its reason and the request id; the token
//! itself is never logged.
//!
//! An authorizer event is not an HTTP request, so this runs on `lambda_runtime` with the
//! `aws_lambda_events` authorizer types rather than on `lambda_http`.

mod decision;
mod route_access;

pub use decision::{
    ANONYMOUS_ROLE, AuthorizerContext, AuthorizerError, AuthorizerResponse, Decision, DenyReason,
    Effect, PolicyDocument, PolicyStatement, Refusal,
};
pub use route_access::RouteAccess;

use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_http::http::{HeaderMap, Method, header};
use lambda_runtime::LambdaEvent;
use postech_shared_sdk::cognito::{AdminStatusCache, CognitoClient};
use postech_shared_sdk::secrets::{EnvSource, KeyRingError, VerificationKeyRing};
use postech_shared_sdk::telemetry::SpanFlusher;
use postech_shared_sdk::token::{AuthMethod, Role, VerifiedToken};
use tracing::Instrument as _;

use crate::config::{AuthorizerSettings, ConfigError, PaymentSimulator};
use crate::invocation::{flushed, invocation_span};

/// The event API Gateway sends a REST API REQUEST authorizer.
pub type AuthorizerRequest = ApiGatewayCustomAuthorizerRequestTypeRequest;

/// The header a known integration names its own API key in (usage-plans.yml).
const API_KEY_HEADER: &str = "x-api-key";

/// Why the authorizer could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A setting is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The verification keys could not be loaded.
    #[error(transparent)]
    Keys(#[from] KeyRingError),
}

/// What every invocation shares: the verification keys, the admins' status (Cognito, cached)
/// and the stage's settings.
#[derive(Debug)]
pub struct Authorizer {
    keys: VerificationKeyRing,
    admins: AdminStatusCache,
    payment_simulator: PaymentSimulator,
    default_staff_usage_key: String,
}

impl Authorizer {
    /// Builds the production wiring from the environment (`JWT_VERIFICATION_KEY_SECRET_ID`,
    /// or `JWT_KEY_ID` and `JWT_PUBLIC_KEY_PEM`; `JWT_KEY_REFRESH_SECONDS`;
    /// `PAYMENT_SIMULATOR`; `DEFAULT_STAFF_USAGE_KEY`; `COGNITO_USER_POOL_ID` and
    /// `ADMIN_STATUS_CACHE_SECONDS` for the admins' status): public keys only, see
    /// [`VerificationKeyRing::load`], which refuses `JWT_SIGNING_KEY_SECRET_ID` alone.
    pub async fn from_env(
        env: &dyn EnvSource,
        sdk_config: &aws_config::SdkConfig,
    ) -> Result<Self, StartupError> {
        let settings = AuthorizerSettings::from_env(env)?;
        let keys = VerificationKeyRing::load(env, sdk_config, settings.key_refresh).await?;
        // AdminGetUser and AdminListGroupsForUser name no app client.
        let cognito = CognitoClient::new(sdk_config, settings.user_pool_id.clone(), "");
        let admins = AdminStatusCache::new(cognito, settings.admin_status_ttl);
        Ok(Self::new(keys, admins, &settings))
    }

    /// An authorizer trusting these keys and these admins' status, with the stage's settings.
    pub fn new(
        keys: VerificationKeyRing,
        admins: AdminStatusCache,
        settings: &AuthorizerSettings,
    ) -> Self {
        Self {
            keys,
            admins,
            payment_simulator: settings.payment_simulator,
            default_staff_usage_key: settings.default_staff_usage_key.clone(),
        }
    }

    /// The Lambda function's handler: [`authorize`](Self::authorize) in the invocation's span
    /// (on the gateway's trace), whose spans are exported before the answer goes back
    /// (`crate::invocation`).
    pub async fn handle_invocation(
        &self,
        event: LambdaEvent<AuthorizerRequest>,
        flusher: &SpanFlusher,
    ) -> Result<AuthorizerResponse, AuthorizerError> {
        let span = invocation_span("validate_jwt", &event.context);
        flushed(flusher, self.authorize(&event.payload).instrument(span)).await
    }

    /// Answers one authorizer event: a policy, or [`AuthorizerError::Unauthorized`] (401).
    pub async fn authorize(
        &self,
        request: &AuthorizerRequest,
    ) -> Result<AuthorizerResponse, AuthorizerError> {
        let method = request
            .http_method
            .clone()
            .or_else(|| request.request_context.http_method.clone())
            .unwrap_or(Method::GET);
        let path = route_path(request);
        let access = RouteAccess::classify(&method, &path);
        let decision = self.decide(access, &request.headers).await;
        let request_id = request.request_context.request_id.as_deref().unwrap_or("-");
        let resource = request.resource.as_deref().unwrap_or("-");
        let Some(method_arn) = request.method_arn.as_deref() else {
            tracing::error!(request_id, resource, "authorizer event without methodArn");
            return Err(AuthorizerError::MalformedEvent);
        };
        match decision {
            Decision::Allow(context) => {
                tracing::debug!(request_id, resource, role = %context.role, "request allowed");
                let usage_key = self.usage_identifier_key(&context, &request.headers);
                Ok(decision::policy(
                    Effect::Allow,
                    method_arn,
                    context,
                    usage_key,
                ))
            }
            Decision::Deny(reason) => {
                let refusal = reason.refusal();
                tracing::warn!(request_id, resource, ?access, %reason, ?refusal, "request denied");
                match refusal {
                    Refusal::Unauthorized => Err(AuthorizerError::Unauthorized),
                    Refusal::Forbidden => Ok(decision::policy(
                        Effect::Deny,
                        method_arn,
                        AuthorizerContext::anonymous(),
                        None,
                    )),
                }
            }
        }
    }

    /// The verdict for a route rule and the request's headers.
    pub async fn decide(&self, access: RouteAccess, headers: &HeaderMap) -> Decision {
        let required = match access {
            RouteAccess::Denied => return Decision::Deny(DenyReason::DeniedRoute),
            RouteAccess::PaymentSimulator if self.payment_simulator == PaymentSimulator::Absent => {
                return Decision::Deny(DenyReason::DeniedRoute);
            }
            RouteAccess::Public | RouteAccess::PaymentSimulator => {
                // A token on a public route only names the caller; a bad one is the app's
                // business (it answers 401 where the token matters, e.g. checkout).
                return match self.authenticate(headers).await {
                    Ok(verified) => Decision::Allow(AuthorizerContext::of(&verified)),
                    Err(_) => Decision::Allow(AuthorizerContext::anonymous()),
                };
            }
            RouteAccess::Customer => Some(Role::Customer),
            RouteAccess::Admin => Some(Role::Admin),
            RouteAccess::AnyValidToken => None,
        };
        match self.authenticate(headers).await {
            Ok(verified) => authorize_role(required, &verified),
            Err(reason) => Decision::Deny(reason),
        }
    }

    /// Who the caller is: the verified bearer token, or why there is none (a 401). A check
    /// that makes a token unusable everywhere belongs here: a revoked `jti` or `kid` (the key
    /// ring), an admin disabled in Cognito or removed from group `admin` (asked at most
    /// `ADMIN_STATUS_CACHE_SECONDS` ago).
    async fn authenticate(&self, headers: &HeaderMap) -> Result<VerifiedToken, DenyReason> {
        let token = bearer_token(headers)?;
        let verified = self
            .keys
            .verify(token)
            .await
            .map_err(DenyReason::InvalidToken)?;
        if verified.role == Role::Admin {
            match self.admins.is_active(&verified.subject).await {
                Ok(true) => {}
                Ok(false) => return Err(DenyReason::AdminInactive),
                // Never asked successfully and Cognito is failing: the token stands (its login
                // was checked by Cognito); a Cognito outage must not lock the kitchen out.
                Err(error) => tracing::warn!(%error, "admin status unavailable: token honoured"),
            }
        }
        Ok(verified)
    }

    /// The API key whose usage plan meters an allowed request: an admin's own key when the
    /// integration names one (`x-api-key`), else the shared staff plan's. API Gateway refuses a
    /// key that does not exist; only the staff routes require one (infra/usage-plans.yml).
    fn usage_identifier_key(
        &self,
        context: &AuthorizerContext,
        headers: &HeaderMap,
    ) -> Option<String> {
        if context.role != Role::Admin.as_str() {
            return None;
        }
        let named = headers
            .get(API_KEY_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty());
        Some(named.unwrap_or(&self.default_staff_usage_key).to_owned())
    }
}

/// What a verified token may do on a route needing `required` (any valid token when `None`).
///
/// Assurance levels (`amr`): the customer routes (`/v1/api/clientes/me`, `/me/pedidos`) take
/// a kiosk token (`["cpf"]`) or a step-up token (`["cpf", "otp"]`) — the app then shows the
/// kiosk level masked data and the current visit's orders only, the step-up level the full
/// profile and history — and refuse (403) a customer token naming neither method. The SDK's
/// verification already bounds each level's lifetime (10 min kiosk, 15 min step-up) and
/// refuses revoked `jti`s and `kid`s (401 in [`Authorizer::authenticate`]).
fn authorize_role(required: Option<Role>, verified: &VerifiedToken) -> Decision {
    match required {
        Some(required) if required != verified.role => Decision::Deny(DenyReason::WrongRole {
            required,
            actual: verified.role,
        }),
        Some(Role::Customer)
            if !verified
                .amr
                .iter()
                .any(|method| matches!(method, AuthMethod::Cpf | AuthMethod::Otp)) =>
        {
            Decision::Deny(DenyReason::WeakLogin)
        }
        _ => Decision::Allow(AuthorizerContext::of(verified)),
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Result<&str, DenyReason> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(DenyReason::MissingToken)?
        .to_str()
        .map_err(|_| DenyReason::NotBearer)?
        .trim();
    let (scheme, token) = value.split_once(' ').ok_or(DenyReason::NotBearer)?;
    let token = token.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
        Ok(token)
    } else {
        Err(DenyReason::NotBearer)
    }
}

/// The request path without the stage prefix the execute-api endpoint adds (`/staging/…`).
fn route_path(request: &AuthorizerRequest) -> String {
    let raw = request
        .path
        .as_deref()
        .or(request.request_context.path.as_deref())
        .unwrap_or("/");
    let Some(stage) = request.request_context.stage.as_deref() else {
        return raw.to_owned();
    };
    match raw
        .strip_prefix('/')
        .and_then(|rest| rest.strip_prefix(stage))
    {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => raw.to_owned(),
    }
}
