# Shared helpers of the root glue (sourced by .ci/test-all.sh and .ci/local-stack.sh).
# Everything installed lives under $POSTECH_CACHE (outside the clone), so a second run on the
# same machine is fast and a fresh machine still gets everything it needs.

POSTECH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
POSTECH_CACHE=${POSTECH_CACHE:-$HOME/.cache/postech}
# The five repositories, in dependency order (the SDK first, the consumers after).
POSTECH_REPOS=(postech-shared-sdk postech-database-infra postech-app postech-lambda-functions postech-kubernetes-infra)
mkdir -p "$POSTECH_CACHE"
# One target dir for every workspace (and for the standalone copies, which reuse its dependencies).
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$POSTECH_ROOT/target}

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Creates (or refreshes when the requirements file changed) the venv NAME and prints its bin dir.
ensure_venv() {
  local name=$1 requirements=$2 venv="$POSTECH_CACHE/venv-$1" wanted
  wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" != "$wanted" ]; then
    log "installing the tools of $name into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || die "python3 -m venv failed (install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2 \
      || die "pip install -r $requirements failed"
    echo "$wanted" > "$venv/.requirements-sha256"
  fi
  echo "$venv/bin"
}

# The venv of one repository, from its tools/requirements-dev.txt; nothing for a repo without one.
repo_venv_bin() {
  local requirements="$POSTECH_ROOT/$1/tools/requirements-dev.txt"
  [ -f "$requirements" ] && ensure_venv "$1" "$requirements"
  return 0
}

# Installs the repository's npm tools (package-lock.json) when it has any.
repo_npm_install() {
  local dir="$POSTECH_ROOT/$1"
  [ -f "$dir/package-lock.json" ] || return 0
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "installing the npm tools of $1"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed in $1"
  fi
}

# promtool validates the app's /metrics output in its tests (Debian package `prometheus`).
ensure_promtool() {
  command -v promtool >/dev/null && return 0
  log "installing promtool (Debian package prometheus)"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus) >&2 \
      || die "apt-get install prometheus failed"
  else
    die "promtool is missing: sudo apt-get install prometheus"
  fi
}

# Chromium and its WebDriver from Debian (packages chromium, chromium-driver) for the browser
# tests of the kiosk and kitchen pages. Installed here, like promtool, when missing.
ensure_chromium() {
  command -v chromium >/dev/null && command -v chromedriver >/dev/null && return 0
  log "installing Chromium and ChromeDriver (Debian packages chromium, chromium-driver)"
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver) >&2 \
      || die "apt-get install chromium chromium-driver failed"
  else
    die "chromium or chromedriver is missing: sudo apt-get install chromium chromium-driver"
  fi
}

# The command that stops the PostgreSQL server ensure_postgres started, if it started one: the
# run and test commands stop what they started, and leave alone a server that was already up.
POSTECH_STARTED_POSTGRES=()
stop_started_postgres() {
  [ ${#POSTECH_STARTED_POSTGRES[@]} -gt 0 ] || return 0
  log "stopping the PostgreSQL server started for this run"
  "${POSTECH_STARTED_POSTGRES[@]}" >&2 || true
  POSTECH_STARTED_POSTGRES=()
}

postgres_answers() { pg_isready -q -d "$1" 2>/dev/null && psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

# Exports DATABASE_URL pointing at a PostgreSQL server that answers: the one already named by
# DATABASE_URL, else the local server on 127.0.0.1:5432, else the machine's cluster started with
# pg_ctlcluster, else a private cluster made from the installed server binaries.
ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ] && postgres_answers "$DATABASE_URL"; then return 0; fi
  local local_url=postgres://postgres@127.0.0.1:5432/postgres
  if postgres_answers "$local_url"; then export DATABASE_URL=$local_url; return 0; fi
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && [ "$(id -u)" = 0 ]; then
    local version; version=$(ls /etc/postgresql | sort -V | tail -n1)
    log "starting the machine's PostgreSQL $version cluster"
    if pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2; then
      POSTECH_STARTED_POSTGRES=(pg_ctlcluster --skip-systemctl-redirect "$version" main stop)
    fi
    for _ in $(seq 1 30); do postgres_answers "$local_url" && { export DATABASE_URL=$local_url; return 0; }; sleep 1; done
  fi
  local bindir; bindir=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1)")
  [ -x "$bindir/initdb" ] || die "no PostgreSQL reachable and no server binaries found: install one (apt-get install postgresql) or set DATABASE_URL"
  local data="$POSTECH_CACHE/pg-data" port=55432 owner=""
  if [ "$(id -u)" = 0 ]; then owner=postgres; id postgres >/dev/null 2>&1 || useradd --system postgres; fi
  local as_owner=()
  # PostgreSQL refuses to run as root; use the postgres system user when we are root.
  if [ -n "$owner" ]; then as_owner=(runuser -u "$owner" --); fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a private PostgreSQL cluster in $data"
    mkdir -p "$data"; [ -n "$owner" ] && chown -R "$owner" "$data"
    "${as_owner[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust >&2 || die "initdb failed"
  fi
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" -l "$data/server.log" -w start >&2 \
    || die "the private PostgreSQL cluster did not start: see $data/server.log"
  POSTECH_STARTED_POSTGRES=("${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -m fast -w stop)
  export DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres
  postgres_answers "$DATABASE_URL" || die "the private PostgreSQL cluster does not answer"
}
