#!/usr/bin/env bash
# What this repository's CI runs: formatting, lints, the tests against a moto server, and the
# offline validation of serverless.yml. Assumes the tools are installed (README.md, 'Tools'):
# moto_server, cfn-lint, checkov (a venv from tools/requirements-dev.txt on PATH), node/npx,
# cargo-nextest. A missing tool fails the run; nothing is skipped.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_dir"

# aws (CLI, in tools/requirements-dev.txt), openssl: tests/integration/rotate_script.rs runs
# scripts/rotate-signing-key.sh.
for tool in moto_server cargo-nextest aws openssl; do
    command -v "$tool" >/dev/null || {
        echo "test.sh: $tool not found (see README.md, 'Tools')" >&2
        exit 1
    }
done

echo "== cargo fmt --check"
cargo fmt --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

# One moto server for every test process (nextest runs each test in its own process; without
# this each would start its own).
moto_log="$(mktemp)"
moto_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: moto checks TOTP codes (tests/integration/admin_mfa.rs)
# instead of accepting any, as the SDK's MotoServer starts it.
MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true moto_server -H 127.0.0.1 -p "$moto_port" >"$moto_log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$moto_log"' EXIT
export POSTECH_MOTO_ENDPOINT="http://127.0.0.1:$moto_port"
for _ in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$POSTECH_MOTO_ENDPOINT/moto-api/" 2>/dev/null; then
        break
    fi
    kill -0 "$moto_pid" 2>/dev/null || { cat "$moto_log" >&2; echo "test.sh: moto_server died" >&2; exit 1; }
    sleep 0.1
done

echo "== cargo nextest"
cargo nextest run --locked --no-fail-fast
echo "== doctests"
cargo test --locked --doc

echo "== serverless validation"
scripts/validate-serverless.sh
