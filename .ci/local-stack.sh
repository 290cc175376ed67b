#!/usr/bin/env bash
# The root run command (`make run`): the whole system on loopback with the same code paths as
# production — PostgreSQL, moto server as the local AWS (Cognito + Secrets Manager) seeded with a
# user pool, the admin group, a demo admin and a fresh token key (the key pair in the signing-key
# secret, its public half in the verification-key secret); the migrator; the auth function served
# over HTTP, signing with the first; the ordering API with the simulated payment provider,
# verifying with the second only. Prints the URLs and a walkthrough; Ctrl-C stops everything it
# started.
# POSTECH_RUN_SMOKE=1 runs the printed walkthrough itself and stops (how the test command proves
# the walkthrough works by copy-paste); with POSTECH_RUN_BROWSER=1 as well, the browser tests of
# the kiosk and kitchen pages (.ci/browser/) then run against the same stack.
# POSTECH_TRACING=1 also starts a local trace receiver (.ci/trace-receiver.py, standing in for
# Jaeger) that the app and the auth function export their spans to, and Prometheus (Debian's
# `prometheus`, when installed) scraping the app with the cluster's alert rules loaded.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$POSTECH_ROOT"

MOTO_PORT=${POSTECH_MOTO_PORT:-4566}
AUTH_PORT=${POSTECH_AUTH_PORT:-9000}
APP_PORT=${POSTECH_APP_PORT:-8080}
LOCAL_DB=${POSTECH_LOCAL_DB:-postech_local}
TRACING=${POSTECH_TRACING:-0}
TRACE_PORT=${POSTECH_TRACE_PORT:-16686}
PROMETHEUS_PORT=${POSTECH_PROMETHEUS_PORT:-9090}
STAGE=staging
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/postech-run.XXXXXX")
pids=()
stop_all() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    log "stopping ${#pids[@]} processes"
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$run_dir"
  stop_started_postgres
}
trap stop_all EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start() { # name, command...: runs in the background, output in $run_dir/<name>.log
  local name=$1; shift
  "$@" >"$run_dir/$name.log" 2>&1 &
  pids+=($!)
}
wait_http() { # url, name
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { tail -n 20 "$run_dir/$2.log" >&2; die "$2 exited during start-up"; }
    sleep 0.2
  done
  tail -n 20 "$run_dir/$2.log" >&2; die "$2 did not answer on $1"
}

ports=("$MOTO_PORT" "$AUTH_PORT" "$APP_PORT")
[ "$TRACING" = 1 ] && ports+=("$TRACE_PORT" "$PROMETHEUS_PORT")
for port in "${ports[@]}"; do
  port_free "$port" || die "port $port is taken (set POSTECH_MOTO_PORT, POSTECH_AUTH_PORT, POSTECH_APP_PORT, POSTECH_TRACE_PORT or POSTECH_PROMETHEUS_PORT)"
done
ensure_postgres
sdk_tools=$(repo_venv_bin postech-shared-sdk)

log "building the local binaries (debug)"
(cd postech-shared-sdk && cargo build --quiet --locked --features local-aws --bin postech-local-aws)
(cd postech-database-infra && cargo build --quiet --locked --bin postech-migrator)
(cd postech-lambda-functions && cargo build --quiet --locked --bin postech-auth-local)
(cd postech-app && cargo build --quiet --locked --bin postech-app)
bin=$CARGO_TARGET_DIR/debug

log "local AWS (moto) on 127.0.0.1:$MOTO_PORT"
start moto "$sdk_tools/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
wait_http "http://127.0.0.1:$MOTO_PORT/moto-api/" moto
"$bin/postech-local-aws" seed --endpoint "http://127.0.0.1:$MOTO_PORT" --stage "$STAGE" \
  --admin-username admin --env-file "$run_dir/aws.env" >"$run_dir/seed.log"
set -a
# shellcheck disable=SC1091
source "$run_dir/aws.env"
# moto checks that calls are signed, not by whom: fixed placeholder credentials, not a secret.
AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
AWS_EC2_METADATA_DISABLED=true # nothing on loopback answers the instance-metadata probe
set +a
# As deployed, each process is named only its own key secret: the auth function the signing key,
# the app the verification key (public keys only; it refuses the signing key's secret id).
signing_secret_id=$JWT_SIGNING_KEY_SECRET_ID verification_secret_id=$JWT_VERIFICATION_KEY_SECRET_ID
unset JWT_SIGNING_KEY_SECRET_ID JWT_VERIFICATION_KEY_SECRET_ID

