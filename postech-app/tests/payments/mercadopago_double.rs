//! A local HTTP double of Mercado Pago's Payments API (`/v1/payments`), an actix-web server
//! on a free port: the part of the real API the app uses, with Mercado Pago's JSON shapes,
//! bearer authentication and idempotency keys — plus controls for the tests (settle a
//! payment, change its amount, take the API down, fail the next calls, slow the charges
//! down) and a log of the requests it received. Like Mercado Pago, it refuses a Pix charge
//! expiring sooner than 30 minutes or later than 30 days ahead.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// One request the double received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub body: Value,
}

#[derive(Default)]
struct State {
    access_token: String,
    payments: HashMap<String, Value>,
    by_idempotency_key: HashMap<String, String>,
    next_id: u64,
    down: bool,
    failures_left: u32,
    throttled_left: u32,
    throttle_retry_after: u64,
    create_delay: std::time::Duration,
    answer_delay: std::time::Duration,
    received: Vec<Received>,
    /// Charge requests that reached the double, counted before any delay.
    charge_requests_arrived: usize,
}

/// The running double.
pub struct MercadoPagoDouble {
    pub base_url: String,
    /// The access token the app must present (drawn per double).
    pub access_token: String,
    state: Arc<Mutex<State>>,
}

impl MercadoPagoDouble {
    pub async fn start() -> MercadoPagoDouble {
        let access_token = format!("TEST-{}", uuid::Uuid::new_v4().simple());
        let state = Arc::new(Mutex::new(State {
            access_token: access_token.clone(),
            next_id: 90_000_000_001,
            ..State::default()
        }));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the double");
        let port = listener.local_addr().expect("address").port();
        let shared = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/v1/payments", web::post().to(create))
                .route("/v1/payments/{id}", web::get().to(fetch))
                .route("/v1/payments/{id}", web::put().to(update))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        // Runs until the test's runtime ends.
        tokio::spawn(server);
        MercadoPagoDouble {
            base_url: format!("http://127.0.0.1:{port}"),
            access_token,
            state,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("double state")
    }

    /// Sets a payment's status as if the payer (or Mercado Pago) acted.
    pub fn set_status(&self, id: &str, status: &str) {
        let mut state = self.state();
        let payment = state.payments.get_mut(id).expect("known payment");
        payment["status"] = json!(status);
    }

    /// Changes the amount Mercado Pago reports for a payment.
    pub fn set_amount(&self, id: &str, amount: f64) {
        let mut state = self.state();
        let payment = state.payments.get_mut(id).expect("known payment");
        payment["transaction_amount"] = json!(amount);
    }

    /// Changes the external reference Mercado Pago reports for a payment.
    pub fn set_external_reference(&self, id: &str, reference: &str) {
        let mut state = self.state();
        let payment = state.payments.get_mut(id).expect("known payment");
        payment["external_reference"] = json!(reference);
    }

    /// Every request answers 503 while down.
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    /// Charges take this long to be created (a slow Mercado Pago, under the app's timeout).
    pub fn set_create_delay(&self, delay: std::time::Duration) {
        self.state().create_delay = delay;
    }

    /// The next `count` requests answer 429 with `Retry-After: retry_after` (seconds).
    pub fn throttle_next(&self, count: u32, retry_after: u64) {
        let mut state = self.state();
        state.throttled_left = count;
        state.throttle_retry_after = retry_after;
    }

    /// Charges are created at once but answered this much later (the app has not heard of
    /// the charge yet while Mercado Pago already has it).
    pub fn set_answer_delay(&self, delay: std::time::Duration) {
        self.state().answer_delay = delay;
    }

    /// The next `count` requests answer 503, then the double recovers.
    pub fn fail_next(&self, count: u32) {
        self.state().failures_left = count;
    }

    /// A payment as the double holds it.
    pub fn payment(&self, id: &str) -> Value {
        self.state()
            .payments
            .get(id)
            .cloned()
            .expect("known payment")
    }

    /// How many charge requests reached the double, those still being delayed included.
    pub fn charge_requests_arrived(&self) -> usize {
        self.state().charge_requests_arrived
    }

    /// How many payments were created.
    pub fn payments_created(&self) -> usize {
        self.state().payments.len()
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state().received.clone()
    }
}

type Shared = web::Data<Arc<Mutex<State>>>;

/// Logs the request; answers 401 without the token, 503 when down or failing.
fn admit(state: &mut State, request: &HttpRequest, body: &[u8]) -> Option<HttpResponse> {
    state.received.push(Received {
        method: request.method().to_string(),
        path: request.path().to_owned(),
        idempotency_key: request
            .headers()
            .get("x-idempotency-key")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
    });
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        == Some(&format!("Bearer {}", state.access_token));
    if !authorized {
        return Some(
            HttpResponse::Unauthorized()
                .json(json!({"message": "invalid access token", "status": 401})),
        );
    }
    if state.down {
        return Some(HttpResponse::ServiceUnavailable().json(json!({"message": "down"})));
    }
    if state.failures_left > 0 {
        state.failures_left -= 1;
        return Some(HttpResponse::ServiceUnavailable().json(json!({"message": "try again"})));
    }
    if state.throttled_left > 0 {
        state.throttled_left -= 1;
        return Some(
            HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", state.throttle_retry_after.to_string()))
                .json(json!({"message": "too many requests", "status": 429})),
        );
    }
    None
}

async fn create(request: HttpRequest, state: Shared, body: web::Bytes) -> HttpResponse {
    let delay = {
        let mut state = state.lock().expect("double state");
        state.charge_requests_arrived += 1;
        state.create_delay
    };
    tokio::time::sleep(delay).await;
    let (payment, answer_delay) = {
        let mut state = state.lock().expect("double state");
        if let Some(refusal) = admit(&mut state, &request, &body) {
            return refusal;
        }
        let Ok(body) = serde_json::from_slice::<Value>(&body) else {
            return HttpResponse::BadRequest().json(json!({"message": "invalid json"}));
        };
        let Some(key) = state
            .received
            .last()
            .and_then(|last| last.idempotency_key.clone())
        else {
            return HttpResponse::BadRequest()
                .json(json!({"message": "X-Idempotency-Key required"}));
        };
        if body["payment_method_id"] != "pix" || body["payer"]["email"].as_str().is_none() {
            return HttpResponse::BadRequest().json(json!({"message": "pix needs payer.email"}));
        }
        if !is_allowed_pix_expiration(&body["date_of_expiration"]) {
            return HttpResponse::BadRequest().json(json!({
                "message": "date_of_expiration must be between 30 minutes and 30 days from now",
                "status": 400,
            }));
        }
        if let Some(id) = state.by_idempotency_key.get(&key) {
            let existing = state.payments[id].clone();
            return HttpResponse::Ok().json(existing);
        }
        let id = state.next_id.to_string();
        state.next_id += 1;
        let payment = json!({
            "id": id.parse::<u64>().expect("numeric id"),
            "status": "pending",
            "status_detail": "pending_waiting_transfer",
            "payment_method_id": "pix",
            "external_reference": body["external_reference"],
            "transaction_amount": body["transaction_amount"],
            "date_of_expiration": body["date_of_expiration"],
            "description": body["description"],
            "point_of_interaction": {
                "type": "PIX",
                "transaction_data": {
                    "qr_code": format!("00020101021226830014br.gov.bcb.pix2561qr.double.invalid/{id}5204000053039865802BR5913DOUBLE6009SAO PAULO62070503***6304ABCD"),
                    "qr_code_base64": "iVBORw0KGgo=",
                    "ticket_url": format!("https://double.invalid/payments/{id}/ticket"),
                }
            }
        });
        state.by_idempotency_key.insert(key, id.clone());
        state.payments.insert(id, payment.clone());
        (payment, state.answer_delay)
    };
    tokio::time::sleep(answer_delay).await;
    HttpResponse::Created().json(payment)
}

/// Mercado Pago accepts a Pix `date_of_expiration` from 30 minutes to 30 days ahead.
fn is_allowed_pix_expiration(value: &Value) -> bool {
    let Some(date) = value
        .as_str()
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
    else {
        return false;
    };
    let ahead = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    ahead >= chrono::TimeDelta::minutes(30) && ahead <= chrono::TimeDelta::days(30)
}

async fn fetch(request: HttpRequest, state: Shared, id: web::Path<String>) -> HttpResponse {
    let mut state = state.lock().expect("double state");
    if let Some(refusal) = admit(&mut state, &request, &[]) {
        return refusal;
    }
    match state.payments.get(id.as_str()) {
        Some(payment) => HttpResponse::Ok().json(payment),
        None => {
            HttpResponse::NotFound().json(json!({"message": "Payment not found", "status": 404}))
        }
    }
}

async fn update(
    request: HttpRequest,
    state: Shared,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let mut state = state.lock().expect("double state");
    if let Some(refusal) = admit(&mut state, &request, &body) {
        return refusal;
    }
    let asked: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(payment) = state.payments.get_mut(id.as_str()) else {
        return HttpResponse::NotFound().json(json!({"message": "Payment not found"}));
    };
    if asked["status"] != "cancelled" {
        return HttpResponse::BadRequest()
            .json(json!({"message": "only cancelled is accepted", "cause": [{"code": 2016}]}));
    }
    if payment["status"] != "pending" {
        return HttpResponse::BadRequest().json(json!({"message": "The action requested is not valid for the current payment state", "cause": [{"code": 2018}]}));
    }
    payment["status"] = json!("cancelled");
    HttpResponse::Ok().json(payment.clone())
}
