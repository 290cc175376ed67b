//! Opening one connection: libpq's `sslmode` and `sslrootcert` (from the URL, else
//! `PGSSLMODE`/`PGSSLROOTCERT`) choose the TLS, the rest of the URL goes to tokio-postgres
//! unchanged, and diesel-async takes over the connected client.

use std::borrow::Cow;
use std::path::PathBuf;

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use percent_encoding::percent_decode_str;
use tokio_postgres::NoTls;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::tls::{TlsChoice, client_config};
use crate::configuration::database_tls::{DatabaseTlsSettings, SslMode, UnsupportedSslMode};

/// Why a connection could not even be attempted. Messages never quote the URL: it holds the
/// password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionSetupError {
    /// The URL's `sslmode` is not one the app implements.
    #[error("the database URL: {0}")]
    SslMode(#[from] UnsupportedSslMode),
    /// `verify-ca` without a CA bundle.
    #[error(
        "sslmode=verify-ca needs a CA bundle (PGSSLROOTCERT or the URL's sslrootcert): \
         with the public roots alone any publicly issued certificate would pass"
    )]
    CaBundleRequired,
    /// The CA bundle is unreadable or holds no certificate.
    #[error("CA bundle {path}: {reason}")]
    CaBundle {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// tokio-postgres refused the rest of the URL.
    #[error("the database URL: {0}")]
    Url(String),
}

/// Opens connections with the TLS the URL and the settings ask for.
#[derive(Clone, Debug, Default)]
pub struct PgConnector {
    defaults: DatabaseTlsSettings,
}

/// A connection ready to be attempted.
struct Attempt {
    config: tokio_postgres::Config,
    mode: Option<SslMode>,
    choice: TlsChoice,
    tls: Option<rustls::ClientConfig>,
}

impl PgConnector {
    /// A connector falling back to `defaults` for what the URL does not say.
    pub fn new(defaults: DatabaseTlsSettings) -> Self {
        Self { defaults }
    }

    /// Everything [`Self::connect`] does before the network: parses the URL and reads the
    /// CA bundle. The start-up calls it so that a wrong setting stops the app at once
    /// rather than failing every connection later.
    pub fn check(&self, url: &str) -> Result<TlsChoice, ConnectionSetupError> {
        self.attempt(url).map(|attempt| attempt.choice)
    }

    /// Opens one connection to `url`.
    pub async fn connect(&self, url: &str) -> Result<AsyncPgConnection, ConnectionError> {
        let attempt = self
            .attempt(url)
            .map_err(|error| ConnectionError::BadConnection(error.to_string()))?;
        let failed = |error: tokio_postgres::Error| connection_failed(attempt.mode, &error);
        let mut connection = match attempt.tls {
            None => {
                let (client, connection) = attempt.config.connect(NoTls).await.map_err(failed)?;
                AsyncPgConnection::try_from_client_and_connection(client, connection).await?
            }
            Some(tls) => {
                let (client, connection) = attempt
                    .config
                    .connect(MakeRustlsConnect::new(tls))
                    .await
                    .map_err(failed)?;
                AsyncPgConnection::try_from_client_and_connection(client, connection).await?
            }
        };
        check_message_language(&mut connection).await?;
        Ok(connection)
    }

    fn attempt(&self, url: &str) -> Result<Attempt, ConnectionSetupError> {
        let parameters = SslParameters::split(url)?;
        let mut config = parameters.config()?;
        let choice = self.choice(&parameters)?;
        config.ssl_mode(if choice.requires_tls() {
            tokio_postgres::config::SslMode::Require
        } else if choice == TlsChoice::Clear {
            tokio_postgres::config::SslMode::Disable
        } else {
            tokio_postgres::config::SslMode::Prefer
        });
        Ok(Attempt {
            config,
            mode: parameters.mode.or(self.defaults.mode),
            choice,
            tls: client_config(choice, self.bundle(&parameters).as_deref())?,
        })
    }

    fn choice(&self, parameters: &SslParameters) -> Result<TlsChoice, ConnectionSetupError> {
        TlsChoice::for_mode(
            parameters.mode.or(self.defaults.mode),
            self.bundle(parameters).is_some(),
        )
    }

