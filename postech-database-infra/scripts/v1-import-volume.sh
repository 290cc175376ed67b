#!/usr/bin/env bash
# Measures `postech-migrator import-v1` on a generated, dirty v1 database: wall time and peak
# memory (RSS) of the import, of `--verify`, and of a second (idempotent) run.
#
#   scripts/v1-import-volume.sh [orders] [customers]      # default 100000 orders, orders/10 customers
#
# Needs: cargo, psql, /usr/bin/time (GNU time), moto_server and python3 with boto3 on PATH (the
# venv of tools/requirements-dev.txt), a PostgreSQL server at DATABASE_URL (default
# postgres://postgres@127.0.0.1:5432/postgres) whose role may create databases. Builds the
# migrator with PROFILE (default release). Creates and drops two databases of its own and
# starts (and stops) its own moto server.
set -euo pipefail
cd "$(dirname "$0")/.."

orders=${1:-100000}
customers=${2:-$((orders / 10))}
server=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
profile=${PROFILE:-release}
target_dir=${CARGO_TARGET_DIR:-target}
case "$profile" in dev) bin="$target_dir/debug/postech-migrator" ;; *) bin="$target_dir/$profile/postech-migrator" ;; esac

for tool in cargo psql moto_server python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "missing: /usr/bin/time (GNU time)" >&2; exit 1; }

suffix="$$_$(date +%s)"
v1_db="postech_volume_v1_$suffix"
postech_db="postech_volume_$suffix"
work=$(mktemp -d)
moto_pid=""
cleanup() {
  [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null || true
  psql "$server" -q -c "DROP DATABASE IF EXISTS $v1_db WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS $postech_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "Building the migrator ($profile)..."
cargo build --locked --profile "$profile" --bin postech-migrator

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
endpoint="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('$endpoint/moto-api/')" 2>/dev/null && break
  sleep 0.2
done
export AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
pool_id=$(python3 - <<'EOF'
import boto3
cognito = boto3.client("cognito-idp")
pool = cognito.create_user_pool(
    PoolName="postech-volume",
    Schema=[{"Name": "customer_id", "AttributeDataType": "String", "Mutable": False,
             "StringAttributeConstraints": {"MinLength": "36", "MaxLength": "36"}}],
    AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
)
print(pool["UserPool"]["Id"])
EOF
)

database_url() { echo "${server%/*}/$1"; }
psql "$server" -q -c "CREATE DATABASE $v1_db" -c "CREATE DATABASE $postech_db"
echo "Generating v1: $orders orders, $customers customers..."
start=$(date +%s.%N)
psql "$(database_url "$v1_db")" -q -v ON_ERROR_STOP=1 \
  -f tests/fixtures/v1/schema-9c4a9953f05f.sql -f tests/fixtures/v1/volume.sql \
  -c "SELECT v1_fixture_generate($orders, $customers)" >/dev/null
psql "$(database_url "$v1_db")" -At -c "SELECT 'v1 rows: ' || string_agg(t || ' ' || n, ', ') FROM (
  SELECT 'tb_clientes' t, count(*) n FROM tb_clientes UNION ALL SELECT 'tb_produtos', count(*) FROM tb_produtos
  UNION ALL SELECT 'tb_pedidos', count(*) FROM tb_pedidos UNION ALL SELECT 'tb_itens_pedido', count(*) FROM tb_itens_pedido
  UNION ALL SELECT 'tb_pagamentos', count(*) FROM tb_pagamentos UNION ALL SELECT 'tb_fila_pedidos', count(*) FROM tb_fila_pedidos) c"
echo "generated in $(echo "$(date +%s.%N) - $start" | bc)s"

export DATABASE_URL
DATABASE_URL=$(database_url "$postech_db")
export V1_DATABASE_URL
V1_DATABASE_URL=$(database_url "$v1_db")
export COGNITO_USER_POOL_ID="$pool_id"
unset MIGRATOR_DATABASE_SECRET_ID APP_DATABASE_SECRET_ID APP_DATABASE_URL
"$bin" up >/dev/null

measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/$label.out"
  read -r seconds kilobytes <"$work/time"
  printf '%-34s %8.1f s   peak RSS %6d MiB\n' "$label" "$seconds" $((kilobytes / 1024))
}

echo "Measuring ($bin):"
measure "import-v1" "$bin" import-v1 --cognito-rate 1000 --cognito-concurrency 16 \
  --report "$work/report.json"
measure "import-v1 --verify" "$bin" import-v1 --verify
measure "import-v1 again (idempotent)" "$bin" import-v1 --cognito-rate 1000
echo
cat "$work/import-v1.out"
echo
grep -E "MISMATCH|postech (holds|does NOT)" "$work/import-v1 --verify.out"
grep -E "^tb_pedidos|notes changed" "$work/import-v1 again (idempotent).out"
