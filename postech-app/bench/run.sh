#!/usr/bin/env bash
# The load benchmark, one command: bench/run.sh
#
# Builds the release binary, creates a scratch database `postech_bench` on the server of
# DATABASE_URL (default: the local PostgreSQL), migrates and seeds it (bench/seed.sql), starts
# the app on 127.0.0.1, and measures with wrk (Debian package `wrk`) at 16 and 64
# connections: /health (no database: the server's own ceiling), categories, product list by
# category, order by id, the kitchen list with 500 open orders (whole, and its first page of
# 50), hot-row checkout and spread checkout; then pgbench runs the app's checkout transaction
# on the same rows (bench/checkout.pgbench, bench/checkout_spread.pgbench) at the same
# concurrencies: the database's own ceiling for each. Prints a Markdown table and the app's
# peak RSS, and writes them to bench/results/latest.md.
#
# Loopback only; every run is bounded in time (BENCH_DURATION seconds, default 8).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
app_dir="$(dirname "$here")"
duration="${BENCH_DURATION:-8}"
port="${BENCH_PORT:-18080}"
server_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bench_database="${BENCH_DATABASE:-postech_bench}"
bench_url="${server_url%/*}/$bench_database"
hot_a="00000000-0000-4000-8000-00000000a001"
hot_b="00000000-0000-4000-8000-00000000b002"
drinks="6b2e43a7-8764-48ec-8f7a-65134c8c1b9e"
order_id="10000000-0000-4000-8000-000000000001"

for tool in wrk pgbench psql python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install wrk postgresql-client)" >&2; exit 1; }
done

cd "$app_dir"
cargo build --release --locked --bin postech-app --example bench_token
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
binary="$target_dir/release/postech-app"

work="$(mktemp -d)"
app_pid=""
restock_pid=""
cleanup() {
    [[ -n "$restock_pid" ]] && kill "$restock_pid" 2>/dev/null || true
    [[ -n "$app_pid" ]] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

psql -q "$server_url" -c "DROP DATABASE IF EXISTS $bench_database WITH (FORCE)" -c "CREATE DATABASE $bench_database"
# No AWS here: a fixed region and no instance-metadata probing.
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
DATABASE_URL="$bench_url" RUST_LOG=warn "$binary" migrate
psql -q "$bench_url" -f "$here/seed.sql" >/dev/null

"$target_dir/release/examples/bench_token" "$work"
APP_HOST=127.0.0.1 APP_PORT="$port" DATABASE_URL="$bench_url" DATABASE_POOL_SIZE="${BENCH_POOL_SIZE:-8}" \
    JWT_KEY_ID="$(cat "$work/kid")" JWT_PUBLIC_KEY_PEM="$(cat "$work/public.pem")" \
    COGNITO_USER_POOL_ID=unused REGISTRATION_OUTBOX_FILE="$work/registration-outbox" RUST_LOG=warn \
    "$binary" serve >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null

# Keeps the hot rows stocked during checkouts (the schema caps stock at 10 000 units).
restock() {
    while true; do
        # Locks in id order like the checkout, or it would deadlock with it.
        psql -q "$bench_url" -c "UPDATE products SET stock_available = 10000 WHERE id IN (SELECT id FROM products WHERE id IN ('$hot_a', '$hot_b') ORDER BY id FOR UPDATE)" >/dev/null 2>&1 || true
        sleep 1
    done
}

results="$work/results.tsv"
run_wrk() { # name connections path [script] [token]
    local name="$1" connections="$2" path="$3" script="${4:-$here/wrk/get.lua}" token="${5:-}"
    BENCH_TOKEN="$token" wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$script" \
        "http://127.0.0.1:$port$path" >"$work/out.txt"
    python3 - "$name" "$connections" "$work/out.txt" >>"$results" <<'PY'
import re, sys
name, connections, path = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rate = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", text)
p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", text)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
socket = re.search(r"Socket errors: (.*)", text)
notes = []
if errors: notes.append(f"{errors.group(1)} non-2xx")
if socket: notes.append("socket errors: " + socket.group(1))
print(f"{name}\t{connections}\t{float(rate):.0f}\t{ms(*p50.groups()):.2f}\t{ms(*p99.groups()):.2f}\t{'; '.join(notes)}")
PY
}

run_pgbench() { # name connections script
    local name="$1" connections="$2" script="$3"
    pgbench -n -M prepared -c "$connections" -j 2 -T "$duration" -f "$here/$script" \
        -D p1="$hot_a" -D p2="$hot_b" -r "$bench_url" >"$work/pg.txt" 2>&1
    python3 - "$name" "$connections" "$work/pg.txt" >>"$results" <<'PY'
import re, sys
name, connections, path = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
tps = re.search(r"tps = ([\d.]+)", text).group(1)
latency = re.search(r"latency average = ([\d.]+) ms", text).group(1)
failed = re.search(r"number of failed transactions: (\d+)", text)
note = f"avg {float(latency):.2f} ms" + (f"; {failed.group(1)} failed" if failed and failed.group(1) != "0" else "")
print(f"pgbench: {name}\t{connections}\t{float(tps):.0f}\t-\t-\t{note}")
PY
}

: >"$results"
token="$(cat "$work/admin.token")"
for connections in 16 64; do
    run_wrk "health (no database: the server's ceiling)" "$connections" "/health"
    run_wrk "categories" "$connections" "/v1/api/categorias"
    run_wrk "product list by category" "$connections" "/v1/api/produtos?categoria_id=$drinks"
    run_wrk "order by id" "$connections" "/v1/api/pedidos/$order_id"
    run_wrk "kitchen list (500 open orders)" "$connections" "/v1/api/admin/pedidos" "$here/wrk/get.lua" "$token"
    run_wrk "kitchen list, first page of 50 (500 open orders)" "$connections" "/v1/api/admin/pedidos?limite=50" "$here/wrk/get.lua" "$token"
done
restock & restock_pid=$!
for connections in 16 64; do
    run_wrk "checkout, hot rows (same 2 products)" "$connections" "/v1/api/pedidos" "$here/wrk/checkout_hot.lua"
    run_pgbench "checkout transaction (hot rows)" "$connections" checkout.pgbench
    run_wrk "checkout, spread over 200 products" "$connections" "/v1/api/pedidos" "$here/wrk/checkout_spread.lua"
    run_pgbench "checkout transaction (spread over 200 products)" "$connections" checkout_spread.pgbench
done
kill "$restock_pid" 2>/dev/null || true
restock_pid=""
peak_rss_kib="$(awk '/VmHWM/ {print $2}' "/proc/$app_pid/status")"

mkdir -p "$here/results"
cp "$work/app.log" "$here/results/app.log"
{
    echo "| Scenario | Connections | req/s (tps) | p50 ms | p99 ms | Notes |"
    echo "|---|---:|---:|---:|---:|---|"
    sort -s -t$'\t' -k1,1 "$results" | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}'
    echo
    echo "App peak RSS (VmHWM): $((peak_rss_kib / 1024)) MiB. Duration per run: ${duration}s."
    echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM; $(psql -tA "$server_url" -c 'SHOW server_version') PostgreSQL."
} | tee "$here/results/latest.md"
