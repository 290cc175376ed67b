//! The login use cases: who may get a token, and which one.

use std::future::Future;

use postech_shared_sdk::cognito::{
    AdminIdentity, CallerContext, CognitoClient, CognitoError, CustomerIdentity, PendingChallenge,
};
use postech_shared_sdk::cpf::Cpf;
use postech_shared_sdk::token::{IssuedToken, TokenError};
use secrecy::{ExposeSecret, SecretString};

use crate::keys::{KeyError, SigningKeys};

/// Where customers are looked up (Cognito `AdminGetUser` in production).
pub trait CustomerDirectory: Send + Sync {
    /// The enabled customer registered with this CPF; unknown → [`CognitoError::NotFound`],
    /// disabled → [`CognitoError::Disabled`].
    fn find_customer_by_cpf(
        &self,
        cpf: &Cpf,
    ) -> impl Future<Output = Result<CustomerIdentity, CognitoError>> + Send;

    /// Sends a one-time code to the customer's verified e-mail (Cognito `USER_AUTH` with
    /// `EMAIL_OTP`); the pending challenge to answer with the code.
    fn start_email_otp(
        &self,
        cpf: &Cpf,
        context: &CallerContext,
    ) -> impl Future<Output = Result<PendingChallenge, CognitoError>> + Send;

    /// The customer proven by the code; wrong or expired → [`CognitoError::InvalidCredentials`].
    fn verify_email_otp(
        &self,
        cpf: &Cpf,
        challenge: &PendingChallenge,
        code: &SecretString,
        context: &CallerContext,
    ) -> impl Future<Output = Result<CustomerIdentity, CognitoError>> + Send;
}

/// Where admin passwords and the `admin` group are checked (Cognito `AdminInitiateAuth`).
pub trait AdminDirectory: Send + Sync {
    /// The admin, when the password is right and the user is in group `admin`.
    fn authenticate_admin(
        &self,
        username: &str,
        password: &SecretString,
    ) -> impl Future<Output = Result<AdminIdentity, CognitoError>> + Send;
}

impl CustomerDirectory for CognitoClient {
    fn find_customer_by_cpf(
        &self,
        cpf: &Cpf,
    ) -> impl Future<Output = Result<CustomerIdentity, CognitoError>> + Send {
        CognitoClient::find_customer_by_cpf(self, cpf)
    }

    fn start_email_otp(
        &self,
        cpf: &Cpf,
        context: &CallerContext,
    ) -> impl Future<Output = Result<PendingChallenge, CognitoError>> + Send {
        CognitoClient::start_customer_email_otp(self, cpf, context)
    }

    fn verify_email_otp(
        &self,
        cpf: &Cpf,
        challenge: &PendingChallenge,
        code: &SecretString,
        context: &CallerContext,
    ) -> impl Future<Output = Result<CustomerIdentity, CognitoError>> + Send {
        CognitoClient::verify_customer_email_otp(self, cpf, challenge, code, context)
    }
}

impl AdminDirectory for CognitoClient {
    fn authenticate_admin(
        &self,
        username: &str,
        password: &SecretString,
    ) -> impl Future<Output = Result<AdminIdentity, CognitoError>> + Send {
        CognitoClient::authenticate_admin(self, username, password)
    }
}

/// Why a login produced no token.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown or disabled CPF. One variant for both: the answer must not tell them apart.
    #[error("customer unknown or disabled")]
    CustomerRefused,
    /// Unknown user, wrong password, or a user outside group `admin`.
    #[error("admin credentials refused")]
    AdminRefused,
    /// A wrong, expired or reused one-time code (or a decoy session).
    #[error("one-time code refused")]
    CodeRefused,
    /// Cognito throttled the call.
    #[error("identity provider throttled the request")]
    Throttled,
    /// Cognito failed or holds a record that breaks the identity contract.
    #[error("identity provider failure: {0}")]
    Directory(CognitoError),
    /// The signing key could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Signing failed.
    #[error("token could not be issued: {0}")]
    Token(#[from] TokenError),
}

