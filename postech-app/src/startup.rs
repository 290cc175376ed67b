//! Wiring: settings → pool, adapters, use cases → an actix server on a bound listener.
//! `Application::build` binds first (port 0 allowed) and exposes the port, so tests start the
//! real app on a free port and talk HTTP to it.

mod kitchen;
mod payments;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, web};
use futures_util::FutureExt;
use postech_database::kitchen::KITCHEN_EVENTS_CHANNEL;
use postech_shared_sdk::cognito::{AdminStatusCache, CognitoClient};
use secrecy::ExposeSecret;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::adapters::cognito::CognitoIdentities;
use crate::adapters::http::extract::{path_config, payload_config, query_config};
use crate::adapters::http::menu_cache::MenuCache;
use crate::adapters::http::metrics::{HttpMetrics, RecordMetrics};
use crate::adapters::http::openapi::ApiDoc;
use crate::adapters::http::pages::Pages;
use crate::adapters::http::prepared_cache::{CacheSpec, PreparedCache};
use crate::adapters::http::request_id::AssignRequestId;
use crate::adapters::http::state::AppState;
use crate::adapters::http::trailing_slash::TrimTrailingSlash;
use crate::adapters::http::{not_found, routes};
use crate::adapters::order_metrics::OrderMetrics;
use crate::adapters::payment_expiry;
use crate::adapters::postgres::listener::{OpenConnection, PgListener};
use crate::adapters::postgres::{
    EstablishConnection, PgConnector, PgPool, ReadPools, connection_pool,
};
use crate::adapters::registration_reconciler;
use crate::adapters::ses_mailer::SesMailer;
use crate::application::catalog::Catalog;
use crate::application::checkout::Checkout;
use crate::application::customers::{Customers, VerificationMailer};
use crate::application::error::Cause;
use crate::application::orders::Orders;
use crate::configuration::database_reader::DatabaseReaderSettings;
use crate::configuration::registration::MailChannel;
use crate::configuration::{DatabaseSettings, Settings};

/// Swagger UI's page and assets, all under `/docs/`.
const SWAGGER_UI_ASSETS: &str = "/docs/{_:.*}";
/// The address the contract and the `make run` banner give for Swagger UI.
const SWAGGER_UI_ENTRY: &str = "/docs";

