#!/usr/bin/env bash
# The root test command (`make test`): every repository's own test script, the standalone-build
# check, the workflow linters and the release flow's checks, against real PostgreSQL and a moto
# server. Prints a closing "N passed, N failed" line over every test that ran.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$POSTECH_ROOT"

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export CARGO_INCREMENTAL=0 # incremental artefacts only bloat a target dir that CI caches
report=$(mktemp); trap 'rm -f "$report"; stop_started_postgres' EXIT

ensure_postgres
log "PostgreSQL: ${DATABASE_URL%%\?*}"
ensure_promtool

for repo in "${POSTECH_REPOS[@]}"; do
  if [ ! -x "$repo/scripts/test.sh" ]; then
    log "$repo: no scripts/test.sh yet (its README says what is still to come)"
    continue
  fi
  venv_bin=$(repo_venv_bin "$repo")
  repo_npm_install "$repo"
  log "$repo: scripts/test.sh"
  started=$SECONDS
  (cd "$repo" && PATH="${venv_bin:+$venv_bin:}$PATH" ./scripts/test.sh) 2>&1 | tee -a "$report"
  log "$repo: done in $((SECONDS - started)) s"
done

log "the run command, end to end: make run's walkthrough executed (on free ports) with tracing on, then the browser tests of its pages"
free_ports=($(python3 -c 'import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))'))
POSTECH_RUN_SMOKE=1 POSTECH_RUN_BROWSER=1 POSTECH_MOTO_PORT=${free_ports[0]} POSTECH_AUTH_PORT=${free_ports[1]} \
  POSTECH_APP_PORT=${free_ports[2]} POSTECH_TRACING=1 POSTECH_TRACE_PORT=${free_ports[3]} \
  POSTECH_PROMETHEUS_PORT=${free_ports[4]} POSTECH_LOCAL_DB=postech_run_smoke bash .ci/local-stack.sh 2>&1 | tee -a "$report"

log "standalone builds of every Rust folder"
bash .ci/standalone-build-check.sh 2>&1 | tee -a "$report"

log "workflow linters (actionlint, zizmor) on every repository"
ci_bin=$(ensure_venv ci .ci/requirements.txt)
workflows=$(ls -d postech-*/.github/workflows/*.yml)
# shellcheck disable=SC2086
"$ci_bin/actionlint" $workflows
# shellcheck disable=SC2086
"$ci_bin/zizmor" --offline --min-severity medium $workflows
echo "workflow lint: 2 passed, 0 failed" | tee -a "$report"

log "release flow: rulesets, environments, required checks against the jobs, deploys after CI"
"$ci_bin/python" .ci/check_release_settings.py 2>&1 | tee -a "$report"
"$ci_bin/python" .ci/test_check_release_settings.py 2>&1 | tee -a "$report"
log "release scripts: promotion in a scratch repository, the deploy scripts against fake gh and aws"
bash .ci/test-release-scripts.sh "$ci_bin" 2>&1 | tee -a "$report"

log "make test took $SECONDS s"

# Sum the closing lines of every runner: nextest ("N tests run: N passed, ... N failed"),
# libtest/doctests ("test result: ok. N passed; M failed") and the plain ones of the scripts.
python3 - "$report" <<'PY'
import re, sys
passed = failed = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if m := re.search(r"tests? run: (\d+) passed(?:.*?(\d+) failed)?", line):
        passed += int(m[1]); failed += int(m[2] or 0)
    elif m := re.search(r"test result: \w+\. (\d+) passed; (\d+) failed", line):
        passed += int(m[1]); failed += int(m[2])
    elif m := re.match(r"^[\w -]+: (\d+) passed, (\d+) failed$", line.strip()):
        passed += int(m[1]); failed += int(m[2])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
PY
