//! PostgreSQL `LISTEN` for the whole process: one dedicated connection, re-opened with
//! backoff when it breaks, its notifications fanned out per channel to any number of
//! subscribers.
//!
//! A notification is a hint that something changed, never the change itself: a subscriber
//! reacts by re-reading the state from the tables. Notifications sent while the connection is
//! down are lost for good (PostgreSQL keeps them only for sessions listening at commit time),
//! so subscribers are told when they may have missed some — [`ChannelEvent::MayHaveMissed`] —
//! and must then re-read everything they care about. A cache can do the same through
//! [`PgListener::state`]: an entry filled under one [`ListenerState::epoch`] is only
//! trustworthy while the listener is still connected in that same epoch.
//!
//! ```no_run
//! # async fn example(listener: postech_app::adapters::postgres::listener::PgListener) {
//! use postech_app::adapters::postgres::listener::ChannelEvent;
//!
//! let mut menu_changes = listener.subscribe("postech_menu").await.expect("a valid channel name");
//! while let Some(event) = menu_changes.recv().await {
//!     match event {
//!         // Another pod (or this one) changed the menu: drop the cached copy.
//!         ChannelEvent::Notification(_payload) => {}
//!         // The connection dropped, came back, or this subscriber fell behind: some
//!         // notifications may be gone, so drop the cached copy as well.
//!         ChannelEvent::MayHaveMissed(_why) => {}
//!     }
//! }
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::ConnectionResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// How long [`PgListener::subscribe`] waits for the channel to be listened to.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(5);

/// Opens one new connection to the database (the same credentials and TLS as the pool's).
pub type OpenConnection =
    Arc<dyn Fn() -> BoxFuture<'static, ConnectionResult<AsyncPgConnection>> + Send + Sync>;

/// How the listening connection is kept alive.
#[derive(Clone, Debug)]
pub struct ListenerSettings {
    /// First wait before re-opening a broken connection; doubled after each failure.
    pub reconnect_min: Duration,
    /// The longest wait between two attempts.
    pub reconnect_max: Duration,
    /// How often an idle connection is checked with `SELECT 1`, so that a connection the
    /// network silently dropped is noticed (a listening connection otherwise only reads).
    pub ping_interval: Duration,
    /// How long that check may take before the connection is given up.
    pub ping_timeout: Duration,
    /// Events buffered per channel for a subscriber that is not reading; past it, the
    /// subscriber gets [`MissReason::Lagged`] instead of the oldest events.
    pub channel_capacity: usize,
}

impl Default for ListenerSettings {
    fn default() -> Self {
        Self {
            reconnect_min: Duration::from_millis(250),
            reconnect_max: Duration::from_secs(10),
            ping_interval: Duration::from_secs(30),
            ping_timeout: Duration::from_secs(10),
            channel_capacity: 64,
        }
    }
}

/// Whether notifications are being received, and since which connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerState {
    /// Listening on every subscribed channel right now.
    pub connected: bool,
    /// How many times the connection has been established with all its channels listened
    /// to; 0 before the first time. A change means notifications may have been missed
    /// between the two epochs.
    pub epoch: u64,
}

/// What a subscriber of one channel receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelEvent {
    /// A `NOTIFY` on the channel, with its payload (often empty).
    Notification(String),
    /// Notifications of the channel may have been lost: re-read the state.
    MayHaveMissed(MissReason),
}

/// Why notifications may have been missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissReason {
    /// The listening connection broke; it is being re-opened. Until
    /// [`MissReason::Reconnected`], nothing is heard: poll if freshness matters.
    ConnectionLost,
    /// Listening again after a connection was (re-)established, as of this epoch.
    Reconnected {
        /// The new [`ListenerState::epoch`].
        epoch: u64,
    },
    /// This subscriber did not read in time and this many events were dropped for it.
    Lagged(u64),
}

/// Why a subscription was refused.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Channel names are written into `LISTEN` as identifiers: lower-case ASCII letters,
    /// digits and `_`, starting with a letter or `_`, at most 63 bytes.
    #[error("invalid channel name {0:?}: use [a-z_][a-z0-9_]*, at most 63 bytes")]
    InvalidChannel(String),
    /// The listener task has stopped (the process is shutting down).
    #[error("the notification listener has stopped")]
    Stopped,
}

/// The receiving end of one channel; see [`PgListener::subscribe`].
pub struct ChannelSubscription {
    receiver: broadcast::Receiver<ChannelEvent>,
}