/// `/docs` → `/docs/`: the page loads its assets by relative URLs (`./swagger-ui.css`), which
/// only resolve under the slash, so it is redirected rather than served without one.
async fn redirect_to_swagger_ui() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The listener could not be bound.
    #[error("cannot listen on {address}")]
    Bind {
        /// Host and port asked for.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server could not be created on the listener.
    #[error("cannot start the HTTP server")]
    Server(#[source] std::io::Error),
    /// Something else in the wiring.
    #[error("cannot wire the app")]
    Setup(#[source] Cause),
}

/// A running (not yet awaited) app.
pub struct Application {
    port: u16,
    server: Server,
    /// Expires unpaid charges while the server runs.
    payment_expiry: tokio::task::JoinHandle<()>,
    /// Repairs half-finished customer registrations while the server runs.
    registration_reconciler: tokio::task::JoinHandle<()>,
    /// The database notifications of the kitchen stream and the menu cache.
    notifications: PgListener,
}

impl Application {
    /// Binds the listener, builds the pool and the use cases, and starts the server.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let address = format!("{}:{}", settings.http.host, settings.http.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?
            .port();
        let pool = database_pool(&settings.database)?;
        let cognito = CognitoClient::new(
            &settings.aws,
            settings.cognito.user_pool_id.clone(),
            settings.cognito.app_client_id.clone(),
        );
        let admin_directory = cognito.clone();
        let metrics = HttpMetrics::new().map_err(|error| StartupError::Setup(error.into()))?;
        metrics
            .registry()
            .register(Box::new(
                pool.collector()
                    .map_err(|error| StartupError::Setup(error.into()))?,
            ))
            .map_err(|error| StartupError::Setup(error.into()))?;
        let order_metrics = OrderMetrics::register(metrics.registry())
            .map_err(|error| StartupError::Setup(error.into()))?;
        let payments = payments::payments(
            &settings.payments,
            pool.clone(),
            metrics.registry(),
            order_metrics.clone(),
        )?;
        let (kitchen, notifications) = kitchen::kitchen_stream(
            &settings.kitchen_stream,
            pool.clone(),
            connection_opener(&settings.database),
            metrics.registry(),
        )?;
        let reads = read_pools(
            pool.clone(),
            &settings.database,
            settings.database_reader.as_ref(),
            metrics.registry(),
        )?;
        let catalog = Catalog::new(reads.clone());
        let menu = MenuCache::start(
            catalog.clone(),
            notifications.clone(),
            settings.http.menu_cache_max_age,
            metrics.registry(),
        )
        .map_err(|error| StartupError::Setup(error.into()))?;
        let kitchen_pages = PreparedCache::start(
            CacheSpec {
                name: "kitchen_cache",
                holds: "the kitchen list's pages",
                channel: KITCHEN_EVENTS_CHANNEL,
                max_age: settings.http.kitchen_cache_max_age,
                // A display asks for one or two page shapes; staff tools for a few more.
                max_keys: 16,
            },
            notifications.clone(),
            metrics.registry(),
        )
        .map_err(|error| StartupError::Setup(error.into()))?;
        let kitchen = web::Data::new(kitchen);
        let pages = web::Data::new(Pages::new(&settings.pages));
        let payment_expiry =
            payment_expiry::spawn(payments.clone(), settings.payments.sweep_interval);
        let customers = Customers::new(
            pool.clone(),
            CognitoIdentities::new(cognito),
            verification_mailer(&settings),
            settings.registration.policy.clone(),
        );
        let registration_reconciler = registration_reconciler::spawn(
            customers.clone(),
            settings.registration.reconcile_interval,
        );
        let state = web::Data::new(AppState {
            catalog,
            menu,
            kitchen_pages,
            customers,
            checkout: Checkout::new(pool.clone(), order_metrics.clone()),
            orders: Orders::new(reads.clone(), payments.clone(), order_metrics),
            payments,
            pool,
            reads,
            metrics,
        });
        // Shared by every worker, so one re-read after a key rotation serves them all.
        let verification_keys = web::Data::from(Arc::clone(&settings.auth.verification_keys));
        // One cache for every worker: a disabled admin is refused by all within its TTL.
        let admin_status = web::Data::new(AdminStatusCache::new(
            admin_directory,
            settings.auth.admin_status_ttl,
        ));
        let server = HttpServer::new(move || {
            let (app, api) = App::new()
                .into_utoipa_app()
                .openapi(ApiDoc::openapi())
                .app_data(state.clone())
                .app_data(kitchen.clone())
                .app_data(pages.clone())
                .app_data(verification_keys.clone())
                .app_data(admin_status.clone())
                .app_data(path_config())
                .app_data(query_config())
                .app_data(payload_config())
                .configure(routes)
                .split_for_parts();
            app.service(SwaggerUi::new(SWAGGER_UI_ASSETS).url("/openapi.json", api))
                .configure(crate::adapters::http::pages::routes)
                .route(SWAGGER_UI_ENTRY, web::get().to(redirect_to_swagger_ui))
                .default_service(web::to(not_found))
                .wrap(RecordMetrics(state.metrics.clone()))
                .wrap(AssignRequestId)
                // Outermost: the request span and the metrics see the trimmed path's route.
                .wrap(TrimTrailingSlash)
        })
        .workers(settings.http.workers)
        .shutdown_timeout(settings.http.shutdown_timeout.as_secs())
        .listen(listener)
        .map_err(StartupError::Server)?
        .run();
        Ok(Self {
            port,
            server,
            payment_expiry,
            registration_reconciler,
            notifications,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server (tests; SIGTERM is handled by actix itself).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped; on SIGTERM, stops accepting and lets in-flight requests finish
    /// within the shutdown timeout.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.payment_expiry.abort();
        self.registration_reconciler.abort();
        self.notifications.stop();
        served
    }
}

/// The channel of the registration codes: SES in a deployed stage, the local double otherwise.
fn verification_mailer(settings: &Settings) -> Arc<dyn VerificationMailer> {
    match &settings.registration.mailer {
        MailChannel::Ses(sender) => Arc::new(SesMailer::new(&settings.aws, sender.clone())),
        MailChannel::LocalOutbox(outbox) => Arc::new(outbox.clone()),
    }
}

/// The pool; each new connection reads the current credentials, so a rotated password in
/// Secrets Manager is picked up without a restart, and is secured as `sslmode` asks.
pub fn database_pool(settings: &DatabaseSettings) -> Result<PgPool, StartupError> {
    let open = connection_opener(settings);
    let establish: EstablishConnection = Box::new(move |_url| open());
    connection_pool(settings.pool_size, settings.acquire_timeout, establish)
        .map_err(|error| StartupError::Setup(error.into()))
}

/// The pools of the read-only routes: the writer's, and the replica's when one is configured
/// (its connections opened lazily, like the writer's: a replica down at start-up only sends
/// the reads to the writer until it answers).
pub fn read_pools(
    writer: PgPool,
    writer_settings: &DatabaseSettings,
    reader: Option<&DatabaseReaderSettings>,
    registry: &prometheus::Registry,
) -> Result<ReadPools, StartupError> {
    let Some(reader) = reader else {
        return ReadPools::writer_only(writer, registry)
            .map_err(|error| StartupError::Setup(error.into()));
    };
    let writer_secret = writer_settings.connection.clone();
    let connector = PgConnector::new(writer_settings.tls.clone());
    let reader_settings = reader.clone();
    let establish: EstablishConnection = Box::new(move |_url| {
        let writer_secret = writer_secret.clone();
        let connector = connector.clone();
        let reader_settings = reader_settings.clone();
        async move {
            let credentials =
                reader_settings
                    .credentials(&writer_secret)
                    .await
                    .map_err(|error| {
                        diesel::ConnectionError::BadConnection(format!("database secret: {error}"))
                    })?;
            connector
                .connect(credentials.connection_url().expose_secret())
                .await
        }
        .boxed()
    });
    let replica = connection_pool(reader.pool_size, reader.acquire_timeout, establish)
        .map_err(|error| StartupError::Setup(error.into()))?;
    ReadPools::with_replica(
        writer,
        replica,
        reader.max_lag,
        reader.lag_check_interval,
        registry,
    )
    .map_err(|error| StartupError::Setup(error.into()))
}

/// Opens one connection as the pool does: the current credentials, secured as `sslmode`
/// asks (also the kitchen stream's `LISTEN` connection).
pub fn connection_opener(settings: &DatabaseSettings) -> OpenConnection {
    let secret = settings.connection.clone();
    let connector = PgConnector::new(settings.tls.clone());
    Arc::new(move || {
        let secret = secret.clone();
        let connector = connector.clone();
        async move {
            let credentials = secret.get().await.map_err(|error| {
                diesel::ConnectionError::BadConnection(format!("database secret: {error}"))
            })?;
            connector
                .connect(credentials.connection_url().expose_secret())
                .await
        }
        .boxed()
    })
}
