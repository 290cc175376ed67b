//! The errors of [`CognitoClient`](super::CognitoClient) and how AWS SDK failures map onto them.

use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::cpf::Cpf;

/// What went wrong talking to Cognito, in the terms a caller acts on.
///
/// Messages never contain a CPF in clear nor a password, so they are safe to log.
#[derive(Debug, thiserror::Error)]
pub enum CognitoError {
    /// No user with that username exists in the pool.
    #[error("no such user in the user pool")]
    NotFound,
    /// The user exists but was disabled by an operator.
    #[error("the user is disabled")]
    Disabled,
    /// Login refused: unknown user, wrong password, disabled user, or a password that must be
    /// changed before it can be used. One variant for all of them, so a login answer never
    /// tells an attacker which usernames exist.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The password was right but the user is not in the `admin` group.
    ///
    /// Kept apart from [`CognitoError::InvalidCredentials`] because it is only reached after
    /// the password was proven, so it reveals nothing to a guesser, while operators want to
    /// tell "wrong password" from "valid user without the role" in logs. Answer it with 403.
    #[error("the user is not in the admin group")]
    NotAdmin,
    /// The CPF is already registered to a different customer.
    #[error("the CPF is already registered to another customer")]
    AlreadyRegistered,
    /// Cognito rejected the call because of its request-rate quota, after the SDK's own retries.
    #[error("Cognito throttled the request")]
    Throttled,
    /// The stored user breaks the identity contract, e.g. its `custom:customer_id` is missing
    /// or is not a UUID.
    #[error("the Cognito user record is inconsistent: {0}")]
    InconsistentRecord(String),
    /// Cognito could not be reached, timed out, or answered with an unexpected error.
    #[error("Cognito is unavailable: {0}")]
    Unavailable(String),
}

/// An SDK failure reduced to the cases the client methods treat differently.
#[derive(Debug)]
pub(crate) enum SdkFailure {
    Throttled,
    UserNotFound,
    /// `NotAuthorizedException`, `PasswordResetRequiredException`, `UserNotConfirmedException`.
    LoginRefused,
    UsernameExists,
    /// Anything else, already described (CPF scrubbed) for [`CognitoError::Unavailable`].
    Other(String),
}

impl SdkFailure {
    /// Reduces an SDK error by its service error code. The code is the stable part of the
    /// contract; the per-operation error enums differ and gain variants over time.
    pub(crate) fn classify<E, R>(
        operation: &str,
        error: &SdkError<E, R>,
        cpf_to_scrub: Option<&Cpf>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        if let SdkError::ServiceError(service_error) = error {
            let service_error = service_error.err();
            let code = service_error.code().unwrap_or("UnknownError");
            return match code {
                "TooManyRequestsException" | "ThrottlingException" => Self::Throttled,
                "UserNotFoundException" => Self::UserNotFound,
                "NotAuthorizedException"
                | "PasswordResetRequiredException"
                | "UserNotConfirmedException" => Self::LoginRefused,
                "UsernameExistsException" => Self::UsernameExists,
                // A wrong, expired or already used one-time code, or a session past its time;
                // too many failed attempts (Cognito's lockout): refused like a wrong password,
                // so the answer does not tell a locked account apart.
                "CodeMismatchException"
                | "ExpiredCodeException"
                | "TooManyFailedAttemptsException" => Self::LoginRefused,
                _ => {
                    let message = service_error.message().unwrap_or("no message");
                    Self::Other(scrub(
                        format!("{operation}: {code}: {message}"),
                        cpf_to_scrub,
                    ))
                }
            };
        }
        // Construction, dispatch, timeout and unparseable-response failures: the network or
        // the endpoint is the problem, not the request.
        Self::Other(scrub(
            format!("{operation}: {}", DisplayErrorContext(error)),
            cpf_to_scrub,
        ))
    }

    /// The error for a failure the calling method has no special meaning for.
    pub(crate) fn into_default_error(self) -> CognitoError {
        match self {
            Self::Throttled => CognitoError::Throttled,
            Self::UserNotFound => CognitoError::NotFound,
            Self::LoginRefused => CognitoError::InvalidCredentials,
            Self::UsernameExists => CognitoError::AlreadyRegistered,
            Self::Other(description) => CognitoError::Unavailable(description),
        }
    }
}

/// Service messages may echo the username, which for customers is the CPF.
fn scrub(description: String, cpf: Option<&Cpf>) -> String {
    match cpf {
        Some(cpf) => description.replace(cpf.as_digits(), &cpf.masked()),
        None => description,
    }
}