# moto keeps nothing between runs, so the local database starts empty too: a customer row
# without its Cognito user could not log in.
server_url=${DATABASE_URL%/*}
owner_url="$server_url/$LOCAL_DB"
psql "$DATABASE_URL" -qAtc "DROP DATABASE IF EXISTS $LOCAL_DB WITH (FORCE)" -c "CREATE DATABASE $LOCAL_DB" >/dev/null
app_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
app_url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1])
print(u.urlunsplit((p.scheme, f"postech_app:{sys.argv[2]}@{p.hostname}:{p.port or 5432}", "/" + sys.argv[3], "", "")))' \
  "$DATABASE_URL" "$app_password" "$LOCAL_DB")
log "migrating $LOCAL_DB and creating the app's least-privileged role"
DATABASE_URL=$owner_url APP_DATABASE_URL=$app_url "$bin/postech-migrator" up >"$run_dir/migrator.log"
DATABASE_URL=$app_url "$bin/postech-app" seed-sample-menu >"$run_dir/seed-menu.log" 2>&1

if [ "$TRACING" = 1 ]; then
  tracing_tools=$(ensure_venv tracing .ci/requirements-tracing.txt)
  log "trace receiver on 127.0.0.1:$TRACE_PORT"
  start traces "$tracing_tools/python3" .ci/trace-receiver.py "$TRACE_PORT"
  wait_http "http://127.0.0.1:$TRACE_PORT/api/spans" traces
  # Both processes export their spans there (OTLP/HTTP), every few seconds.
  export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$TRACE_PORT
fi

log "auth function on 127.0.0.1:$AUTH_PORT, ordering API on 127.0.0.1:$APP_PORT"
# The pages (served by the app) log in at the auth function, on its own port here (one origin
# behind the API Gateway): the app names its origin, the auth function allows the app's (CORS).
# moto cannot send Cognito's e-mail codes: the local server's double (otp_double.rs) "e-mails"
# them to a file instead, one "<cpf> <code>" line each, which the walkthrough reads. Usernames
# are logged as a keyed hash: a key drawn for this run.
otp_outbox=$run_dir/otp-outbox
log_hash_key=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
POSTECH_AUTH_LOCAL_ADDR=127.0.0.1:$AUTH_PORT JWT_SIGNING_KEY_SECRET_ID=$signing_secret_id \
  POSTECH_AUTH_LOCAL_OTP_OUTBOX=$otp_outbox LOG_HASH_KEY=$log_hash_key \
  POSTECH_AUTH_LOCAL_ALLOWED_ORIGIN=http://127.0.0.1:$APP_PORT start auth "$bin/postech-auth-local"
# The registration codes "e-mailed" by the app's local e-mail double land in this file.
registration_outbox=$run_dir/registration-outbox
DATABASE_URL=$app_url APP_HOST=127.0.0.1 APP_PORT=$APP_PORT PAGES_AUTH_ORIGIN=http://127.0.0.1:$AUTH_PORT \
  REGISTRATION_OUTBOX_FILE=$registration_outbox \
  JWT_VERIFICATION_KEY_SECRET_ID=$verification_secret_id start app "$bin/postech-app" serve
wait_http "http://127.0.0.1:$APP_PORT/health" app
prometheus_line=""
if [ "$TRACING" = 1 ] && command -v prometheus >/dev/null; then
  cat >"$run_dir/prometheus.yml" <<PROM
global: {scrape_interval: 5s, evaluation_interval: 5s}
rule_files: ["$POSTECH_ROOT/postech-kubernetes-infra/monitoring/alerts/postech-app.rules.yml"]
scrape_configs:
  - job_name: postech-app
    static_configs: [{targets: ["127.0.0.1:$APP_PORT"]}]
PROM
  log "Prometheus on 127.0.0.1:$PROMETHEUS_PORT"
  start prometheus prometheus --config.file="$run_dir/prometheus.yml" --storage.tsdb.path="$run_dir/prometheus-data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  wait_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" prometheus
  prometheus_line="  Prometheus         http://127.0.0.1:$PROMETHEUS_PORT   (the app scraped, the cluster's alert rules at /alerts)"
fi
tracing_line=""
[ "$TRACING" = 1 ] && tracing_line="  traces             http://127.0.0.1:$TRACE_PORT   (spans of the app and the auth function; POSTECH_TRACING=1)"
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$AUTH_PORT") 2>/dev/null && break; sleep 0.2; done

app=http://127.0.0.1:$APP_PORT auth=http://127.0.0.1:$AUTH_PORT
walkthrough=$(cat <<WALK
# 1. Register a customer (the app writes the row and the Cognito user): 202, the same answer
#    for any CPF; then confirm with the code "e-mailed" (here: appended to $registration_outbox).
curl -s -X POST $app/v1/api/clientes/ -H 'content-type: application/json' \\
  -d '{"nome": "Maria Silva", "email": "maria@example.com", "cpf": "529.982.247-25"}'; echo
CODE=\$(grep '^maria@example.com ' $registration_outbox | tail -1 | cut -d' ' -f2)
curl -s -X POST $app/v1/api/clientes/confirmacao -H 'content-type: application/json' \\
  -d "{\\"cpf\\": \\"52998224725\\", \\"codigo\\": \\"\$CODE\\"}"; echo
# 2. Log in with the CPF at the auth function: a kiosk token (10 min). A CPF identifies, it
#    does not authenticate: the profile comes masked (first name, a***@e***, ***.***.***-25).
TOKEN=\$(curl -s -X POST $auth/auth -H 'content-type: application/json' -d '{"cpf": "52998224725"}' \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -s $app/v1/api/clientes/me -H "authorization: Bearer \$TOKEN" \\
  | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p); assert p["email"] != "maria@example.com"'
# 2b. Step up for the full profile: Cognito e-mails a one-time code to the verified address.
#     Locally the auth function's OTP double writes it to $otp_outbox ("<cpf> <code>").
SESSAO=\$(curl -s -X POST $auth/auth -H 'content-type: application/json' -d '{"cpf": "52998224725", "enviar_codigo": true}' \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["sessao"])')
CODIGO=\$(awk '\$1 == "52998224725" { code = \$2 } END { print code }' $otp_outbox)
FULL=\$(curl -s -X POST $auth/auth -H 'content-type: application/json' \\
  -d "{\\"cpf\\": \\"52998224725\\", \\"sessao\\": \\"\$SESSAO\\", \\"codigo\\": \\"\$CODIGO\\"}" \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -s $app/v1/api/clientes/me -H "authorization: Bearer \$FULL" \\
  | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p); assert p["email"] == "maria@example.com"'
# 3. The menu: categories, then the burgers.
curl -s $app/v1/api/categorias/; echo
BURGER=\$(curl -s "$app/v1/api/produtos/?categoria=lanche" \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
# 4. Checkout: two burgers; the order is Recebido, stock reserved, prices snapshotted.
ORDER=\$(curl -s -X POST $app/v1/api/pedidos/ -H "authorization: Bearer \$TOKEN" \\
  -H 'content-type: application/json' -H "idempotency-key: \$(python3 -c 'import uuid; print(uuid.uuid4())')" \\
  -d "{\\"itens\\": [{\\"produto_id\\": \\"\$BURGER\\", \\"quantidade\\": 2}], \\"observacoes\\": \\"sem cebola\\"}" \\
  | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["id"])')
#    Read back with the kiosk token, the owner's name is masked as on the profile.
curl -s $app/v1/api/pedidos/\$ORDER -H "authorization: Bearer \$TOKEN" \\
  | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o); assert o["cliente_nome"] == "Maria"'
# 5. Pay: the Pix QR code (simulated provider: nobody is charged), then the simulated
#    approval, which sends a signed notification through the webhook's verification path.
curl -s $app/v1/api/pagamentos/\$ORDER/qrcode; echo
curl -s -X POST $app/v1/api/pagamentos/simulador/\$ORDER/aprovar; echo
curl -s $app/v1/api/pagamentos/\$ORDER/status; echo
# 6. The kitchen list, as the demo admin: the order is there as Pago.
ADMIN=\$(curl -s -X POST $auth/auth/admin -H 'content-type: application/json' \\
  -d '{"username": "$DEMO_ADMIN_USERNAME", "password": "$DEMO_ADMIN_PASSWORD"}' \\
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -s $app/v1/api/admin/pedidos/ -H "authorization: Bearer \$ADMIN" \\
  | python3 -c 'import json,sys; o=[o for o in json.load(sys.stdin) if o["id"]==sys.argv[1]][0]; print("pedido", o["numero"], o["status"], o["status_pagamento"]); assert o["status"]=="Pago"' \$ORDER
# 7. What protected routes refuse: a token that does not verify is 401 with
#    WWW-Authenticate: Bearer (log in again), the customer's valid token on an admin route 403.
curl -s -D - -o /dev/null $app/v1/api/clientes/me -H 'authorization: Bearer not-a-token' \\
  | python3 -c 'import sys; h=sys.stdin.read().lower(); print(h.splitlines()[0]); assert " 401" in h.splitlines()[0] and "www-authenticate: bearer" in h'
curl -s -o /dev/null -w '%{http_code}\n' $app/v1/api/admin/pedidos/ -H "authorization: Bearer \$TOKEN" \\
  | python3 -c 'import sys; code=sys.stdin.read().strip(); print(code); assert code == "403"'
# 8. The kitchen event stream, what the kitchen display reads (server-sent events): the whole
#    queue first (event: fila, with an id), then each creation and status change as it commits.
#    Open it with curl -N and leave it running; here each curl stops after 2 s, and the second
#    one resumes from the first one's last id, so it gets only the change made in between.
STREAM=$app/v1/api/admin/pedidos/eventos
LAST=\$({ curl -sN --max-time 2 \$STREAM -H "authorization: Bearer \$ADMIN" || true; } | grep -m1 '^id: ' | cut -c5-)
curl -s -o /dev/null -X PATCH $app/v1/api/admin/pedidos/\$ORDER/status -H "authorization: Bearer \$ADMIN" \\
  -H 'content-type: application/json' -d '{"status": "Em preparação"}'
{ curl -sN --max-time 2 \$STREAM -H "authorization: Bearer \$ADMIN" -H "last-event-id: \$LAST" || true; } \\
  | python3 -c 'import json,sys; e=[json.loads(l[6:]) for l in sys.stdin if l.startswith("data: ")]; [print("evento: pedido", x["pedido"]["numero"], x["de"], "->", x["para"]) for x in e]; assert [x["para"] for x in e]==["Em preparação"]'
# 9. The same in a browser: the kiosk at $app/kiosk/ (menu, cart, CPF, Pix QR code with a
#    simulated-payment button) and the kitchen display at $app/cozinha/ (log in as the demo
#    admin; columns Pronto, Em preparação, Pago, Recebido, updated live by the stream above).
WALK
)

cat <<INFO

postech is running locally (Ctrl-C stops everything; logs in $run_dir):
  ordering API       $app   (Swagger UI $app/docs, metrics $app/metrics)
  kiosk page         $app/kiosk/   (order, identify by CPF, pay with the simulator)
  kitchen display    $app/cozinha/   (log in as the demo admin below)
  auth function      $auth   (POST /auth, POST /auth/admin, POST /v1/api/admin/login)
  PostgreSQL         $server_url/$LOCAL_DB   (the app connects as role postech_app)
  local AWS (moto)   $AWS_ENDPOINT_URL   (Cognito + Secrets Manager, region $AWS_REGION)
  user pool          $COGNITO_USER_POOL_ID   app client $COGNITO_CLIENT_ID
  token keys         signing secret $signing_secret_id (auth function),
                     verification secret $verification_secret_id (app, public key only)
  demo admin         $DEMO_ADMIN_USERNAME / $DEMO_ADMIN_PASSWORD   (generated for this run)
${tracing_line:-  traces             off (POSTECH_TRACING=1 make run starts a trace receiver and Prometheus)}
${prometheus_line}

Walkthrough (paste into another terminal):
$walkthrough
INFO

if [ "${POSTECH_RUN_SMOKE:-0}" = 1 ]; then
  log "smoke: running the walkthrough"
  bash -euo pipefail -c "$walkthrough" >"$run_dir/walkthrough.out" 2>&1 || { cat "$run_dir/walkthrough.out"; die "the walkthrough failed"; }
  cat "$run_dir/walkthrough.out"; echo
  echo "run walkthrough: 1 passed, 0 failed"
  # The alerts and dashboards of postech-kubernetes-infra against the live app: every metric
  # of their contract with the app is exposed, with its type and labels, after a real order.
  log "smoke: the app's /metrics against the metrics the alerts and dashboards use"
  curl -fsS "$app/metrics" >"$run_dir/metrics.txt"
  monitoring_tools=$(repo_venv_bin postech-kubernetes-infra)
  "$monitoring_tools/python3" postech-kubernetes-infra/scripts/check_monitoring.py \
    --app-metrics "$run_dir/metrics.txt" postech-kubernetes-infra
  echo "monitoring contract vs live app: 1 passed, 0 failed"
  if [ "$TRACING" = 1 ]; then
    # The walkthrough's checkout reaches the receiver as a connected trace (the exporters send
    # in batches every few seconds): its root span, the use case below it, the transaction.
    log "smoke: the checkout's trace at the local receiver"
    for _ in $(seq 1 60); do
      curl -fsS "http://127.0.0.1:$TRACE_PORT/api/spans" >"$run_dir/spans.json"
      python3 - "$run_dir/spans.json" <<'PY' && break
import json, sys
spans = {s["span_id"]: s for s in json.load(open(sys.argv[1]))}
named = lambda name: [s for s in spans.values() if s["name"] == name]
ok = any(
    spans.get(use_case["parent_span_id"], {}).get("name") == "POST /v1/api/pedidos"
    and any(s["parent_span_id"] == use_case["span_id"] for s in named("db.orders.place"))
    for use_case in named("checkout.place")
)
sys.exit(0 if ok else 1)
PY
      sleep 0.5
    done
    python3 - "$run_dir/spans.json" <<'PY' || die "the checkout's trace did not reach the local trace receiver"
import json, sys
names = {s["name"] for s in json.load(open(sys.argv[1]))}
sys.exit(0 if {"POST /v1/api/pedidos", "checkout.place", "db.orders.place"} <= names else 1)
PY
    echo "run tracing: 1 passed, 0 failed"
  fi
  if [ "${POSTECH_RUN_BROWSER:-0}" = 1 ]; then
    log "browser tests of the kiosk and kitchen pages (headless Chromium)"
    ensure_chromium
    browser_tools=$(ensure_venv browser .ci/browser/requirements.txt)
    artefacts=${POSTECH_ARTEFACTS_DIR:-$POSTECH_CACHE/artefacts}/browser
    rm -rf "$artefacts"
    started=$SECONDS
    POSTECH_APP_URL=$app POSTECH_AUTH_URL=$auth POSTECH_ARTEFACTS_DIR=$artefacts \
      POSTECH_ADMIN_USERNAME=$DEMO_ADMIN_USERNAME POSTECH_ADMIN_PASSWORD=$DEMO_ADMIN_PASSWORD \
      "$browser_tools/python" .ci/browser/kiosk_and_kitchen.py || die "the browser tests failed (screenshots in $artefacts)"
    log "browser tests done in $((SECONDS - started)) s; screenshots in $artefacts"
  fi
  # Schema-driven fuzzing (Schemathesis) of this stack's /openapi.json, with a customer's and
  # the demo admin's tokens: no 5xx, every answer as documented. Last: it leaves junk behind.
  log "smoke: schema fuzzing of the API (postech-app/scripts/fuzz-api.sh)"
  app_tools=$(repo_venv_bin postech-app)
  customer_token=$(curl -fsS -X POST "$auth/auth" -H 'content-type: application/json' -d '{"cpf": "52998224725"}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  admin_token=$(curl -fsS -X POST "$auth/auth/admin" -H 'content-type: application/json' \
    -d "{\"username\": \"$DEMO_ADMIN_USERNAME\", \"password\": \"$DEMO_ADMIN_PASSWORD\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  SCHEMATHESIS=$app_tools/schemathesis POSTECH_FUZZ_REPORT_DIR=${POSTECH_ARTEFACTS_DIR:-$POSTECH_CACHE/artefacts}/schemathesis \
    bash postech-app/scripts/fuzz-api.sh "$app" "$customer_token" "$admin_token"
  exit 0
fi
wait "${pids[0]}"
