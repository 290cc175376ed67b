//! A local AWS for tests and the local run (feature `local-aws`): a moto server, a user pool
//! shaped like production's, admins, and secrets (the token key in its two secrets, as
//! deployed: the key pair for the signer, the public half for verifiers).
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use postech_shared_sdk::local_aws::{self, MotoServer};
//!
//! let moto = MotoServer::shared()?;
//! let sdk_config = local_aws::sdk_config(moto.endpoint()).await;
//! let pool = local_aws::provision_user_pool(&sdk_config, &local_aws::unique_name("test")).await?;
//! let password = local_aws::generate_password();
//! local_aws::create_admin(&sdk_config, &pool, "admin", &password).await?;
//! # Ok(())
//! # }
//! ```

mod fault_proxy;
mod moto;
mod totp;

pub use fault_proxy::{Fault, FaultProxy};
pub use moto::{MOTO_ENDPOINT_ENV, MOTO_SERVER_BIN_ENV, MOTO_TOTP_ENV, MotoServer};
pub use totp::{TOTP_STEP_SECONDS, enable_totp_mfa, fresh_totp_code, totp_code, unix_now};

use std::path::PathBuf;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cognitoidentityprovider::types::{
    AdminCreateUserConfigType, AttributeDataType, ExplicitAuthFlowsType, MessageActionType,
    SchemaAttributeType, StringAttributeConstraintsType,
};
use aws_sdk_secretsmanager::config::Credentials;
use secrecy::{ExposeSecret, SecretString};

use crate::cognito::ADMIN_GROUP;
use crate::secrets::{SecretKind, Stage};
use crate::token::SigningKeyMaterial;

/// The region of every local resource.
pub const LOCAL_REGION: &str = "us-east-1";

// moto accepts any credentials; these are the fake values its documentation uses. They are
// not secrets and open nothing: they only satisfy the SDK's request signing.
const MOTO_ACCESS_KEY_ID: &str = "testing";
const MOTO_SECRET_ACCESS_KEY: &str = "testing";

/// Why provisioning the local AWS failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalAwsError {
    /// No `moto_server` executable was found.
    #[error("moto server is not installed: {detail}")]
    MotoNotInstalled {
        /// Where it was looked for and how to install it.
        detail: String,
    },
    /// `moto_server` was started but did not answer.
    #[error("moto server {binary} did not start: {reason}", binary = binary.display())]
    MotoStartFailed {
        /// The executable that was started.
        binary: PathBuf,
        /// What was observed, with the end of moto's log.
        reason: String,
    },
    /// The server named by `POSTECH_MOTO_ENDPOINT` does not answer.
    #[error("moto server at {endpoint} is unreachable: {reason}")]
    MotoUnreachable {
        /// The configured endpoint.
        endpoint: String,
        /// Why it is considered unreachable.
        reason: String,
    },
    /// A local I/O step failed.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done.
        action: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An AWS call to moto failed.
    #[error("{operation} failed: {reason}")]
    Aws {
        /// The AWS operation.
        operation: &'static str,
        /// The SDK's description of the failure.
        reason: String,
    },
}

/// A user pool provisioned for local use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUserPool {
    /// The pool id, e.g. `us-east-1_abc123`.
    pub user_pool_id: String,
    /// The app client allowed to use `ADMIN_USER_PASSWORD_AUTH`, without a client secret.
    pub client_id: String,
}

