//! Integration tests against the moto server: the handlers wired as the binaries wire them,
//! fed with API Gateway events (REST API proxy and authorizer events, HTTP API v2 events for the
//! login handler's other supported shape) and plain HTTP.

// Test helpers outside `#[test]` functions fail loudly on broken setup; that is their job.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod admin_login;
mod admin_mfa;
mod authorizer;
mod authorizer_binary;
mod cognito_outage;
mod customer_login;
mod edge_traces;
mod key_rotation;
mod local_server;
mod revocation;
mod rotate_script;
mod step_up;
mod support;
