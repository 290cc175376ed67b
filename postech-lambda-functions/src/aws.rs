//! The AWS configuration of the functions.

use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, SdkConfig};

/// Region used when neither the environment nor a profile names one (local runs).
pub const FALLBACK_REGION: &str = "us-east-1";

/// Loads the AWS configuration from the environment, as the Lambda runtime provides it.
///
/// `AWS_ENDPOINT_URL` is honoured by the SDK itself, which is how local runs and tests point
/// every client at the moto server.
pub async fn load_sdk_config() -> SdkConfig {
    let region = RegionProviderChain::default_provider().or_else(FALLBACK_REGION);
    aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .load()
        .await
}
