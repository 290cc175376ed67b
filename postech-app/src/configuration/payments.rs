//! Payment settings: which provider, its credentials, and how long a charge stays payable.
//!
//! | Variable | Required | Meaning |
//! |---|---|---|
//! | `PAYMENT_PROVIDER` | no (`auto`) | `auto`: Mercado Pago when credentials are configured, else the simulated provider (local runs only, see below); `mercadopago`: credentials required (production); `simulated`: the simulator even if credentials exist |
//! | `POSTECH_STAGE` | no (`local`) | `local`, `staging` or `production`. In a deployed stage (`staging`, `production`: the Kubernetes overlays set it) the simulated provider is refused, `auto` included: a missing Mercado Pago secret stops the start instead of enabling it |
//! | `PAYMENT_SIMULATOR_DEMO` | no (`false`) | `true`: this deployed stage is a demo, the simulated provider may run in it |
//! | `MERCADOPAGO_SECRET_ID` or `MERCADOPAGO_ACCESS_TOKEN` + `MERCADOPAGO_WEBHOOK_SECRET` | for Mercado Pago | credentials (`postech/<stage>/mercadopago`: `{access_token, webhook_secret, api_base_url?}`) |
//! | `MERCADOPAGO_API_BASE_URL` | no (`https://api.mercadopago.com`) | another API base, e.g. a test double |
//! | `MERCADOPAGO_PAYER_EMAIL` | for Mercado Pago | the store's e-mail sent as Pix payer (Pix requires one; kiosk customers are often anonymous) |
//! | `MERCADOPAGO_NOTIFICATION_URL` | no | this app's public webhook URL, sent with each charge (else the one set in Mercado Pago's panel) |
//! | `MERCADOPAGO_TIMEOUT_SECONDS`, `MERCADOPAGO_MAX_ATTEMPTS` | no (`5`, `3`) | per-request timeout; attempts on timeouts, 5xx and 429 |
//! | `PAYMENT_EXPIRY_SECONDS` | no (`1800`) | a pending charge's lifetime, and how long a `Recebido` order without one waits for one |
//! | `PAYMENT_EXPIRY_SWEEP_SECONDS` | no (`15`) | how often charges and orders are checked for expiry |
//!
//! With the simulated provider, `MERCADOPAGO_WEBHOOK_SECRET` (if set) signs the simulator's
//! notifications; otherwise a random secret is drawn at start and never leaves the process.

use std::time::Duration;

use postech_shared_sdk::secrets::{CachedSecret, EnvSource, MercadoPagoSecret, load_secret};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{ConfigurationError, SECRET_REFRESH_INTERVAL, optional, parsed};

/// Mercado Pago's production API.
pub const MERCADOPAGO_API_BASE_URL: &str = "https://api.mercadopago.com";

/// Everything about payments.
#[derive(Clone, Debug)]
pub struct PaymentSettings {
    /// The provider and its credentials.
    pub provider: ProviderSettings,
    /// How long a pending charge stays payable, and how long a `Recebido` order without a
    /// live charge waits for one before it is cancelled.
    pub expiry: Duration,
    /// How often charges and orders are checked for expiry.
    pub sweep_interval: Duration,
}

/// The payment provider.
#[derive(Clone, Debug)]
pub enum ProviderSettings {
    /// Mercado Pago's real API.
    MercadoPago(MercadoPagoSettings),
    /// The local simulator (no credentials configured).
    Simulated {
        /// Signs (and verifies) the simulator's notifications.
        webhook_secret: SecretString,
    },
}

/// Mercado Pago's client settings.
#[derive(Clone, Debug)]
pub struct MercadoPagoSettings {
    /// Access token and webhook secret, re-read from Secrets Manager when rotated.
    pub credentials: CachedSecret<MercadoPagoSecret>,
    /// API base URL, without a trailing slash.
    pub api_base_url: String,
    /// The payer e-mail of Pix charges.
    pub payer_email: String,
    /// The webhook URL sent with each charge.
    pub notification_url: Option<String>,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Attempts per call on timeouts, 5xx and 429 (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubles each time.
    pub retry_backoff: Duration,
}

impl PaymentSettings {
    /// A simulated provider with the default timings (tests and local runs).
    pub fn simulated(webhook_secret: SecretString) -> Self {
        Self {
            provider: ProviderSettings::Simulated { webhook_secret },
            expiry: Duration::from_secs(30 * 60),
            sweep_interval: Duration::from_secs(15),
        }
    }