    fn bundle(&self, parameters: &SslParameters) -> Option<PathBuf> {
        parameters
            .root_cert
            .clone()
            .or_else(|| self.defaults.root_cert.clone())
    }
}

/// Refuses a session whose server messages are not English: deadlocks, unstorable text and
/// terminated sessions are recognised by PostgreSQL's message (diesel-async hides their
/// SQLSTATE), so another language would turn retryable 503s into 500s. RDS pins
/// `lc_messages = C` in postech-database-infra's parameter group.
async fn check_message_language(connection: &mut AsyncPgConnection) -> Result<(), ConnectionError> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        lc_messages: String,
    }
    let setting = diesel::sql_query("SHOW lc_messages")
        .get_result::<Setting>(connection)
        .await
        .map_err(|error| ConnectionError::BadConnection(format!("SHOW lc_messages: {error}")))?;
    if messages_are_english(&setting.lc_messages) {
        Ok(())
    } else {
        Err(ConnectionError::BadConnection(format!(
            "the server's lc_messages is `{}`: the app needs English messages (set lc_messages = C)",
            setting.lc_messages
        )))
    }
}

/// `C`, `POSIX`, `en_*` (any encoding), or empty (the server's own environment, which is `C`
/// unless the host says otherwise: RDS and the official images do not).
fn messages_are_english(lc_messages: &str) -> bool {
    let language = lc_messages.split(['.', '@']).next().unwrap_or_default();
    matches!(language, "" | "C" | "POSIX") || language == "en" || language.starts_with("en_")
}

/// The message of a failed connection, with its causes (tokio-postgres's own message is
/// only the kind: "error performing TLS handshake"); with TLS it names the mode, and a
/// refused certificate points at the CA bundle.
fn connection_failed(mode: Option<SslMode>, error: &tokio_postgres::Error) -> ConnectionError {
    let described = with_causes(error);
    let message = match mode {
        None | Some(SslMode::Disable) => described,
        Some(mode) if certificate_refused(error) => format!(
            "{described} (sslmode={mode}: the server's certificate does not chain to a trusted CA \
             or does not name this host; for RDS, PGSSLROOTCERT must point at an RDS CA bundle, \
             global-bundle.pem or the region's)"
        ),
        Some(mode) => format!("{described} (sslmode={mode})"),
    };
    ConnectionError::BadConnection(message)
}

/// `error: cause: cause of the cause…`.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(error), |error| error.source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// Whether rustls refused the server's certificate (the cause tokio-rustls wraps in an I/O
/// error, which tokio-postgres wraps in turn).
fn certificate_refused(error: &tokio_postgres::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|cause| cause.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::get_ref)
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|error| matches!(error, rustls::Error::InvalidCertificate(_)))
}

/// A URL split into what tokio-postgres reads and the libpq TLS parameters it does not know.
#[derive(Debug, PartialEq, Eq)]
struct SslParameters {
    /// The URL without `sslmode` and `sslrootcert`; every other byte as given.
    rest: String,
    mode: Option<SslMode>,
    root_cert: Option<PathBuf>,
}

impl SslParameters {
    /// Splits on the first `?`, as tokio-postgres does (the URL's components are
    /// percent-encoded, so a `?` in a password cannot be mistaken for the query).
    fn split(url: &str) -> Result<Self, ConnectionSetupError> {
        let Some((base, query)) = url.split_once('?') else {
            return Ok(Self {
                rest: url.to_owned(),
                mode: None,
                root_cert: None,
            });
        };
        let mut kept = Vec::new();
        let mut mode = None;
        let mut root_cert = None;
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decoded(key).as_ref() {
                "sslmode" => mode = Some(decoded(value).parse()?),
                "sslrootcert" => root_cert = Some(PathBuf::from(decoded(value).into_owned())),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Self {
            rest,
            mode,
            root_cert,
        })
    }

    fn config(&self) -> Result<tokio_postgres::Config, ConnectionSetupError> {
        self.rest
            .parse()
            .map_err(|error: tokio_postgres::Error| ConnectionSetupError::Url(with_causes(&error)))
    }
}