impl ChannelSubscription {
    /// The next event; `None` once the listener has stopped.
    pub async fn recv(&mut self) -> Option<ChannelEvent> {
        match self.receiver.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                Some(ChannelEvent::MayHaveMissed(MissReason::Lagged(missed)))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// An event already waiting, without waiting for one: lets a subscriber fold a burst of
    /// notifications into one re-read.
    pub fn try_recv(&mut self) -> Option<ChannelEvent> {
        match self.receiver.try_recv() {
            Ok(event) => Some(event),
            Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                Some(ChannelEvent::MayHaveMissed(MissReason::Lagged(missed)))
            }
            Err(_) => None,
        }
    }
}

/// A request to the listening task: add a channel, answer once it is listened to (or
/// registered for the next connection when there is none).
struct ListenRequest {
    channel: String,
    done: oneshot::Sender<()>,
}

type Channels = Arc<Mutex<HashMap<String, broadcast::Sender<ChannelEvent>>>>;

/// The process's listening connection. Cheap to clone; the task stops when the last clone
/// is dropped or [`PgListener::stop`] is called.
#[derive(Clone)]
pub struct PgListener {
    channels: Channels,
    requests: mpsc::Sender<ListenRequest>,
    state: watch::Receiver<ListenerState>,
    task: Arc<TaskGuard>,
    capacity: usize,
}

/// Aborts the listening task with the last handle.
struct TaskGuard(JoinHandle<()>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl PgListener {
    /// Starts the listening task (on the current tokio runtime). It connects at once and
    /// keeps reconnecting with backoff; subscriptions can be taken before it is connected.
    pub fn start(open: OpenConnection, settings: ListenerSettings) -> Self {
        let channels: Channels = Arc::default();
        let (requests, request_receiver) = mpsc::channel(16);
        let (state_sender, state) = watch::channel(ListenerState {
            connected: false,
            epoch: 0,
        });
        let capacity = settings.channel_capacity.max(1);
        let task = tokio::spawn(
            ListeningTask {
                open,
                settings,
                channels: Arc::clone(&channels),
                requests: request_receiver,
                state: state_sender,
            }
            .run(),
        );
        Self {
            channels,
            requests,
            state,
            task: Arc::new(TaskGuard(task)),
            capacity,
        }
    }

    /// Subscribes to `channel`. When this returns while [`PgListener::state`] says
    /// connected, the channel is listened to: anything committed from now on is notified.
    /// Otherwise a [`MissReason::Reconnected`] event follows once it is.
    pub async fn subscribe(&self, channel: &str) -> Result<ChannelSubscription, ListenError> {
        if !is_channel_name(channel) {
            return Err(ListenError::InvalidChannel(channel.to_owned()));
        }
        let receiver = {
            let mut channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
            channels
                .entry(channel.to_owned())
                .or_insert_with(|| broadcast::channel(self.capacity).0)
                .subscribe()
        };
        // Asked each time (LISTEN is idempotent): the subscriber must not return before the
        // channel is listened to, even when another subscriber's request is still running.
        let (done, listened) = oneshot::channel();
        self.requests
            .send(ListenRequest {
                channel: channel.to_owned(),
                done,
            })
            .await
            .map_err(|_| ListenError::Stopped)?;
        // The task answers at once, unless it is busy opening a connection (a database that
        // does not answer can hold a connection attempt for minutes): then the subscription
        // is returned without waiting — the listener is not connected, and a `Reconnected`
        // event follows once it is.
        if let Ok(Err(_)) = tokio::time::timeout(SUBSCRIBE_WAIT, listened).await {
            return Err(ListenError::Stopped);
        }
        Ok(ChannelSubscription { receiver })
    }

    /// Whether notifications are being received right now, and the connection's epoch.
    pub fn state(&self) -> ListenerState {
        *self.state.borrow()
    }

    /// The state as it changes (for a task that waits for the connection to come back).
    pub fn watch_state(&self) -> watch::Receiver<ListenerState> {
        self.state.clone()
    }

    /// Stops the task now (subscribers then receive `None`).
    pub fn stop(&self) {
        self.task.0.abort();
        self.channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// `LISTEN` takes an identifier; only plain lower-case names are accepted so that no quoting
/// or case folding is ever involved.
fn is_channel_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'_'))
        && bytes.all(|byte| matches!(byte, b'a'..=b'z' | b'0'..=b'9' | b'_'))
        && name.len() <= 63
}

struct ListeningTask {
    open: OpenConnection,
    settings: ListenerSettings,
    channels: Channels,
    requests: mpsc::Receiver<ListenRequest>,
    state: watch::Sender<ListenerState>,
}

/// Why a listening session ended.
enum SessionEnd {
    /// The connection failed; open another.
    Lost(String),
    /// Every handle was dropped: stop.
    Stopped,
}

