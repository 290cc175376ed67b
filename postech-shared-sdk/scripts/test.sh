#!/usr/bin/env bash
# What this repository's CI runs: formatting, lints, every test (moto server on PATH) and doctests.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v moto_server >/dev/null || { echo "moto_server not found: pip install -r tools/requirements-dev.txt" >&2; exit 1; }
cargo fmt --check
cargo clippy --locked --all-targets --all-features -- -D warnings
cargo nextest run --locked --all-features --no-fail-fast
cargo test --locked --all-features --doc
