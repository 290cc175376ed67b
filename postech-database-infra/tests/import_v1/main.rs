//! `postech-migrator import-v1` against real PostgreSQL databases and a moto server: a v1
//! database built from the schema with every kind of dirt, imported and checked row
//! by row; reruns, crashes and resumes, dry runs, verification, and a volume run.
// Test code: a failed expectation panics, that is how a test fails.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;
mod fixture;
mod reruns;
mod rows;
mod volume;
