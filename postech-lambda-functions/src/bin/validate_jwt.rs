//! The `validate_jwt` Lambda function: the REST API's REQUEST authorizer.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use postech_lambda_functions::auth::validate_jwt::{Authorizer, AuthorizerRequest};
use postech_lambda_functions::aws::load_sdk_config;
use postech_lambda_functions::logging::init_telemetry;
use postech_shared_sdk::secrets::ProcessEnv;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let telemetry = init_telemetry("postech-validate-jwt", env!("CARGO_PKG_VERSION"))?;
    // Built once per cold start and borrowed by every invocation.
    let sdk_config = load_sdk_config().await;
    let authorizer = Authorizer::from_env(&ProcessEnv, &sdk_config)
        .await
        .inspect_err(|error| tracing::error!(%error, "validate_jwt cannot start"))?;
    tracing::info!("validate_jwt ready");
    let authorizer = &authorizer;
    let flusher = &telemetry.span_flusher();
    // An `Err(Unauthorized)` reaches the Runtime API as an error whose message API Gateway
    // turns into its 401 response.
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<AuthorizerRequest>| async move {
            authorizer.handle_invocation(event, flusher).await
        },
    ))
    .await
}
