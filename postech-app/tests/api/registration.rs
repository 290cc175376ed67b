//! Registration without squatting (issue #12) and without a transaction held across the
//! Cognito call, its half states reconciled, and the Cognito outage drill (issue #13).

use std::sync::Arc;
use std::time::{Duration, Instant};

use postech_app::adapters::cognito::CognitoIdentities;
use postech_app::adapters::local_outbox::LocalOutbox;
use postech_app::adapters::ses_mailer::SesSender;
use postech_app::application::customers::{Customers, ReconcileRound, RegistrationPolicy};
use postech_app::configuration::DatabaseSettings;
use postech_app::startup::database_pool;
use postech_shared_sdk::aws_timeouts::OPERATION_TIMEOUT as AWS_OPERATION_TIMEOUT;
use postech_shared_sdk::cognito::{CognitoClient, CognitoError, NewCustomerIdentity};
use postech_shared_sdk::cpf::Cpf;
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::secrets::{AppDatabaseSecret, CachedSecret};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::common::BehindTheApi;
use crate::helpers::{CPF_A, CPF_A_DIGITS, CPF_B, CPF_C, Options, TestApp};
use postech_shared_sdk::local_aws::{self, Fault, FaultProxy};

fn cognito(app: &TestApp) -> CognitoClient {
    CognitoClient::new(
        &app.aws,
        app.user_pool.user_pool_id.clone(),
        app.user_pool.client_id.clone(),
    )
}

/// The customer use cases on the test app's database and user pool, for one reconciler
/// round run by the test (the app's own task runs every minute).
fn use_cases(app: &TestApp, policy: RegistrationPolicy) -> Customers {
    let pool = database_pool(&DatabaseSettings {
        connection: CachedSecret::fixed(
            AppDatabaseSecret::from_url(app.database.url(), "test").unwrap(),
        ),
        pool_size: 2,
        acquire_timeout: Duration::from_secs(10),
        tls: Default::default(),
    })
    .unwrap();
    Customers::new(
        pool,
        CognitoIdentities::new(cognito(app)),
        Arc::new(LocalOutbox::default()),
        policy,
    )
}

/// The `customers` row of `cpf`, as text, to compare before and after.
fn row_of(app: &TestApp, cpf_digits: &str) -> String {
    let count = |condition: &str| {
        app.database.sql_count(&format!(
            "SELECT count(*) AS count FROM customers WHERE cpf = '{cpf_digits}' AND {condition}"
        ))
    };
    format!(
        "rows={} confirmed={} verified={}",
        count("true"),
        count("identity_confirmed_at IS NOT NULL"),
        count("email_verified_at IS NOT NULL"),
    )
}

async fn post_registration(app: &TestApp, body: &Value) -> (StatusCode, Value) {
    let response = app.post_json("/v1/api/clientes/", body).await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_cpf_registration_answers_202_alike_for_new_and_registered_cpfs() {
    let app = TestApp::spawn().await;
    let (new_status, new_body) = post_registration(
        &app,
        &json!({"nome": "Ana Souza", "email": "ana@example.com", "cpf": CPF_A}),
    )
    .await;
    let (again_status, again_body) = post_registration(
        &app,
        &json!({"nome": "Mallory", "email": "mallory@example.com", "cpf": CPF_A_DIGITS}),
    )
    .await;
    assert_eq!(new_status, StatusCode::ACCEPTED);
    assert_eq!((again_status, again_body), (new_status, new_body.clone()));
    assert!(
        !new_body.to_string().contains(CPF_A_DIGITS),
        "no personal data in the answer: {new_body}"
    );
}

#[tokio::test]
async fn a_squatting_attempt_changes_neither_the_row_nor_the_cognito_user() {
    let app = TestApp::spawn().await;
    let owner = app
        .register(json!({"nome": "Ana Souza", "email": "ana@example.com", "cpf": CPF_A}))
        .await;
    let cpf = Cpf::parse(CPF_A).unwrap();
    let identity_before = cognito(&app).find_customer_by_cpf(&cpf).await.unwrap();
    let row_before = row_of(&app, CPF_A_DIGITS);

    let (status, _) = post_registration(
        &app,
        &json!({"nome": "Mallory", "email": "mallory@example.com", "cpf": CPF_A}),
    )
    .await;

    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(row_of(&app, CPF_A_DIGITS), row_before);
    assert_eq!(
        cognito(&app).find_customer_by_cpf(&cpf).await.unwrap(),
        identity_before
    );
    assert_eq!(identity_before.customer_id.to_string(), owner);
    assert!(
        app.outbox().last_code_for("mallory@example.com").is_none(),
        "the squatter's address got nothing"
    );
    let profile: Value = app
        .request(Method::GET, "/v1/api/clientes/me")
        .bearer_auth(app.customer_step_up_token(&owner))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (profile["nome"].as_str(), profile["email"].as_str()),
        (Some("Ana Souza"), Some("ana@example.com"))
    );
}

