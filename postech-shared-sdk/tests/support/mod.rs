//! Helpers of the test binaries that talk to moto (`secrets`, `key_ring`).

use std::collections::HashMap;

use aws_config::SdkConfig;
use postech_shared_sdk::local_aws::{self, MotoServer};
use postech_shared_sdk::secrets::EnvSource;

/// The SDK configuration of the shared moto server (started, or found through
/// `POSTECH_MOTO_ENDPOINT`); a missing moto fails the test loudly.
pub async fn moto_config() -> SdkConfig {
    let moto = MotoServer::shared().expect("a moto server is required for these tests");
    local_aws::sdk_config(moto.endpoint()).await
}

/// An environment holding exactly `pairs`.
pub fn env_of(pairs: &[(&str, &str)]) -> impl EnvSource + use<> {
    let vars: HashMap<String, String> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    move |name: &str| vars.get(name).cloned()
}
