//! The PostgreSQL restart drill: checkouts, QR codes and payment webhooks at a steady rate
//! against the app on a private cluster, whose server is stopped in the middle — once with
//! `pg_ctl -m fast` (sessions told to terminate), once with `-m immediate` (every process
//! killed, crash recovery at the next start) — and started again. Then:
//!
//! * every order answered 201 exists, with its lines, its total, one creation row in its
//!   history, and the stock it took; no order exists that was not acknowledged unless its
//!   `Idempotency-Key` replays it (a commit whose answer was lost);
//! * during the outage every request failed fast with 503 — none hung, none was a 500;
//! * `/ready` went false and came back, the app recovered without a restart, and once
//!   `/ready` said so no request failed (the pool kept no dead connection);
//! * every payment confirmed by a delivered notification made its order `Pago` exactly once.
//!
//! The outage window and the recovery time are printed (`cargo nextest run
//! --no-capture -E 'test(database_restart)'`); docs/reliability.md records them.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use postech_app::adapters::mercadopago::signature;
use postech_app::configuration::CognitoSettings;
use postech_app::startup::Application;
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Pool, eventually, fixed_key_auth, settings_for_url};
use crate::harness::{BURGERS, PaymentApp, Setup};
use crate::mercadopago_double::MercadoPagoDouble;
use crate::throwaway_cluster::{ServerTls, ThrowawayCluster};

/// Concurrent kiosks, and the pause between two checkouts of one kiosk.
const KIOSKS: usize = 3;
const PACE: Duration = Duration::from_millis(40);
/// A failed request slower than this did not fail fast.
const FAIL_FAST: Duration = Duration::from_secs(3);
/// The app's wait for a pooled connection (the deployment default is 5 s).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// A request that takes longer than this is a hang.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// What one request answered, and when.
#[derive(Clone, Debug)]
struct Attempt {
    route: &'static str,
    started: Instant,
    elapsed: Duration,
    /// The status, or `None` for a transport failure (the app did not answer).
    status: Option<StatusCode>,
    /// Whether the answer carried `Retry-After`.
    retry_after: bool,
}

/// A checkout whose answer the kiosk has not (yet) received as 201.
#[derive(Clone)]
struct Checkout {
    key: String,
    body: Value,
}

#[derive(Default)]
struct Journal {
    attempts: Vec<Attempt>,
    /// Idempotency key → order id, for every 201.
    acknowledged: HashMap<String, String>,
    /// Bodies by key, for every checkout sent.
    sent: HashMap<String, Value>,
    /// Orders acknowledged whose QR code was not issued yet.
    awaiting_qr: Vec<String>,
    /// (order, payment id) of approved payments whose notification was not accepted yet.
    awaiting_webhook: Vec<(String, String)>,
    /// Orders whose approval notification the app accepted.
    paid: HashSet<String>,
}

struct Drill {
    address: String,
    client: reqwest::Client,
    double: Arc<MercadoPagoDouble>,
    webhook_secret: String,
    products: [String; 2],
    journal: Mutex<Journal>,
    stop: AtomicBool,
}

impl Drill {
    fn record(&self, route: &'static str, started: Instant, response: Option<&reqwest::Response>) {
        self.journal.lock().unwrap().attempts.push(Attempt {
            route,
            started,
            elapsed: started.elapsed(),
            status: response.map(reqwest::Response::status),
            retry_after: response.is_some_and(|r| r.headers().contains_key("retry-after")),
        });
    }