/// `POST /auth`: a customer token for a registered, enabled CPF.
pub async fn log_in_customer<D: CustomerDirectory>(
    directory: &D,
    keys: &SigningKeys,
    cpf: &Cpf,
) -> Result<IssuedToken, LoginError> {
    let customer = match directory.find_customer_by_cpf(cpf).await {
        Ok(customer) => customer,
        Err(CognitoError::NotFound | CognitoError::Disabled) => {
            return Err(LoginError::CustomerRefused);
        }
        // A user without a usable customer id cannot get a token; answering like an unknown
        // CPF keeps the response from revealing that the CPF exists.
        Err(error @ CognitoError::InconsistentRecord(_)) => {
            tracing::error!(%error, cpf = %cpf.masked(), "customer record breaks the identity contract");
            return Err(LoginError::CustomerRefused);
        }
        Err(CognitoError::Throttled) => return Err(LoginError::Throttled),
        Err(error) => return Err(LoginError::Directory(error)),
    };
    let token = keys.issuer().await?.issue_customer(&customer.customer_id)?;
    Ok(token)
}

/// `POST /auth` `{"cpf", "enviar_codigo": true}`: e-mails a one-time code and returns the
/// session to answer it with. An unknown or disabled CPF, or one without a verified e-mail,
/// gets a decoy session (random, matching no code) so the answer does not tell them apart.
pub async fn send_customer_code<D: CustomerDirectory>(
    directory: &D,
    cpf: &Cpf,
    context: &CallerContext,
) -> Result<PendingChallenge, LoginError> {
    match directory.start_email_otp(cpf, context).await {
        Ok(challenge) => Ok(challenge),
        Err(
            CognitoError::NotFound
            | CognitoError::Disabled
            | CognitoError::InvalidCredentials
            | CognitoError::InconsistentRecord(_),
        ) => {
            tracing::info!(cpf = %cpf.masked(), "no code sent: answering with a decoy session");
            Ok(decoy_challenge())
        }
        Err(CognitoError::Throttled) => Err(LoginError::Throttled),
        Err(error) => Err(LoginError::Directory(error)),
    }
}

/// A session shaped like Cognito's (long, opaque), which no code ever matches.
fn decoy_challenge() -> PendingChallenge {
    let random: String = (0..6)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect();
    PendingChallenge {
        session: SecretString::from(format!("AYABe{random}")),
    }
}

/// `POST /auth` `{"cpf", "sessao", "codigo"}`: a step-up token (`amr: ["cpf", "otp"]`) when
/// the code is right, still fresh and the CPF's customer is enabled.
pub async fn step_up_customer<D: CustomerDirectory>(
    directory: &D,
    keys: &SigningKeys,
    cpf: &Cpf,
    challenge: &PendingChallenge,
    code: &SecretString,
    context: &CallerContext,
) -> Result<IssuedToken, LoginError> {
    let customer = match directory
        .verify_email_otp(cpf, challenge, code, context)
        .await
    {
        Ok(customer) => customer,
        Err(
            CognitoError::InvalidCredentials
            | CognitoError::NotFound
            | CognitoError::Disabled
            | CognitoError::InconsistentRecord(_),
        ) => return Err(LoginError::CodeRefused),
        Err(CognitoError::Throttled) => return Err(LoginError::Throttled),
        Err(error) => return Err(LoginError::Directory(error)),
    };
    let token = keys
        .issuer()
        .await?
        .issue_customer_stepped_up(&customer.customer_id)?;
    Ok(token)
}

/// `POST /auth/admin` and `POST /v1/api/admin/login`: an admin token for a member of group
/// `admin` with the right password.
pub async fn log_in_admin<D: AdminDirectory>(
    directory: &D,
    keys: &SigningKeys,
    username: &str,
    password: &SecretString,
) -> Result<IssuedToken, LoginError> {
    // Cognito would refuse these too; not asking it saves a call and a throttling slot.
    if username.trim().is_empty() || password.expose_secret().is_empty() {
        return Err(LoginError::AdminRefused);
    }
    let admin = match directory.authenticate_admin(username, password).await {
        Ok(admin) => admin,
        Err(
            CognitoError::InvalidCredentials
            | CognitoError::NotAdmin
            | CognitoError::NotFound
            | CognitoError::Disabled,
        ) => {
            return Err(LoginError::AdminRefused);
        }
        Err(CognitoError::Throttled) => return Err(LoginError::Throttled),
        Err(error) => return Err(LoginError::Directory(error)),
    };
    let token = keys.issuer().await?.issue_admin(&admin.username)?;
    Ok(token)
}
