#!/usr/bin/env bash
# Builds the two Lambda zips for provided.al2023 on arm64 (cargo-lambda cross-compiles with zig)
# and puts them where serverless.yml expects them: dist/authenticate.zip, dist/validate_jwt.zip.
#
# Needs cargo-lambda and ziglang (tools/requirements-dev.txt) and the aarch64 standard library
# (`rustup target add aarch64-unknown-linux-gnu`; cargo-lambda adds it itself when rustup can
# download). LAMBDA_DIST_DIR overrides the output directory.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_dir"
dist_dir="${LAMBDA_DIST_DIR:-$repo_dir/dist}"

command -v cargo-lambda >/dev/null || {
    echo "build-zips: cargo-lambda not found: install tools/requirements-dev.txt in a venv and put its bin/ on PATH" >&2
    exit 1
}

build_dir="$(mktemp -d)"
trap 'rm -rf "$build_dir"' EXIT

start=$(date +%s)
cargo lambda build --release --arm64 --output-format zip --locked \
    --bin authenticate --bin validate_jwt --lambda-dir "$build_dir"
mkdir -p "$dist_dir"
for function in authenticate validate_jwt; do
    # Distinct names: serverless uploads artifacts by file name, two bootstrap.zip would collide.
    cp "$build_dir/$function/bootstrap.zip" "$dist_dir/$function.zip"
done
echo "build-zips: built in $(( $(date +%s) - start )) s:"
ls -l "$dist_dir"/*.zip
