//! Bounded AWS calls. The SDK's defaults bound only the TCP connection, so a Cognito or
//! Secrets Manager endpoint that accepts and never answers would hold a login, a
//! registration or a key re-read for ever. Every client this crate builds from an
//! [`SdkConfig`] goes through [`bounded`]: during an outage a call fails within
//! [`OPERATION_TIMEOUT`] and the caller answers 503 with a retry hint (or keeps its cached
//! keys) instead of hanging.
//!
//! ```
//! use postech_shared_sdk::aws_timeouts::{self, OPERATION_TIMEOUT};
//!
//! let config = aws_config::SdkConfig::builder().build();
//! let bounded = aws_timeouts::bounded(&config);
//! let timeouts = bounded.timeout_config().expect("timeouts set");
//! assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
//! ```

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;

/// The longest one AWS operation may take, its retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest one attempt of an operation may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest a TCP (and TLS) connection to an AWS endpoint may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// `config` with the connect, attempt and operation timeouts above where it sets none
/// (a configuration that sets its own keeps them).
pub fn bounded(config: &SdkConfig) -> SdkConfig {
    let current = config.timeout_config();
    let or = |value: Option<Duration>, default: Duration| value.unwrap_or(default);
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(or(
            current.and_then(TimeoutConfig::connect_timeout),
            CONNECT_TIMEOUT,
        ))
        .operation_attempt_timeout(or(
            current.and_then(TimeoutConfig::operation_attempt_timeout),
            ATTEMPT_TIMEOUT,
        ))
        .operation_timeout(or(
            current.and_then(TimeoutConfig::operation_timeout),
            OPERATION_TIMEOUT,
        ))
        .build();
    config.to_builder().timeout_config(timeouts).build()
}
