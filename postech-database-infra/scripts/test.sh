#!/usr/bin/env bash
# What this repository's CI runs, in order; stops at the first failure.
# Needs on PATH: cargo (with clippy, rustfmt, and cargo-nextest if present), python3, checkov
# and moto_server (tools/requirements-dev.txt), optionally terraform; a PostgreSQL server
# at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) whose role may
# create databases and roles. See README.md, "Build and test".
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked
else
  cargo test --locked
fi
cargo test --locked --doc
scripts/validate-terraform.sh