fn decoded(text: &str) -> Cow<'_, str> {
    percent_decode_str(text).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> Option<SslParameters> {
        SslParameters::split(url).ok()
    }

    #[test]
    fn only_english_server_messages_are_accepted() {
        for english in ["C", "C.UTF-8", "POSIX", "en_US.UTF-8", "en_GB", "en", ""] {
            assert!(messages_are_english(english), "{english}");
        }
        for other in ["pt_BR.UTF-8", "de_DE", "es_ES.utf8", "fr"] {
            assert!(!messages_are_english(other), "{other}");
        }
    }

    #[test]
    fn a_url_without_query_is_kept_whole() {
        let parameters = split("postgres://app:p%3Fw@db:5432/postech");
        assert_eq!(
            parameters,
            Some(SslParameters {
                rest: "postgres://app:p%3Fw@db:5432/postech".to_owned(),
                mode: None,
                root_cert: None,
            })
        );
    }

    #[test]
    fn ssl_parameters_are_taken_out_and_the_others_kept_byte_for_byte() {
        let parameters = split(
            "postgres://app@db/postech?application_name=a%20b&sslmode=verify-full\
             &sslrootcert=%2Fetc%2Frds%2Fglobal-bundle.pem&options=-c%20x%3D1",
        );
        assert_eq!(
            parameters,
            Some(SslParameters {
                rest: "postgres://app@db/postech?application_name=a%20b&options=-c%20x%3D1"
                    .to_owned(),
                mode: Some(SslMode::VerifyFull),
                root_cert: Some(PathBuf::from("/etc/rds/global-bundle.pem")),
            })
        );
    }

    #[test]
    fn an_unknown_sslmode_in_the_url_is_refused() {
        let error = SslParameters::split("postgres://app@db/postech?sslmode=allow")
            .err()
            .map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|m| m.contains("`allow`")),
            "{error:?}"
        );
    }

    #[test]
    fn the_url_wins_over_pgsslmode() {
        let connector = PgConnector::new(DatabaseTlsSettings {
            mode: Some(SslMode::VerifyFull),
            root_cert: None,
        });
        let choice = connector
            .check("postgres://app@db/postech?sslmode=disable")
            .ok();
        assert_eq!(choice, Some(TlsChoice::Clear));
    }

    #[test]
    fn pgsslmode_applies_when_the_url_names_no_mode() {
        let connector = PgConnector::new(DatabaseTlsSettings {
            mode: Some(SslMode::Require),
            root_cert: None,
        });
        let choice = connector.check("postgres://app@db/postech").ok();
        assert_eq!(choice, Some(TlsChoice::Unverified { required: true }));
    }

    #[test]
    fn no_mode_anywhere_is_clear_as_before() {
        let choice = PgConnector::default()
            .check("postgres://app@db/postech")
            .ok();
        assert_eq!(choice, Some(TlsChoice::Clear));
    }

    #[test]
    fn the_bundle_is_read_at_check_time() {
        let connector = PgConnector::new(DatabaseTlsSettings {
            mode: None,
            root_cert: Some(PathBuf::from("/nonexistent/global-bundle.pem")),
        });
        let error = connector
            .check("postgres://app@db/postech?sslmode=verify-full")
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|m| m.contains("/nonexistent/global-bundle.pem")),
            "{error:?}"
        );
    }

    #[test]
    fn options_tokio_postgres_refuses_are_reported_without_the_password() {
        let error = PgConnector::default()
            .check("postgres://app:hunter2@db/postech?sslcert=client.pem")
            .err()
            .map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|m| m.contains("sslcert")),
            "{error:?}"
        );
        assert!(error.as_deref().is_some_and(|m| !m.contains("hunter2")));
    }

    #[test]
    fn the_url_mode_drives_tokio_postgres() {
        let attempt = |url: &str| {
            PgConnector::default()
                .attempt(url)
                .ok()
                .map(|attempt| (attempt.config.get_ssl_mode(), attempt.tls.is_some()))
        };
        use tokio_postgres::config::SslMode as Wire;
        assert_eq!(
            attempt("postgres://app@db/postech"),
            Some((Wire::Disable, false))
        );
        assert_eq!(
            attempt("postgres://app@db/postech?sslmode=prefer"),
            Some((Wire::Prefer, true))
        );
        assert_eq!(
            attempt("postgres://app@db/postech?sslmode=require"),
            Some((Wire::Require, true))
        );
        assert_eq!(
            attempt("postgres://app@db/postech?sslmode=verify-full"),
            Some((Wire::Require, true))
        );
    }
}
