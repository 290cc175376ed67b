use std::time::Duration;

use postech_lambda_functions::auth::authenticate::Authenticator;
use postech_lambda_functions::auth::validate_jwt::{
    Authorizer, AuthorizerError, AuthorizerResponse,
};
use postech_shared_sdk::token::SigningKeyMaterial;
use serde_json::{Value, json};

use crate::support::{
    LocalAws, customer_login_event, status_and_json, unique_cpf, unverified_header,
};

async fn log_in(
    authenticator: &Authenticator<postech_shared_sdk::cognito::CognitoClient>,
    cpf: &str,
) -> String {
    let response = authenticator
        .handle(customer_login_event(&json!({ "cpf": cpf })))
        .await;
    let (status, body) = status_and_json(&response);
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("token").to_owned()
}

type Answer = Result<AuthorizerResponse, AuthorizerError>;

fn is_allowed_on_own_profile(answer: &Answer) -> bool {
    answer
        .as_ref()
        .is_ok_and(|response| response.is_allowed() && response.context.role == "customer")
}

async fn own_profile(authorizer: &Authorizer, token: &str) -> Answer {
    let mut event = crate::support::fixture("authorizer_rest_request.json");
    event["path"] = json!("/v1/api/clientes/me");
    event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
    authorizer
        .authorize(&serde_json::from_value(event).expect("authorizer event"))
        .await
}

/// The field names of the secret's current value.
async fn secret_fields(aws: &LocalAws, secret_id: &str) -> Vec<String> {
    let text = aws_sdk_secretsmanager::Client::new(&aws.sdk_config)
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .expect("secret readable")
        .secret_string()
        .expect("text secret")
        .to_owned();
    let value: Value = serde_json::from_str(&text).expect("JSON secret");
    let mut fields: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn the_authorizer_trusts_authenticate_and_its_rotations_from_the_public_keys_alone() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    aws.register_customer(&cpf).await;
    // Warm functions: the authenticator re-reads the key every second; the authorizer only
    // every minute, so it must pick up the new key from the token's unknown `kid`. The
    // authorizer is configured as serverless.yml configures it: the verification secret
    // only, which holds no private key.
    let authenticator = Authenticator::from_env(
        &aws.authenticate_env(&[("JWT_KEY_REFRESH_SECONDS", "1")]),
        &aws.sdk_config,
    )
    .await
    .expect("authenticate starts");
    let key_variables: Vec<String> = aws
        .authorizer_vars()
        .into_keys()
        .filter(|name| name.starts_with("JWT_"))
        .collect();
    assert_eq!(key_variables, ["JWT_VERIFICATION_KEY_SECRET_ID"]);
    assert_eq!(
        secret_fields(&aws, &aws.verification_secret_id).await,
        ["kid", "public_key_pem"]
    );
    let authorizer = aws.authorizer().await;
    let before = log_in(&authenticator, cpf.as_digits()).await;
    assert_eq!(unverified_header(&before)["kid"], aws.key.kid.as_str());
    assert!(is_allowed_on_own_profile(
        &own_profile(&authorizer, &before).await
    ));

    let rotated = SigningKeyMaterial::generate(format!("{}-next", aws.key.kid));
    aws.store_key(&rotated).await;
    assert_eq!(
        secret_fields(&aws, &aws.verification_secret_id).await,
        ["kid", "public_key_pem"]
    );
    // Waits out the signing key's one-second refresh (JWT_KEY_REFRESH_SECONDS): the rotation
    // being picked up after it, without a restart, is the behaviour under test.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = log_in(&authenticator, cpf.as_digits()).await;

    assert_eq!(unverified_header(&after)["kid"], rotated.kid.as_str());
    assert!(is_allowed_on_own_profile(
        &own_profile(&authorizer, &after).await
    ));
    assert!(
        is_allowed_on_own_profile(&own_profile(&authorizer, &before).await),
        "tokens of the previous key stay valid until they expire"
    );

    // A function started after the rotation trusts both keys from the secret's versions.
    let cold_authorizer = aws.authorizer().await;
    assert!(is_allowed_on_own_profile(
        &own_profile(&cold_authorizer, &before).await
    ));
    assert!(is_allowed_on_own_profile(
        &own_profile(&cold_authorizer, &after).await
    ));
}
