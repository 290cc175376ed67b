//! `authenticate` over plain HTTP on a loopback port, for the local stack.
//!
//! Configured like the Lambda function (`COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`,
//! `JWT_SIGNING_KEY_SECRET_ID` or the plain `JWT_*` variables, `AWS_ENDPOINT_URL` for moto)
//! plus `POSTECH_AUTH_LOCAL_ADDR` (default 127.0.0.1:9000) and, optionally,
//! `POSTECH_AUTH_LOCAL_ALLOWED_ORIGIN`: the origin of the app's kiosk and kitchen pages, which
//! log in from the browser (CORS; behind the API Gateway they share the login's origin).
//!
//! moto cannot send Cognito's passwordless e-mail codes (`USER_AUTH`/`EMAIL_OTP`), so the
//! local server answers that part with the local double of `otp_double`; the codes it
//! "e-mails" are appended to `POSTECH_AUTH_LOCAL_OTP_OUTBOX` (a file, `<cpf> <code>` lines)
//! when set. The Lambda binary never contains the double.

use std::sync::Arc;

use postech_lambda_functions::auth::authenticate::Authenticator;
use postech_lambda_functions::aws::load_sdk_config;
use postech_lambda_functions::config::{local_allowed_origin, local_listen_addr};
use postech_lambda_functions::local_http::LocalServer;
use postech_lambda_functions::logging::init_telemetry;
use postech_lambda_functions::otp_double::{EmailOtpDouble, Outbox};
use postech_shared_sdk::secrets::ProcessEnv;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = init_telemetry("postech-auth-local", env!("CARGO_PKG_VERSION"))?;
    let addr = local_listen_addr(&ProcessEnv)?;
    let sdk_config = load_sdk_config().await;
    let outbox = match std::env::var_os("POSTECH_AUTH_LOCAL_OTP_OUTBOX") {
        Some(file) if !file.is_empty() => Outbox::with_file(file),
        _ => Outbox::default(),
    };
    let authenticator = Arc::new(
        Authenticator::from_env(&ProcessEnv, &sdk_config)
            .await?
            .map_directory(|cognito| EmailOtpDouble::new(cognito, outbox)),
    );
    let mut server = LocalServer::bind(addr, authenticator).await?;
    if let Some(origin) = local_allowed_origin(&ProcessEnv)? {
        server = server.allow_origin(origin);
    }
    tracing::info!(addr = %server.local_addr()?, "postech-auth-local listening (POST /auth, POST /auth/admin, POST /v1/api/admin/login)");
    tokio::select! {
        served = server.serve() => served?,
        _ = tokio::signal::ctrl_c() => tracing::info!("postech-auth-local stopping"),
    }
    Ok(())
}
