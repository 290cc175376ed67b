//! Settings of the kiosk and kitchen pages (`/kiosk/`, `/cozinha/`).
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `PAGES_AUTH_ORIGIN` | none: the pages' own origin | where the pages' browsers reach the auth function (`POST /auth`, `POST /auth/admin`). Behind the API Gateway both share one origin and this stays unset; `make run` serves the auth function on its own port and sets it (`http://127.0.0.1:9000`). Allowed in the pages' `connect-src`. |

use postech_shared_sdk::secrets::EnvSource;

use super::{ConfigurationError, optional};

/// What the pages need to know about their surroundings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageSettings {
    /// The auth function's origin (`scheme://host[:port]`) when it is not the pages' own.
    pub auth_origin: Option<String>,
}

impl PageSettings {
    /// Reads `PAGES_AUTH_ORIGIN`.
    pub fn from_source(env: &dyn EnvSource) -> Result<Self, ConfigurationError> {
        let auth_origin = optional(env, "PAGES_AUTH_ORIGIN")
            .map(|origin| {
                if is_origin(&origin) {
                    Ok(origin)
                } else {
                    Err(ConfigurationError::Invalid {
                        variable: "PAGES_AUTH_ORIGIN",
                        reason: "an origin such as http://127.0.0.1:9000 (scheme, host and \
                                 optional port; no path)"
                            .to_owned(),
                    })
                }
            })
            .transpose()?;
        Ok(Self { auth_origin })
    }
}

/// `http(s)://host[:port]`: it is written into a Content-Security-Policy and an HTML
/// attribute, so nothing else is let through.
fn is_origin(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = rest.split_once(':').unwrap_or((rest, ""));
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-');
    let port_ok = (port.is_empty() && !rest.contains(':'))
        || (!port.is_empty() && port.len() <= 5 && port.bytes().all(|byte| byte.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::{PageSettings, is_origin};
    use crate::configuration::test_support::env_of;

    #[test]
    fn only_a_bare_origin_is_accepted() {
        for good in [
            "http://127.0.0.1:9000",
            "https://api.postech.example",
            "http://localhost:80",
        ] {
            assert!(is_origin(good), "{good}");
        }
        for bad in [
            "127.0.0.1:9000",
            "http://",
            "http://host/path",
            "http://host:",
            "http://host:9000/",
            "http://host; script-src *",
            "http://ho\"st",
            "ftp://host",
            "http://host:123456",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }

    #[test]
    fn an_unusable_auth_origin_stops_the_start() {
        let env = env_of(&[("PAGES_AUTH_ORIGIN", "http://x/ 'unsafe-inline'")]);
        assert!(PageSettings::from_source(&env).is_err());
        let env = env_of(&[("PAGES_AUTH_ORIGIN", "http://127.0.0.1:9000")]);
        assert_eq!(
            PageSettings::from_source(&env)
                .ok()
                .and_then(|settings| settings.auth_origin),
            Some("http://127.0.0.1:9000".to_owned())
        );
    }
}
