//! The login half of the Cognito outage drill (issue 13; the registration half is in
//! postech-app's `tests/api/registration.rs`): `authenticate` reaches moto's Cognito through
//! a proxy the test controls. While Cognito hangs or refuses connections, a customer login
//! answers 503 with `Retry-After` within the SDK's bounded AWS call, never a 500 and never a
//! hang; when Cognito is back, the same login succeeds.

use std::time::Instant;

use postech_lambda_functions::auth::authenticate::Authenticator;
use postech_shared_sdk::aws_timeouts::OPERATION_TIMEOUT;
use postech_shared_sdk::local_aws::{self, Fault, FaultProxy, MotoServer};
use serde_json::json;

use crate::support::{LocalAws, customer_login_event, status_and_json, unique_cpf};

#[tokio::test]
async fn customer_login_during_a_cognito_outage_is_a_bounded_503_with_retry_after() {
    let aws = LocalAws::provision().await;
    let cpf = unique_cpf();
    aws.register_customer(&cpf).await;
    let moto = tokio::task::spawn_blocking(MotoServer::shared)
        .await
        .expect("moto task")
        .expect("moto");
    let proxy = FaultProxy::start(moto.endpoint().trim_start_matches("http://").to_owned())
        .await
        .expect("proxy");
    let through_proxy = local_aws::sdk_config(&proxy.endpoint()).await;
    // Started while AWS answers (the signing key is read at start), as a warm Lambda is.
    let authenticator = Authenticator::from_env(&aws.authenticate_env(&[]), &through_proxy)
        .await
        .expect("authenticate starts");
    let login = || authenticator.handle(customer_login_event(&json!({ "cpf": cpf.as_digits() })));

    for fault in [Fault::Hang, Fault::Refuse] {
        proxy.set(fault);
        let started = Instant::now();
        let response = login().await;
        let took = started.elapsed();
        eprintln!("drill: login with Cognito {fault:?} answered in {took:?}");
        let (status, body) = status_and_json(&response);
        assert_eq!(status, 503, "{fault:?}: {body}");
        assert_eq!(response.headers()["retry-after"], "1");
        assert!(
            took < OPERATION_TIMEOUT * 2,
            "{fault:?}: bounded by the AWS call's timeout, took {took:?}"
        );
    }

    proxy.set(Fault::None);
    let (status, body) = status_and_json(&login().await);
    assert_eq!(status, 200, "Cognito is back: {body}");
}
