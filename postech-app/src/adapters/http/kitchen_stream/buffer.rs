//! The frames waiting for one stream client, bounded in bytes.
//!
//! The client's task pushes frames; the response body pulls them as fast as the socket
//! takes them. A client that stops reading lets frames pile up here (once the kernel's and
//! actix's own buffers are full): past the limit, the backlog is thrown away and replaced by
//! one closing frame, so memory never grows with a slow client — it reconnects with its last
//! event id and catches up from the database instead.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use actix_web::web::Bytes;
use futures_util::Stream;
use futures_util::task::AtomicWaker;
use tokio::sync::Notify;

/// Why a frame was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    /// The limit would be exceeded: the client is not keeping up.
    Full,
    /// The response is gone (the client disconnected).
    Gone,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    bytes: usize,
    closing: Option<Bytes>,
    /// No frame will come any more: the stream ends once the queue is empty.
    finished: bool,
    /// The body was dropped by the server: nobody will read.
    consumer_gone: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    limit: usize,
    consumer: AtomicWaker,
    consumer_gone: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The producing end (the client's task).
pub struct FrameSender {
    shared: Arc<Shared>,
}

/// The consuming end: the response body.
pub struct FrameStream {
    shared: Arc<Shared>,
}

/// A queue holding at most `limit` bytes (a single frame larger than the limit is still let
/// through when nothing else waits, so a large queue snapshot can always be sent).
pub fn bounded(limit: usize) -> (FrameSender, FrameStream) {
    let shared = Arc::new(Shared {
        queue: Mutex::default(),
        limit,
        consumer: AtomicWaker::new(),
        consumer_gone: Notify::new(),
    });
    (
        FrameSender {
            shared: Arc::clone(&shared),
        },
        FrameStream { shared },
    )
}

impl FrameSender {
    /// Queues `frame`, or says why not (nothing is queued then).
    pub fn push(&self, frame: Bytes) -> Result<(), PushError> {
        {
            let mut queue = self.shared.lock();
            if queue.consumer_gone {
                return Err(PushError::Gone);
            }
            if !queue.frames.is_empty() && queue.bytes + frame.len() > self.shared.limit {
                return Err(PushError::Full);
            }
            queue.bytes += frame.len();
            queue.frames.push_back(frame);
        }
        self.shared.consumer.wake();
        Ok(())
    }

    /// Ends the stream with `frame` as its last one. With `drop_backlog`, the frames still
    /// waiting are thrown away first (a slow client gets the reason without reading
    /// through the backlog).
    pub fn close(self, frame: Bytes, drop_backlog: bool) {
        {
            let mut queue = self.shared.lock();
            if drop_backlog {
                queue.frames.clear();
                queue.bytes = 0;
            }
            queue.closing = Some(frame);
            queue.finished = true;
        }
        self.shared.consumer.wake();
    }

    /// Resolves once the response is gone (the client disconnected).
    pub async fn consumer_gone(&self) {
        loop {
            let notified = self.shared.consumer_gone.notified();
            if self.shared.lock().consumer_gone {
                return;
            }
            notified.await;
        }
    }

    /// Bytes waiting now.
    #[cfg(test)]
    pub fn queued_bytes(&self) -> usize {
        self.shared.lock().bytes
    }
}

impl Drop for FrameSender {
    fn drop(&mut self) {
        self.shared.lock().finished = true;
        self.shared.consumer.wake();
    }
}

impl Stream for FrameStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Registered before looking, so a push between the look and the return wakes us.
        self.shared.consumer.register(context.waker());
        let mut queue = self.shared.lock();
        if let Some(frame) = queue.frames.pop_front() {
            queue.bytes -= frame.len();
            return Poll::Ready(Some(Ok(frame)));
        }
        if let Some(frame) = queue.closing.take() {
            return Poll::Ready(Some(Ok(frame)));
        }
        if queue.finished {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

impl Drop for FrameStream {
    fn drop(&mut self) {
        {
            let mut queue = self.shared.lock();
            queue.consumer_gone = true;
            queue.frames.clear();
            queue.bytes = 0;
        }
        self.shared.consumer_gone.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::{Bytes, PushError, bounded};

    fn frame(size: usize) -> Bytes {
        Bytes::from(vec![b'x'; size])
    }

    #[tokio::test]
    async fn frames_come_out_in_order_and_the_closing_frame_last() {
        let (sender, mut stream) = bounded(100);
        sender.push(Bytes::from_static(b"a")).expect("queued");
        sender.push(Bytes::from_static(b"b")).expect("queued");
        sender.close(Bytes::from_static(b"end"), false);
        let mut read = Vec::new();
        while let Some(Ok(frame)) = stream.next().await {
            read.push(frame);
        }
        assert_eq!(read, ["a", "b", "end"]);
    }

    #[test]
    fn a_push_past_the_limit_is_refused_and_queues_nothing() {
        let (sender, _stream) = bounded(100);
        sender.push(frame(60)).expect("queued");
        assert_eq!(sender.push(frame(41)), Err(PushError::Full));
        assert_eq!(sender.queued_bytes(), 60);
        sender.push(frame(40)).expect("exactly at the limit");
    }

    #[test]
    fn one_frame_larger_than_the_limit_passes_when_nothing_waits() {
        let (sender, _stream) = bounded(100);
        sender.push(frame(500)).expect("queued alone");
        assert_eq!(sender.push(frame(1)), Err(PushError::Full));
    }

    #[tokio::test]
    async fn closing_a_slow_client_drops_its_backlog_and_keeps_only_the_reason() {
        let (sender, mut stream) = bounded(100);
        sender.push(frame(60)).expect("queued");
        sender.close(Bytes::from_static(b"reason"), true);
        assert_eq!(
            stream.next().await.and_then(Result::ok),
            Some(Bytes::from_static(b"reason"))
        );
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn a_dropped_response_refuses_pushes_and_wakes_the_sender() {
        let (sender, stream) = bounded(100);
        drop(stream);
        assert_eq!(sender.push(frame(1)), Err(PushError::Gone));
        sender.consumer_gone().await;
    }
}
