//! The two assurance levels of a customer login: a CPF alone gets a 10-minute kiosk token
//! (`amr: ["cpf"]`); a one-time code e-mailed by Cognito's passwordless sign-in gets a step-up
//! token (`amr: ["cpf", "otp"]`).
//!
//! moto 5.2.5 refuses the `USER_AUTH` flow, so the e-mail code part runs on the **local
//! double** `otp_double::EmailOtpDouble` (codes in memory, "delivered" to an outbox); the
//! customer lookups behind it are moto's Cognito.

use std::time::Duration;

use postech_lambda_functions::auth::authenticate::Authenticator;
use postech_lambda_functions::otp_double::{CODE_TTL, EmailOtpDouble, Outbox};
use postech_shared_sdk::cognito::CognitoClient;
use postech_shared_sdk::token::AuthMethod;
use serde_json::{Value, json};

use crate::support::{LocalAws, customer_login_event, status_and_json, unique_cpf};

async fn authenticator_with_codes(
    aws: &LocalAws,
) -> (
    Authenticator<EmailOtpDouble<CognitoClient>>,
    Outbox,
    EmailOtpDouble<CognitoClient>,
) {
    let outbox = Outbox::default();
    let double = EmailOtpDouble::new(aws.cognito(), outbox.clone());
    let handle = double.clone();
    let authenticator = aws.authenticator().await.map_directory(|_| double);
    (authenticator, outbox, handle)
}

async fn post(
    authenticator: &Authenticator<EmailOtpDouble<CognitoClient>>,
    body: Value,
) -> (u16, Value) {
    let response = authenticator.handle(customer_login_event(&body)).await;
    status_and_json(&response)
}

#[tokio::test]
async fn a_cpf_alone_gets_a_ten_minute_kiosk_token_that_cannot_read_personal_data() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    let customer_id = aws.register_customer_with_email(&cpf).await;
    let (authenticator, _, _) = authenticator_with_codes(&aws).await;

    let (status, body) = post(&authenticator, json!({ "cpf": cpf.as_digits() })).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 600);
    let verified = aws
        .verifier()
        .verify(body["access_token"].as_str().expect("token"))
        .expect("valid");
    assert_eq!(verified.customer_id(), Some(customer_id));
    assert_eq!(verified.amr, [AuthMethod::Cpf]);
    assert!(!verified.may_read_personal_data());
}

#[tokio::test]
async fn the_emailed_code_steps_the_customer_up_once() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    let customer_id = aws.register_customer_with_email(&cpf).await;
    let (authenticator, outbox, _) = authenticator_with_codes(&aws).await;

    let (status, sent) = post(
        &authenticator,
        json!({ "cpf": cpf.to_string(), "enviar_codigo": true }),
    )
    .await;
    assert_eq!(status, 202, "{sent}");
    assert_eq!(sent["canal"], "email");
    let session = sent["sessao"].as_str().expect("session").to_owned();
    let code = outbox.last_code_for(&cpf).expect("a code was e-mailed");

    let (status, body) = post(
        &authenticator,
        json!({ "cpf": cpf.as_digits(), "sessao": session, "codigo": code }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 900);
    let verified = aws
        .verifier()
        .verify(body["access_token"].as_str().expect("token"))
        .expect("valid");
    assert_eq!(verified.customer_id(), Some(customer_id));
    assert!(verified.may_read_personal_data());

    // One use: the same code and session again are refused.
    let (status, body) = post(
        &authenticator,
        json!({ "cpf": cpf.as_digits(), "sessao": session, "codigo": code }),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["detail"], "Código inválido ou expirado");
}

#[tokio::test]
async fn a_wrong_or_expired_code_gets_no_token() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    aws.register_customer_with_email(&cpf).await;
    let (authenticator, outbox, double) = authenticator_with_codes(&aws).await;

    let (_, sent) = post(
        &authenticator,
        json!({ "cpf": cpf.as_digits(), "enviar_codigo": true }),
    )
    .await;
    let session = sent["sessao"].as_str().expect("session").to_owned();
    let code = outbox.last_code_for(&cpf).expect("code");
    let wrong = if code == "00000000" {
        "00000001"
    } else {
        "00000000"
    };
    let (status, body) = post(
        &authenticator,
        json!({ "cpf": cpf.as_digits(), "sessao": session, "codigo": wrong }),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(body.get("access_token").is_none());

    // The right code, after its lifetime.
    double.advance_clock(CODE_TTL + Duration::from_secs(1));
    let (status, body) = post(
        &authenticator,
        json!({ "cpf": cpf.as_digits(), "sessao": session, "codigo": code }),
    )
    .await;
    assert_eq!(status, 401, "{body}");

    // Another CPF cannot use this customer's session and code.
    let (_, sent) = post(
        &authenticator,
        json!({ "cpf": cpf.as_digits(), "enviar_codigo": true }),
    )
    .await;
    let session = sent["sessao"].as_str().expect("session").to_owned();
    let code = outbox.last_code_for(&cpf).expect("code");
    let other = unique_cpf();
    aws.register_customer_with_email(&other).await;
    let (status, _) = post(
        &authenticator,
        json!({ "cpf": other.as_digits(), "sessao": session, "codigo": code }),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_code_request_answers_alike_for_unknown_cpfs_and_sends_nothing() {
    let aws = LocalAws::provision().await;
    let registered = unique_cpf();
    aws.register_customer_with_email(&registered).await;
    let without_email = unique_cpf();
    aws.register_customer(&without_email).await;
    let unknown = unique_cpf();
    let (authenticator, outbox, _) = authenticator_with_codes(&aws).await;

    let mut shapes = Vec::new();
    for cpf in [&registered, &without_email, &unknown] {
        let (status, body) = post(
            &authenticator,
            json!({ "cpf": cpf.as_digits(), "enviar_codigo": true }),
        )
        .await;
        let mut keys: Vec<String> = body.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        shapes.push((
            status,
            keys,
            body["canal"].clone(),
            body["expires_in"].clone(),
        ));
    }
    assert!(
        shapes.windows(2).all(|pair| pair[0] == pair[1]),
        "{shapes:?}"
    );
    assert_eq!(
        outbox.len(),
        1,
        "only the registered customer with an e-mail gets a code"
    );
    assert!(outbox.last_code_for(&unknown).is_none());
}

#[tokio::test]
async fn a_code_answer_without_a_session_is_a_validation_error() {
    let aws = LocalAws::provision().await;
    let (authenticator, _, _) = authenticator_with_codes(&aws).await;
    let (status, body) = post(
        &authenticator,
        json!({ "cpf": unique_cpf().as_digits(), "codigo": "12345678" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "sessao"]));
}
