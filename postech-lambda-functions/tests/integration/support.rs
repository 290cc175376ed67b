//! What the integration tests share: a moto-backed local AWS per test (own user pool, own
//! secret), handlers wired exactly as the binaries wire them, and event fixtures.

use std::collections::HashMap;

use aws_config::SdkConfig;
use lambda_http::{Body, Request, Response};
use postech_lambda_functions::auth::authenticate::Authenticator;
use postech_lambda_functions::auth::validate_jwt::Authorizer;
use postech_shared_sdk::cognito::{CognitoClient, NewCustomerIdentity};
use postech_shared_sdk::cpf::Cpf;
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::local_aws::{self, LocalUserPool, MotoServer};
use postech_shared_sdk::token::{SigningKeyMaterial, TokenVerifier};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// The shared staff usage plan's key, as serverless.yml gives it to `validate_jwt`.
pub const STAFF_SHARED_USAGE_KEY: &str = "postech-test-staff-shared-usage-plan";

/// The admin the tests' hand-issued admin tokens name: the authorizers built here find them
/// active in Cognito (enabled, in group `admin`).
pub const TOKEN_ADMIN: &str = "gerente";

/// One test's slice of the local AWS.
pub struct LocalAws {
    pub sdk_config: SdkConfig,
    pub pool: LocalUserPool,
    /// `{kid, private_key_pem, public_key_pem}`: what `authenticate` reads.
    pub signing_secret_id: String,
    /// The key of the usernames' log pseudonyms, generated per test (`LOG_HASH_KEY`).
    pub log_hash_key: String,
    /// `{kid, public_key_pem}`: what `validate_jwt` reads.
    pub verification_secret_id: String,
    pub key: SigningKeyMaterial,
}

impl LocalAws {
    /// A fresh user pool (with group `admin`) and the two key secrets on the shared moto.
    pub async fn provision() -> Self {
        let moto = tokio::task::spawn_blocking(MotoServer::shared)
            .await
            .expect("moto start task")
            .expect("moto server must be installed (pip install 'moto[server]') and start");
        let sdk_config = local_aws::sdk_config(moto.endpoint()).await;
        let pool = local_aws::provision_user_pool(&sdk_config, &local_aws::unique_name("auth"))
            .await
            .expect("user pool");
        let stage = format!("test-{}", local_aws::unique_suffix());
        let key = SigningKeyMaterial::generate(format!("kid-{}", local_aws::unique_suffix()));
        let aws = Self {
            sdk_config,
            pool,
            signing_secret_id: format!("postech/{stage}/jwt-signing-key"),
            log_hash_key: local_aws::generate_password().expose_secret().to_owned(),
            verification_secret_id: format!("postech/{stage}/jwt-verification-key"),
            key,
        };
        aws.store_key(&aws.key).await;
        aws
    }

    /// Writes `key` as scripts/rotate-signing-key.sh does: the public half to the verification
    /// secret first (verifiers learn the `kid` before any token carries it), then the key pair
    /// to the signing secret.
    pub async fn store_key(&self, key: &SigningKeyMaterial) {
        let public_half = serde_json::json!({
            "kid": key.kid,
            "public_key_pem": key.public_key_pem,
        });
        local_aws::put_secret_string(
            &self.sdk_config,
            &self.verification_secret_id,
            &public_half.to_string().into(),
        )
        .await
        .expect("verification key stored");
        local_aws::store_signing_key(&self.sdk_config, &self.signing_secret_id, key)
            .await
            .expect("signing key stored");
    }

    /// The variables serverless.yml gives `authenticate`, pointing at this slice.
    pub fn authenticate_vars(&self) -> HashMap<String, String> {
        HashMap::from([
            (
                "COGNITO_USER_POOL_ID".to_owned(),
                self.pool.user_pool_id.clone(),
            ),
            ("COGNITO_CLIENT_ID".to_owned(), self.pool.client_id.clone()),
            (
                "JWT_SIGNING_KEY_SECRET_ID".to_owned(),
                self.signing_secret_id.clone(),
            ),
            ("LOG_HASH_KEY".to_owned(), self.log_hash_key.clone()),
        ])
    }

    /// The variables serverless.yml gives `validate_jwt` in staging: the verification secret
    /// (no signing key), the stage's payment simulator and the shared staff usage key.
    pub fn authorizer_vars(&self) -> HashMap<String, String> {
        HashMap::from([
            (
                "JWT_VERIFICATION_KEY_SECRET_ID".to_owned(),
                self.verification_secret_id.clone(),
            ),
            ("PAYMENT_SIMULATOR".to_owned(), "routed".to_owned()),
            (
                "DEFAULT_STAFF_USAGE_KEY".to_owned(),
                STAFF_SHARED_USAGE_KEY.to_owned(),
            ),
            (
                "COGNITO_USER_POOL_ID".to_owned(),
                self.pool.user_pool_id.clone(),
            ),
        ])
    }

    /// `authenticate`'s environment with `extra` variables set too.
    pub fn authenticate_env(
        &self,
        extra: &[(&str, &str)],
    ) -> impl Fn(&str) -> Option<String> + Send + Sync + use<> {
        env_of(self.authenticate_vars(), extra)
    }

    /// `validate_jwt`'s environment with `extra` variables set too.
    pub fn authorizer_env(
        &self,
        extra: &[(&str, &str)],
    ) -> impl Fn(&str) -> Option<String> + Send + Sync + use<> {
        env_of(self.authorizer_vars(), extra)
    }

