//! Every log line written while logging in and authorising is free of CPFs, passwords and
//! tokens (LGPD, and tokens are credentials). Its own test binary: it installs the global
//! subscriber exactly as the functions do, with a writer the test can read.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

// Shared with the integration tests; this binary uses only part of it.
#[allow(dead_code)]
#[path = "integration/support.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use postech_lambda_functions::logging::payload_safe_log_filter;
use postech_shared_sdk::local_aws;
use postech_shared_sdk::telemetry::{self, TelemetryConfig};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use support::{LocalAws, customer_login_event, fixture, http_request, status_and_json, unique_cpf};

#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn no_cpf_password_or_token_appears_in_any_log_line() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    // Everything at its most verbose, the AWS SDK's request tracing included, through the
    // filter the functions build from RUST_LOG: no level a deployment could set may leak.
    let _telemetry = telemetry::init_with_writer(
        TelemetryConfig {
            service_name: "log-capture-test".into(),
            service_version: "0".into(),
            log_filter: payload_safe_log_filter("trace"),
            sampling_ratio: 1.0,
            otlp_endpoint: None,
        },
        move || writer.clone(),
    )
    .expect("telemetry installed");

    let aws = LocalAws::provision().await;
    let registered = unique_cpf();
    let disabled = unique_cpf();
    let unknown = unique_cpf();
    aws.register_customer(&registered).await;
    aws.register_customer(&disabled).await;
    aws.disable_user(disabled.as_digits()).await;
    let password = aws.create_admin("gerente").await;
    let clerk_password = aws.create_non_admin("caixa").await;
    let authenticator = aws.authenticator().await;
    let authorizer = aws.authorizer().await;

    let mut tokens = Vec::new();
    for cpf in [&registered, &disabled, &unknown] {
        for text in [cpf.as_digits().to_owned(), cpf.to_string()] {
            let response = authenticator
                .handle(customer_login_event(&json!({ "cpf": text })))
                .await;
            let (_, body) = status_and_json(&response);
            tokens.extend(body["access_token"].as_str().map(str::to_owned));
        }
    }
    let malformed = "529.982.247-26";
    authenticator
        .handle(customer_login_event(&json!({ "cpf": malformed })))
        .await;
    let wrong_password = format!("{}-wrong", password.expose_secret());
    // A customer trying the admin form types their CPF, their Cognito username, as username;
    // with the right (temporary) password the login stops at Cognito's challenge, which the
    // SDK logs inside its own span.
    let registered_digits = registered.as_digits().to_owned();
    let registered_formatted = registered.to_string();
    let temporary_password = local_aws::generate_password();
    aws_sdk_cognitoidentityprovider::Client::new(&aws.sdk_config)
        .admin_set_user_password()
        .user_pool_id(&aws.pool.user_pool_id)
        .username(&registered_digits)
        .password(temporary_password.expose_secret())
        .permanent(false)
        .send()
        .await
        .expect("temporary password set");
    for (username, secret) in [
        ("gerente", password.expose_secret()),
        ("gerente", wrong_password.as_str()),
        ("caixa", clerk_password.expose_secret()),
        (registered_digits.as_str(), wrong_password.as_str()),
        (registered_formatted.as_str(), wrong_password.as_str()),
        (
            registered_digits.as_str(),
            temporary_password.expose_secret(),
        ),
    ] {
        let mut event = fixture("apigw_v1_post_v1_admin_login_form.json");
        event["body"] = Value::String(
            serde_urlencoded::to_string([("username", username), ("password", secret)]).unwrap(),
        );
        let response = authenticator.handle(http_request(&event)).await;
        let (_, body) = status_and_json(&response);
        tokens.extend(body["access_token"].as_str().map(str::to_owned));
    }
    // An admin with TOTP MFA: the password step, a wrong code, then the right one.
    let mfa_admin = format!("chefe-{}", local_aws::unique_suffix());
    let (mfa_password, totp_secret) = aws.create_admin_with_totp(&mfa_admin).await;
    let mut event = fixture("apigw_v1_post_v1_admin_login_form.json");
    event["body"] = Value::String(
        serde_urlencoded::to_string([
            ("username", mfa_admin.as_str()),
            ("password", mfa_password.expose_secret()),
        ])
        .unwrap(),
    );
    let (_, challenge) = status_and_json(&authenticator.handle(http_request(&event)).await);
    let session = challenge["sessao"]
        .as_str()
        .expect("TOTP challenge")
        .to_owned();
    let right_code = local_aws::fresh_totp_code(&totp_secret).await.unwrap();
    let wrong_code = format!(
        "{:06}",
        (right_code.parse::<u32>().unwrap() + 1) % 1_000_000
    );
    for code in [&wrong_code, &right_code] {
        let mut event = fixture("apigw_v1_post_v1_admin_login_form.json");
        event["body"] = Value::String(
            serde_urlencoded::to_string([
                ("username", mfa_admin.as_str()),
                ("sessao", session.as_str()),
                ("codigo", code.as_str()),
            ])
            .unwrap(),
        );
        let response = authenticator.handle(http_request(&event)).await;
        let (_, body) = status_and_json(&response);
        tokens.extend(body["access_token"].as_str().map(str::to_owned));
    }
    assert_eq!(
        tokens.len(),
        4,
        "two customer logins, one admin login and one admin login with MFA succeed"
    );
    for (path, token) in [
        ("/v1/api/clientes/me", tokens[0].clone()),
        ("/v1/api/admin/produtos/", tokens[0].clone()),
        ("/v1/api/admin/produtos/", tokens[2].clone()),
        ("/v1/api/admin/produtos/", format!("{}x", tokens[2])),
    ] {
        let mut event = fixture("authorizer_rest_request.json");
        event["path"] = json!(path);
        event["headers"]["Authorization"] = json!(format!("Bearer {token}"));
        let _answer = authorizer
            .authorize(&serde_json::from_value(event).unwrap())
            .await;
    }

    let logs = logs.text();
    // The capture works: the outcomes are logged, with the CPF masked.
    assert!(logs.contains("customer token issued"), "{logs}");
    assert!(logs.contains("customer login refused"), "{logs}");
    assert!(logs.contains("admin login refused"), "{logs}");
    assert!(
        logs.contains("admin login stopped at a challenge"),
        "{logs}"
    );
    assert!(logs.contains("request denied"), "{logs}");
    assert!(logs.contains("TOTP code required"), "{logs}");
    assert!(logs.contains("hmac-sha256:"), "{logs}");
    assert!(logs.contains(&registered.masked()), "{logs}");
    let mut forbidden: Vec<String> = vec![
        password.expose_secret().to_owned(),
        wrong_password.clone(),
        clerk_password.expose_secret().to_owned(),
        temporary_password.expose_secret().to_owned(),
        mfa_password.expose_secret().to_owned(),
        totp_secret.expose_secret().to_owned(),
        session.clone(),
        aws.log_hash_key.clone(),
        // Usernames appear as keyed hashes only.
        "gerente".to_owned(),
        "caixa".to_owned(),
        mfa_admin.clone(),
        malformed.to_owned(),
        malformed.replace(['.', '-'], ""),
    ];
    for cpf in [&registered, &disabled, &unknown] {
        forbidden.push(cpf.as_digits().to_owned());
        forbidden.push(cpf.to_string());
    }
    for token in &tokens {
        forbidden.push(token.clone());
        // Any one part of a token is enough to replay or forge: none may appear either.
        forbidden.extend(token.split('.').skip(1).map(str::to_owned));
    }
    for line in logs.lines() {
        for secret in &forbidden {
            assert!(
                !line.contains(secret.as_str()),
                "a log line leaks a secret: {line}"
            );
        }
        // The TOTP codes as numbers of their own (not inside a longer number, nor the
        // fraction of a timestamp's seconds).
        for code in [&right_code, &wrong_code] {
            for (start, _) in line.match_indices(code.as_str()) {
                let before = line[..start].chars().next_back();
                let after = line[start + code.len()..].chars().next();
                let standalone = !before.is_some_and(|c| c.is_ascii_digit() || c == '.')
                    && !after.is_some_and(|c| c.is_ascii_digit());
                assert!(!standalone, "a log line leaks a TOTP code: {line}");
            }
        }
    }
}
