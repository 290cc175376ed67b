//! Registration (database row and Cognito identity, both or neither), profile, staff lookups.
//! The anti-squatting rules and the reconciler have their own file, `registration.rs`.

use postech_shared_sdk::cognito::CognitoClient;
use postech_shared_sdk::cpf::Cpf;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::BehindTheApi;
use crate::helpers::{BURGERS, CPF_A, CPF_A_DIGITS, CPF_B, CPF_C, Options, TestApp, detail};

fn cognito(app: &TestApp) -> CognitoClient {
    CognitoClient::new(
        &app.aws,
        app.user_pool.user_pool_id.clone(),
        app.user_pool.client_id.clone(),
    )
}

#[tokio::test]
async fn registration_stores_the_row_and_the_cognito_identity_together() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json(
            "/v1/api/clientes/",
            &json!({"nome": "Maria", "email": "Maria@Example.com", "cpf": CPF_A}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let response = app.confirm_registration(CPF_A, "maria@example.com").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["cpf"], CPF_A_DIGITS,
        "stored and returned as 11 digits"
    );
    assert_eq!(body["email"], "maria@example.com");
    assert_eq!(body["nome"], "Maria");
    let identity = cognito(&app)
        .find_customer_by_cpf(&Cpf::parse(CPF_A).unwrap())
        .await
        .expect("the Cognito user exists");
    assert_eq!(
        identity.customer_id.to_string(),
        body["id"].as_str().unwrap()
    );
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM customers"),
        1
    );
}

/// v1 defect: CPF not normalised, so `987.654.321-00` and `98765432100` were two customers.
#[tokio::test]
async fn v1_defect_formatted_and_digit_cpfs_are_the_same_customer() {
    let app = TestApp::spawn().await;
    app.register(json!({"cpf": CPF_C})).await;
    let again = app
        .post_json("/v1/api/clientes/", &json!({"cpf": "98765432100"}))
        .await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM customers"),
        1
    );
}

/// v1 defect: the second check digit used wrong weights.
#[tokio::test]
async fn v1_defect_cpf_check_digits_use_the_correct_weights() {
    let app = TestApp::spawn().await;
    for valid in [CPF_B, CPF_A] {
        let response = app
            .post_json("/v1/api/clientes", &json!({"cpf": valid}))
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{valid}");
    }
    for invalid in ["291.417.776-30", "111.111.111-11", "1234567890", "abc"] {
        let response = app
            .post_json("/v1/api/clientes", &json!({"cpf": invalid}))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{invalid}"
        );
        assert_eq!(detail(response).await[0]["loc"], json!(["body", "cpf"]));
    }
}

/// v1 defect: registering with an existing email returned the other person's record, CPF
/// included. Without a CPF a taken e-mail is still 409; with a CPF every answer is the same
/// 202 (registration.rs).
#[tokio::test]
async fn v1_defect_a_taken_email_or_cpf_is_refused_without_anyone_s_data() {
    let app = TestApp::spawn().await;
    app.register(json!({"nome": "Ana", "email": "ana@example.com", "cpf": CPF_A}))
        .await;
    for (body, expected) in [
        (
            json!({"nome": "Outra", "email": "ANA@example.com"}),
            StatusCode::CONFLICT,
        ),
        (
            json!({"nome": "Outra", "email": "outra@example.com", "cpf": CPF_A_DIGITS}),
            StatusCode::ACCEPTED,
        ),
        (
            json!({"nome": "Outra", "email": "ana@example.com", "cpf": CPF_B}),
            StatusCode::ACCEPTED,
        ),
    ] {
        let response = app.post_json("/v1/api/clientes/", &body).await;
        assert_eq!(response.status(), expected, "{body}");
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(CPF_A_DIGITS) && !text.contains("Ana") && !text.contains("ana@"),
            "{text}"
        );
    }
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM customers"),
        1
    );
}

#[tokio::test]
async fn an_empty_registration_creates_an_anonymous_customer() {
    let app = TestApp::spawn().await;
    for request in [
        app.request(Method::POST, "/v1/api/clientes/"),
        app.request(Method::POST, "/v1/api/clientes")
            .json(&json!({})),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            (
                body["nome"].clone(),
                body["email"].clone(),
                body["cpf"].clone()
            ),
            (Value::Null, Value::Null, Value::Null)
        );
    }
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM customers"),
        2
    );
}

