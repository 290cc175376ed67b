//! Cost of issuing and verifying a customer token: the auth function pays the first on every
//! login, the authorizer and the app pay the second on every request.

// A failed expectation is the test failing: helpers (not only `#[test]` fns) may panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use postech_shared_sdk::ids::CustomerId;
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer, TokenVerifier};
use secrecy::ExposeSecret;
use std::hint::black_box;

fn token_benchmarks(c: &mut Criterion) {
    let material = SigningKeyMaterial::generate("bench-key");
    let issuer = TokenIssuer::from_pem(&material.kid, material.private_key_pem.expose_secret())
        .expect("a freshly generated key is valid");
    let verifier = TokenVerifier::from_public_pems([(
        material.kid.as_str(),
        material.public_key_pem.as_str(),
    )])
    .expect("a freshly generated public key is valid");
    let customer = CustomerId::new_random();
    let token = issuer
        .issue_customer(&customer)
        .expect("issuing with a valid key succeeds")
        .access_token;

    c.bench_function("issue_customer_token", |b| {
        b.iter(|| issuer.issue_customer(black_box(&customer)))
    });
    c.bench_function("verify_token", |b| {
        b.iter(|| verifier.verify(black_box(&token)))
    });
}

criterion_group!(benches, token_benchmarks);
criterion_main!(benches);
