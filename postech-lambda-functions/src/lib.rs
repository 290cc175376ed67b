//! postech's auth edge on AWS Lambda.
//!
//! * [`auth::authenticate`] — `POST /auth` (customer login by CPF), `POST /auth/admin` and
//!   `POST /v1/api/admin/login` (admin login): Cognito checks the identity, the function signs
//!   a postech JWT.
//! * [`auth::validate_jwt`] — the REST API's REQUEST authorizer: public routes pass, protected
//!   routes need a valid token (else 401), admin routes need `role=admin` (else 403).
//! * [`keys`] — the signing key and the verification keys, re-read from Secrets Manager so a
//!   rotation needs no redeploy.
//! * [`local_http`] — the `authenticate` handler served over plain HTTP for local runs.
//! * [`logging`] — the SDK's telemetry with a log filter no `RUST_LOG` can open to payloads.
//! * [`invocation`] — each invocation's span on the gateway's trace, exported before it answers.
//! * [`log_pseudonym`] — usernames in logs as a keyed hash (HMAC-SHA256), never as typed.
//!
//! The binaries in `src/bin` only wire these together: `authenticate` and `validate_jwt` are
//! the Lambda functions, `postech-auth-local` the local server.

pub mod auth;
pub mod aws;
pub mod config;
pub mod invocation;
pub mod keys;
pub mod local_http;
pub mod log_pseudonym;
pub mod logging;
pub mod otp_double;
