//! The authorizer's verdict and how the REST API receives it: an IAM policy for the request's
//! method ARN (allow → the request goes on; deny → 403), or the error "Unauthorized" (→ 401
//! with `WWW-Authenticate: Bearer`, infra/gateway-responses.yml).

use postech_shared_sdk::token::{Role, TokenError, VerifiedToken};
use serde::{Deserialize, Serialize};

/// What the authorizer hands to the app through the gateway (`$context.authorizer.sub` and
/// `.role`, sent on as `x-postech-subject` and `x-postech-role`). REST APIs accept only flat
/// string, number or boolean values here.
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

    /// The principal API Gateway records for the request.
    fn principal_id(&self) -> String {
        if self.sub.is_empty() {
            ANONYMOUS_ROLE.to_owned()
        } else {
            self.sub.clone()
        }
    }
}

/// The role in the context of a request without a valid token.
pub const ANONYMOUS_ROLE: &str = "anonymous";

/// The response of a REST API Lambda authorizer: a policy on the request's method ARN, the
/// context, and the API key whose usage plan meters the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    /// Who API Gateway records as the caller (`$context.authorizer.principalId`).
    pub principal_id: String,
    /// One statement: `execute-api:Invoke` on the method ARN, allowed or denied.
    pub policy_document: PolicyDocument,
    /// `{sub, role}`.
    pub context: AuthorizerContext,
    /// The value of the API key whose usage plan this request counts against (REST APIs with
    /// `ApiKeySourceType: AUTHORIZER`); only on methods that require a key does it matter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_identifier_key: Option<String>,
}

impl AuthorizerResponse {
    /// Whether the policy lets the request through.
    pub fn is_allowed(&self) -> bool {
        self.policy_document
            .statement
            .iter()
            .all(|statement| statement.effect == Effect::Allow)
    }
}

/// An IAM policy document as API Gateway reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// Always `2012-10-17`.
    pub version: &'static str,
    /// The statements.
    pub statement: Vec<PolicyStatement>,
}

/// One statement on one method ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyStatement {
    /// Always `execute-api:Invoke`.
    pub action: &'static str,
    /// Allow or Deny.
    pub effect: Effect,
    /// The method ARN of the request, exactly: the verdict was reached for this method and
    /// path, and the cache key (token, method, path) never reuses it for another.
    pub resource: String,
}

/// A statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// The request goes on to the integration.
    Allow,
    /// API Gateway answers 403 (ACCESS_DENIED).
    Deny,
}

/// Why a request was refused. Logged with the request id; never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DenyReason {
    /// No `Authorization` header.
    #[error("no authorization header")]
    MissingToken,
    /// An `Authorization` header that is not `Bearer <token>`.
    #[error("authorization scheme is not bearer")]
    NotBearer,
    /// The token failed verification (malformed, expired, badly signed, unknown key…).
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
    /// The route is never served through the gateway (of this stage).
    #[error("route is not served through the gateway")]
    DeniedRoute,
    /// A customer token whose `amr` names no customer login (`cpf` or `otp`): not issued by
    /// this system's customer logins, or from before the levels existed.
    #[error("customer token without a known login method (amr)")]
    WeakLogin,
    /// An admin token whose admin Cognito now reports disabled, deleted or outside group
    /// `admin` (asked at most `ADMIN_STATUS_CACHE_SECONDS` ago).
    #[error("the admin is no longer active")]
    AdminInactive,
}

impl DenyReason {
    /// What the client is told: 401 when it has no usable token (log in again), 403 when its
    /// valid token does not allow the route (API-V1.md, "Auth"). A revoked token would be a
    /// 401, a login of too weak an assurance (`amr`) for the route a 403.
    pub fn refusal(&self) -> Refusal {
        match self {
            Self::MissingToken | Self::NotBearer | Self::InvalidToken(_) | Self::AdminInactive => {
                Refusal::Unauthorized
            }
            Self::WrongRole { .. } | Self::DeniedRoute | Self::WeakLogin => Refusal::Forbidden,
        }
    }
}

/// How a refusal reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401 with `WWW-Authenticate: Bearer`: the authorizer fails with "Unauthorized".
    Unauthorized,
    /// 403: the authorizer returns a Deny policy.
    Forbidden,
}

/// The authorizer's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Let the request through with this context.
    Allow(AuthorizerContext),
    /// Refuse it (401 or 403, see [`DenyReason::refusal`]).
    Deny(DenyReason),
}

impl Decision {
    /// Whether the request goes through.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow(_))
    }
}

/// The authorizer's answer when the request carries no usable token: API Gateway turns an
/// error whose message is exactly `Unauthorized` into its UNAUTHORIZED response (401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizerError {
    /// No usable token: 401.
    #[error("Unauthorized")]
    Unauthorized,
    /// The event has no method ARN to write a policy for (never sent by API Gateway): the
    /// gateway answers AUTHORIZER_FAILURE, not 401, since the client may hold a good token.
    #[error("authorizer event without methodArn")]
    MalformedEvent,
}

impl From<AuthorizerError> for lambda_runtime::Diagnostic {
    fn from(error: AuthorizerError) -> Self {
        let error_type = match error {
            AuthorizerError::Unauthorized => "Unauthorized",
            AuthorizerError::MalformedEvent => "MalformedEvent",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// A policy answer for `method_arn`.
pub(super) fn policy(
    effect: Effect,
    method_arn: &str,
    context: AuthorizerContext,
    usage_identifier_key: Option<String>,
) -> AuthorizerResponse {
    AuthorizerResponse {
        principal_id: context.principal_id(),
        policy_document: PolicyDocument {
            version: "2012-10-17",
            statement: vec![PolicyStatement {
                action: "execute-api:Invoke",
                effect,
                resource: method_arn.to_owned(),
            }],
        },
        context,
        usage_identifier_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_failures_are_401_and_authorisation_failures_403() {
        for reason in [
            DenyReason::MissingToken,
            DenyReason::NotBearer,
            DenyReason::InvalidToken(TokenError::Expired),
            DenyReason::InvalidToken(TokenError::BadSignature),
        ] {
            assert_eq!(reason.refusal(), Refusal::Unauthorized, "{reason}");
        }
        for reason in [
            DenyReason::WrongRole {
                required: Role::Admin,
                actual: Role::Customer,
            },
            DenyReason::DeniedRoute,
        ] {
            assert_eq!(reason.refusal(), Refusal::Forbidden, "{reason}");
        }
    }

    #[test]
    fn unauthorized_reaches_the_runtime_with_the_exact_message_api_gateway_expects() {
        let diagnostic = lambda_runtime::Diagnostic::from(AuthorizerError::Unauthorized);
        assert_eq!(diagnostic.error_message, "Unauthorized");
        let other = lambda_runtime::Diagnostic::from(AuthorizerError::MalformedEvent);
        assert_ne!(other.error_message, "Unauthorized");
    }
}
