//! v1 databases built from the schema (both Alembic heads), the dirty rows and the
//! volume generator of `tests/fixtures/v1/`; a moto user pool; running `import-v1`; and
//! comparable pictures of a postech database.

use std::collections::BTreeMap;
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use postech_database::test_support::TestDatabase;
use postech_shared_sdk::local_aws::{self, LocalUserPool, MotoServer};
use serde_json::Value;

use crate::common::{self, texts};

pub const SCHEMA_MAIN_HEAD: &str = include_str!("../fixtures/v1/schema-9c4a9953f05f.sql");
pub const SCHEMA_OTHER_HEAD: &str = include_str!("../fixtures/v1/schema-e6cb164e3c94.sql");
pub const DIRTY_ROWS: &str = include_str!("../fixtures/v1/dirty-rows.sql");
pub const VOLUME_GENERATOR: &str = include_str!("../fixtures/v1/volume.sql");

/// A v1 database with `schema` (one of the two heads) and nothing else.
pub fn v1_database(schema: &str) -> TestDatabase {
    let database = TestDatabase::create().expect("v1 test database");
    let mut connection = database.connect().expect("v1 connection");
    connection.batch_execute(schema).expect("v1 schema");
    database
}

/// The dirty rows on the main head.
pub fn dirty_v1() -> TestDatabase {
    let database = v1_database(SCHEMA_MAIN_HEAD);
    let mut connection = database.connect().expect("v1 connection");
    connection.batch_execute(DIRTY_ROWS).expect("dirty rows");
    database
}

/// `orders` generated orders and `customers` customers on the main head.
pub fn generated_v1(orders: u32, customers: u32) -> TestDatabase {
    let database = v1_database(SCHEMA_MAIN_HEAD);
    let mut connection = database.connect().expect("v1 connection");
    connection
        .batch_execute(VOLUME_GENERATOR)
        .expect("volume generator");
    connection
        .batch_execute(&format!(
            "SELECT v1_fixture_generate({orders}, {customers})"
        ))
        .expect("generated rows");
    database
}

/// A Cognito user pool of its own on the shared moto server.
pub struct Pool {
    pub moto: &'static MotoServer,
    pub pool: LocalUserPool,
    runtime: tokio::runtime::Runtime,
}

impl Pool {
    pub fn new() -> Self {
        let moto = MotoServer::shared()
            .expect("a moto server is required: install moto[server] (tools/requirements-dev.txt)");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let pool = runtime.block_on(async {
            let config = local_aws::sdk_config(moto.endpoint()).await;
            local_aws::provision_user_pool(&config, &local_aws::unique_name("import-v1"))
                .await
                .expect("user pool")
        });
        Self {
            moto,
            pool,
            runtime,
        }
    }

    /// Every user of the pool: username → attributes.
    pub fn users(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.runtime.block_on(async {
            let config = local_aws::sdk_config(self.moto.endpoint()).await;
            let client = aws_sdk_cognitoidentityprovider::Client::new(&config);
            let mut users = BTreeMap::new();
            let mut token: Option<String> = None;
            loop {
                let page = client
                    .list_users()
                    .user_pool_id(&self.pool.user_pool_id)
                    .set_pagination_token(token.take())
                    .send()
                    .await
                    .expect("ListUsers");
                for user in page.users() {
                    let attributes = user
                        .attributes()
                        .iter()
                        .filter_map(|attribute| {
                            Some((attribute.name().to_owned(), attribute.value()?.to_owned()))
                        })
                        .filter(|(name, _)| name != "sub")
                        .collect();
                    users.insert(user.username().unwrap_or_default().to_owned(), attributes);
                }
                match page.pagination_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                    _ => return users,
                }
            }
        })
    }
}

