//! Customer and admin identities in Amazon Cognito, as the identity contract describes them.
//!
//! A customer's username is their CPF as 11 digits, with the attributes `name`, `email` and
//! `custom:customer_id` (the app's customer UUID). Customers are looked up with
//! `AdminGetUser` only: custom attributes are not searchable and `ListUsers` pages stop at 60.
//! Admins are users of the group [`ADMIN_GROUP`] who log in with a password
//! (`ADMIN_USER_PASSWORD_AUTH`, so the app client must allow that flow and have no secret).

mod admin_status;
mod error;

pub use admin_status::AdminStatusCache;
pub use error::CognitoError;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, ChallengeNameType, ContextDataType, HttpHeader, MessageActionType,
};
use secrecy::{ExposeSecret, SecretString};

use crate::cpf::Cpf;
use crate::ids::CustomerId;
use error::SdkFailure;

/// The Cognito group whose members are administrators.
pub const ADMIN_GROUP: &str = "admin";

/// The custom attribute holding the app's customer UUID.
pub const CUSTOMER_ID_ATTRIBUTE: &str = "custom:customer_id";

/// A customer to register in Cognito when the app creates the customer row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomerIdentity {
    /// The customer's CPF; it becomes the Cognito username.
    pub cpf: Cpf,
    /// The app's id of the customer, stored as `custom:customer_id`.
    pub customer_id: CustomerId,
    /// Full name, stored as the standard `name` attribute when given.
    pub name: Option<String>,
    /// E-mail, stored as the standard `email` attribute when given.
    pub email: Option<String>,
}

/// A customer as Cognito knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerIdentity {
    /// The app's id of the customer (`custom:customer_id`).
    pub customer_id: CustomerId,
    /// The `name` attribute, if set.
    pub name: Option<String>,
    /// The `email` attribute, if set.
    pub email: Option<String>,
    /// Whether the user is enabled. Always `true` from
    /// [`CognitoClient::find_customer_by_cpf`], which reports a disabled user as
    /// [`CognitoError::Disabled`].
    pub enabled: bool,
}

/// Who is calling, for Cognito's risk checks (adaptive authentication, compromised
/// credentials): sent as `ContextData` with every login call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallerContext {
    /// The caller's source IP, as the gateway saw it.
    pub ip_address: String,
    /// The caller's `User-Agent`, when it sent one.
    pub user_agent: Option<String>,
    /// The host the caller addressed (the API's domain).
    pub server_name: String,
    /// The path the caller addressed (`/auth`, `/auth/admin`).
    pub server_path: String,
}

impl CallerContext {
    fn context_data(&self) -> Option<ContextDataType> {
        if self.ip_address.is_empty() {
            return None;
        }
        let headers = self
            .user_agent
            .iter()
            .map(|agent| {
                HttpHeader::builder()
                    .header_name("User-Agent")
                    .header_value(agent)
                    .build()
            })
            .collect();
        ContextDataType::builder()
            .ip_address(&self.ip_address)
            .server_name(&self.server_name)
            .server_path(&self.server_path)
            .set_http_headers(Some(headers))
            .build()
            .ok()
    }
}

/// A login waiting for a one-time code: Cognito's opaque session, to send back with the
/// code. It is not a credential by itself but is wrapped so it never reaches a log.
#[derive(Debug, Clone)]
pub struct PendingChallenge {
    /// Cognito's `Session`.
    pub session: SecretString,
}

/// The first step of an admin login.
#[derive(Debug, Clone)]
pub enum AdminLoginStep {
    /// The password sufficed (the user has no MFA): a member of group `admin`.
    Authenticated(AdminIdentity),
    /// The password was right; Cognito asks for the TOTP code of the user's authenticator
    /// (`SOFTWARE_TOKEN_MFA`).
    TotpRequired(PendingChallenge),
}

/// An administrator whose password and group membership were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminIdentity {
    /// The Cognito username of the admin; it becomes the token's `sub`.
    pub username: String,
}

/// The postech operations on one Cognito user pool.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use postech_shared_sdk::cognito::CognitoClient;
/// use postech_shared_sdk::cpf::Cpf;
///
/// let sdk_config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
/// let cognito = CognitoClient::new(&sdk_config, "us-east-1_ExamplePool", "example-client-id");
/// let identity = cognito.find_customer_by_cpf(&Cpf::parse("529.982.247-25")?).await?;
/// println!("customer {}", identity.customer_id);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CognitoClient {
    client: Client,
    user_pool_id: String,
    app_client_id: String,
}

