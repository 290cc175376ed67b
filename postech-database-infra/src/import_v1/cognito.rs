//! Customers' Cognito identities, created through the SDK's registration — the same
//! `CognitoClient::register_customer` the app's `POST /clientes/` uses — batched, paced and
//! bounded in concurrency.
//!
//! Idempotent across reruns without bookkeeping: imported customers keep their v1 id, which
//! is their `custom:customer_id`, and `register_customer` answers success when the user
//! already exists with that id (it handles `UsernameExistsException` with an
//! `AdminGetUser`). So a batch whose identities were created but whose rows were never
//! committed (a crash in between) is simply registered again by the next run. A user that
//! exists with *another* customer id stops the run: the pool is not this database's.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt, stream};
use postech_shared_sdk::cognito::{CognitoClient, CognitoError, NewCustomerIdentity};
use tokio::runtime::Runtime;
use tokio::time::Instant;
use uuid::Uuid;

use super::error::ImportError;

/// A customer to register, with the v1 id errors are reported by (never the CPF).
#[derive(Debug, Clone)]
pub struct PendingIdentity {
    /// The v1 customer (= the postech customer id).
    pub v1_customer: Uuid,
    /// What `register_customer` receives.
    pub identity: NewCustomerIdentity,
}

/// Where the import registers customers.
pub trait IdentityRegistry {
    /// Registers every identity of a batch, or fails.
    fn register(&mut self, identities: &[PendingIdentity]) -> Result<(), ImportError>;
}

/// [`IdentityRegistry`] over a Cognito user pool: at most `rate_per_second` calls start per
/// second, at most `concurrency` are in flight.
pub struct CognitoRegistry {
    runtime: Runtime,
    client: CognitoClient,
    period: Duration,
    concurrency: usize,
    next_slot: Option<Instant>,
}

impl CognitoRegistry {
    /// A registry over `user_pool_id`, with the AWS configuration of the environment
    /// (credentials, region, `AWS_ENDPOINT_URL` for a local moto server).
    pub fn from_environment(
        user_pool_id: &str,
        rate_per_second: u32,
        concurrency: usize,
    ) -> Result<Self, ImportError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ImportError::Runtime)?;
        let config = runtime.block_on(aws_config::load_defaults(
            aws_config::BehaviorVersion::latest(),
        ));
        // The app client id only serves admin logins, which the import never does.
        let client = CognitoClient::new(&config, user_pool_id, "");
        Ok(Self::new(runtime, client, rate_per_second, concurrency))
    }

    /// A registry over an existing client, run on `runtime`.
    pub fn new(
        runtime: Runtime,
        client: CognitoClient,
        rate_per_second: u32,
        concurrency: usize,
    ) -> Self {
        Self {
            runtime,
            client,
            period: Duration::from_secs(1) / rate_per_second.max(1),
            concurrency: concurrency.max(1),
            next_slot: None,
        }
    }
}

impl IdentityRegistry for CognitoRegistry {
    fn register(&mut self, identities: &[PendingIdentity]) -> Result<(), ImportError> {
        let client = &self.client;
        let period = self.period;
        let concurrency = self.concurrency;
        let previous_slot = self.next_slot;
        let next_slot = self.runtime.block_on(async move {
            let now = Instant::now();
            let first = previous_slot.map_or(now, |slot| slot.max(now));
            // Call i starts no earlier than first + i periods: the rate holds however the
            // calls complete, and across batches through `next_slot`.
            let calls = identities.iter().enumerate().map(|(index, pending)| {
                let slot = first + period * u32::try_from(index).unwrap_or(u32::MAX);
                async move {
                    tokio::time::sleep_until(slot).await;
                    client
                        .register_customer(&pending.identity)
                        .await
                        .map_err(|error| classify(pending.v1_customer, error))
                }
            });
            stream::iter(calls)
                .buffer_unordered(concurrency)
                .try_collect::<Vec<()>>()
                .await?;
            let count = u32::try_from(identities.len()).unwrap_or(u32::MAX);
            Ok::<_, ImportError>(first + period * count)
        })?;
        self.next_slot = Some(next_slot);
        Ok(())
    }
}

fn classify(v1_customer: Uuid, error: CognitoError) -> ImportError {
    match error {
        CognitoError::AlreadyRegistered => ImportError::IdentityConflict { v1_customer },
        source => ImportError::Identity {
            v1_customer,
            source,
        },
    }
}