impl ListeningTask {
    async fn run(mut self) {
        let mut backoff = self.settings.reconnect_min;
        let mut epoch = 0;
        loop {
            match self.connect().await {
                Ok(mut connection) => {
                    epoch += 1;
                    backoff = self.settings.reconnect_min;
                    self.state.send_replace(ListenerState {
                        connected: true,
                        epoch,
                    });
                    tracing::info!(epoch, "listening for database notifications");
                    self.broadcast(MissReason::Reconnected { epoch });
                    let end = self.serve(&mut connection).await;
                    self.state.send_replace(ListenerState {
                        connected: false,
                        epoch,
                    });
                    match end {
                        SessionEnd::Stopped => return,
                        SessionEnd::Lost(cause) => {
                            tracing::warn!(%cause, "database notification connection lost");
                            self.broadcast(MissReason::ConnectionLost);
                        }
                    }
                }
                Err(cause) => {
                    tracing::warn!(%cause, retry_in_ms = backoff.as_millis(), "cannot open the database notification connection");
                }
            }
            // Subscription requests made while disconnected are answered at once: the
            // channel is registered and will be listened to by the next connection.
            let wait = tokio::time::sleep(backoff);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    () = &mut wait => break,
                    request = self.requests.recv() => match request {
                        Some(request) => { let _ = request.done.send(()); }
                        None => return,
                    },
                }
            }
            backoff = (backoff * 2).min(self.settings.reconnect_max);
        }
    }

    /// A new connection listening on every registered channel.
    async fn connect(&self) -> Result<AsyncPgConnection, String> {
        let mut connection = (self.open)().await.map_err(|error| error.to_string())?;
        let names: Vec<String> = self
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        for name in names {
            listen(&mut connection, &name).await?;
        }
        Ok(connection)
    }

    async fn serve(&mut self, connection: &mut AsyncPgConnection) -> SessionEnd {
        enum Next {
            Notification(Option<diesel::QueryResult<diesel::pg::PgNotification>>),
            Request(Option<ListenRequest>),
            Ping,
        }
        loop {
            // The notification stream borrows the connection; it is re-created after each
            // event (its receiver lives in the connection, so nothing is lost in between)
            // to let the same connection run LISTEN and the ping.
            let next = {
                let notifications = connection.notifications_stream();
                tokio::pin!(notifications);
                tokio::select! {
                    notification = notifications.next() => Next::Notification(notification),
                    request = self.requests.recv() => Next::Request(request),
                    () = tokio::time::sleep(self.settings.ping_interval) => Next::Ping,
                }
            };
            match next {
                Next::Notification(Some(Ok(notification))) => {
                    self.deliver(&notification.channel, notification.payload);
                }
                Next::Notification(Some(Err(error))) => return SessionEnd::Lost(error.to_string()),
                Next::Notification(None) => {
                    return SessionEnd::Lost("the server closed the connection".to_owned());
                }
                Next::Request(None) => return SessionEnd::Stopped,
                Next::Request(Some(request)) => {
                    let listened = listen(connection, &request.channel).await;
                    let _ = request.done.send(());
                    if let Err(cause) = listened {
                        return SessionEnd::Lost(cause);
                    }
                }
                Next::Ping => {
                    let ping = diesel::sql_query("SELECT 1").execute(connection);
                    match tokio::time::timeout(self.settings.ping_timeout, ping).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(error)) => return SessionEnd::Lost(error.to_string()),
                        Err(_) => return SessionEnd::Lost("the ping timed out".to_owned()),
                    }
                }
            }
        }
    }

    fn deliver(&self, channel: &str, payload: String) {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = channels.get(channel) {
            // No subscriber right now is fine: nobody is waiting for this channel.
            let _ = sender.send(ChannelEvent::Notification(payload));
        }
    }

    fn broadcast(&self, reason: MissReason) {
        let channels = self.channels.lock().unwrap_or_else(PoisonError::into_inner);
        for sender in channels.values() {
            let _ = sender.send(ChannelEvent::MayHaveMissed(reason));
        }
    }
}

async fn listen(connection: &mut AsyncPgConnection, channel: &str) -> Result<(), String> {
    // `channel` passed `is_channel_name`: a plain identifier, safe to write unquoted.
    diesel::sql_query(format!("LISTEN {channel}"))
        .execute(connection)
        .await
        .map(|_| ())
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::is_channel_name;

    #[test]
    fn channel_names_are_plain_lower_case_identifiers() {
        for good in ["postech_kitchen", "_menu", "a1", &"a".repeat(63)] {
            assert!(is_channel_name(good), "{good}");
        }
        for bad in [
            "",
            "Kitchen",
            "1abc",
            "a-b",
            "a b",
            "a;NOTIFY x",
            "\"quoted\"",
            &"a".repeat(64),
        ] {
            assert!(!is_channel_name(bad), "{bad}");
        }
    }
}