impl CognitoClient {
    /// Builds a client from a loaded AWS configuration (region, credentials, endpoint), its
    /// calls bounded by [`crate::aws_timeouts`].
    pub fn new(
        sdk_config: &aws_config::SdkConfig,
        user_pool_id: impl Into<String>,
        app_client_id: impl Into<String>,
    ) -> Self {
        Self::from_client(
            Client::new(&crate::aws_timeouts::bounded(sdk_config)),
            user_pool_id,
            app_client_id,
        )
    }

    /// Wraps an existing SDK client, e.g. one shared with other code of the process.
    pub fn from_client(
        client: Client,
        user_pool_id: impl Into<String>,
        app_client_id: impl Into<String>,
    ) -> Self {
        Self {
            client,
            user_pool_id: user_pool_id.into(),
            app_client_id: app_client_id.into(),
        }
    }

    /// The user pool this client works on.
    pub fn user_pool_id(&self) -> &str {
        &self.user_pool_id
    }

    /// Creates the customer's Cognito user, without sending any invitation message.
    ///
    /// Idempotent for one customer: when the user already exists with the same
    /// `custom:customer_id` (a retry after a partial failure) this succeeds without changing
    /// it; with another customer id it fails with [`CognitoError::AlreadyRegistered`].
    #[tracing::instrument(name = "cognito.register_customer", skip_all,
        fields(cpf = %identity.cpf.masked(), customer_id = %identity.customer_id))]
    pub async fn register_customer(
        &self,
        identity: &NewCustomerIdentity,
    ) -> Result<(), CognitoError> {
        let attributes = customer_attributes(identity)?;
        let created = self
            .client
            .admin_create_user()
            .user_pool_id(&self.user_pool_id)
            .username(identity.cpf.as_digits())
            .set_user_attributes(Some(attributes))
            .message_action(MessageActionType::Suppress)
            .send()
            .await;
        let failure = match created {
            Ok(_) => {
                tracing::info!("customer identity registered");
                return Ok(());
            }
            Err(error) => SdkFailure::classify("AdminCreateUser", &error, Some(&identity.cpf)),
        };
        match failure {
            SdkFailure::UsernameExists => {
                let existing = self.get_customer(&identity.cpf).await?;
                if existing.customer_id == identity.customer_id {
                    tracing::info!("customer identity already registered by an earlier attempt");
                    Ok(())
                } else {
                    Err(CognitoError::AlreadyRegistered)
                }
            }
            other => Err(other.into_default_error()),
        }
    }

    /// Marks the customer's e-mail as verified (`email_verified = true`), once the app has
    /// checked the code it e-mailed at registration: Cognito sends its passwordless one-time
    /// codes (the step-up) to verified addresses only. Idempotent.
    #[tracing::instrument(name = "cognito.mark_customer_email_verified", skip_all,
        fields(cpf = %cpf.masked()))]
    pub async fn mark_customer_email_verified(&self, cpf: &Cpf) -> Result<(), CognitoError> {
        let verified = AttributeType::builder()
            .name("email_verified")
            .value("true")
            .build()
            .map_err(|error| CognitoError::Unavailable(format!("attribute: {error}")))?;
        self.client
            .admin_update_user_attributes()
            .user_pool_id(&self.user_pool_id)
            .username(cpf.as_digits())
            .user_attributes(verified)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                SdkFailure::classify("AdminUpdateUserAttributes", &error, Some(cpf))
                    .into_default_error()
            })
    }

    /// Whether Cognito holds the customer's e-mail as verified (`email_verified`).
    #[tracing::instrument(name = "cognito.customer_email_verified", skip_all,
        fields(cpf = %cpf.masked()))]
    pub async fn customer_email_verified(&self, cpf: &Cpf) -> Result<bool, CognitoError> {
        let user = self.admin_get_customer_user(cpf).await?;
        Ok(user.user_attributes().iter().any(|attribute| {
            attribute.name() == "email_verified" && attribute.value() == Some("true")
        }))
    }

    /// Finds the customer whose username is this CPF, with `AdminGetUser`.
    ///
    /// Unknown → [`CognitoError::NotFound`], disabled → [`CognitoError::Disabled`].
    #[tracing::instrument(name = "cognito.find_customer_by_cpf", skip_all,
        fields(cpf = %cpf.masked()))]
    pub async fn find_customer_by_cpf(&self, cpf: &Cpf) -> Result<CustomerIdentity, CognitoError> {
        let identity = self.get_customer(cpf).await?;
        if identity.enabled {
            Ok(identity)
        } else {
            Err(CognitoError::Disabled)
        }
    }

    /// Deletes the customer's user: the compensation when the app's transaction fails after
    /// the registration. Deleting a user that does not exist succeeds.
    #[tracing::instrument(name = "cognito.delete_customer", skip_all,
        fields(cpf = %cpf.masked()))]
    pub async fn delete_customer(&self, cpf: &Cpf) -> Result<(), CognitoError> {
        let deleted = self
            .client
            .admin_delete_user()
            .user_pool_id(&self.user_pool_id)
            .username(cpf.as_digits())
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) => match SdkFailure::classify("AdminDeleteUser", &error, Some(cpf)) {
                SdkFailure::UserNotFound => Ok(()),
                other => Err(other.into_default_error()),
            },
        }
    }

    /// Checks an admin's password (`AdminInitiateAuth` with `ADMIN_USER_PASSWORD_AUTH`) and
    /// membership of [`ADMIN_GROUP`].
    ///
    /// Unknown user, wrong password, disabled user or a pending `NEW_PASSWORD_REQUIRED`
    /// challenge → [`CognitoError::InvalidCredentials`]; right password but not in the group →
    /// [`CognitoError::NotAdmin`]. The Cognito tokens of the login are discarded: postech
    /// issues its own.
    // No username field: it is typed by whoever logs in, and customers' usernames are CPFs.
    #[tracing::instrument(name = "cognito.authenticate_admin", skip_all)]
    pub async fn authenticate_admin(
        &self,
        username: &str,
        password: &SecretString,
    ) -> Result<AdminIdentity, CognitoError> {
        let login = self
            .client
            .admin_initiate_auth()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.app_client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password.expose_secret())
            .send()
            .await;
        let login = match login {
            Ok(output) => output,
            Err(error) => {
                return Err(
                    match SdkFailure::classify("AdminInitiateAuth", &error, None) {
                        SdkFailure::UserNotFound | SdkFailure::LoginRefused => {
                            CognitoError::InvalidCredentials
                        }
                        other => other.into_default_error(),
                    },
                );
            }
        };
        if let Some(challenge) = login.challenge_name() {
            // Only a completed login proves the password is usable; a temporary password
            // awaiting change (NEW_PASSWORD_REQUIRED) or an MFA step is not one.
            tracing::info!(challenge = %challenge.as_str(), "admin login stopped at a challenge");
            return Err(CognitoError::InvalidCredentials);
        }
        if login.authentication_result().is_none() {
            return Err(CognitoError::Unavailable(
                "AdminInitiateAuth: neither a challenge nor an authentication result".into(),
            ));
        }
        if self.is_admin(username).await? {
            Ok(AdminIdentity {
                username: username.to_owned(),
            })
        } else {
            tracing::warn!("valid login of a user outside the admin group");
            Err(CognitoError::NotAdmin)
        }
    }

    /// The first step of an admin login that survives MFA: the password
    /// (`ADMIN_USER_PASSWORD_AUTH`, with the caller's context), then either the admin or the
    /// TOTP challenge to answer with [`respond_admin_totp`](Self::respond_admin_totp). Group
    /// membership is checked on the completed login only.
    #[tracing::instrument(name = "cognito.start_admin_login", skip_all)]
    pub async fn start_admin_login(
        &self,
        username: &str,
        password: &SecretString,
        context: &CallerContext,
    ) -> Result<AdminLoginStep, CognitoError> {
        let login = self
            .client
            .admin_initiate_auth()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.app_client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password.expose_secret())
            .set_context_data(context.context_data())
            .send()
            .await
            .map_err(|error| {
                SdkFailure::classify("AdminInitiateAuth", &error, None).into_default_error()
            })?;
        match login.challenge_name() {
            Some(ChallengeNameType::SoftwareTokenMfa) => {
                let session = login.session().ok_or_else(|| {
                    CognitoError::Unavailable("SOFTWARE_TOKEN_MFA without a session".into())
                })?;
                Ok(AdminLoginStep::TotpRequired(PendingChallenge {
                    session: SecretString::from(session.to_owned()),
                }))
            }
            Some(challenge) => {
                tracing::info!(challenge = %challenge.as_str(), "admin login stopped at a challenge");
                Err(CognitoError::InvalidCredentials)
            }
            None if login.authentication_result().is_some() => self
                .admin_identity(username)
                .await
                .map(AdminLoginStep::Authenticated),
            None => Err(CognitoError::Unavailable(
                "AdminInitiateAuth: neither a challenge nor an authentication result".into(),
            )),
        }
    }

    /// The second step of an admin login: the TOTP code for the pending challenge. A wrong
    /// or expired code, or a session past its time, is [`CognitoError::InvalidCredentials`].
    #[tracing::instrument(name = "cognito.respond_admin_totp", skip_all)]
    pub async fn respond_admin_totp(
        &self,
        username: &str,
        challenge: &PendingChallenge,
        code: &SecretString,
        context: &CallerContext,
    ) -> Result<AdminIdentity, CognitoError> {
        let answer = self
            .client
            .admin_respond_to_auth_challenge()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.app_client_id)
            .challenge_name(ChallengeNameType::SoftwareTokenMfa)
            .session(challenge.session.expose_secret())
            .challenge_responses("USERNAME", username)
            .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", code.expose_secret())
            .set_context_data(context.context_data())
            .send()
            .await
            .map_err(|error| {
                match SdkFailure::classify("AdminRespondToAuthChallenge", &error, None) {
                    // moto answers an unknown session with ResourceNotFound.
                    SdkFailure::UserNotFound => CognitoError::InvalidCredentials,
                    SdkFailure::Other(description) if description.contains("ResourceNotFound") => {
                        CognitoError::InvalidCredentials
                    }
                    other => other.into_default_error(),
                }
            })?;
        if answer.authentication_result().is_none() {
            return Err(CognitoError::InvalidCredentials);
        }
        self.admin_identity(username).await
    }

    /// Asks Cognito to e-mail a one-time code to the customer's verified address
    /// (passwordless sign-in: `USER_AUTH` with `PREFERRED_CHALLENGE=EMAIL_OTP`). The pool
    /// must allow the `EMAIL_OTP` first factor and the app client `ALLOW_USER_AUTH`.
    #[tracing::instrument(name = "cognito.start_customer_email_otp", skip_all,
        fields(cpf = %cpf.masked()))]
    pub async fn start_customer_email_otp(
        &self,
        cpf: &Cpf,
        context: &CallerContext,
    ) -> Result<PendingChallenge, CognitoError> {
        let started = self
            .client
            .admin_initiate_auth()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.app_client_id)
            .auth_flow(AuthFlowType::UserAuth)
            .auth_parameters("USERNAME", cpf.as_digits())
            .auth_parameters("PREFERRED_CHALLENGE", "EMAIL_OTP")
            .set_context_data(context.context_data())
            .send()
            .await
            .map_err(|error| {
                SdkFailure::classify("AdminInitiateAuth", &error, Some(cpf)).into_default_error()
            })?;
        match (started.challenge_name(), started.session()) {
            (Some(ChallengeNameType::EmailOtp), Some(session)) => Ok(PendingChallenge {
                session: SecretString::from(session.to_owned()),
            }),
            // No verified e-mail (or the pool offers no e-mail code): no second factor.
            _ => Err(CognitoError::InvalidCredentials),
        }
    }

    /// Checks the e-mailed code and returns the customer it proves. A wrong, expired or
    /// reused code is [`CognitoError::InvalidCredentials`].
    #[tracing::instrument(name = "cognito.verify_customer_email_otp", skip_all,
        fields(cpf = %cpf.masked()))]
    pub async fn verify_customer_email_otp(
        &self,
        cpf: &Cpf,
        challenge: &PendingChallenge,
        code: &SecretString,
        context: &CallerContext,
    ) -> Result<CustomerIdentity, CognitoError> {
        let answer = self
            .client
            .admin_respond_to_auth_challenge()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.app_client_id)
            .challenge_name(ChallengeNameType::EmailOtp)
            .session(challenge.session.expose_secret())
            .challenge_responses("USERNAME", cpf.as_digits())
            .challenge_responses("EMAIL_OTP_CODE", code.expose_secret())
            .set_context_data(context.context_data())
            .send()
            .await
            .map_err(|error| {
                SdkFailure::classify("AdminRespondToAuthChallenge", &error, Some(cpf))
                    .into_default_error()
            })?;
        if answer.authentication_result().is_none() {
            return Err(CognitoError::InvalidCredentials);
        }
        self.find_customer_by_cpf(cpf).await
    }

    /// Whether the user exists, is enabled and belongs to [`ADMIN_GROUP`]: what the
    /// verifiers ask (cached) so that disabling an admin in Cognito ends their tokens.
    #[tracing::instrument(name = "cognito.admin_is_active", skip_all)]
    pub async fn admin_is_active(&self, username: &str) -> Result<bool, CognitoError> {
        let user = self
            .client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await;
        match user {
            Ok(user) if user.enabled() => self.is_admin(username).await,
            Ok(_) => Ok(false),
            Err(error) => match SdkFailure::classify("AdminGetUser", &error, None) {
                SdkFailure::UserNotFound => Ok(false),
                other => Err(other.into_default_error()),
            },
        }
    }

    async fn admin_identity(&self, username: &str) -> Result<AdminIdentity, CognitoError> {
        if self.is_admin(username).await? {
            Ok(AdminIdentity {
                username: username.to_owned(),
            })
        } else {
            tracing::warn!("valid login of a user outside the admin group");
            Err(CognitoError::NotAdmin)
        }
    }

    async fn is_admin(&self, username: &str) -> Result<bool, CognitoError> {
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .client
                .admin_list_groups_for_user()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|error| {
                    SdkFailure::classify("AdminListGroupsForUser", &error, None)
                        .into_default_error()
                })?;
            if page
                .groups()
                .iter()
                .any(|group| group.group_name() == Some(ADMIN_GROUP))
            {
                return Ok(true);
            }
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return Ok(false),
            }
        }
    }

    /// `AdminGetUser` of the customer whose username is this CPF, its failures classified.
    async fn admin_get_customer_user(
        &self,
        cpf: &Cpf,
    ) -> Result<
        aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserOutput,
        CognitoError,
    > {
        self.client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(cpf.as_digits())
            .send()
            .await
            .map_err(|error| {
                SdkFailure::classify("AdminGetUser", &error, Some(cpf)).into_default_error()
            })
    }

    /// `AdminGetUser`, enabled or not.
    async fn get_customer(&self, cpf: &Cpf) -> Result<CustomerIdentity, CognitoError> {
        let user = self.admin_get_customer_user(cpf).await?;
        let attribute = |name: &str| {
            user.user_attributes()
                .iter()
                .find(|attribute| attribute.name() == name)
                .and_then(|attribute| attribute.value())
                .map(str::to_owned)
        };
        let customer_id = attribute(CUSTOMER_ID_ATTRIBUTE)
            .ok_or_else(|| {
                CognitoError::InconsistentRecord(format!("{CUSTOMER_ID_ATTRIBUTE} is missing"))
            })?
            .parse::<CustomerId>()
            .map_err(|_| {
                CognitoError::InconsistentRecord(format!("{CUSTOMER_ID_ATTRIBUTE} is not a UUID"))
            })?;
        Ok(CustomerIdentity {
            customer_id,
            name: attribute("name"),
            email: attribute("email"),
            enabled: user.enabled(),
        })
    }
}

fn customer_attributes(identity: &NewCustomerIdentity) -> Result<Vec<AttributeType>, CognitoError> {
    let mut attributes = vec![(CUSTOMER_ID_ATTRIBUTE, identity.customer_id.to_string())];
    if let Some(name) = &identity.name {
        attributes.push(("name", name.clone()));
    }
    if let Some(email) = &identity.email {
        attributes.push(("email", email.clone()));
    }
    attributes
        .into_iter()
        .map(|(name, value)| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(|error| CognitoError::Unavailable(format!("attribute {name}: {error}")))
        })
        .collect()
}
