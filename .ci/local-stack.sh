#!/usr/bin/env bash
# The root run command (`make run`): the whole system on loopback with the same code paths as
# production — PostgreSQL, moto server as the local AWS (Cognito + Secrets Manager), seeded with a
# user pool, the admin group, a demo admin and a fresh signing key. Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$POSTECH_ROOT"

MOTO_PORT=${POSTECH_MOTO_PORT:-4566}
STAGE=staging
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/postech-run.XXXXXX")
pids=()
stop_all() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && { log "stopping ${#pids[@]} processes"; kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }
  rm -rf "$run_dir"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_http() { # url, name, pid
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || die "$2 exited during start-up: see $run_dir/$2.log"
    sleep 0.2
  done
  die "$2 did not answer on $1: see $run_dir/$2.log"
}

ensure_postgres
sdk_tools=$(repo_venv_bin postech-shared-sdk)

log "building the local binaries"
(cd postech-shared-sdk && cargo build --quiet --locked --features local-aws --bin postech-local-aws)

port_free "$MOTO_PORT" || die "port $MOTO_PORT is taken: set POSTECH_MOTO_PORT to a free one"
"$sdk_tools/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$run_dir/moto.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$MOTO_PORT/moto-api/" moto $!

"$CARGO_TARGET_DIR/debug/postech-local-aws" seed --endpoint "http://127.0.0.1:$MOTO_PORT" \
  --stage "$STAGE" --admin-username admin --env-file "$run_dir/aws.env" >"$run_dir/seed.log"
# shellcheck disable=SC1091
set -a; source "$run_dir/aws.env"; set +a

cat <<INFO

postech is running locally (Ctrl-C stops everything):
  PostgreSQL         ${DATABASE_URL%%\?*}
  local AWS (moto)   $AWS_ENDPOINT_URL   (Cognito + Secrets Manager, region $AWS_REGION)
  user pool          $COGNITO_USER_POOL_ID   app client $COGNITO_CLIENT_ID
  signing key        secret $JWT_SIGNING_KEY_SECRET_ID
  demo admin         $DEMO_ADMIN_USERNAME / $DEMO_ADMIN_PASSWORD   (generated for this run)

Try it (another terminal):
  curl -s -X POST $AWS_ENDPOINT_URL/ -H 'X-Amz-Target: AWSCognitoIdentityProviderService.AdminGetUser' \\
       -H 'Content-Type: application/x-amz-json-1.1' \\
       -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/$AWS_REGION/cognito-idp/aws4_request' \\
       -d '{"UserPoolId":"$COGNITO_USER_POOL_ID","Username":"$DEMO_ADMIN_USERNAME"}'

Not yet part of the local stack: the migrator, the auth function and the ordering API (see the
READMEs of postech-database-infra, postech-lambda-functions and postech-app).
INFO
wait "${pids[0]}"
