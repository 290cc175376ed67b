//! One AWS SDK configuration per call, from the usual AWS environment (credentials, region,
//! `AWS_ENDPOINT_URL`); the migrator is synchronous, so each read runs on a small runtime.

use std::future::Future;

use anyhow::Context;

/// Runs `work` with the SDK configuration of the environment.
pub fn with_sdk_config<T, F, Fut>(work: F) -> anyhow::Result<T>
where
    F: FnOnce(aws_config::SdkConfig) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime for the AWS SDK")?;
    runtime.block_on(async {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        work(config).await
    })
}
