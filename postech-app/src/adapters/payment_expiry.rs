//! The background task that expires unpaid charges and cancels orders nobody is paying. It
//! keeps no state of its own: each round asks the database which pending payments are past
//! `expires_at` and which `Recebido` orders have had no live payment for the expiry time, so
//! a restart (or a second replica, thanks to `SKIP LOCKED`) changes nothing but who does the
//! work.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::application::error::ErrorChain;
use crate::application::payments::{ExpiryRound, Payments};

/// Runs [`Payments::expire_due`] every `interval`, from now on, until the handle is aborted.
pub fn spawn(payments: Payments, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        // After a long pause (a suspended laptop), one round catches up; no burst.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match payments.expire_due().await {
                Ok(round) if round == ExpiryRound::default() => {}
                Ok(round) => tracing::info!(
                    payments_expired = round.payments_expired,
                    unpaid_orders_cancelled = round.unpaid_orders_cancelled,
                    "expiry round"
                ),
                Err(error) => {
                    tracing::warn!(error = %ErrorChain(&error), "payment expiry round failed; retrying next round")
                }
            }
        }
    })
}