#[tokio::test]
async fn invalid_emails_and_malformed_json_are_422() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json("/v1/api/clientes", &json!({"email": "não-é-email"}))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(response).await[0]["loc"], json!(["body", "email"]));
    let broken = app
        .request(Method::POST, "/v1/api/clientes")
        .header("content-type", "application/json")
        .body("{\"nome\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(broken).await[0]["type"], "json_invalid");
}

#[tokio::test]
async fn a_cognito_failure_leaves_no_customer_row() {
    let app = TestApp::spawn_with(Options {
        missing_user_pool: true,
        ..Options::default()
    })
    .await;
    let response = app
        .post_json("/v1/api/clientes/", &json!({"nome": "Maria", "cpf": CPF_A}))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = response.text().await.unwrap();
    assert!(!text.contains(CPF_A_DIGITS), "{text}");
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM customers"),
        0
    );
    let lookup = app
        .as_admin(
            Method::GET,
            &format!("/v1/api/admin/clientes/{CPF_A_DIGITS}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status(), StatusCode::NOT_FOUND);
}

/// The pending row's commit fails (a deferred constraint trigger aborts it as a
/// serialization failure would): Cognito is never called, so no identity and no row is left.
#[tokio::test]
async fn a_failing_commit_of_the_pending_row_never_reaches_cognito() {
    let app = TestApp::spawn().await;
    app.database.sql_execute(
        "CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'commit refused' USING ERRCODE = 'serialization_failure'; END $$; \
         CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON customers \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit();",
    );
    let response = app
        .post_json("/v1/api/clientes/", &json!({"nome": "Maria", "cpf": CPF_A}))
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.database
            .sql_count("SELECT count(*) AS count FROM customers"),
        0
    );
    let identity = cognito(&app)
        .find_customer_by_cpf(&Cpf::parse(CPF_A).unwrap())
        .await;
    assert!(
        identity.is_err(),
        "the identity was left behind: {identity:?}"
    );
}

#[tokio::test]
async fn a_duplicate_cpf_never_reaches_cognito() {
    let app = TestApp::spawn().await;
    let first = app.register(json!({"cpf": CPF_A})).await;
    let response = app
        .post_json("/v1/api/clientes/", &json!({"cpf": CPF_A}))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let identity = cognito(&app)
        .find_customer_by_cpf(&Cpf::parse(CPF_A).unwrap())
        .await
        .unwrap();
    assert_eq!(
        identity.customer_id.to_string(),
        first,
        "the first registration's identity is untouched"
    );
}

