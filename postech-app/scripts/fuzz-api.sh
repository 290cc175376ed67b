#!/usr/bin/env bash
# Schema-driven fuzzing of a running app (Schemathesis, pinned in tools/requirements-dev.txt):
# every operation of its /openapi.json is called with generated valid and invalid input, and
# every answer must be no 5xx and match what the document declares (status code, content
# type, headers, body schema). Three passes, one per kind of caller, each with a valid token:
# anonymous (every operation: the protected ones must answer their documented 401), customer
# (what a customer token opens), admin (the staff routes). The kitchen event stream is left
# out: it is an endless response by design (tests/api/kitchen_stream.rs covers it).
#
# Usage: scripts/fuzz-api.sh APP_URL CUSTOMER_TOKEN ADMIN_TOKEN
# The root test command runs it against `make run`'s stack (.ci/local-stack.sh). Bounded:
# POSTECH_FUZZ_EXAMPLES (default 15) cases per operation and phase, fixed seed, so a run
# takes a few minutes and a failure reproduces.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 APP_URL CUSTOMER_TOKEN ADMIN_TOKEN" >&2; exit 2; }
app=$1 customer_token=$2 admin_token=$3
schemathesis=${SCHEMATHESIS:-schemathesis}
command -v "$schemathesis" >/dev/null || { echo "error: schemathesis is not on PATH (pip install -r tools/requirements-dev.txt)" >&2; exit 1; }
report_dir=${POSTECH_FUZZ_REPORT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/postech-fuzz.XXXXXX")}
mkdir -p "$report_dir"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
stream='^/v1/api/admin/pedidos/eventos$'
passed=0 failed=0
fuzz() { # name, extra arguments...
  local name=$1; shift
  echo "schemathesis: $name"
  if "$schemathesis" --no-color run "$app/openapi.json" --url "$app" \
      --checks "$checks" --phases examples,coverage,fuzzing,stateful \
      --max-examples "${POSTECH_FUZZ_EXAMPLES:-15}" --seed 20261203 --workers 1 \
      --request-timeout 10 --max-response-time 10 --suppress-health-check all \
      --exclude-path-regex "$stream" --generation-database none \
      --report junit --report-junit-path "$report_dir/$name.xml" "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
}

fuzz anonymous
fuzz customer -H "Authorization: Bearer $customer_token" --include-path-regex '^/v1/api/(clientes/me|pedidos)'
fuzz admin -H "Authorization: Bearer $admin_token" --include-path-regex '^/v1/api/admin/'

echo "schemathesis reports (JUnit) in $report_dir"
echo "schema fuzzing: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
