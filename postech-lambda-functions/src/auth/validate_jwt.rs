//! `validate_jwt`: the HTTP API (payload 2.0) REQUEST authorizer with simple responses.
//!
//! Public routes pass with or without a token; protected routes need a valid token, customer
//! routes `role=customer` and admin routes `role=admin` ([`RouteAccess`]). The context carries
//! `sub` and `role` for the app. A denial is logged with its reason and the request id; the
//! token itself is never logged.
//!
//! An authorizer event is not an HTTP request, so this runs on `lambda_runtime` with the
//! `aws_lambda_events` authorizer types rather than on `lambda_http`.

mod decision;
mod route_access;

pub use decision::{ANONYMOUS_ROLE, AuthorizerContext, AuthorizerResponse, Decision, DenyReason};
pub use route_access::RouteAccess;

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::http::{HeaderMap, header};
use postech_shared_sdk::secrets::{EnvSource, KeyRingError, VerificationKeyRing};
use postech_shared_sdk::token::Role;

use crate::config::{AuthorizerSettings, ConfigError};

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

/// What every invocation shares: the verification keys.
#[derive(Debug)]
pub struct Authorizer {
    keys: VerificationKeyRing,
}

impl Authorizer {
    /// Builds the production wiring from the environment (`JWT_VERIFICATION_KEY_SECRET_ID`,
    /// or `JWT_KEY_ID` and `JWT_PUBLIC_KEY_PEM`; `JWT_KEY_REFRESH_SECONDS`): public keys only,
    /// see [`VerificationKeyRing::load`], which refuses `JWT_SIGNING_KEY_SECRET_ID` alone.
    pub async fn from_env(
        env: &dyn EnvSource,
        sdk_config: &aws_config::SdkConfig,
    ) -> Result<Self, StartupError> {
        let settings = AuthorizerSettings::from_env(env)?;
        let keys = VerificationKeyRing::load(env, sdk_config, settings.key_refresh).await?;
        Ok(Self::new(keys))
    }

    /// An authorizer trusting these keys.
    pub fn new(keys: VerificationKeyRing) -> Self {
        Self { keys }
    }

    /// Answers one authorizer event.
    pub async fn authorize(
        &self,
        request: &ApiGatewayV2CustomAuthorizerV2Request,
    ) -> AuthorizerResponse {
        let method = &request.request_context.http.method;
        let path = route_path(request);
        let access = RouteAccess::classify(method, &path);
        let decision = self.decide(access, &request.headers).await;
        let request_id = request.request_context.request_id.as_deref().unwrap_or("-");
        let route_key = request.route_key.as_deref().unwrap_or("-");
        match &decision {
            Decision::Allow(context) => {
                tracing::debug!(request_id, route_key, role = %context.role, "request allowed");
            }
            Decision::Deny(reason) => {
                tracing::warn!(request_id, route_key, ?access, %reason, "request denied");
            }
        }
        decision.into_response()
    }

    /// The verdict for a route rule and the request's headers.
    pub async fn decide(&self, access: RouteAccess, headers: &HeaderMap) -> Decision {
        let required = match access {
            RouteAccess::Denied => return Decision::Deny(DenyReason::DeniedRoute),
            RouteAccess::Public => {
                // A token on a public route only names the caller; a bad one is the app's
                // business (it answers 401 where the token matters, e.g. checkout).
                return match bearer_token(headers) {
                    Ok(token) => match self.keys.verify(token).await {
                        Ok(verified) => Decision::Allow(AuthorizerContext::of(&verified)),
                        Err(_) => Decision::Allow(AuthorizerContext::anonymous()),
                    },
                    Err(_) => Decision::Allow(AuthorizerContext::anonymous()),
                };
            }
            RouteAccess::Customer => Some(Role::Customer),
            RouteAccess::Admin => Some(Role::Admin),
            RouteAccess::AnyValidToken => None,
        };
        let token = match bearer_token(headers) {
            Ok(token) => token,
            Err(reason) => return Decision::Deny(reason),
        };
        let verified = match self.keys.verify(token).await {
            Ok(verified) => verified,
            Err(error) => return Decision::Deny(DenyReason::InvalidToken(error)),
        };
        match required {
            Some(required) if required != verified.role => Decision::Deny(DenyReason::WrongRole {
                required,
                actual: verified.role,
            }),
            _ => Decision::Allow(AuthorizerContext::of(&verified)),
        }
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

/// The request path without the stage prefix a named (non-`$default`) stage adds.
fn route_path(request: &ApiGatewayV2CustomAuthorizerV2Request) -> String {
    let raw = request
        .raw_path
        .as_deref()
        .or(request.request_context.http.path.as_deref())
        .unwrap_or("/");
    match request.request_context.stage.as_deref() {
        Some(stage) if stage != "$default" => {
            let prefix = format!("/{stage}");
            match raw.strip_prefix(&prefix) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                    if rest.is_empty() {
                        "/".to_owned()
                    } else {
                        rest.to_owned()
                    }
                }
                _ => raw.to_owned(),
            }
        }
        _ => raw.to_owned(),
    }
}
