//! Settings of customer registration: the e-mail verification codes and the reconciler that
//! repairs half-finished registrations (docs/reliability.md).
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `REGISTRATION_RECONCILE_SECONDS` | `60` | how often the reconciler runs |
//! | `REGISTRATION_OUTBOX_FILE` | none | local runs: the file where the local e-mail double appends `<e-mail> <code>` lines |

use std::time::Duration;

use postech_shared_sdk::secrets::EnvSource;

use super::{ConfigurationError, optional, parsed};
use crate::adapters::local_outbox::LocalOutbox;
use crate::application::customers::RegistrationPolicy;

/// How registration behaves.
#[derive(Clone, Debug)]
pub struct RegistrationSettings {
    /// Code lifetime, failure limit, reconciler grace and the unverified limit.
    pub policy: RegistrationPolicy,
    /// Period of the reconciler.
    pub reconcile_interval: Duration,
    /// Where verification codes go: the local double of the e-mail channel (the only one
    /// wired so far).
    pub outbox: LocalOutbox,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        Self {
            policy: RegistrationPolicy::default(),
            reconcile_interval: Duration::from_secs(60),
            outbox: LocalOutbox::default(),
        }
    }
}

impl RegistrationSettings {
    /// Reads the `REGISTRATION_*` variables.
    pub fn from_source(env: &dyn EnvSource) -> Result<Self, ConfigurationError> {
        let defaults = Self::default();
        let reconcile_interval = match parsed::<u64>(env, "REGISTRATION_RECONCILE_SECONDS")? {
            Some(0) => {
                return Err(ConfigurationError::Invalid {
                    variable: "REGISTRATION_RECONCILE_SECONDS",
                    reason: "must be at least 1 second".to_owned(),
                });
            }
            Some(seconds) => Duration::from_secs(seconds),
            None => defaults.reconcile_interval,
        };
        let outbox = optional(env, "REGISTRATION_OUTBOX_FILE")
            .map(LocalOutbox::with_file)
            .unwrap_or_default();
        Ok(Self {
            policy: defaults.policy,
            reconcile_interval,
            outbox,
        })
    }
}