    /// Reads the variables above; credentials through Secrets Manager when
    /// `MERCADOPAGO_SECRET_ID` is set.
    pub async fn from_source(
        env: &dyn EnvSource,
        aws: &aws_config::SdkConfig,
    ) -> Result<Self, ConfigurationError> {
        let choice = optional(env, "PAYMENT_PROVIDER").unwrap_or_else(|| "auto".to_owned());
        let has_credentials = optional(env, "MERCADOPAGO_SECRET_ID").is_some()
            || optional(env, "MERCADOPAGO_ACCESS_TOKEN").is_some();
        // Nobody pays a simulated charge: a deployed stage runs the simulator only when told
        // it is a demo, so a missing secret can never quietly turn real orders into free ones.
        let demo = parsed::<bool>(env, "PAYMENT_SIMULATOR_DEMO")?.unwrap_or(false);
        let refused_stage = deployed_stage(env)?.filter(|_| !demo);
        let use_mercadopago = match (choice.as_str(), refused_stage) {
            ("auto", None) => has_credentials,
            ("auto", Some(_)) if has_credentials => true,
            ("mercadopago", _) => true,
            ("simulated", None) => false,
            ("auto" | "simulated", Some(stage)) => {
                return Err(ConfigurationError::Invalid {
                    variable: "PAYMENT_PROVIDER",
                    reason: format!(
                        "PAYMENT_PROVIDER={choice} would run the simulated provider in the deployed stage POSTECH_STAGE={stage}: configure Mercado Pago (MERCADOPAGO_SECRET_ID), or set PAYMENT_SIMULATOR_DEMO=true if this stage is a demo"
                    ),
                });
            }
            _ => {
                return Err(ConfigurationError::Invalid {
                    variable: "PAYMENT_PROVIDER",
                    reason: "expected auto, mercadopago or simulated".to_owned(),
                });
            }
        };
        let provider = if use_mercadopago {
            ProviderSettings::MercadoPago(mercadopago(env, aws).await?)
        } else {
            ProviderSettings::Simulated {
                webhook_secret: optional(env, "MERCADOPAGO_WEBHOOK_SECRET")
                    .map(SecretString::from)
                    .unwrap_or_else(random_secret),
            }
        };
        Ok(Self {
            provider,
            expiry: Duration::from_secs(parsed(env, "PAYMENT_EXPIRY_SECONDS")?.unwrap_or(1800)),
            sweep_interval: Duration::from_secs(
                parsed(env, "PAYMENT_EXPIRY_SWEEP_SECONDS")?.unwrap_or(15),
            )
            .max(Duration::from_secs(1)),
        })
    }

    /// The stored provider name the settings select.
    pub fn provider_name(&self) -> &'static str {
        match self.provider {
            ProviderSettings::MercadoPago(_) => "mercadopago",
            ProviderSettings::Simulated { .. } => "simulated",
        }
    }
}

async fn mercadopago(
    env: &dyn EnvSource,
    aws: &aws_config::SdkConfig,
) -> Result<MercadoPagoSettings, ConfigurationError> {
    let credentials: CachedSecret<MercadoPagoSecret> =
        load_secret(env, aws, SECRET_REFRESH_INTERVAL).await?;
    let secret = credentials.get().await?;
    if secret.access_token.expose_secret().is_empty()
        || secret.webhook_secret.expose_secret().is_empty()
    {
        return Err(ConfigurationError::Invalid {
            variable: "MERCADOPAGO_SECRET_ID",
            reason: "access_token and webhook_secret must not be empty".to_owned(),
        });
    }
    let api_base_url = secret
        .api_base_url
        .clone()
        .or_else(|| optional(env, "MERCADOPAGO_API_BASE_URL"))
        .unwrap_or_else(|| MERCADOPAGO_API_BASE_URL.to_owned())
        .trim_end_matches('/')
        .to_owned();
    if !api_base_url.starts_with("https://") && !api_base_url.starts_with("http://") {
        return Err(ConfigurationError::Invalid {
            variable: "MERCADOPAGO_API_BASE_URL",
            reason: "expected an http(s) URL".to_owned(),
        });
    }
    Ok(MercadoPagoSettings {
        credentials,
        api_base_url,
        payer_email: optional(env, "MERCADOPAGO_PAYER_EMAIL")
            .ok_or(ConfigurationError::Missing("MERCADOPAGO_PAYER_EMAIL"))?,
        notification_url: optional(env, "MERCADOPAGO_NOTIFICATION_URL"),
        request_timeout: Duration::from_secs(
            parsed(env, "MERCADOPAGO_TIMEOUT_SECONDS")?.unwrap_or(5),
        ),
        max_attempts: parsed(env, "MERCADOPAGO_MAX_ATTEMPTS")?.unwrap_or(3).max(1),
        retry_backoff: Duration::from_millis(200),
    })
}

/// The deployed stage `POSTECH_STAGE` names (`staging`, `production`), `None` for a local run
/// (unset or `local`).
fn deployed_stage(env: &dyn EnvSource) -> Result<Option<&'static str>, ConfigurationError> {
    match optional(env, "POSTECH_STAGE").as_deref() {
        None | Some("local") => Ok(None),
        Some("staging") => Ok(Some("staging")),
        Some("production") => Ok(Some("production")),
        Some(_) => Err(ConfigurationError::Invalid {
            variable: "POSTECH_STAGE",
            reason: "expected local, staging or production".to_owned(),
        }),
    }
}

