//! The background task that expires unpaid charges. It keeps no state of its own: each
//! round asks the database which pending payments are past `expires_at`, so a restart (or a
//! second replica, thanks to `SKIP LOCKED`) changes nothing but who does the work.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::application::payments::Payments;

/// Runs [`Payments::expire_due`] every `interval`, from now on, until the handle is aborted.
pub fn spawn(payments: Payments, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        // After a long pause (a suspended laptop), one round catches up; no burst.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match payments.expire_due().await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "expired unpaid charges"),
                Err(error) => {
                    tracing::warn!(%error, "payment expiry round failed; retrying next round")
                }
            }
        }
    })
}