    /// `authenticate` as the binary builds it.
    pub async fn authenticator(&self) -> Authenticator<CognitoClient> {
        Authenticator::from_env(&self.authenticate_env(&[]), &self.sdk_config)
            .await
            .expect("authenticate starts")
    }

    /// `validate_jwt` as the binary builds it.
    pub async fn authorizer(&self) -> Authorizer {
        self.authorizer_with(&[]).await
    }

    /// `validate_jwt` as the binary builds it, with `extra` variables set too; the admin
    /// [`TOKEN_ADMIN`] exists.
    pub async fn authorizer_with(&self, extra: &[(&str, &str)]) -> Authorizer {
        self.ensure_admin(TOKEN_ADMIN).await;
        Authorizer::from_env(&self.authorizer_env(extra), &self.sdk_config)
            .await
            .expect("validate_jwt starts")
    }

    /// A verifier trusting this slice's key, as the app would hold it.
    pub fn verifier(&self) -> TokenVerifier {
        TokenVerifier::from_public_pems([(&self.key.kid, &self.key.public_key_pem)])
            .expect("public key")
    }

    pub fn cognito(&self) -> CognitoClient {
        CognitoClient::new(
            &self.sdk_config,
            &self.pool.user_pool_id,
            &self.pool.client_id,
        )
    }

    /// Registers a customer the way postech-app does; returns their id.
    pub async fn register_customer(&self, cpf: &Cpf) -> CustomerId {
        let customer_id = CustomerId::new_random();
        self.cognito()
            .register_customer(&NewCustomerIdentity {
                cpf: cpf.clone(),
                customer_id,
                name: Some("Maria Teste".into()),
                email: None,
            })
            .await
            .expect("customer registered");
        customer_id
    }

    /// A customer with a (verified) e-mail, who can receive one-time codes.
    pub async fn register_customer_with_email(&self, cpf: &Cpf) -> CustomerId {
        let customer_id = CustomerId::new_random();
        self.cognito()
            .register_customer(&NewCustomerIdentity {
                cpf: cpf.clone(),
                customer_id,
                name: Some("Maria Teste".into()),
                email: Some(format!("maria.{}@example.com", local_aws::unique_suffix())),
            })
            .await
            .expect("customer registered");
        customer_id
    }

    pub async fn disable_user(&self, username: &str) {
        aws_sdk_cognitoidentityprovider::Client::new(&self.sdk_config)
            .admin_disable_user()
            .user_pool_id(&self.pool.user_pool_id)
            .username(username)
            .send()
            .await
            .expect("user disabled");
    }

    /// An admin (group `admin`) with a random password.
    pub async fn create_admin(&self, username: &str) -> SecretString {
        let password = local_aws::generate_password();
        local_aws::create_admin(&self.sdk_config, &self.pool, username, &password)
            .await
            .expect("admin created");
        password
    }

    /// Creates the admin `username` unless a user of that name exists already.
    pub async fn ensure_admin(&self, username: &str) {
        let exists = aws_sdk_cognitoidentityprovider::Client::new(&self.sdk_config)
            .admin_get_user()
            .user_pool_id(&self.pool.user_pool_id)
            .username(username)
            .send()
            .await
            .is_ok();
        if !exists {
            self.create_admin(username).await;
        }
    }

    /// An admin with TOTP MFA (enrolled as with an authenticator app): the password and the
    /// authenticator's shared secret.
    pub async fn create_admin_with_totp(&self, username: &str) -> (SecretString, SecretString) {
        let password = self.create_admin(username).await;
        let totp_secret =
            local_aws::enable_totp_mfa(&self.sdk_config, &self.pool, username, &password)
                .await
                .expect("TOTP MFA enabled");
        (password, totp_secret)
    }

    /// A user with a password but outside group `admin`.
    pub async fn create_non_admin(&self, username: &str) -> SecretString {
        let password = local_aws::generate_password();
        local_aws::create_password_user(&self.sdk_config, &self.pool, username, &password)
            .await
            .expect("user created");
        password
    }
}

fn env_of(
    mut vars: HashMap<String, String>,
    extra: &[(&str, &str)],
) -> impl Fn(&str) -> Option<String> + Send + Sync + use<> {
    for (name, value) in extra {
        vars.insert((*name).to_owned(), (*value).to_owned());
    }
    move |name: &str| vars.get(name).cloned()
}

/// A valid CPF nobody else in the run uses.
pub fn unique_cpf() -> Cpf {
    loop {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let mut base = [0u8; 9];
        for (digit, byte) in base.iter_mut().zip(bytes) {
            *digit = byte % 10;
        }
        if let Ok(cpf) = Cpf::from_base_digits(base) {
            return cpf;
        }
    }
}

/// A fixture from tests/fixtures as JSON, to adjust before use.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The request lambda_http builds from an API Gateway event.
pub fn http_request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).expect("API Gateway event")
}

/// An API Gateway v2 `POST /auth` event with this JSON body.
pub fn customer_login_event(body: &Value) -> Request {
    let mut event = fixture("apigw_v2_post_auth.json");
    event["body"] = Value::String(body.to_string());
    http_request(&event)
}

/// The response's status and JSON body.
pub fn status_and_json(response: &Response<Body>) -> (u16, Value) {
    let json = serde_json::from_slice(response.body().as_ref()).expect("JSON body");
    (response.status().as_u16(), json)
}

/// The claims of a JWT, decoded without verification (to inspect what the token carries).
pub fn unverified_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("three JWT parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// The header of a JWT, decoded without verification.
pub fn unverified_header(token: &str) -> Value {
    use base64::Engine as _;
    let header = token.split('.').next().expect("JWT header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("base64url header");
    serde_json::from_slice(&bytes).expect("JSON header")
}
