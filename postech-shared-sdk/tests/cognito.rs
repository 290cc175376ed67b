//! `CognitoClient` against a real moto server; each test provisions its own user pool.

// A failed expectation is the test failing: helpers (not only `#[test]` fns) may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_config::SdkConfig;
use postech_shared_sdk::cognito::{CognitoClient, CognitoError, NewCustomerIdentity};
use postech_shared_sdk::cpf::Cpf;
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::local_aws::{self, LocalUserPool, MotoServer};
use secrecy::SecretString;

struct Fixture {
    sdk_config: SdkConfig,
    pool: LocalUserPool,
    cognito: CognitoClient,
}

async fn fixture() -> Fixture {
    let moto = MotoServer::shared().expect("a moto server is required for these tests");
    let sdk_config = local_aws::sdk_config(moto.endpoint()).await;
    let pool = local_aws::provision_user_pool(&sdk_config, &local_aws::unique_name("cognito"))
        .await
        .expect("user pool provisioned");
    let cognito = CognitoClient::new(&sdk_config, &pool.user_pool_id, &pool.client_id);
    Fixture {
        sdk_config,
        pool,
        cognito,
    }
}

fn cpf() -> Cpf {
    Cpf::parse("529.982.247-25").expect("valid CPF")
}

fn new_customer(name: Option<&str>, email: Option<&str>) -> NewCustomerIdentity {
    NewCustomerIdentity {
        cpf: cpf(),
        customer_id: CustomerId::from(uuid::Uuid::new_v4()),
        name: name.map(str::to_owned),
        email: email.map(str::to_owned),
    }
}

#[tokio::test]
async fn registered_customer_is_found_with_its_attributes_and_enabled() {
    let fixture = fixture().await;
    let customer = new_customer(Some("Maria Silva"), Some("maria@example.com"));
    fixture
        .cognito
        .register_customer(&customer)
        .await
        .expect("registered");

    let found = fixture
        .cognito
        .find_customer_by_cpf(&customer.cpf)
        .await
        .expect("found");
    assert_eq!(found.customer_id, customer.customer_id);
    assert_eq!(found.name.as_deref(), Some("Maria Silva"));
    assert_eq!(found.email.as_deref(), Some("maria@example.com"));
    assert!(found.enabled);
}

#[tokio::test]
async fn customer_without_name_or_email_is_found_without_them() {
    let fixture = fixture().await;
    let customer = new_customer(None, None);
    fixture
        .cognito
        .register_customer(&customer)
        .await
        .expect("registered");

    let found = fixture
        .cognito
        .find_customer_by_cpf(&customer.cpf)
        .await
        .expect("found");
    assert_eq!(found.customer_id, customer.customer_id);
    assert_eq!((found.name, found.email), (None, None));
}

#[tokio::test]
async fn registration_retried_after_a_partial_failure_succeeds() {
    let fixture = fixture().await;
    let customer = new_customer(Some("Maria Silva"), None);
    fixture
        .cognito
        .register_customer(&customer)
        .await
        .expect("first attempt");

    fixture
        .cognito
        .register_customer(&customer)
        .await
        .expect("the retry finds its own user and succeeds");
    let found = fixture
        .cognito
        .find_customer_by_cpf(&customer.cpf)
        .await
        .expect("found");
    assert_eq!(found.customer_id, customer.customer_id);
}

#[tokio::test]
async fn cpf_registered_to_another_customer_is_already_registered() {
    let fixture = fixture().await;
    let first = new_customer(Some("Maria Silva"), None);
    fixture
        .cognito
        .register_customer(&first)
        .await
        .expect("registered");

    let second = new_customer(Some("João Souza"), None);
    let error = fixture
        .cognito
        .register_customer(&second)
        .await
        .expect_err("the CPF belongs to the first customer");
    assert!(
        matches!(error, CognitoError::AlreadyRegistered),
        "{error:?}"
    );
    let found = fixture
        .cognito
        .find_customer_by_cpf(&first.cpf)
        .await
        .expect("found");
    assert_eq!(found.customer_id, first.customer_id, "the first stays");
}

#[tokio::test]
async fn unknown_cpf_is_not_found() {
    let fixture = fixture().await;
    // Spawned, so this also checks the client's futures are `Send` (actix, Lambda).
    let cognito = fixture.cognito.clone();
    let error = tokio::spawn(async move { cognito.find_customer_by_cpf(&cpf()).await })
        .await
        .expect("task completed")
        .expect_err("nobody registered");
    assert!(matches!(error, CognitoError::NotFound), "{error:?}");
}

