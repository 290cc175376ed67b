use std::time::Duration;

use postech_lambda_functions::auth::authenticate::Authenticator;
use postech_lambda_functions::auth::validate_jwt::Authorizer;
use postech_shared_sdk::local_aws;
use postech_shared_sdk::token::SigningKeyMaterial;
use serde_json::json;

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

fn is_allowed_on_own_profile(
    response: &postech_lambda_functions::auth::validate_jwt::AuthorizerResponse,
) -> bool {
    response.is_authorized && response.context.role == "customer"
}

async fn own_profile(
    authorizer: &Authorizer,
    token: &str,
) -> postech_lambda_functions::auth::validate_jwt::AuthorizerResponse {
    let mut event = crate::support::fixture("authorizer_v2_request.json");
    event["rawPath"] = json!("/v1/api/clientes/me");
    event["requestContext"]["http"]["path"] = json!("/v1/api/clientes/me");
    event["headers"]["authorization"] = json!(format!("Bearer {token}"));
    authorizer
        .authorize(&serde_json::from_value(event).expect("authorizer event"))
        .await
}

#[tokio::test]
async fn a_new_kid_in_the_secret_is_used_and_trusted_without_a_redeploy() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    aws.register_customer(&cpf).await;
    // Warm functions: the authenticator re-reads the key every second; the authorizer only
    // every minute, so it must pick up the new key from the token's unknown `kid`.
    let authenticator = Authenticator::from_env(
        &aws.function_env(&[("JWT_KEY_REFRESH_SECONDS", "1")]),
        &aws.sdk_config,
    )
    .await
    .expect("authenticate starts");
    let authorizer = aws.authorizer().await;
    let before = log_in(&authenticator, cpf.as_digits()).await;
    assert_eq!(unverified_header(&before)["kid"], aws.key.kid.as_str());
    assert!(is_allowed_on_own_profile(
        &own_profile(&authorizer, &before).await
    ));

    let rotated = SigningKeyMaterial::generate(format!("{}-next", aws.key.kid));
    local_aws::store_signing_key(&aws.sdk_config, &aws.secret_id, &rotated)
        .await
        .expect("rotated");
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
