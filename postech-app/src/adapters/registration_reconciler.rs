//! The background task that repairs half-finished customer registrations
//! ([`Customers::reconcile`]): a row committed whose Cognito identity was never recorded
//! (a crash or an outage between the two), and registrations left unverified too long. It
//! keeps no state of its own, so a restart or a second replica changes nothing but who does
//! the work (each repair is idempotent).

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::application::customers::{Customers, ReconcileRound};
use crate::application::error::ErrorChain;

/// Runs [`Customers::reconcile`] every `interval` until the handle is aborted.
pub fn spawn(customers: Customers, interval: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        // The first round one interval after the start, not at once: a half-finished
        // registration waits at most that long either way, a rollout's pods do not all sweep
        // together, and a test's own `reconcile()` call is not raced by the app it spawned.
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match customers.reconcile().await {
                Ok(round) if round == ReconcileRound::default() => {}
                Ok(round) => tracing::info!(
                    identities_confirmed = round.identities_confirmed,
                    unverified_removed = round.unverified_removed,
                    failed = round.failed,
                    "registration reconciliation round"
                ),
                Err(error) => {
                    tracing::warn!(error = %ErrorChain(&error), "registration reconciliation failed; retrying next round")
                }
            }
        }
    })
}
