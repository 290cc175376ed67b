#!/usr/bin/env bash
# Measures the figures in README.md ("Performance"): builds the release binaries and runs
# examples/perf against a moto server (moto_server on PATH, or POSTECH_MOTO_ENDPOINT).
# Zip sizes are read from dist/ (scripts/build-zips.sh). Takes a few minutes; not part of CI.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_dir"
cargo build --release --locked --bin authenticate --bin validate_jwt --example perf
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
"$target_dir/release/examples/perf" "$target_dir/release"
