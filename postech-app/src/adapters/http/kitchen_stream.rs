//! The kitchen event stream: `GET /v1/api/admin/pedidos/eventos`, server-sent events of the
//! kitchen queue for staff — every order creation and status change, from every app pod.
//!
//! Each stream is one task: it subscribes to the database notifications of
//! `order_status_history` (one `LISTEN` connection per process, [`PgListener`]) *before* its
//! first read, then re-reads the event log from its cursor at each notification (a burst is
//! read once), at each sign that notifications were missed, and on a timer while the
//! listening connection is down. Frames wait in a buffer bounded in bytes; a client that
//! does not read is dropped with the reason. See docs/kitchen-stream.md.

mod buffer;
pub mod frames;

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use postech_database::kitchen::KITCHEN_EVENTS_CHANNEL;
use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use utoipa_actix_web::service_config::ServiceConfig;

use self::buffer::{FrameSender, PushError};
use self::frames::CloseReason;
use crate::adapters::http::auth::AdminSession;
use crate::adapters::http::error::{ApiError, ErrorBody};
use crate::adapters::postgres::kitchen_events::{EventCursor, KitchenEventLog, KitchenRead};
use crate::adapters::postgres::listener::{ChannelSubscription, PgListener};
use crate::application::error::{ErrorChain, UseCaseError};
use crate::configuration::kitchen_stream::KitchenStreamSettings;

/// What the stream route needs, shared by every worker.
pub struct KitchenStream {
    log: KitchenEventLog,
    listener: PgListener,
    settings: KitchenStreamSettings,
    metrics: StreamMetrics,
    shutdown: watch::Receiver<bool>,
}

impl KitchenStream {
    /// The stream over `log` and `listener`; `shutdown` turning true closes every stream
    /// (`desligando`), so that a graceful stop does not wait for them.
    pub fn new(
        log: KitchenEventLog,
        listener: PgListener,
        settings: KitchenStreamSettings,
        registry: &Registry,
        shutdown: watch::Receiver<bool>,
    ) -> Result<Self, prometheus::Error> {
        Ok(Self {
            log,
            listener,
            settings,
            metrics: StreamMetrics::register(registry)?,
            shutdown,
        })
    }
}

/// `kitchen_stream_clients` and `kitchen_stream_closed_total{reason}`.
#[derive(Clone)]
struct StreamMetrics {
    clients: IntGauge,
    closed: IntCounterVec,
}

impl StreamMetrics {
    fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let clients = IntGauge::new(
            "kitchen_stream_clients",
            "Kitchen event streams open on this process.",
        )?;
        let closed = IntCounterVec::new(
            Opts::new(
                "kitchen_stream_closed_total",
                "Kitchen event streams ended, by reason (client_gone, slow_client, \
                 token_expired, max_duration, shutdown).",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(clients.clone()))?;
        registry.register(Box::new(closed.clone()))?;
        Ok(Self { clients, closed })
    }
}

/// Counts a stream for as long as its task lives.
struct OpenStream(StreamMetrics);

impl OpenStream {
    fn new(metrics: &StreamMetrics) -> Self {
        metrics.clients.inc();
        Self(metrics.clone())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.clients.dec();
    }
}