#[tokio::test]
async fn disabled_customer_is_reported_disabled() {
    let fixture = fixture().await;
    let customer = new_customer(None, None);
    fixture
        .cognito
        .register_customer(&customer)
        .await
        .expect("registered");
    aws_sdk_cognitoidentityprovider::Client::new(&fixture.sdk_config)
        .admin_disable_user()
        .user_pool_id(&fixture.pool.user_pool_id)
        .username(customer.cpf.as_digits())
        .send()
        .await
        .expect("disabled");

    let error = fixture
        .cognito
        .find_customer_by_cpf(&customer.cpf)
        .await
        .expect_err("disabled users cannot log in");
    assert!(matches!(error, CognitoError::Disabled), "{error:?}");
}

#[tokio::test]
async fn deleted_customer_is_not_found_and_deleting_again_succeeds() {
    let fixture = fixture().await;
    let customer = new_customer(None, None);
    fixture
        .cognito
        .register_customer(&customer)
        .await
        .expect("registered");

    fixture
        .cognito
        .delete_customer(&customer.cpf)
        .await
        .expect("deleted");
    let error = fixture
        .cognito
        .find_customer_by_cpf(&customer.cpf)
        .await
        .expect_err("gone");
    assert!(matches!(error, CognitoError::NotFound), "{error:?}");
    fixture
        .cognito
        .delete_customer(&customer.cpf)
        .await
        .expect("compensation is idempotent");
}

#[tokio::test]
async fn admin_with_the_right_password_is_authenticated() {
    let fixture = fixture().await;
    let password = local_aws::generate_password();
    local_aws::create_admin(&fixture.sdk_config, &fixture.pool, "ana.admin", &password)
        .await
        .expect("admin created");

    let admin = fixture
        .cognito
        .authenticate_admin("ana.admin", &password)
        .await
        .expect("authenticated");
    assert_eq!(admin.username, "ana.admin");
}

#[tokio::test]
async fn admin_with_a_wrong_password_has_invalid_credentials() {
    let fixture = fixture().await;
    local_aws::create_admin(
        &fixture.sdk_config,
        &fixture.pool,
        "ana.admin",
        &local_aws::generate_password(),
    )
    .await
    .expect("admin created");

    let error = fixture
        .cognito
        .authenticate_admin("ana.admin", &SecretString::from("Wrong-password-1"))
        .await
        .expect_err("wrong password");
    assert!(
        matches!(error, CognitoError::InvalidCredentials),
        "{error:?}"
    );
}

#[tokio::test]
async fn unknown_admin_has_invalid_credentials() {
    let fixture = fixture().await;
    let error = fixture
        .cognito
        .authenticate_admin("nobody", &local_aws::generate_password())
        .await
        .expect_err("no such user");
    assert!(
        matches!(error, CognitoError::InvalidCredentials),
        "{error:?}"
    );
}

#[tokio::test]
async fn user_outside_the_admin_group_is_refused() {
    let fixture = fixture().await;
    let password = local_aws::generate_password();
    local_aws::create_password_user(&fixture.sdk_config, &fixture.pool, "clerk", &password)
        .await
        .expect("user created");

    let error = fixture
        .cognito
        .authenticate_admin("clerk", &password)
        .await
        .expect_err("not an admin");
    assert!(matches!(error, CognitoError::NotAdmin), "{error:?}");
}

#[tokio::test]
async fn admin_with_a_temporary_password_has_invalid_credentials() {
    let fixture = fixture().await;
    let temporary = "Temp-password-1";
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&fixture.sdk_config);
    cognito
        .admin_create_user()
        .user_pool_id(&fixture.pool.user_pool_id)
        .username("new.admin")
        .temporary_password(temporary)
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("user created");
    cognito
        .admin_add_user_to_group()
        .user_pool_id(&fixture.pool.user_pool_id)
        .username("new.admin")
        .group_name("admin")
        .send()
        .await
        .expect("added to admin");

    let error = fixture
        .cognito
        .authenticate_admin("new.admin", &SecretString::from(temporary))
        .await
        .expect_err("NEW_PASSWORD_REQUIRED is not a login");
    assert!(
        matches!(error, CognitoError::InvalidCredentials),
        "{error:?}"
    );
}

#[tokio::test]
async fn unreachable_cognito_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let closed_endpoint = format!("http://{}", listener.local_addr().expect("address"));
    drop(listener);
    let sdk_config = local_aws::sdk_config(&closed_endpoint).await;
    let cognito = CognitoClient::new(&sdk_config, "us-east-1_missing", "client");

    let error = cognito
        .find_customer_by_cpf(&cpf())
        .await
        .expect_err("nothing listens there");
    let CognitoError::Unavailable(description) = &error else {
        panic!("expected Unavailable, got {error:?}");
    };
    assert!(description.contains("AdminGetUser"), "{description}");
    assert!(!description.contains(cpf().as_digits()), "{description}");
}