#[tokio::test]
async fn me_returns_the_token_s_customer_401_without_token_403_for_admins() {
    let app = TestApp::spawn().await;
    let id = app
        .register(json!({"nome": "João", "email": "joao@example.com", "cpf": CPF_B}))
        .await;
    let response = app
        .request(Method::GET, "/v1/api/clientes/me")
        .bearer_auth(app.customer_step_up_token(&id))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["id"].as_str(), body["nome"].as_str()),
        (Some(id.as_str()), Some("João"))
    );

    let anonymous = app.get("/v1/api/clientes/me").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let admin = app
        .as_admin(Method::GET, "/v1/api/clientes/me")
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn my_orders_lists_only_the_customer_s_orders_newest_first() {
    let app = TestApp::spawn().await;
    let product = app.create_product("X-Burguer", "15.90", BURGERS, 20).await;
    let me = app
        .register(json!({"nome": "Bia", "email": "bia@example.com", "cpf": CPF_A}))
        .await;
    let token = app.customer_step_up_token(&me);
    let mut mine = Vec::new();
    for quantity in [1, 2] {
        let response = app
            .request(Method::POST, "/v1/api/pedidos")
            .bearer_auth(&token)
            .json(&crate::helpers::checkout_body(&[(&product, quantity)]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        mine.push(response.json::<Value>().await.unwrap()["id"].clone());
    }
    app.place_order(&[(&product, 3)]).await;
    let listed: Value = app
        .request(Method::GET, "/v1/api/clientes/me/pedidos")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|order| order["id"].clone())
        .collect();
    assert_eq!(ids, vec![mine[1].clone(), mine[0].clone()]);
    assert_eq!(listed[0]["cliente_nome"], "Bia");
}

#[tokio::test]
async fn a_cpf_only_kiosk_token_sees_its_profile_masked_and_a_step_up_token_in_full() {
    let app = TestApp::spawn().await;
    let id = app
        .register(
            json!({"nome": "Ana Maria Souza", "email": "ana.souza@example.com", "cpf": CPF_A}),
        )
        .await;

    let kiosk = app
        .request(Method::GET, "/v1/api/clientes/me")
        .bearer_auth(app.customer_token(&id))
        .send()
        .await
        .unwrap();
    assert_eq!(kiosk.status(), StatusCode::OK);
    assert_eq!(kiosk.headers()["x-postech-dados-mascarados"], "true");
    let body: Value = kiosk.json().await.unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["nome"], "Ana");
    assert_eq!(body["email"], "a***@e***");
    assert_eq!(body["cpf"], "***.***.***-25");
    let text = body.to_string();
    for secret in ["52998224725", "529.982", "982.247", "souza@", "Souza"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    let full: Value = app
        .request(Method::GET, "/v1/api/clientes/me")
        .bearer_auth(app.customer_step_up_token(&id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(full["cpf"], "52998224725");
    assert_eq!(full["email"], "ana.souza@example.com");
    assert_eq!(full["nome"], "Ana Maria Souza");
}

#[tokio::test]
async fn a_kiosk_token_lists_only_the_orders_of_its_visit() {
    let app = TestApp::spawn().await;
    let product = app.create_product("X-Burguer", "15.90", BURGERS, 20).await;
    let me = app
        .register(json!({"nome": "Bia Lima", "email": "bia@example.com", "cpf": CPF_A}))
        .await;
    let earlier_visit = app.customer_step_up_token(&me);
    let response = app
        .request(Method::POST, "/v1/api/pedidos")
        .bearer_auth(&earlier_visit)
        .json(&crate::helpers::checkout_body(&[(&product, 1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let old_id = response.json::<Value>().await.unwrap()["id"].clone();
    // That order was placed yesterday.
    app.database.sql_execute(&format!(
        "UPDATE orders SET created_at = created_at - interval '1 day' WHERE id = '{}'",
        old_id.as_str().unwrap()
    ));

    let kiosk = app.customer_token(&me);
    let response = app
        .request(Method::POST, "/v1/api/pedidos")
        .bearer_auth(&kiosk)
        .json(&crate::helpers::checkout_body(&[(&product, 2)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let new_id = response.json::<Value>().await.unwrap()["id"].clone();

    let listed: Value = app
        .request(Method::GET, "/v1/api/clientes/me/pedidos")
        .bearer_auth(&kiosk)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].clone())
        .collect();
    assert_eq!(ids, vec![new_id.clone()]);
    assert_eq!(listed[0]["cliente_nome"], "Bia");

    let history: Value = app
        .request(Method::GET, "/v1/api/clientes/me/pedidos")
        .bearer_auth(&earlier_visit)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<Value> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].clone())
        .collect();
    assert_eq!(ids, vec![new_id, old_id]);
}

#[tokio::test]
async fn admin_finds_customers_by_cpf_in_either_format_and_pages_the_list() {
    let app = TestApp::spawn().await;
    let id = app.register(json!({"nome": "Carla", "cpf": CPF_A})).await;
    app.register(json!({"cpf": CPF_B})).await;
    app.register(json!({})).await;
    for cpf in [CPF_A, CPF_A_DIGITS] {
        let response = app
            .as_admin(Method::GET, &format!("/v1/api/admin/clientes/{cpf}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{cpf}");
        assert_eq!(response.json::<Value>().await.unwrap()["id"], id.as_str());
    }
    let unknown = app
        .as_admin(
            Method::GET,
            &format!("/v1/api/admin/clientes/{}", "98765432100"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let invalid = app
        .as_admin(Method::GET, "/v1/api/admin/clientes/12345678900")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let page = app
        .as_admin(Method::GET, "/v1/api/admin/clientes/?limite=2&pagina=2")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["x-total-count"], "3");
    assert_eq!(
        page.json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad_page = app
        .as_admin(Method::GET, "/v1/api/admin/clientes?limite=0")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let customer = app
        .request(Method::GET, "/v1/api/admin/clientes")
        .bearer_auth(app.customer_token(&id))
        .send()
        .await
        .unwrap();
    assert_eq!(customer.status(), StatusCode::FORBIDDEN);
}