    async fn send(
        &self,
        route: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Option<reqwest::Response> {
        let started = Instant::now();
        let response = request.timeout(CLIENT_TIMEOUT).send().await.ok();
        self.record(route, started, response.as_ref());
        response
    }

    async fn checkout(&self, checkout: &Checkout) -> Option<String> {
        let request = self
            .client
            .post(format!("{}/v1/api/pedidos/", self.address))
            .header("Idempotency-Key", &checkout.key)
            .json(&checkout.body);
        let response = self.send("checkout", request).await?;
        if response.status() != StatusCode::CREATED {
            return None;
        }
        let body: Value = response.json().await.ok()?;
        let order = body["id"].as_str()?.to_owned();
        self.journal
            .lock()
            .unwrap()
            .acknowledged
            .insert(checkout.key.clone(), order.clone());
        Some(order)
    }

    /// Issues the order's QR code and has the payer pay it; the payment id.
    async fn charge(&self, order: &str) -> Option<String> {
        let request = self
            .client
            .get(format!("{}/v1/api/pagamentos/{order}/qrcode", self.address));
        let response = self.send("qrcode", request).await?;
        if response.status() != StatusCode::OK {
            return None;
        }
        let body: Value = response.json().await.ok()?;
        let payment = body["qrcode_id"].as_str()?.to_owned();
        self.double.set_status(&payment, "approved");
        Some(payment)
    }

    /// Delivers Mercado Pago's notification of the payment; whether the app accepted it.
    async fn notify(&self, order: &str, payment: &str) -> bool {
        let request_id = uuid::Uuid::new_v4().to_string();
        let signed = signature::sign(
            self.webhook_secret.as_bytes(),
            Some(payment),
            Some(&request_id),
            chrono::Utc::now().timestamp(),
        )
        .expect("HMAC takes keys of any length");
        let request = self
            .client
            .post(format!(
                "{}/v1/api/pagamentos/webhook?data.id={payment}&type=payment",
                self.address
            ))
            .header("x-signature", signed)
            .header("x-request-id", request_id)
            .json(
                &json!({"action": "payment.updated", "type": "payment", "data": {"id": payment}}),
            );
        let accepted = self
            .send("webhook", request)
            .await
            .is_some_and(|response| response.status() == StatusCode::OK);
        if accepted {
            self.journal.lock().unwrap().paid.insert(order.to_owned());
        }
        accepted
    }

    /// One kiosk: a checkout every [`PACE`], then its QR code and its payment notification.
    /// What fails is left for after the outage (the kiosk retries the QR code, Mercado Pago
    /// re-delivers its notification).
    async fn kiosk(&self, seed: usize) {
        let mut tick = tokio::time::interval(PACE);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n = seed;
        while !self.stop.load(Ordering::Relaxed) {
            tick.tick().await;
            n += 1;
            let checkout = Checkout {
                key: uuid::Uuid::new_v4().to_string(),
                body: json!({"itens": [
                    {"produto_id": self.products[n % 2], "quantidade": 1 + n % 3},
                    {"produto_id": self.products[(n + 1) % 2], "quantidade": 1},
                ]}),
            };
            self.journal
                .lock()
                .unwrap()
                .sent
                .insert(checkout.key.clone(), checkout.body.clone());
            let Some(order) = self.checkout(&checkout).await else {
                continue;
            };
            let Some(payment) = self.charge(&order).await else {
                self.journal.lock().unwrap().awaiting_qr.push(order);
                continue;
            };
            if !self.notify(&order, &payment).await {
                self.journal
                    .lock()
                    .unwrap()
                    .awaiting_webhook
                    .push((order, payment));
            }
        }
    }

    /// Polls `/ready` until the drill stops.
    async fn readiness_probe(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            let request = self.client.get(format!("{}/ready", self.address));
            self.send("ready", request).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn attempts_since(&self, since: Instant) -> Vec<Attempt> {
        self.journal
            .lock()
            .unwrap()
            .attempts
            .iter()
            .filter(|attempt| attempt.started >= since)
            .cloned()
            .collect()
    }

    fn acknowledged_count(&self) -> usize {
        self.journal.lock().unwrap().acknowledged.len()
    }
}

/// One restart's figures.
struct Outage {
    mode: &'static str,
    /// From the first failed request to the end of the last one.
    window: Duration,
    /// From `pg_ctl start` returning to the first 201.
    recovery: Duration,
    /// From `pg_ctl start` returning to `/ready` answering 200.
    ready_again: Duration,
    failed: usize,
    slowest_failure: Duration,
}

fn ok(status: Option<StatusCode>) -> bool {
    status.is_some_and(|status| status.is_success())
}

/// Stops the server in `mode`, waits for the app to notice, starts it again and waits for
/// the app to serve; the figures.
async fn restart(drill: &Drill, cluster: &Arc<ThrowawayCluster>, mode: &'static str) -> Outage {
    let stopping = Instant::now();
    let stopper = cluster.clone();
    tokio::task::spawn_blocking(move || stopper.stop_server(mode))
        .await
        .unwrap();
    // The witness of the outage: `/ready` and a checkout both answered 503 after the stop.
    let noticed = eventually(Duration::from_secs(20), || async {
        let attempts = drill.attempts_since(stopping);
        let down = |route| {
            attempts.iter().any(|attempt| {
                attempt.route == route && attempt.status == Some(StatusCode::SERVICE_UNAVAILABLE)
            })
        };
        down("ready") && down("checkout")
    })
    .await;
    assert!(
        noticed,
        "{mode}: /ready and the checkout answered 503 while down"
    );

    let starter = cluster.clone();
    tokio::task::spawn_blocking(move || starter.start_server())
        .await
        .unwrap();
    let started = Instant::now();
    let served_since = |route: &'static str| {
        drill
            .attempts_since(started)
            .iter()
            .filter(|attempt| attempt.route == route && ok(attempt.status))
            .map(|attempt| attempt.started + attempt.elapsed)
            .min()
    };
    let back = eventually(Duration::from_secs(20), || async {
        served_since("checkout").is_some() && served_since("ready").is_some()
    })
    .await;
    assert!(back, "{mode}: the app serves again without a restart");
    let recovery = served_since("checkout").unwrap() - started;
    let ready_again = served_since("ready").unwrap() - started;

    // Steady again: a few more orders before the next step.
    let before = drill.acknowledged_count();
    assert!(
        eventually(Duration::from_secs(20), || async {
            drill.acknowledged_count() >= before + 10
        })
        .await,
        "{mode}: orders keep coming after the recovery"
    );

    // The pool keeps no dead connection: once `/ready` answered 200, nothing failed any more.
    let ready_at = served_since("ready").unwrap();
    for attempt in drill.attempts_since(ready_at) {
        assert!(
            ok(attempt.status),
            "{mode}: {attempt:?} failed after /ready came back"
        );
    }

    let attempts = drill.attempts_since(stopping);
    let failures: Vec<&Attempt> = attempts.iter().filter(|a| !ok(a.status)).collect();
    let first_failure = failures.iter().map(|a| a.started).min().unwrap();
    let last_failure_end = failures
        .iter()
        .map(|a| a.started + a.elapsed)
        .max()
        .unwrap();
    Outage {
        mode,
        window: last_failure_end - first_failure,
        recovery,
        ready_again,
        failed: failures.len(),
        slowest_failure: failures.iter().map(|a| a.elapsed).max().unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_restart_drill_loses_no_acknowledged_order() {
    let cluster = Arc::new(ThrowawayCluster::start(ServerTls::Off).await);
    // The drill's app role owns the database it migrates.
    cluster.admin_execute("ALTER ROLE app SUPERUSER").await;
    let url = cluster.url("127.0.0.1", "");
    let migrate_url = url.clone();
    tokio::task::spawn_blocking(move || postech_database::migrator::run_pending(&migrate_url))
        .await
        .unwrap()
        .expect("migrations on the throwaway cluster");

    let double = Arc::new(MercadoPagoDouble::start().await);
    let webhook_secret = uuid::Uuid::new_v4().simple().to_string();
    let key = SigningKeyMaterial::generate(format!("kid-{}", uuid::Uuid::new_v4().simple()));
    let payments = PaymentApp::payment_settings(Setup::default(), &double, &webhook_secret);
    let settings = settings_for_url(
        &url,
        Pool {
            size: 8,
            acquire_timeout: ACQUIRE_TIMEOUT,
        },
        fixed_key_auth(&key),
        CognitoSettings {
            user_pool_id: "us-east-1_drillNotUsed".to_owned(),
            app_client_id: String::new(),
        },
        payments,
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .build(),
    );
    let application = Application::build(settings).await.expect("app starts");
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run_until_stopped());
    let admin = TokenIssuer::from_material(&key)
        .unwrap()
        .issue_admin("gerente")
        .unwrap()
        .access_token;
    let client = reqwest::Client::new();

    const STOCK: i64 = 10_000;
    let mut products = Vec::new();
    for name in ["X-Burguer", "X-Salada"] {
        let response = client
            .post(format!("{address}/v1/api/admin/produtos/"))
            .bearer_auth(&admin)
            .json(&json!({
                "nome": name, "descricao": "Hambúrguer da casa com queijo", "preco": "15.90",
                "categoria_id": BURGERS, "estoque_disponivel": STOCK,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        products.push(
            response.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    let drill = Arc::new(Drill {
        address: address.clone(),
        client: client.clone(),
        double: double.clone(),
        webhook_secret,
        products: [products[0].clone(), products[1].clone()],
        journal: Mutex::default(),
        stop: AtomicBool::new(false),
    });
    let mut load = Vec::new();
    for seed in 0..KIOSKS {
        let drill = drill.clone();
        load.push(tokio::spawn(async move { drill.kiosk(seed * 7).await }));
    }
    {
        let drill = drill.clone();
        load.push(tokio::spawn(async move { drill.readiness_probe().await }));
    }
    assert!(
        eventually(Duration::from_secs(30), || async {
            drill.acknowledged_count() >= 20
        })
        .await,
        "orders flow before the drill"
    );

    let mut outages = Vec::new();
    for mode in ["fast", "immediate"] {
        outages.push(restart(&drill, &cluster, mode).await);
    }
    drill.stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }

    // After the outage: the kiosks get their QR codes, Mercado Pago re-delivers.
    let (awaiting_qr, awaiting_webhook) = {
        let mut journal = drill.journal.lock().unwrap();
        (
            std::mem::take(&mut journal.awaiting_qr),
            std::mem::take(&mut journal.awaiting_webhook),
        )
    };
    for order in awaiting_qr {
        let payment = drill
            .charge(&order)
            .await
            .expect("QR code after the outage");
        assert!(
            drill.notify(&order, &payment).await,
            "notification after the outage"
        );
    }
    for (order, payment) in awaiting_webhook {
        assert!(
            drill.notify(&order, &payment).await,
            "re-delivered notification"
        );
    }

    let journal = std::mem::take(&mut *drill.journal.lock().unwrap());
    let database = cluster_connection(&url).await;

    // No 500, no hang: everything that failed was a fast 503.
    for attempt in &journal.attempts {
        if !ok(attempt.status) {
            assert_eq!(
                attempt.status,
                Some(StatusCode::SERVICE_UNAVAILABLE),
                "{attempt:?}: a failure during the outage is a 503"
            );
            assert!(
                attempt.retry_after || attempt.route == "ready",
                "{attempt:?}: a 503 says when to retry"
            );
            assert!(attempt.elapsed < FAIL_FAST, "{attempt:?} did not fail fast");
        }
    }
    // Orders: exactly the acknowledged ones, plus those an in-doubt key replays.
    let stored: HashMap<String, String> = database
        .query("SELECT id::text, idempotency_key FROM orders", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get::<_, String>(1), row.get::<_, String>(0)))
        .collect();
    for (key, order) in &journal.acknowledged {
        assert_eq!(
            stored.get(key),
            Some(order),
            "acknowledged order {order} is stored"
        );
    }
    let mut in_doubt_committed = 0;
    for (key, order) in &stored {
        if journal.acknowledged.contains_key(key) {
            continue;
        }
        // Committed, but its 201 never reached the kiosk: the retry must answer it.
        in_doubt_committed += 1;
        let body = journal.sent.get(key).expect("sent by a kiosk");
        let replay = client
            .post(format!("{address}/v1/api/pedidos/"))
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), StatusCode::CREATED);
        assert_eq!(
            replay
                .headers()
                .get("idempotent-replayed")
                .map(|v| v.to_str().unwrap()),
            Some("true")
        );
        let replayed: Value = replay.json().await.unwrap();
        assert_eq!(replayed["id"].as_str(), Some(order.as_str()));
    }
    assert_eq!(
        stored.len(),
        journal.acknowledged.len() + in_doubt_committed,
        "no order outside the acknowledged and the replayable"
    );

    // Each order whole: lines, total, one creation row; the stock took exactly the lines.
    let broken: i64 = database
        .query_one(
            "SELECT count(*) FROM orders o WHERE \
               NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id) \
               OR o.total <> (SELECT sum(line_total) FROM order_items i WHERE i.order_id = o.id) \
               OR (SELECT count(*) FROM order_status_history h \
                    WHERE h.order_id = o.id AND h.from_status IS NULL) <> 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        broken, 0,
        "orders without lines, with a wrong total or history"
    );
    let stock_drift: i64 = database
        .query_one(
            "SELECT count(*) FROM products p WHERE p.stock_available + \
               coalesce((SELECT sum(quantity) FROM order_items i WHERE i.product_id = p.id), 0) \
               <> $1",
            &[&STOCK],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stock_drift, 0, "stock taken = quantities ordered");

    // Payments: every accepted approval made its order Pago, exactly once.
    for order in &journal.paid {
        let row = database
            .query_one(
                "SELECT o.status, (SELECT count(*) FROM order_status_history h \
                   WHERE h.order_id = o.id AND h.to_status = 'paid') \
                 FROM orders o WHERE o.id = $1::text::uuid",
                &[order],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, String>(0), "paid", "order {order}");
        assert_eq!(row.get::<_, i64>(1), 1, "order {order} paid once");
    }
    assert_eq!(
        journal.paid.len(),
        journal.acknowledged.len(),
        "every acknowledged order got paid"
    );

    let checkouts = journal
        .attempts
        .iter()
        .filter(|a| a.route == "checkout")
        .count();
    eprintln!(
        "database restart drill: {checkouts} checkouts sent, {} acknowledged, {} committed \
         with a lost answer (replayed), {} paid",
        journal.acknowledged.len(),
        in_doubt_committed,
        journal.paid.len()
    );
    for outage in &outages {
        eprintln!(
            "  pg_ctl -m {}: outage window {} ms ({} requests failed, all 503, slowest {} ms); \
             recovery after the server is back: first order in {} ms, /ready in {} ms",
            outage.mode,
            outage.window.as_millis(),
            outage.failed,
            outage.slowest_failure.as_millis(),
            outage.recovery.as_millis(),
            outage.ready_again.as_millis()
        );
    }
}

/// A plain connection to the drill's database, to look behind the API.
async fn cluster_connection(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}