/// The kitchen queue as server-sent events (admin token).
///
/// Opens with a `fila` event (the whole queue) unless `Last-Event-ID` names a point this
/// stream can resume from: then only the changes committed since follow, as `pedido` events
/// — none missed, even when transactions commit out of order. Browsers' `EventSource` cannot
/// send the `Authorization` header: read the stream with `fetch` (the kitchen page does).
/// Ends with an `encerrado` event: reconnect with the last event id received.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received, to resume after a reconnect. Unknown or unusable ids start over with a `fila` event."),
    ),
    responses(
        (status = 200, description = "`text/event-stream`. Events: `fila` (data: QueueEventBody, with `id`), `pedido` (data: ChangeEventBody; the last one of a read carries the `id`), `encerrado` (data: ClosedEventBody), comments `: ping` while idle. See docs/kitchen-stream.md.", content_type = "text/event-stream", body = String),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 503, description = "The database is unreachable", body = ErrorBody),
    )
)]
#[get("/v1/api/admin/pedidos/eventos")]
async fn kitchen_events(
    admin: AdminSession,
    kitchen: web::Data<KitchenStream>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let since = request
        .headers()
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| EventCursor::parse(text.trim()).ok());
    // Listening before the first read: whatever commits after that read is notified.
    let subscription = kitchen
        .listener
        .subscribe(KITCHEN_EVENTS_CHANNEL)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "kitchen stream: cannot subscribe");
            ApiError::Unavailable("Serviço indisponível; tente novamente".to_owned())
        })?;
    let first = kitchen
        .log
        .read(since.as_ref())
        .await
        .map_err(|error| ApiError::from(UseCaseError::Port(error)))?;
    let (sender, body) = buffer::bounded(kitchen.settings.buffer_bytes);
    let cursor = cursor_of(&first).clone();
    // One frame, so that a large first queue is let through whatever the limit.
    let mut opening = frames::preamble().to_vec();
    for frame in frames::read_frames(first) {
        opening.extend_from_slice(&frame);
    }
    if sender.push(Bytes::from(opening)).is_err() {
        return Err(ApiError::Internal(
            "a new stream refused its first frame".into(),
        ));
    }
    let remaining = (admin.expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    let (deadline, deadline_reason) = if remaining < kitchen.settings.max_duration {
        (Instant::now() + remaining, CloseReason::TokenExpired)
    } else {
        (
            Instant::now() + kitchen.settings.max_duration,
            CloseReason::MaxDuration,
        )
    };
    // Counted before the response head leaves, so a client that sees 200 also sees itself in
    // `kitchen_stream_clients`.
    let open = OpenStream::new(&kitchen.metrics);
    actix_web::rt::spawn(serve(
        kitchen.into_inner(),
        open,
        Session {
            sender,
            subscription,
            cursor,
            deadline,
            deadline_reason,
        },
    ));
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx and similar proxies would otherwise hold the events back.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

fn cursor_of(read: &KitchenRead) -> &EventCursor {
    match read {
        KitchenRead::Queue { cursor, .. } | KitchenRead::Changes { cursor, .. } => cursor,
    }
}

/// One client's stream.
struct Session {
    sender: FrameSender,
    subscription: ChannelSubscription,
    cursor: EventCursor,
    deadline: Instant,
    deadline_reason: CloseReason,
}

/// How a session ended.
enum End {
    Closed(CloseReason),
    ClientGone,
}

impl From<PushError> for End {
    fn from(error: PushError) -> Self {
        match error {
            PushError::Full => End::Closed(CloseReason::SlowClient),
            PushError::Gone => End::ClientGone,
        }
    }
}

async fn serve(kitchen: std::sync::Arc<KitchenStream>, open: OpenStream, mut session: Session) {
    let end = run(&kitchen, &mut session).await;
    // No longer counted as open before it is counted as closed: a reader of both series never
    // sees the stream in both.
    drop(open);
    let label = match end {
        End::Closed(reason) => reason.label(),
        End::ClientGone => "client_gone",
    };
    kitchen.metrics.closed.with_label_values(&[label]).inc();
    if let End::Closed(reason) = end {
        if reason == CloseReason::SlowClient {
            tracing::warn!(
                limit_bytes = kitchen.settings.buffer_bytes,
                "kitchen stream: client dropped, it did not read its events"
            );
        }
        session
            .sender
            .close(frames::closed(reason), reason == CloseReason::SlowClient);
    }
}

async fn run(kitchen: &KitchenStream, session: &mut Session) -> End {
    let settings = &kitchen.settings;
    let mut heartbeat =
        tokio::time::interval_at(Instant::now() + settings.heartbeat, settings.heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut poll = tokio::time::interval_at(
        Instant::now() + settings.poll_interval,
        settings.poll_interval,
    );
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut shutdown = kitchen.shutdown.clone();
    // A read failed (database unreachable): read again at the next poll tick.
    let mut stale = false;
    loop {
        let read_now = tokio::select! {
            event = session.subscription.recv() => match event {
                None => return End::Closed(CloseReason::ShuttingDown),
                Some(_) => {
                    // A burst of notifications (or of missed-notification signals) is one read.
                    while session.subscription.try_recv().is_some() {}
                    true
                }
            },
            _ = heartbeat.tick() => {
                if let Err(error) = session.sender.push(frames::heartbeat()) {
                    return error.into();
                }
                false
            }
            _ = poll.tick(), if stale || !kitchen.listener.state().connected => true,
            () = tokio::time::sleep_until(session.deadline) => {
                return End::Closed(session.deadline_reason);
            }
            _ = shutdown.wait_for(|stopping| *stopping) => {
                return End::Closed(CloseReason::ShuttingDown);
            }
            () = session.sender.consumer_gone() => return End::ClientGone,
        };
        if !read_now {
            continue;
        }
        match kitchen.log.read(Some(&session.cursor)).await {
            Ok(read) => {
                stale = false;
                session.cursor = cursor_of(&read).clone();
                let frames = frames::read_frames(read);
                if !frames.is_empty() {
                    heartbeat.reset();
                }
                for frame in frames {
                    if let Err(error) = session.sender.push(frame) {
                        return error.into();
                    }
                }
            }
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), "kitchen stream: cannot read the event log; retrying");
                stale = true;
            }
        }
    }
}

/// Registers the stream route (before `/v1/api/admin/pedidos/{order_id}`).
pub fn routes(config: &mut ServiceConfig) {
    config.service(kitchen_events);
}
