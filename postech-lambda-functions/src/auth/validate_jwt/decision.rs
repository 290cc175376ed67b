//! The authorizer's verdict and how API Gateway receives it (simple response, payload 2.0).

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerSimpleResponse;
use postech_shared_sdk::token::{Role, TokenError, VerifiedToken};
use serde::{Deserialize, Serialize};

/// What the authorizer hands to the app through the gateway (`$context.authorizer.sub` and
/// `.role`, sent on as `x-postech-subject` and `x-postech-role`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizerContext {
    /// The token's subject: a customer UUID or an admin username; empty when anonymous.
    pub sub: String,
    /// `customer`, `admin`, or `anonymous` on a public route without a valid token.
    pub role: String,
}

impl AuthorizerContext {
    /// The context of a verified token.
    pub fn of(token: &VerifiedToken) -> Self {
        Self {
            sub: token.subject.clone(),
            role: token.role.as_str().to_owned(),
        }
    }

    /// The context of a public request without a (valid) token.
    pub fn anonymous() -> Self {
        Self {
            sub: String::new(),
            role: ANONYMOUS_ROLE.to_owned(),
        }
    }
}

/// The role in the context of a request without a valid token.
pub const ANONYMOUS_ROLE: &str = "anonymous";

/// The response type API Gateway expects from a simple-response authorizer.
pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<AuthorizerContext>;

/// Why a request was refused. Logged with the request id; never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DenyReason {
    /// No `Authorization` header.
    #[error("no authorization header")]
    MissingToken,
    /// An `Authorization` header that is not `Bearer <token>`.
    #[error("authorization scheme is not bearer")]
    NotBearer,
    /// The token failed verification.
    #[error("invalid token: {0}")]
    InvalidToken(TokenError),
    /// A valid token of the wrong role.
    #[error("role {actual} may not use a route for {required}", actual = actual.as_str(), required = required.as_str())]
    WrongRole {
        /// The role the route needs.
        required: Role,
        /// The token's role.
        actual: Role,
    },
    /// The route is never served through the gateway.
    #[error("route is not served through the gateway")]
    DeniedRoute,
}

/// The authorizer's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Let the request through with this context.
    Allow(AuthorizerContext),
    /// Refuse it (the gateway answers 403, or 401 when the header is missing).
    Deny(DenyReason),
}

impl Decision {
    /// Whether the request goes through.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow(_))
    }

    /// The simple response: `{"isAuthorized", "context": {"sub", "role"}}`.
    pub fn into_response(self) -> AuthorizerResponse {
        let mut response = AuthorizerResponse::default();
        match self {
            Self::Allow(context) => {
                response.is_authorized = true;
                response.context = context;
            }
            Self::Deny(_) => {
                response.is_authorized = false;
                response.context = AuthorizerContext::anonymous();
            }
        }
        response
    }
}
