//! Mints a throwaway signing key and an admin token for the benchmark (`bench/run.sh`):
//! writes `kid`, `public.pem` and `admin.token` into the directory given as argument. The
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
    Ok(())
}
