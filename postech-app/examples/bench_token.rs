//! Mints a throwaway signing key and tokens for the benchmark (`bench/run.sh`) and local
//! fuzzing (`scripts/fuzz-api.sh`): writes `kid`, `public.pem`, `admin.token` and
//! `customer.token` (a random customer id) into the directory given as argument. The
//! private key never leaves this process.

use std::path::PathBuf;

use anyhow::Context;
use postech_shared_sdk::token::{SigningKeyMaterial, TokenIssuer};

fn main() -> anyhow::Result<()> {
    let directory = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: bench_token <output directory>")?,
    );
    let key = SigningKeyMaterial::generate("bench");
    let issuer = TokenIssuer::from_material(&key)?;
    let token = issuer.issue_admin("bench")?.access_token;
    std::fs::write(directory.join("kid"), &key.kid)?;
    std::fs::write(directory.join("public.pem"), &key.public_key_pem)?;
    std::fs::write(directory.join("admin.token"), token)?;
    let customer = postech_shared_sdk::ids::CustomerId::from(uuid::Uuid::new_v4());
    let customer_token = issuer.issue_customer(&customer)?.access_token;
    std::fs::write(directory.join("customer.token"), customer_token)?;
    Ok(())
}