/// 244 random bits (two version-4 UUIDs) as hex: the simulator's own webhook secret.
fn random_secret() -> SecretString {
    SecretString::from(format!(
        "{}{}",
        Uuid::new_v4().simple(),
        Uuid::new_v4().simple()
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{aws, env_of, error_text};
    use super::*;

    #[tokio::test]
    async fn without_credentials_the_simulator_is_chosen() {
        let settings = PaymentSettings::from_source(&env_of(&[]), &aws()).await;
        assert!(
            settings
                .as_ref()
                .is_ok_and(|settings| settings.provider_name() == "simulated"
                    && settings.expiry == Duration::from_secs(1800)),
            "{settings:?}"
        );
    }

    #[tokio::test]
    async fn credentials_from_the_environment_select_mercadopago() {
        let env = env_of(&[
            ("MERCADOPAGO_ACCESS_TOKEN", "APP_USR-x"),
            ("MERCADOPAGO_WEBHOOK_SECRET", "hook"),
            ("MERCADOPAGO_PAYER_EMAIL", "caixa@loja.example"),
        ]);
        let settings = PaymentSettings::from_source(&env, &aws()).await;
        match settings.map(|settings| settings.provider) {
            Ok(ProviderSettings::MercadoPago(mercadopago)) => {
                assert_eq!(mercadopago.api_base_url, MERCADOPAGO_API_BASE_URL);
            }
            other => panic!("expected Mercado Pago, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn forcing_mercadopago_without_credentials_names_the_variable() {
        let env = env_of(&[("PAYMENT_PROVIDER", "mercadopago")]);
        let error = error_text(PaymentSettings::from_source(&env, &aws()).await);
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("MERCADOPAGO_ACCESS_TOKEN")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_deployed_stage_refuses_the_simulated_provider() {
        for stage in ["staging", "production"] {
            let env = move |name: &str| match name {
                "POSTECH_STAGE" => Some(stage.to_owned()),
                "PAYMENT_PROVIDER" => Some("simulated".to_owned()),
                _ => None,
            };
            let error = error_text(PaymentSettings::from_source(&env, &aws()).await);
            assert!(
                error
                    .as_deref()
                    .is_some_and(|text| text.contains("PAYMENT_PROVIDER")
                        && text.contains(stage)
                        && text.contains("PAYMENT_SIMULATOR_DEMO")),
                "{stage}: {error:?}"
            );
        }
    }

    #[tokio::test]
    async fn auto_without_credentials_does_not_fall_back_to_the_simulator_in_a_deployed_stage() {
        let env = env_of(&[("POSTECH_STAGE", "production")]);
        let error = error_text(PaymentSettings::from_source(&env, &aws()).await);
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("MERCADOPAGO_SECRET_ID")
                    && text.contains("POSTECH_STAGE=production")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn auto_with_credentials_in_a_deployed_stage_selects_mercadopago() {
        let env = env_of(&[
            ("POSTECH_STAGE", "staging"),
            ("MERCADOPAGO_ACCESS_TOKEN", "APP_USR-x"),
            ("MERCADOPAGO_WEBHOOK_SECRET", "hook"),
            ("MERCADOPAGO_PAYER_EMAIL", "caixa@loja.example"),
        ]);
        let settings = PaymentSettings::from_source(&env, &aws()).await;
        assert!(
            settings
                .as_ref()
                .is_ok_and(|settings| settings.provider_name() == "mercadopago"),
            "{settings:?}"
        );
    }

    #[tokio::test]
    async fn a_deployed_stage_told_it_is_a_demo_may_run_the_simulator() {
        let env = env_of(&[
            ("POSTECH_STAGE", "staging"),
            ("PAYMENT_SIMULATOR_DEMO", "true"),
        ]);
        let settings = PaymentSettings::from_source(&env, &aws()).await;
        assert!(
            settings
                .as_ref()
                .is_ok_and(|settings| settings.provider_name() == "simulated"),
            "{settings:?}"
        );
    }

    #[tokio::test]
    async fn an_unknown_stage_or_demo_flag_is_named() {
        for (variable, value) in [("POSTECH_STAGE", "prod"), ("PAYMENT_SIMULATOR_DEMO", "yes")] {
            let env = move |name: &str| (name == variable).then(|| value.to_owned());
            let error = error_text(PaymentSettings::from_source(&env, &aws()).await);
            assert!(
                error.as_deref().is_some_and(|text| text.contains(variable)),
                "{variable}: {error:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_missing_payer_email_is_named() {
        let env = env_of(&[
            ("MERCADOPAGO_ACCESS_TOKEN", "APP_USR-x"),
            ("MERCADOPAGO_WEBHOOK_SECRET", "hook"),
        ]);
        let error = error_text(PaymentSettings::from_source(&env, &aws()).await);
        assert!(
            error
                .as_deref()
                .is_some_and(|text| text.contains("MERCADOPAGO_PAYER_EMAIL")),
            "{error:?}"
        );
    }
}
