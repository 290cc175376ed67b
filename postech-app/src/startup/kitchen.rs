//! Wiring of the kitchen event stream: the process's `LISTEN` connection (opened like the
//! pool's connections), the event log, and the signal that closes every stream when the
//! process is asked to stop.

use prometheus::Registry;
use tokio::sync::watch;

use super::StartupError;
use crate::adapters::http::kitchen_stream::KitchenStream;
use crate::adapters::postgres::PgPool;
use crate::adapters::postgres::kitchen_events::KitchenEventLog;
use crate::adapters::postgres::listener::{ListenerSettings, OpenConnection, PgListener};
use crate::application::error::because;
use crate::configuration::kitchen_stream::KitchenStreamSettings;

/// The stream's shared state, and the listener (kept by the application so that its task
/// stops with it).
pub fn kitchen_stream(
    settings: &KitchenStreamSettings,
    pool: PgPool,
    open: OpenConnection,
    registry: &Registry,
) -> Result<(KitchenStream, PgListener), StartupError> {
    let listener = PgListener::start(open, ListenerSettings::default());
    let stream = KitchenStream::new(
        KitchenEventLog::new(pool, settings.max_changes),
        listener.clone(),
        settings.clone(),
        registry,
        termination_requested(),
    )
    .map_err(|error| StartupError::Setup(because("kitchen stream metrics", error)))?;
    Ok((stream, listener))
}

/// Turns true on SIGTERM or Ctrl-C, which actix also receives: open streams end at once
/// (`desligando`) instead of holding the graceful stop for its whole timeout.
fn termination_requested() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        if wait_for_termination().await {
            let _ = sender.send(true);
        }
        // Keeps the sender (and so every stream) alive when no signal can be watched.
        std::future::pending::<()>().await;
    });
    receiver
}

#[cfg(unix)]
async fn wait_for_termination() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        tracing::warn!("cannot watch SIGTERM: kitchen streams will end with the shutdown timeout");
        return false;
    };
    tokio::select! {
        _ = terminate.recv() => true,
        result = tokio::signal::ctrl_c() => result.is_ok(),
    }
}

#[cfg(not(unix))]
async fn wait_for_termination() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}
