//! Integration tests against the moto server: the handlers wired as the binaries wire them,
//! fed with API Gateway events (v2 HTTP API and v1 REST) and plain HTTP.

// Test helpers outside `#[test]` functions fail loudly on broken setup; that is their job.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod admin_login;
mod authorizer;
mod customer_login;
mod key_rotation;
mod local_server;
mod raw_event_logging;
mod rotate_script;
mod support;