/// An AWS configuration pointing at a local endpoint: region [`LOCAL_REGION`] and moto's
/// conventional fake credentials, whatever the environment says.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(LOCAL_REGION))
        .credentials_provider(Credentials::new(
            MOTO_ACCESS_KEY_ID,
            MOTO_SECRET_ACCESS_KEY,
            None,
            None,
            "postech-local-aws",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A short random suffix, so tests sharing one moto server never collide on names.
pub fn unique_suffix() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// `<prefix>-<random suffix>`.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", unique_suffix())
}

/// A random password meeting Cognito's default policy (upper and lower case, digit, symbol):
/// `Pt-` followed by a v4 UUID's 32 hex digits (122 random bits from the OS generator).
pub fn generate_password() -> SecretString {
    format!("Pt-{}", uuid::Uuid::new_v4().simple()).into()
}

/// Creates a user pool as the identity contract wants it: usernames are CPFs (no alias
/// attributes), the custom attribute `customer_id`, no self sign-up, an app client allowing
/// `ADMIN_USER_PASSWORD_AUTH`, and the group [`ADMIN_GROUP`].
pub async fn provision_user_pool(
    config: &SdkConfig,
    name: &str,
) -> Result<LocalUserPool, LocalAwsError> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(config);
    let customer_id = SchemaAttributeType::builder()
        .name("customer_id")
        .attribute_data_type(AttributeDataType::String)
        .mutable(false)
        .string_attribute_constraints(
            StringAttributeConstraintsType::builder()
                .min_length("36")
                .max_length("36")
                .build(),
        )
        .build();
    let pool = cognito
        .create_user_pool()
        .pool_name(name)
        .schema(customer_id)
        .admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .allow_admin_create_user_only(true)
                .build(),
        )
        .send()
        .await
        .map_err(|error| aws_error("CreateUserPool", &error))?;
    let user_pool_id = pool
        .user_pool()
        .and_then(|pool| pool.id())
        .ok_or_else(|| missing("CreateUserPool", "UserPool.Id"))?
        .to_owned();
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&user_pool_id)
        .client_name(format!("{name}-client"))
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .map_err(|error| aws_error("CreateUserPoolClient", &error))?;
    let client_id = client
        .user_pool_client()
        .and_then(|client| client.client_id())
        .ok_or_else(|| missing("CreateUserPoolClient", "UserPoolClient.ClientId"))?
        .to_owned();
    cognito
        .create_group()
        .user_pool_id(&user_pool_id)
        .group_name(ADMIN_GROUP)
        .description("postech administrators")
        .send()
        .await
        .map_err(|error| aws_error("CreateGroup", &error))?;
    Ok(LocalUserPool {
        user_pool_id,
        client_id,
    })
}

/// Creates a confirmed user with a permanent password, in no group.
pub async fn create_password_user(
    config: &SdkConfig,
    pool: &LocalUserPool,
    username: &str,
    password: &SecretString,
) -> Result<(), LocalAwsError> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(config);
    cognito
        .admin_create_user()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .map_err(|error| aws_error("AdminCreateUser", &error))?;
    cognito
        .admin_set_user_password()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .password(password.expose_secret())
        .permanent(true)
        .send()
        .await
        .map_err(|error| aws_error("AdminSetUserPassword", &error))?;
    Ok(())
}

/// Creates an administrator: a user with a permanent password in the group [`ADMIN_GROUP`].
pub async fn create_admin(
    config: &SdkConfig,
    pool: &LocalUserPool,
    username: &str,
    password: &SecretString,
) -> Result<(), LocalAwsError> {
    create_password_user(config, pool, username, password).await?;
    aws_sdk_cognitoidentityprovider::Client::new(config)
        .admin_add_user_to_group()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .group_name(ADMIN_GROUP)
        .send()
        .await
        .map_err(|error| aws_error("AdminAddUserToGroup", &error))?;
    Ok(())
}

/// Disables the user `username` (`AdminDisableUser`), as an operator locks an account out.
pub async fn disable_user(
    config: &SdkConfig,
    pool: &LocalUserPool,
    username: &str,
) -> Result<(), LocalAwsError> {
    aws_sdk_cognitoidentityprovider::Client::new(config)
        .admin_disable_user()
        .user_pool_id(&pool.user_pool_id)
        .username(username)
        .send()
        .await
        .map_err(|error| aws_error("AdminDisableUser", &error))?;
    Ok(())
}

/// Stores a text secret, creating it or adding a new version when it already exists.
pub async fn put_secret_string(
    config: &SdkConfig,
    secret_id: &str,
    value: &SecretString,
) -> Result<(), LocalAwsError> {
    let secrets = aws_sdk_secretsmanager::Client::new(config);
    let created = secrets
        .create_secret()
        .name(secret_id)
        .secret_string(value.expose_secret())
        .send()
        .await;
    match created {
        Ok(_) => Ok(()),
        Err(error) if error.code() == Some("ResourceExistsException") => {
            secrets
                .put_secret_value()
                .secret_id(secret_id)
                .secret_string(value.expose_secret())
                .send()
                .await
                .map_err(|error| aws_error("PutSecretValue", &error))?;
            Ok(())
        }
        Err(error) => Err(aws_error("CreateSecret", &error)),
    }
}