/// `postech-migrator import-v1 <args>` from `v1` into `postech`, registering in `pool`.
pub fn import_command(
    v1: &TestDatabase,
    postech: &TestDatabase,
    pool: Option<&Pool>,
    args: &[&str],
) -> Command {
    let mut all_args = vec!["import-v1"];
    all_args.extend_from_slice(args);
    let mut command = common::migrator(postech.url(), &all_args);
    command
        .env("V1_DATABASE_URL", v1.url())
        .env_remove("COGNITO_USER_POOL_ID")
        .env("AWS_REGION", local_aws::LOCAL_REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    if let Some(pool) = pool {
        command
            .env("COGNITO_USER_POOL_ID", &pool.pool.user_pool_id)
            .env("AWS_ENDPOINT_URL", pool.moto.endpoint());
    } else {
        // Nowhere: a call to AWS would fail, which is what a test without a pool wants.
        command.env("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
    }
    command
}

/// Runs an import to its end: exit code, stdout, stderr.
pub fn import(
    v1: &TestDatabase,
    postech: &TestDatabase,
    pool: Option<&Pool>,
    args: &[&str],
) -> (i32, String, String) {
    common::run(&mut import_command(v1, postech, pool, args))
}

/// Runs an import that must succeed, with a JSON report; returns the report.
pub fn import_ok(
    v1: &TestDatabase,
    postech: &TestDatabase,
    pool: Option<&Pool>,
    args: &[&str],
) -> Value {
    let directory = tempdir();
    let path = directory.join("report.json");
    let path_text = path.to_str().expect("utf-8 path").to_owned();
    let mut all_args = args.to_vec();
    all_args.extend_from_slice(&["--report", &path_text]);
    let (code, stdout, stderr) = import(v1, postech, pool, &all_args);
    assert_eq!(code, 0, "import failed:\n{stdout}\n{stderr}");
    let report = std::fs::read_to_string(&path).expect("report written");
    let _ = std::fs::remove_dir_all(&directory);
    serde_json::from_str(&report).expect("report is JSON")
}

/// A fresh, empty directory under the system's temporary directory.
pub fn tempdir() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "postech-import-v1-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&path).expect("temporary directory");
    path
}

/// The report's counters of one v1 table, by name (`v1_rows`, `written`, `clean`, …).
pub fn counters(report: &Value, table: &str) -> BTreeMap<String, u64> {
    let entity = report["entities"]
        .as_array()
        .expect("entities")
        .iter()
        .find(|entity| entity["v1_table"] == table)
        .unwrap_or_else(|| panic!("{table} in the report"));
    let mut counters: BTreeMap<String, u64> = entity["outcomes"]
        .as_object()
        .expect("outcomes")
        .iter()
        .map(|(name, value)| (name.clone(), value.as_u64().expect("count")))
        .collect();
    for name in ["v1_rows", "written", "already_present"] {
        counters.insert(name.to_owned(), entity[name].as_u64().expect("count"));
    }
    counters
}

/// Everything in the postech tables and sequences, one checksum line per table: equal
/// before and after a run exactly when the run changed nothing at all.
pub fn fingerprint(connection: &mut PgConnection) -> Vec<String> {
    let mut lines = Vec::new();
    for table in [
        "categories",
        "products",
        "customers",
        "orders",
        "order_items",
        "order_status_history",
        "payments",
        "v1_import_notes",
    ] {
        lines.extend(texts(
            connection,
            &format!(
                "SELECT '{table} ' || count(*) || ' ' || \
                        coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') AS value \
                   FROM {table} t"
            ),
        ));
    }
    lines.extend(texts(
        connection,
        "SELECT 'order_number_seq ' || last_value || ' ' || is_called AS value FROM order_number_seq",
    ));
    lines.extend(texts(
        connection,
        "SELECT 'history id ' || coalesce(max(id), 0) AS value FROM order_status_history",
    ));
    lines
}

/// What an import decides, without what depends on when or in how many runs it was written:
/// import-time defaults (`created_at` of products and customers, `updated_at`,
/// `recorded_at`), generated ids (lines, history), display numbers (a crashed batch burns
/// sequence values). Two imports of one v1 snapshot give equal pictures.
pub fn picture(connection: &mut PgConnection) -> Vec<String> {
    let queries = [
        "SELECT format('product %s %s %s %s %s %s %s %s', id, category_id, name, description, \
                price, image_url, stock_available, active) AS value FROM products",
        "SELECT format('customer %s %s %s %s %s', id, name, email, cpf, cognito_username) AS value \
           FROM customers",
        "SELECT format('order %s %s %s %s %s %s %s', id, customer_id, status, total, notes, \
                created_at, imported_from_v1) AS value FROM orders",
        "SELECT format('item %s %s %s %s %s %s %s', order_id, product_id, position, product_name, \
                unit_price, quantity, created_at) AS value FROM order_items",
        "SELECT format('history %s %s %s %s %s', order_id, from_status, to_status, changed_at, \
                actor) AS value FROM order_status_history",
        "SELECT format('payment %s %s %s %s %s %s %s %s %s %s', id, order_id, provider, \
                provider_payment_id, provider_reference, status, amount, qr_code_url, \
                confirmed_at, created_at) AS value FROM payments",
        "SELECT format('note %s %s %s %s %s %s', entity, v1_key, outcome, rules, detail, \
                postech_id) AS value FROM v1_import_notes",
    ];
    let mut lines: Vec<String> = queries
        .iter()
        .flat_map(|query| texts(connection, query))
        .collect();
    lines.sort();
    lines
}