#[tokio::test]
async fn an_unverified_registration_cannot_read_the_profile_or_history_and_a_verified_one_can() {
    let app = TestApp::spawn().await;
    let (status, _) = post_registration(
        &app,
        &json!({"nome": "Bia Lima", "email": "bia@example.com", "cpf": CPF_B}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = app.customer_id_of(CPF_B).await;
    let step_up = app.customer_step_up_token(&id);
    let read = |path: &'static str, token: String| {
        let request = app.request(Method::GET, path).bearer_auth(token);
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(
        read("/v1/api/clientes/me", step_up.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        read("/v1/api/clientes/me/pedidos", step_up.clone()).await,
        StatusCode::FORBIDDEN
    );
    // Kiosk ordering stays open: the masked greeting and the visit's own orders.
    assert_eq!(
        read("/v1/api/clientes/me", app.customer_token(&id)).await,
        StatusCode::OK
    );

    let wrong = app
        .post_json(
            "/v1/api/clientes/confirmacao",
            &json!({"cpf": CPF_B, "codigo": "not-the-code"}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .post_json(
            "/v1/api/clientes/confirmacao",
            &json!({"cpf": CPF_C, "codigo": "123456"}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.text().await.unwrap(),
        unknown.text().await.unwrap(),
        "a wrong code and an unknown CPF look alike"
    );
    assert_eq!(
        read("/v1/api/clientes/me", step_up.clone()).await,
        StatusCode::FORBIDDEN
    );

    let cpf = Cpf::parse(CPF_B).unwrap();
    assert!(!cognito(&app).customer_email_verified(&cpf).await.unwrap());

    let confirmed = app.confirm_registration(CPF_B, "bia@example.com").await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(
        cognito(&app).customer_email_verified(&cpf).await.unwrap(),
        "Cognito will e-mail step-up codes to the address now"
    );
    assert_eq!(
        read("/v1/api/clientes/me", step_up.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        read("/v1/api/clientes/me/pedidos", step_up).await,
        StatusCode::OK
    );
    let reused = app.confirm_registration(CPF_B, "bia@example.com").await;
    assert_eq!(
        reused.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a code is spent once used"
    );
}

#[tokio::test]
async fn the_owner_of_a_pending_registration_gets_a_new_code_by_registering_again() {
    let app = TestApp::spawn().await;
    let body = json!({"nome": "Bia Lima", "email": "bia@example.com", "cpf": CPF_B});
    post_registration(&app, &body).await;
    let first = app.outbox().last_code_for("bia@example.com").unwrap();
    let (status, _) = post_registration(&app, &body).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id: CustomerId = app.customer_id_of(CPF_B).await.parse().unwrap();
    assert_eq!(app.outbox().count_for(id), 2);
    use secrecy::ExposeSecret;
    let stale = app
        .post_json(
            "/v1/api/clientes/confirmacao",
            &json!({"cpf": CPF_B, "codigo": first.expose_secret()}),
        )
        .await;
    let fresh_code = app.outbox().last_code_for("bia@example.com").unwrap();
    if fresh_code.expose_secret() != first.expose_secret() {
        assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let confirmed = app.confirm_registration(CPF_B, "bia@example.com").await;
    assert_eq!(confirmed.status(), StatusCode::OK);
}

/// A row committed without its Cognito identity (the process died between the two).
fn insert_half_registration(app: &TestApp, id: CustomerId, cpf_digits: &str, age: &str) {
    app.database.sql_execute(&format!(
        "INSERT INTO customers (id, name, email, cpf, cognito_username, created_at) \
         VALUES ('{id}', 'Caio', 'caio@example.com', '{cpf_digits}', '{cpf_digits}', \
                 now() - interval '{age}')"
    ));
}

#[tokio::test]
async fn the_reconciler_finishes_a_row_left_without_its_cognito_identity() {
    let app = TestApp::spawn().await;
    let id = CustomerId::new_random();
    insert_half_registration(&app, id, "98765432100", "10 minutes");
    let cpf = Cpf::parse(CPF_C).unwrap();
    assert!(matches!(
        cognito(&app).find_customer_by_cpf(&cpf).await,
        Err(CognitoError::NotFound)
    ));

    let round = use_cases(&app, RegistrationPolicy::default())
        .reconcile()
        .await
        .unwrap();

    assert_eq!(
        round,
        ReconcileRound {
            identities_confirmed: 1,
            ..ReconcileRound::default()
        }
    );
    assert_eq!(
        cognito(&app)
            .find_customer_by_cpf(&cpf)
            .await
            .unwrap()
            .customer_id,
        id
    );
    assert_eq!(row_of(&app, "98765432100"), "rows=1 confirmed=1 verified=0");
}

#[tokio::test]
async fn a_retry_of_the_same_registration_finishes_the_half_done_one() {
    let app = TestApp::spawn().await;
    let id = CustomerId::new_random();
    insert_half_registration(&app, id, "98765432100", "1 second");
    let (status, _) = post_registration(
        &app,
        &json!({"nome": "Caio", "email": "caio@example.com", "cpf": CPF_C}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let identity = cognito(&app)
        .find_customer_by_cpf(&Cpf::parse(CPF_C).unwrap())
        .await
        .unwrap();
    assert_eq!(identity.customer_id, id);
    assert_eq!(row_of(&app, "98765432100"), "rows=1 confirmed=1 verified=0");
    assert_eq!(app.outbox().count_for(id), 1, "the owner got a code");
}

#[tokio::test]
async fn an_orphan_cognito_identity_is_replaced_by_the_next_registration_of_its_cpf() {
    let app = TestApp::spawn().await;
    let cpf = Cpf::parse(CPF_C).unwrap();
    // A Cognito user whose row was undone (its registration's Cognito answer was lost).
    cognito(&app)
        .register_customer(&NewCustomerIdentity {
            cpf: cpf.clone(),
            customer_id: CustomerId::new_random(),
            name: None,
            email: None,
        })
        .await
        .unwrap();
    let id = app
        .register(json!({"nome": "Caio", "email": "caio@example.com", "cpf": CPF_C}))
        .await;
    let identity = cognito(&app).find_customer_by_cpf(&cpf).await.unwrap();
    assert_eq!(identity.customer_id.to_string(), id);
    assert_eq!(identity.email.as_deref(), Some("caio@example.com"));
}

#[tokio::test]
async fn the_reconciler_frees_the_cpf_of_a_registration_never_verified() {
    let app = TestApp::spawn().await;
    post_registration(
        &app,
        &json!({"nome": "Mallory", "email": "mallory@example.com", "cpf": CPF_A}),
    )
    .await;
    let round = use_cases(
        &app,
        RegistrationPolicy {
            unverified_ttl: Duration::ZERO,
            ..RegistrationPolicy::default()
        },
    )
    .reconcile()
    .await
    .unwrap();
    assert_eq!(round.unverified_removed, 1);
    assert_eq!(row_of(&app, CPF_A_DIGITS), "rows=0 confirmed=0 verified=0");
    assert!(matches!(
        cognito(&app)
            .find_customer_by_cpf(&Cpf::parse(CPF_A).unwrap())
            .await,
        Err(CognitoError::NotFound)
    ));
    let owner = app
        .register(json!({"nome": "Ana", "email": "ana@example.com", "cpf": CPF_A}))
        .await;
    assert_eq!(
        cognito(&app)
            .find_customer_by_cpf(&Cpf::parse(CPF_A).unwrap())
            .await
            .unwrap()
            .customer_id
            .to_string(),
        owner
    );
}

/// The Cognito outage drill (issue #13): Cognito hangs, then refuses connections, then comes
/// back. Registrations answer 503 with `Retry-After` within the AWS operation bound and
/// leave no row and no identity; `/health` and the menu answer while registrations hang;
/// after the outage registration works again.
#[tokio::test]
async fn cognito_outage_drill_registration_fails_fast_leaves_nothing_and_the_pool_keeps_serving() {
    let proxy = FaultProxy::start(TestApp::moto_address().await)
        .await
        .unwrap();
    let app = TestApp::spawn_with(Options {
        app_aws_endpoint: Some(proxy.endpoint()),
        ..Options::default()
    })
    .await;
    let cpfs = [CPF_A, CPF_B, CPF_C];

    proxy.set(Fault::Hang);
    let started = Instant::now();
    // More hanging registrations than the app has workers (2).
    let hanging = futures_util::future::join_all(cpfs.iter().enumerate().map(|(n, cpf)| {
        let app = &app;
        async move {
            let response = app
                .post_json(
                    "/v1/api/clientes/",
                    &json!({"email": format!("c{n}@example.com"), "cpf": cpf}),
                )
                .await;
            (
                response.status(),
                response.headers().get(header::RETRY_AFTER).cloned(),
                started.elapsed(),
            )
        }
    }));
    let probes = async {
        // Let the registrations reach the proxy first.
        let reached = crate::common::eventually(Duration::from_secs(5), || async {
            app.database
                .sql_count("SELECT count(*) AS count FROM customers")
                == 3
        })
        .await;
        assert!(reached, "the registrations reached the hanging Cognito");
        let health = app.get("/health").await.status();
        let menu = app.get("/v1/api/produtos/").await.status();
        (health, menu, started.elapsed())
    };
    let (registrations, (health, menu, probed_at)) = tokio::join!(hanging, probes);
    let slowest = registrations
        .iter()
        .map(|(_, _, took)| *took)
        .max()
        .unwrap();
    eprintln!(
        "drill: hanging Cognito — registrations answered after at most {slowest:?} \
         (bound {AWS_OPERATION_TIMEOUT:?}); /health and menu answered at {probed_at:?}"
    );
    assert_eq!((health, menu), (StatusCode::OK, StatusCode::OK));
    assert!(
        probed_at < slowest,
        "the probes answered while the registrations still hung"
    );
    for (status, retry_after, _) in &registrations {
        assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(retry_after.is_some(), "a retry hint");
    }
    assert!(
        slowest < AWS_OPERATION_TIMEOUT * 3,
        "bounded by the AWS operation timeout (plus the undo's own bounded call): {slowest:?}"
    );

    proxy.set(Fault::Refuse);
    let refused_at = Instant::now();
    let (status, _) =
        post_registration(&app, &json!({"email": "d@example.com", "cpf": CPF_A})).await;
    eprintln!(
        "drill: refused Cognito — registration answered in {:?}",
        refused_at.elapsed()
    );
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    // Nothing half-created: no row, no identity.
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM customers"),
        0
    );
    for cpf in cpfs {
        assert!(matches!(
            cognito(&app)
                .find_customer_by_cpf(&Cpf::parse(cpf).unwrap())
                .await,
            Err(CognitoError::NotFound)
        ));
    }

    proxy.set(Fault::None);
    let id = app
        .register(json!({"nome": "Ana", "email": "ana@example.com", "cpf": CPF_A}))
        .await;
    assert_eq!(
        cognito(&app)
            .find_customer_by_cpf(&Cpf::parse(CPF_A).unwrap())
            .await
            .unwrap()
            .customer_id
            .to_string(),
        id
    );
}

/// The Secrets Manager half of the drill: the verification-key secret is re-read every second
/// here, and Secrets Manager hangs. Tokens keep verifying with the keys held; a request that
/// happens to run the scheduled re-read waits at most the bounded call, the others not at all.
#[tokio::test]
async fn secrets_manager_outage_drill_tokens_keep_verifying_with_the_cached_keys() {
    let proxy = FaultProxy::start(TestApp::moto_address().await)
        .await
        .unwrap();
    let app = TestApp::spawn_with(Options {
        app_aws_endpoint: Some(proxy.endpoint()),
        key_secret_variables: Some(vec![("JWT_KEY_REFRESH_SECONDS", "1")]),
        ..Options::default()
    })
    .await;
    // The app has been serving: its admin's status is known (a Cognito answer, fresh for the
    // deployed 30 s), so what this drill times is the key ring alone.
    let warm_up = admin_round(&app).await;
    assert!(warm_up.iter().all(|(status, _)| *status == StatusCode::OK));
    proxy.set(Fault::Hang);
    let started = Instant::now();
    let mut latencies = Vec::new();
    // Several refresh intervals' worth of rounds of four concurrent requests.
    while started.elapsed() < Duration::from_secs(3) {
        let round = admin_round(&app).await;
        for (status, took) in round {
            assert_eq!(status, StatusCode::OK, "verified with the cached keys");
            latencies.push(took);
        }
    }
    latencies.sort();
    let fast = latencies
        .iter()
        .filter(|took| **took < Duration::from_secs(1))
        .count();
    eprintln!(
        "drill: hanging Secrets Manager — {} requests, all 200; median {:?}, slowest {:?}, \
         {fast} under 1 s",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1],
    );
    assert!(
        latencies[latencies.len() - 1] < AWS_OPERATION_TIMEOUT * 2,
        "a scheduled re-read is bounded"
    );
    assert!(
        fast * 2 > latencies.len(),
        "most requests do not wait for the re-read: {latencies:?}"
    );
}

/// The sender identity `from`, verified in moto's SES (as a deployment verifies its domain).
async fn verify_sender(app: &TestApp, from: &str) {
    aws_sdk_sesv2::Client::new(&app.aws)
        .create_email_identity()
        .email_identity(from)
        .send()
        .await
        .expect("sender identity created in moto");
}

/// The bodies of the e-mails moto's SES accepted for `recipient` (moto's model data).
async fn ses_messages_to(app: &TestApp, recipient: &str) -> Vec<String> {
    let moto = app.aws.endpoint_url().expect("moto endpoint");
    let data: Value = reqwest::get(format!("{moto}/moto-api/data.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|message| {
            message["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|to| to.iter().any(|address| address == recipient))
        })
        .filter_map(|message| message["body"].as_str().map(str::to_owned))
        .collect()
}

/// The six-digit code in a verification e-mail.
fn code_in(body: &str) -> String {
    let after = body
        .split_once("código de verificação é: ")
        .expect("the code's sentence")
        .1;
    let code: String = after.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "a six-digit code in {body:?}");
    code
}

fn ses_sender(from: String) -> SesSender {
    SesSender {
        from,
        configuration_set: None,
    }
}

/// Production's channel: the code goes out through SES from the verified sender, and the one
/// the customer reads in the e-mail confirms the registration.
#[tokio::test]
async fn a_code_sent_through_ses_confirms_the_registration() {
    let from = format!("no-reply-{}@example.com", local_aws::unique_suffix());
    let app = TestApp::spawn_with(Options {
        ses_sender: Some(ses_sender(from.clone())),
        ..Options::default()
    })
    .await;
    verify_sender(&app, &from).await;
    let email = format!("ana-{}@example.com", local_aws::unique_suffix());

    let (status, _) = post_registration(&app, &json!({"email": email, "cpf": CPF_A})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let bodies = ses_messages_to(&app, &email).await;
    assert_eq!(bodies.len(), 1, "one e-mail to the customer");
    assert!(app.outbox().is_empty(), "nothing went to the local double");

    let confirmed = app
        .post_json(
            "/v1/api/clientes/confirmacao",
            &json!({"cpf": CPF_A, "codigo": code_in(&bodies[0])}),
        )
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(row_of(&app, CPF_A_DIGITS), "rows=1 confirmed=1 verified=1");
}

/// SES refuses the message (here: a sender never verified): the registration answers 503
/// with a retry hint and is undone — no row, no Cognito identity — so a retry starts afresh.
#[tokio::test]
async fn a_registration_whose_code_ses_refuses_answers_503_and_leaves_nothing() {
    let app = TestApp::spawn_with(Options {
        ses_sender: Some(ses_sender(format!(
            "unverified-{}@example.com",
            local_aws::unique_suffix()
        ))),
        ..Options::default()
    })
    .await;
    let email = format!("bia-{}@example.com", local_aws::unique_suffix());

    let response = app
        .post_json("/v1/api/clientes/", &json!({"email": email, "cpf": CPF_A}))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get(header::RETRY_AFTER).is_some());
    assert_eq!(row_of(&app, CPF_A_DIGITS), "rows=0 confirmed=0 verified=0");
    assert!(matches!(
        cognito(&app)
            .find_customer_by_cpf(&Cpf::parse(CPF_A).unwrap())
            .await,
        Err(CognitoError::NotFound)
    ));
    assert!(ses_messages_to(&app, &email).await.is_empty());
}

/// The admin-status half of the Cognito drill: Cognito hangs after the admin's status expired.
/// One request asks again (bounded) while the others are answered with the last status at
/// once; the failure keeps that status for another TTL, so the next round waits for nothing.
#[tokio::test]
async fn cognito_outage_drill_admin_requests_keep_the_last_known_status_without_waiting() {
    let (proxy, app) = app_behind_fault_proxy(ADMIN_STATUS_TTL).await;
    let known = admin_round(&app).await;
    assert!(known.iter().all(|(status, _)| *status == StatusCode::OK));
    proxy.set(Fault::Hang);
    // Waits out the TTL under test: the status must be stale for the refresh to happen.
    tokio::time::sleep(ADMIN_STATUS_TTL + Duration::from_millis(100)).await;

    let refreshing = admin_round(&app).await;
    let after_failure = admin_round(&app).await;

    eprintln!(
        "drill: hanging Cognito, admin status stale — {refreshing:?}, then {after_failure:?}"
    );
    for (status, _) in refreshing.iter().chain(&after_failure) {
        assert_eq!(*status, StatusCode::OK, "the last known status stands");
    }
    assert!(
        slow(&refreshing) <= 1,
        "one request refreshes, the others get the last answer: {refreshing:?}"
    );
    assert_eq!(
        slow(&after_failure),
        0,
        "the failure keeps the last answer for a TTL: {after_failure:?}"
    );
}

#[tokio::test]
async fn cognito_outage_drill_with_no_status_known_one_admin_request_per_ttl_waits() {
    let (proxy, app) = app_behind_fault_proxy(ADMIN_STATUS_TTL).await;
    // Hanging before the app ever asked about this admin: nothing is known.
    proxy.set(Fault::Hang);

    let first_lookup = admin_round(&app).await;
    // Waits out the TTL under test: the failure must be stale for another lookup to start.
    tokio::time::sleep(ADMIN_STATUS_TTL + Duration::from_millis(100)).await;
    let next_lookup = admin_round(&app).await;

    eprintln!(
        "drill: hanging Cognito, no admin status known — {first_lookup:?}, then {next_lookup:?}"
    );
    for (status, _) in first_lookup.iter().chain(&next_lookup) {
        assert_eq!(
            *status,
            StatusCode::OK,
            "an unknown status honours the token"
        );
    }
    assert_eq!(
        slow(&first_lookup),
        1,
        "one request asks, the others do not wait for it: {first_lookup:?}"
    );
    assert_eq!(
        slow(&next_lookup),
        1,
        "after the TTL, again one: {next_lookup:?}"
    );
}

/// The admin-status TTL of the outage drills: short, so that they can wait it out.
const ADMIN_STATUS_TTL: Duration = Duration::from_secs(1);

/// An app whose AWS calls go through a fault proxy in front of moto, caching admin statuses
/// for `ttl`.
async fn app_behind_fault_proxy(ttl: Duration) -> (FaultProxy, TestApp) {
    let proxy = FaultProxy::start(TestApp::moto_address().await)
        .await
        .unwrap();
    let app = TestApp::spawn_with(Options {
        app_aws_endpoint: Some(proxy.endpoint()),
        admin_status_ttl: Some(ttl),
        ..Options::default()
    })
    .await;
    (proxy, app)
}

/// How many requests of a round waited a second or more (on Cognito).
fn slow(round: &[(StatusCode, Duration)]) -> usize {
    round
        .iter()
        .filter(|(_, took)| *took >= Duration::from_secs(1))
        .count()
}

/// Four admin requests at once: each one's status and how long it took.
async fn admin_round(app: &TestApp) -> Vec<(StatusCode, Duration)> {
    futures_util::future::join_all((0..4).map(|_| {
        let request = app.as_admin(Method::GET, "/v1/api/admin/produtos");
        async move {
            let sent = Instant::now();
            let status = request.send().await.unwrap().status();
            (status, sent.elapsed())
        }
    }))
    .await
}
