//! Settings of the kitchen event stream (`GET /v1/api/admin/pedidos/eventos`).
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `KITCHEN_STREAM_HEARTBEAT_SECONDS` | `15` | a comment line sent on an idle stream, so proxies keep it open and a vanished client is noticed |
//! | `KITCHEN_STREAM_BUFFER_BYTES` | `1048576` | what may wait for one client that does not read; past it the client is dropped (`cliente_lento`) |
//! | `KITCHEN_STREAM_MAX_SECONDS` | `1800` | a stream is closed after this long (`tempo_maximo`), and never outlives the token that opened it (`token_expirado`); the client reconnects with its last event id |
//! | `KITCHEN_STREAM_POLL_SECONDS` | `5` | while the database notification connection is down, how often each stream reads the log anyway |
//! | `KITCHEN_STREAM_MAX_CHANGES` | `200` | more changes than this in one read are sent as the whole queue instead |

use std::time::Duration;

use postech_shared_sdk::secrets::EnvSource;

use super::{ConfigurationError, parsed};

/// How the kitchen event stream behaves.
#[derive(Clone, Debug)]
pub struct KitchenStreamSettings {
    /// Idle time after which a heartbeat comment is sent.
    pub heartbeat: Duration,
    /// Bytes that may wait for one client.
    pub buffer_bytes: usize,
    /// The longest life of one stream.
    pub max_duration: Duration,
    /// Reading period while notifications are not being received.
    pub poll_interval: Duration,
    /// The most changes sent one by one after a read.
    pub max_changes: usize,
}

impl Default for KitchenStreamSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(15),
            buffer_bytes: 1024 * 1024,
            max_duration: Duration::from_secs(1800),
            poll_interval: Duration::from_secs(5),
            max_changes: 200,
        }
    }
}

impl KitchenStreamSettings {
    /// Reads the `KITCHEN_STREAM_*` variables.
    pub fn from_source(env: &dyn EnvSource) -> Result<Self, ConfigurationError> {
        let defaults = Self::default();
        let seconds = |variable, default: Duration| -> Result<Duration, ConfigurationError> {
            match parsed::<u64>(env, variable)? {
                Some(0) => Err(ConfigurationError::Invalid {
                    variable,
                    reason: "must be at least 1 second".to_owned(),
                }),
                Some(value) => Ok(Duration::from_secs(value)),
                None => Ok(default),
            }
        };
        Ok(Self {
            heartbeat: seconds("KITCHEN_STREAM_HEARTBEAT_SECONDS", defaults.heartbeat)?,
            buffer_bytes: parsed(env, "KITCHEN_STREAM_BUFFER_BYTES")?
                .unwrap_or(defaults.buffer_bytes),
            max_duration: seconds("KITCHEN_STREAM_MAX_SECONDS", defaults.max_duration)?,
            poll_interval: seconds("KITCHEN_STREAM_POLL_SECONDS", defaults.poll_interval)?,
            max_changes: parsed(env, "KITCHEN_STREAM_MAX_CHANGES")?
                .unwrap_or(defaults.max_changes)
                .max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::KitchenStreamSettings;
    use crate::configuration::ConfigurationError;
    use crate::configuration::test_support::env_of;

    #[test]
    fn a_zero_interval_is_refused_naming_the_variable() {
        let env = env_of(&[("KITCHEN_STREAM_HEARTBEAT_SECONDS", "0")]);
        assert!(matches!(
            KitchenStreamSettings::from_source(&env),
            Err(ConfigurationError::Invalid {
                variable: "KITCHEN_STREAM_HEARTBEAT_SECONDS",
                ..
            })
        ));
    }

    #[test]
    fn the_variables_override_the_defaults() {
        let env = env_of(&[
            ("KITCHEN_STREAM_BUFFER_BYTES", "4096"),
            ("KITCHEN_STREAM_MAX_SECONDS", "25"),
        ]);
        let settings = KitchenStreamSettings::from_source(&env).expect("settings");
        assert_eq!(settings.buffer_bytes, 4096);
        assert_eq!(settings.max_duration.as_secs(), 25);
        assert_eq!(settings.heartbeat.as_secs(), 15);
    }
}
