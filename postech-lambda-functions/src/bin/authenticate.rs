//! The `authenticate` Lambda function: `POST /auth`, `POST /auth/admin`,
//! `POST /v1/api/admin/login`.

use lambda_http::{Error, Request, service_fn};
use postech_lambda_functions::auth::authenticate::Authenticator;
use postech_lambda_functions::aws::load_sdk_config;
use postech_lambda_functions::logging::init_telemetry;
use postech_shared_sdk::secrets::ProcessEnv;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let telemetry = init_telemetry("postech-authenticate", env!("CARGO_PKG_VERSION"))?;
    // Built once per cold start and borrowed by every invocation.
    let sdk_config = load_sdk_config().await;
    let authenticator = Authenticator::from_env(&ProcessEnv, &sdk_config)
        .await
        .inspect_err(|error| tracing::error!(%error, "authenticate cannot start"))?;
    tracing::info!("authenticate ready");
    let authenticator = &authenticator;
    let flusher = &telemetry.span_flusher();
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(authenticator.handle_invocation(request, flusher).await)
    }))
    .await
}
