//! Settings of customer registration: the e-mail verification codes and the reconciler that
//! repairs half-finished registrations (docs/reliability.md).
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `REGISTRATION_RECONCILE_SECONDS` | `60` | how often the reconciler runs |
//! | `REGISTRATION_EMAIL_FROM` | none | deployed stages: the SES-verified sender of the verification e-mails; codes go out through Amazon SES |
//! | `REGISTRATION_EMAIL_CONFIGURATION_SET` | none | the SES configuration set of those e-mails |
//! | `REGISTRATION_OUTBOX_FILE` | none | local runs only: the file where the local e-mail double appends `<e-mail> <code>` lines |
//!
//! One of `REGISTRATION_EMAIL_FROM` and `REGISTRATION_OUTBOX_FILE` is required (the sender wins
//! when both are set): without either no customer could ever receive a code, so the app
//! refuses to start instead of "delivering" to memory.

use std::time::Duration;

use postech_shared_sdk::secrets::EnvSource;

use super::{ConfigurationError, optional, parsed};
use crate::adapters::local_outbox::LocalOutbox;
use crate::adapters::ses_mailer::SesSender;
use crate::application::customers::RegistrationPolicy;

/// How registration behaves.
#[derive(Clone, Debug)]
pub struct RegistrationSettings {
    /// Code lifetime, failure limit, reconciler grace and the unverified limit.
    pub policy: RegistrationPolicy,
    /// Period of the reconciler.
    pub reconcile_interval: Duration,
    /// Where verification codes go.
    pub mailer: MailChannel,
}

/// The channel of the verification codes.
#[derive(Clone, Debug)]
pub enum MailChannel {
    /// Amazon SES, from this sender (deployed stages).
    Ses(SesSender),
    /// The local double (tests, local runs): memory, plus a file when one is set.
    LocalOutbox(LocalOutbox),
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        Self {
            policy: RegistrationPolicy::default(),
            reconcile_interval: Duration::from_secs(60),
            mailer: MailChannel::LocalOutbox(LocalOutbox::default()),
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
        let mailer = match (
            optional(env, "REGISTRATION_EMAIL_FROM"),
            optional(env, "REGISTRATION_OUTBOX_FILE"),
        ) {
            (Some(from), _) => MailChannel::Ses(SesSender {
                from,
                configuration_set: optional(env, "REGISTRATION_EMAIL_CONFIGURATION_SET"),
            }),
            (None, Some(file)) => MailChannel::LocalOutbox(LocalOutbox::with_file(file)),
            (None, None) => {
                return Err(ConfigurationError::Invalid {
                    variable: "REGISTRATION_EMAIL_FROM",
                    reason: "not set; the SES-verified sender of the verification e-mails is \
                             required (local runs set REGISTRATION_OUTBOX_FILE instead)"
                        .to_owned(),
                });
            }
        };
        Ok(Self {
            policy: defaults.policy,
            reconcile_interval,
            mailer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::configuration::test_support::{env_of, error_text};

    #[test]
    fn a_sender_selects_ses_with_its_configuration_set() {
        let settings = RegistrationSettings::from_source(&env_of(&[
            ("REGISTRATION_EMAIL_FROM", "no-reply@example.com"),
            ("REGISTRATION_EMAIL_CONFIGURATION_SET", "registration"),
            ("REGISTRATION_OUTBOX_FILE", "/tmp/outbox"),
        ]))
        .unwrap();
        let MailChannel::Ses(sender) = settings.mailer else {
            panic!("SES expected, got {:?}", settings.mailer);
        };
        assert_eq!(
            sender,
            SesSender {
                from: "no-reply@example.com".to_owned(),
                configuration_set: Some("registration".to_owned()),
            }
        );
    }

    #[test]
    fn an_outbox_file_alone_selects_the_local_double() {
        let settings =
            RegistrationSettings::from_source(&env_of(&[("REGISTRATION_OUTBOX_FILE", "/tmp/o")]))
                .unwrap();
        assert!(matches!(settings.mailer, MailChannel::LocalOutbox(_)));
    }

    #[test]
    fn without_a_sender_or_an_outbox_file_the_app_refuses_to_start() {
        let error = error_text(RegistrationSettings::from_source(&env_of(&[]))).unwrap();
        assert!(error.contains("REGISTRATION_EMAIL_FROM"), "{error}");
    }
}