/// Stores a signing key as the `jwt-signing-key` secret expects it.
pub async fn store_signing_key(
    config: &SdkConfig,
    secret_id: &str,
    key: &SigningKeyMaterial,
) -> Result<(), LocalAwsError> {
    put_secret_string(config, secret_id, &key.to_secret_json()).await
}

/// The id of a stage's verification-key secret, `postech/<stage>/jwt-verification-key`: the
/// public half of the signing key, which verifiers (the authorizer, the app) read instead of
/// the signing key.
pub fn verification_key_secret_id(stage: Stage) -> String {
    stage.secret_id(SecretKind::JwtVerificationKey)
}

/// Stores the public half of a key as the `jwt-verification-key` secret holds it:
/// `{kid, public_key_pem}`, no private key.
pub async fn store_verification_key(
    config: &SdkConfig,
    secret_id: &str,
    key: &SigningKeyMaterial,
) -> Result<(), LocalAwsError> {
    let public_half = serde_json::json!({
        "kid": key.kid,
        "public_key_pem": key.public_key_pem,
    });
    put_secret_string(config, secret_id, &public_half.to_string().into()).await
}

/// Stores a key in both secrets as postech-lambda-functions' rotation does: the public half in
/// the verification secret first (verifiers can learn a `kid` before any token carries it),
/// then the key pair in the signing secret.
pub async fn store_token_key(
    config: &SdkConfig,
    signing_secret_id: &str,
    verification_secret_id: &str,
    key: &SigningKeyMaterial,
) -> Result<(), LocalAwsError> {
    store_verification_key(config, verification_secret_id, key).await?;
    store_signing_key(config, signing_secret_id, key).await
}

fn aws_error<E: std::error::Error + 'static, R: std::fmt::Debug>(
    operation: &'static str,
    error: &aws_sdk_cognitoidentityprovider::error::SdkError<E, R>,
) -> LocalAwsError {
    LocalAwsError::Aws {
        operation,
        reason: DisplayErrorContext(error).to_string(),
    }
}

fn missing(operation: &'static str, field: &str) -> LocalAwsError {
    LocalAwsError::Aws {
        operation,
        reason: format!("the response has no {field}"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::secrets::VerificationKeyRing;
    use crate::token::TokenIssuer;

    #[test]
    fn verification_secret_ids_follow_the_stage() {
        assert_eq!(
            verification_key_secret_id(Stage::Production),
            "postech/production/jwt-verification-key"
        );
    }

    #[tokio::test]
    async fn a_token_key_reaches_verifiers_through_its_public_half_only() {
        let moto = tokio::task::spawn_blocking(MotoServer::shared)
            .await
            .expect("moto start task")
            .expect("moto server");
        let config = sdk_config(moto.endpoint()).await;
        let stage = format!("test-{}", unique_suffix());
        let signing = format!("postech/{stage}/jwt-signing-key");
        let verification = format!("postech/{stage}/jwt-verification-key");
        let key = SigningKeyMaterial::generate("k1");
        store_token_key(&config, &signing, &verification, &key)
            .await
            .expect("key stored");

        let client = aws_sdk_secretsmanager::Client::new(&config);
        let text = client
            .get_secret_value()
            .secret_id(&verification)
            .send()
            .await
            .expect("verification secret readable")
            .secret_string()
            .expect("text secret")
            .to_owned();
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let mut fields: Vec<&String> = value.as_object().expect("object").keys().collect();
        fields.sort();
        assert_eq!(fields, ["kid", "public_key_pem"]);

        let ring = VerificationKeyRing::from_secrets_manager(
            client,
            verification,
            Duration::from_secs(60),
        )
        .await
        .expect("verification keys");
        let token = TokenIssuer::from_material(&key)
            .expect("issuer")
            .issue_admin("gerente")
            .expect("token")
            .access_token;
        assert!(ring.verify(&token).await.is_ok());
    }
}
