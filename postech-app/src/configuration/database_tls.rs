//! TLS to PostgreSQL, with libpq's names so one set of variables serves the app and any
//! libpq tool (the migrator, `psql`) run beside it.
//!
//! | Variable | Required | Meaning |
//! |---|---|---|
//! | `PGSSLMODE` | no | `sslmode` when the database URL names none (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`) |
//! | `PGSSLROOTCERT` | for `verify-ca` | PEM bundle of extra trusted CAs (RDS: `global-bundle.pem`); the URL's `sslrootcert` wins |
//!
//! With neither the URL nor `PGSSLMODE` naming a mode, the app connects in clear as it always
//! did (libpq would try TLS first): local runs and tests are unchanged, and production names
//! `verify-full` explicitly.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use postech_shared_sdk::secrets::EnvSource;

use super::{ConfigurationError, optional};

/// libpq's `sslmode` values the app implements (`allow` is not: it retries in clear after a
/// refused TLS attempt, which tokio-postgres cannot do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, clear otherwise; the certificate is not checked.
    Prefer,
    /// TLS or no connection. The certificate is not checked unless a CA bundle is configured,
    /// in which case it must chain to it (libpq's rule: `require` then acts as `verify-ca`).
    Require,
    /// TLS, certificate chained to the configured CA bundle; the host name is not checked.
    VerifyCa,
    /// TLS, certificate chained to the Mozilla roots or the CA bundle, and issued for the host.
    VerifyFull,
}

impl SslMode {
    /// The libpq spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// An `sslmode` the app does not implement.
#[derive(Debug, thiserror::Error)]
#[error("sslmode `{0}` is not supported (use disable, prefer, require, verify-ca or verify-full)")]
pub struct UnsupportedSslMode(String);

impl FromStr for SslMode {
    type Err = UnsupportedSslMode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "disable" => Ok(Self::Disable),
            "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-ca" => Ok(Self::VerifyCa),
            "verify-full" => Ok(Self::VerifyFull),
            other => Err(UnsupportedSslMode(other.to_owned())),
        }
    }
}

/// The TLS defaults for database connections; the URL's own `sslmode` and `sslrootcert`
/// override them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DatabaseTlsSettings {
    /// `PGSSLMODE`: the mode when the URL names none. `None`: clear, as before TLS support.
    pub mode: Option<SslMode>,
    /// `PGSSLROOTCERT`: a PEM file of CAs to trust besides the Mozilla roots (RDS certificates
    /// chain to the Amazon RDS CAs, which are not among them).
    pub root_cert: Option<PathBuf>,
}

impl DatabaseTlsSettings {
    /// Reads `PGSSLMODE` and `PGSSLROOTCERT`.
    pub fn from_source(env: &dyn EnvSource) -> Result<Self, ConfigurationError> {
        let mode = optional(env, "PGSSLMODE")
            .map(|text| {
                text.parse()
                    .map_err(|error: UnsupportedSslMode| ConfigurationError::Invalid {
                        variable: "PGSSLMODE",
                        reason: error.to_string(),
                    })
            })
            .transpose()?;
        Ok(Self {
            mode,
            root_cert: optional(env, "PGSSLROOTCERT").map(PathBuf::from),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_libpq_spelling_round_trips() {
        for mode in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert_eq!(mode.as_str().parse::<SslMode>().ok(), Some(mode));
        }
    }

    #[test]
    fn allow_and_typos_are_refused_with_the_accepted_values() {
        for text in ["allow", "verify_full", "REQUIRE", ""] {
            let error = text.parse::<SslMode>().err().map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|m| m.contains("verify-full")),
                "{text}: {error:?}"
            );
        }
    }

    #[test]
    fn nothing_set_keeps_the_clear_default() {
        let env = |_: &str| None;
        let settings = DatabaseTlsSettings::from_source(&env).ok();
        assert_eq!(settings, Some(DatabaseTlsSettings::default()));
    }

    #[test]
    fn the_libpq_variables_are_read() {
        let env = |name: &str| match name {
            "PGSSLMODE" => Some("verify-full".to_owned()),
            "PGSSLROOTCERT" => Some("/etc/postech/rds-ca/global-bundle.pem".to_owned()),
            _ => None,
        };
        let settings = DatabaseTlsSettings::from_source(&env).ok();
        assert_eq!(
            settings,
            Some(DatabaseTlsSettings {
                mode: Some(SslMode::VerifyFull),
                root_cert: Some(PathBuf::from("/etc/postech/rds-ca/global-bundle.pem")),
            })
        );
    }

    #[test]
    fn an_unknown_pgsslmode_is_named() {
        let env = |name: &str| (name == "PGSSLMODE").then(|| "allow".to_owned());
        let error = DatabaseTlsSettings::from_source(&env)
            .err()
            .map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|m| m.contains("PGSSLMODE")),
            "{error:?}"
        );
    }
}
