//! The login use cases: who may get a token, and which one.

use std::future::Future;

use postech_shared_sdk::cognito::{
    AdminIdentity, AdminLoginStep, CallerContext, CognitoClient, CognitoError, CustomerIdentity,
    PendingChallenge,
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

/// Where admin passwords, TOTP codes and the `admin` group are checked (Cognito
/// `AdminInitiateAuth`, then `AdminRespondToAuthChallenge` for `SOFTWARE_TOKEN_MFA`).
pub trait AdminDirectory: Send + Sync {
    /// The password step: the admin (no MFA, in group `admin`), or the TOTP challenge.
    fn start_admin_login(
        &self,
        username: &str,
        password: &SecretString,
        context: &CallerContext,
    ) -> impl Future<Output = Result<AdminLoginStep, CognitoError>> + Send;

    /// The code step: the admin, when the TOTP code answers the challenge and the user is in
    /// group `admin`; a wrong or expired code → [`CognitoError::InvalidCredentials`].
    fn respond_admin_totp(
        &self,
        username: &str,
        challenge: &PendingChallenge,
        code: &SecretString,
        context: &CallerContext,
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
    fn start_admin_login(
        &self,
        username: &str,
        password: &SecretString,
        context: &CallerContext,
    ) -> impl Future<Output = Result<AdminLoginStep, CognitoError>> + Send {
        CognitoClient::start_admin_login(self, username, password, context)
    }

    fn respond_admin_totp(
        &self,
        username: &str,
        challenge: &PendingChallenge,
        code: &SecretString,
        context: &CallerContext,
    ) -> impl Future<Output = Result<AdminIdentity, CognitoError>> + Send {
        CognitoClient::respond_admin_totp(self, username, challenge, code, context)
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

/// What the password step of an admin login ends with.
#[derive(Debug)]
pub enum AdminLoginOutcome {
    /// An admin without MFA: the token (`amr: ["pwd"]`), as v1 clients expect it.
    Token(IssuedToken),
    /// An admin with TOTP MFA: the challenge to answer with the code
    /// ([`verify_admin_totp`]).
    TotpRequired(PendingChallenge),
}

/// `POST /auth/admin` and `POST /v1/api/admin/login` with `username` and `password`: an admin
/// token for a member of group `admin` without MFA, or the TOTP challenge for one with MFA.
/// The caller's context (IP, user agent) goes to Cognito for its risk checks.
pub async fn log_in_admin<D: AdminDirectory>(
    directory: &D,
    keys: &SigningKeys,
    username: &str,
    password: &SecretString,
    context: &CallerContext,
) -> Result<AdminLoginOutcome, LoginError> {
    // Cognito would refuse these too; not asking it saves a call and a throttling slot.
    if username.trim().is_empty() || password.expose_secret().is_empty() {
        return Err(LoginError::AdminRefused);
    }
    match directory
        .start_admin_login(username, password, context)
        .await
        .map_err(admin_refusal(LoginError::AdminRefused))?
    {
        AdminLoginStep::Authenticated(admin) => Ok(AdminLoginOutcome::Token(
            keys.issuer().await?.issue_admin(&admin.username)?,
        )),
        AdminLoginStep::TotpRequired(challenge) => Ok(AdminLoginOutcome::TotpRequired(challenge)),
    }
}

/// The code step of an admin login with MFA: `username`, the `sessao` of the password step
/// and the TOTP `codigo` → an admin token with `amr: ["pwd", "otp", "mfa"]`. A wrong, expired
/// or reused code, or a session that is not this user's: [`LoginError::CodeRefused`].
pub async fn verify_admin_totp<D: AdminDirectory>(
    directory: &D,
    keys: &SigningKeys,
    username: &str,
    challenge: &PendingChallenge,
    code: &SecretString,
    context: &CallerContext,
) -> Result<IssuedToken, LoginError> {
    if username.trim().is_empty() {
        return Err(LoginError::CodeRefused);
    }
    let admin = directory
        .respond_admin_totp(username, challenge, code, context)
        .await
        .map_err(admin_refusal(LoginError::CodeRefused))?;
    Ok(keys.issuer().await?.issue_admin_mfa(&admin.username)?)
}

/// Cognito's refusals of an admin login as one answer (`refused`), so that it never tells
/// which usernames exist or which step failed; throttling and outages apart.
fn admin_refusal(refused: LoginError) -> impl FnOnce(CognitoError) -> LoginError {
    move |error| match error {
        CognitoError::InvalidCredentials
        | CognitoError::NotAdmin
        | CognitoError::NotFound
        | CognitoError::Disabled => refused,
        CognitoError::Throttled => LoginError::Throttled,
        error => LoginError::Directory(error),
    }
}
