#!/usr/bin/env bash
# Offline validation of the deployment: `serverless package` for each stage (no AWS access),
# then cfn-lint and checkov on the generated CloudFormation, then the route-table check
# (gateway routes vs. the authorizer's rules and API-V1.md, its cache key, the 401/403
# responses, no payment simulator in production), the edge-protection check (the WAF on the
# stage and its rules, usage plans, stage throttles: static, since AWS WAF cannot run here)
# and the least-privilege check (which secrets each function's role reads, which methods may
# invoke a function, the ENI actions of the VPC functions' roles; and that both functions run
# in the VPC from the FunctionSubnetIds/EdgeFunctionsSecurityGroupId parameters and export to
# the EdgeOtlpEndpoint parameter with a bounded exporter timeout). Skipped checks carry their reason beside the resource
# (infra/generated-resources.yml and the infra files) or in .cfnlintrc.yaml.
#
# serverless needs the two artifacts to exist. Packaging does not depend on their content
# (functions are not versioned, so no code hash enters the template): when dist/ holds the
# real zips (scripts/build-zips.sh) they are used, otherwise placeholder zips in a temporary
# directory stand in for them — never in dist/, so they cannot be deployed by mistake.
# VALIDATE_WITH_REAL_ZIPS=1 builds the real zips first instead.
#
# Tools: node/npx (serverless from package-lock.json), cfn-lint and checkov on PATH
# (tools/requirements-dev.txt), cargo.
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_dir"

for tool in npx cfn-lint checkov cargo; do
    command -v "$tool" >/dev/null || {
        echo "validate-serverless: $tool not found (see README.md, 'Tools')" >&2
        exit 1
    }
done

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT

if [ "${VALIDATE_WITH_REAL_ZIPS:-0}" = 1 ]; then
    scripts/build-zips.sh
fi
if [ -f dist/authenticate.zip ] && [ -f dist/validate_jwt.zip ]; then
    export LAMBDA_DIST_DIR="$repo_dir/dist"
    echo "validate-serverless: packaging the built zips in dist/"
else
    export LAMBDA_DIST_DIR="$work_dir/placeholder-zips"
    mkdir -p "$LAMBDA_DIST_DIR"
    python3 - "$LAMBDA_DIST_DIR" <<'PY'
import sys, zipfile
for name in ("authenticate", "validate_jwt"):
    with zipfile.ZipFile(f"{sys.argv[1]}/{name}.zip", "w") as archive:
        archive.writestr("bootstrap", "placeholder: validation only, never deployed\n")
PY
    echo "validate-serverless: no zips in dist/, packaging placeholder zips (template only)"
fi

if [ ! -d node_modules/serverless ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
# The alarm topic's e-mail (infra/alarms.yml): the deploy must set POSTECH_ALARM_EMAIL; the
# validation packages with a placeholder when it is unset (nothing is deployed from here).
export POSTECH_ALARM_EMAIL=${POSTECH_ALARM_EMAIL:-alarms-validation@postech.example}
# AWS is never called while packaging; an empty credential chain proves it.
export AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= AWS_SESSION_TOKEN= AWS_PROFILE=

status=0
for stage in staging production; do
    out="$work_dir/$stage"
    echo "== $stage: serverless package"
    npx --no-install serverless package --stage "$stage" --package "$out"
    template="$out/cloudformation-template-update-stack.json"
    echo "== $stage: cfn-lint"
    cfn-lint --config-file .cfnlintrc.yaml --template "$template" || status=1
    echo "== $stage: checkov"
    checkov --quiet --compact --skip-download --framework cloudformation -f "$template" || status=1
    echo "== $stage: route table vs. authorizer and API-V1.md"
    cargo run --quiet --locked --example check_route_table -- "$template" || status=1
    echo "== $stage: edge protection (WAF, usage plans, throttles)"
    cargo run --quiet --locked --example check_edge_protection -- "$template" || status=1
    echo "== $stage: least privilege (secrets per function, invoke permissions per method, ENI actions) and the functions' VPC and OTLP endpoint"
    cargo run --quiet --locked --example check_least_privilege -- "$template" || status=1
    echo "== $stage: alarms (every function and the gateway, notifying the topic of AlarmEmail)"
    cargo run --quiet --locked --example check_alarms -- "$template" || status=1
done

if [ "$status" -ne 0 ]; then
    echo "validate-serverless: FAILED" >&2
fi
exit "$status"
