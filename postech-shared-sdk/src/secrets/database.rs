//! The app's database credentials and the connection URL built from them.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::{EnvSource, SecretKind, SecretsError, TypedSecret, required_env};

/// Everything but RFC 3986's unreserved characters, so any byte of a user name, password or
/// database name survives the trip through the URL.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

const DEFAULT_PORT: u16 = 5432;

/// The app's least-privileged PostgreSQL role (`postech/<stage>/app-database`), shaped like
/// the secrets RDS generates.
#[derive(Debug, Clone, Deserialize)]
pub struct AppDatabaseSecret {
    /// Role name.
    pub username: String,
    /// Role password (empty for trust authentication in local runs).
    pub password: SecretString,
    /// Host name or address; a path for a Unix socket directory.
    pub host: String,
    /// TCP port; RDS stores it as a number, some tools as a string — both are accepted.
    #[serde(deserialize_with = "port_from_number_or_string")]
    pub port: u16,
    /// Database name.
    pub dbname: String,
    /// Extra connection parameters appended as the URL query, e.g. `sslmode=require`.
    /// Absent from RDS secrets; kept from the query of a `DATABASE_URL`.
    #[serde(default)]
    pub params: Option<String>,
}

impl AppDatabaseSecret {
    /// The `postgres://` URL of these credentials, with every component percent-encoded.
    ///
    /// ```
    /// use postech_shared_sdk::secrets::AppDatabaseSecret;
    /// use secrecy::ExposeSecret;
    ///
    /// let secret = AppDatabaseSecret {
    ///     username: "app".into(),
    ///     password: "p@ss/word".into(),
    ///     host: "db.internal".into(),
    ///     port: 5432,
    ///     dbname: "postech".into(),
    ///     params: None,
    /// };
    /// assert_eq!(
    ///     secret.connection_url().expose_secret(),
    ///     "postgres://app:p%40ss%2Fword@db.internal:5432/postech"
    /// );
    /// ```
    pub fn connection_url(&self) -> SecretString {
        let username = utf8_percent_encode(&self.username, URL_COMPONENT);
        let password = self.password.expose_secret();
        let credentials = if password.is_empty() {
            username.to_string()
        } else {
            format!(
                "{username}:{}",
                utf8_percent_encode(password, URL_COMPONENT)
            )
        };
        let host = if self.host.starts_with('/') {
            utf8_percent_encode(&self.host, URL_COMPONENT).to_string()
        } else if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let dbname = utf8_percent_encode(&self.dbname, URL_COMPONENT);
        let query = match &self.params {
            Some(params) if !params.is_empty() => format!("?{params}"),
            _ => String::new(),
        };
        format!(
            "postgres://{credentials}@{host}:{port}/{dbname}{query}",
            port = self.port
        )
        .into()
    }

    /// Splits a `postgres://` or `postgresql://` URL into its parts. Errors never quote the URL:
    /// it holds the password.
    pub fn from_url(url: &str, source_name: &str) -> Result<Self, SecretsError> {
        let invalid = |reason: &str| SecretsError::InvalidValue {
            source_name: source_name.to_owned(),
            reason: reason.to_owned(),
        };
        let parsed = url::Url::parse(url).map_err(|_| invalid("not a URL"))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(invalid("the scheme must be postgres:// or postgresql://"));
        }
        let decode = |text: &str| {
            percent_decode_str(text)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|_| invalid("a percent-encoded component is not UTF-8"))
        };
        let username = decode(parsed.username())?;
        if username.is_empty() {
            return Err(invalid("the URL names no user"));
        }
        let host = parsed
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| invalid("the URL names no host"))?;
        let host = decode(host.trim_start_matches('[').trim_end_matches(']'))?;
        let dbname = decode(parsed.path().trim_start_matches('/'))?;
        if dbname.is_empty() {
            return Err(invalid("the URL names no database"));
        }
        Ok(Self {
            username,
            password: decode(parsed.password().unwrap_or_default())?.into(),
            host,
            port: parsed.port().unwrap_or(DEFAULT_PORT),
            dbname,
            params: parsed.query().map(str::to_owned),
        })
    }
}

impl TypedSecret for AppDatabaseSecret {
    const KIND: SecretKind = SecretKind::AppDatabase;

    /// `DATABASE_URL`.
    fn from_plain_env(env: &dyn EnvSource) -> Result<Self, SecretsError> {
        let url = required_env(env, Self::KIND, "DATABASE_URL")?;
        Self::from_url(&url, "DATABASE_URL")
    }
}

fn port_from_number_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Port {
        Number(u16),
        Text(String),
    }
    match Port::deserialize(deserializer)? {
        Port::Number(port) => Ok(port),
        Port::Text(text) => text
            .parse()
            .map_err(|_| serde::de::Error::custom("port is not a number from 0 to 65535")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::parse_secret_json;

    #[test]
    fn rds_shaped_secret_builds_an_encoded_url() {
        let secret: AppDatabaseSecret = parse_secret_json(
            r#"{"username": "app user", "password": "a:b@c/d?e#f%", "host": "db.example", "port": 5433, "dbname": "postech", "engine": "postgres"}"#,
            "db",
        )
        .expect("valid secret");
        assert_eq!(
            secret.connection_url().expose_secret(),
            "postgres://app%20user:a%3Ab%40c%2Fd%3Fe%23f%25@db.example:5433/postech"
        );
    }

    #[test]
    fn string_port_is_accepted() {
        let secret: AppDatabaseSecret = parse_secret_json(
            r#"{"username": "u", "password": "p", "host": "h", "port": "6543", "dbname": "d"}"#,
            "db",
        )
        .expect("valid secret");
        assert_eq!(secret.port, 6543);
    }

    #[test]
    fn database_url_round_trips_through_the_parts() {
        let url = "postgresql://app:s%40cret@127.0.0.1:6432/postech?sslmode=disable";
        let secret = AppDatabaseSecret::from_url(url, "DATABASE_URL").expect("valid URL");
        assert_eq!(secret.username, "app");
        assert_eq!(secret.password.expose_secret(), "s@cret");
        assert_eq!(secret.host, "127.0.0.1");
        assert_eq!(secret.port, 6432);
        assert_eq!(secret.dbname, "postech");
        assert_eq!(
            secret.connection_url().expose_secret(),
            "postgres://app:s%40cret@127.0.0.1:6432/postech?sslmode=disable"
        );
    }

    #[test]
    fn passwordless_url_keeps_no_colon_and_defaults_the_port() {
        let secret =
            AppDatabaseSecret::from_url("postgres://postgres@localhost/postech", "DATABASE_URL")
                .expect("valid URL");
        assert_eq!(
            secret.connection_url().expose_secret(),
            "postgres://postgres@localhost:5432/postech"
        );
    }

    #[test]
    fn invalid_url_error_does_not_quote_the_password() {
        let error = AppDatabaseSecret::from_url("mysql://app:hunter2@db/x", "DATABASE_URL")
            .expect_err("not PostgreSQL");
        let message = error.to_string();
        assert!(message.contains("DATABASE_URL"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn debug_hides_the_password() {
        let secret = AppDatabaseSecret::from_url("postgres://app:hunter2@db/x", "DATABASE_URL")
            .expect("valid URL");
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
