#!/usr/bin/env bash
# The release scripts of the five repositories, exercised without GitHub and without AWS (the
# root test command runs this):
#   promote.sh     against a scratch git repository in a temporary folder: promotion pull
#                  request bodies (changelog by commit type), fast-forward merges, release tags
#                  and their versions, dry runs, refusals; its GitHub mode through a fake `gh`
#                  (opens or updates the pull request, merges only an approved, green one)
#   require-upstream.sh, previous-release.sh, run-in-vpc.sh   through a fake `aws` on PATH
#   apply-github-settings.sh   --dry-run through a fake `gh`
#   every release script through shellcheck
# The copies of a shared script are identical (.ci/check_release_settings.py), so one copy is
# exercised. Closing line: "release scripts: N passed, M failed".
#
#   .ci/test-release-scripts.sh [<bin dir holding shellcheck>]
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools_bin=${1:-}
scripts="$root/postech-app/.github/scripts"
promote="$scripts/promote.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

run_test() { # name, then the test function; the function runs under set -e in a subshell
  local name=$1 status
  shift
  # Not inside an `if` or `||`: there bash would ignore set -e in the subshell, and only a
  # test's last assertion would count.
  (set -euo pipefail; cd "$work"; "$@") > "$work/test.log" 2>&1
  status=$?
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok     $name"
  else
    failed=$((failed + 1))
    echo "FAILED $name"
    tail -n 40 "$work/test.log" | sed 's/^/       /'
  fi
}
contains() { grep -qF -- "$2" <<<"$1" || { echo "expected to find: $2"; echo "in: $1"; return 1; }; }
lacks() { ! grep -qF -- "$2" <<<"$1" || { echo "expected not to find: $2"; echo "in: $1"; return 1; }; }
equals() { [ "$1" = "$2" ] || { echo "expected '$2', got '$1'"; return 1; }; }

# ---- A scratch repository: origin (bare) and a clone with main, staging and develop ----------
scratch() { # dir, version source
  local dir=$1 source=${2:-commits}
  mkdir -p "$dir"
  git init --quiet --bare "$dir/origin.git"
  git clone --quiet "$dir/origin.git" "$dir/work" 2>/dev/null
  cd "$dir/work"
  git config user.email release-test@postech.invalid
  git config user.name "release test"
  mkdir -p .github
  printf 'RELEASE_TAG_PREFIX=demo-v\nVERSION_SOURCE=%s\n' "$source" > .github/release.conf
  git add .github && git commit --quiet -m "chore: start"
  git branch -M main
  git push --quiet origin main main:staging main:develop
  git checkout --quiet -b develop origin/develop
}
commit_on() { # branch, subject [body]
  git fetch --quiet origin
  git checkout --quiet -B "$1" "origin/$1"
  echo "$2" >> changes.txt
  git add changes.txt
  git commit --quiet -m "$2" ${3:+-m "$3"}
  git push --quiet origin "$1"
}
remote_sha() { git -C "$1/origin.git" rev-parse "$2"; }

three_commits() {
  commit_on develop "feat(api): kitchen list"
  commit_on develop "fix: reject NUL characters"
  commit_on develop "postech-app: tidy the handlers"
}

test_open_staging_lists_changes_by_type() {
  scratch "$work/open" && three_commits
  local out; out=$(bash "$promote" open staging --local)
  contains "$out" "== Promote develop → staging (3 commits)"
  contains "$out" "### Features"
  contains "$out" "- feat(api): kitchen list"
  contains "$out" "### Fixes"
  contains "$out" "- fix: reject NUL characters"
  contains "$out" "### Other changes"
  contains "$out" "- postech-app: tidy the handlers"
  lacks "$out" "chore: start"
}

test_merge_staging_fast_forwards_to_the_tested_commit() {
  scratch "$work/ff" && three_commits
  local develop; develop=$(remote_sha "$work/ff" develop)
  bash "$promote" merge staging --local
  equals "$(remote_sha "$work/ff" staging)" "$develop"
  equals "$(git -C "$work/ff/origin.git" rev-list --count staging)" 4   # no merge commit
}

test_merge_main_tags_the_first_release_with_its_changelog() {
  scratch "$work/tag" && three_commits
  bash "$promote" merge staging --local
  local out; out=$(bash "$promote" open main --local)
  contains "$out" "== Release demo-v0.1.0: staging → main (3 commits)"
  bash "$promote" merge main --local
  local sha; sha=$(remote_sha "$work/tag" develop)
  equals "$(remote_sha "$work/tag" main)" "$sha"
  equals "$(git -C "$work/tag/origin.git" rev-parse 'demo-v0.1.0^{commit}')" "$sha"
  local notes; notes=$(git -C "$work/tag/origin.git" tag -l --format='%(contents)' demo-v0.1.0)
  contains "$notes" "demo 0.1.0"
  contains "$notes" "### Features"
  contains "$notes" "- feat(api): kitchen list"
}

promote_to_main() { bash "$promote" merge staging --local >/dev/null && bash "$promote" merge main --local >/dev/null; }

test_versions_follow_the_commit_types() {
  scratch "$work/versions" && three_commits && promote_to_main
  commit_on develop "fix: tolerate a slow provider"
  equals "$(bash "$promote" next-version origin/develop)" 0.1.1
  promote_to_main
  commit_on develop "feat: cancel unpaid orders"
  equals "$(bash "$promote" next-version origin/develop)" 0.2.0
  promote_to_main
  commit_on develop "feat!: drop the v1 routes"
  equals "$(bash "$promote" next-version origin/develop)" 0.3.0   # 0.x: breaking bumps the minor
  commit_on develop "refactor: split handlers" "BREAKING CHANGE: the config file moved"
  equals "$(bash "$promote" next-version origin/develop)" 0.3.0
  promote_to_main
  local tag
  for tag in demo-v0.1.1 demo-v0.2.0 demo-v0.3.0; do git -C "$work/versions/origin.git" rev-parse --quiet --verify "refs/tags/$tag" >/dev/null; done
  local notes; notes=$(git -C "$work/versions/origin.git" tag -l --format='%(contents)' demo-v0.3.0)
  contains "$notes" "### Breaking changes"
  contains "$notes" "- feat!: drop the v1 routes"
  contains "$notes" "- refactor: split handlers"
  lacks "$notes" "cancel unpaid orders"   # that one belongs to 0.2.0
}

test_refuses_to_promote_over_a_hotfix_the_source_lacks() {
  scratch "$work/hotfix" && three_commits && promote_to_main
  commit_on main "fix: hotfix straight on main"
  commit_on develop "feat: more"
  bash "$promote" merge staging --local >/dev/null
  local out status=0
  out=$(bash "$promote" open main --local 2>&1) || status=$?
  equals "$status" 4
  contains "$out" "main has commits staging lacks"
  out=$(bash "$promote" merge main --local 2>&1) || status=$?
  equals "$status" 4
  lacks "$(git -C "$work/hotfix/origin.git" log --format=%s main)" "feat: more"
}

test_dry_run_changes_nothing() {
  scratch "$work/dry" && three_commits
  local before; before=$(remote_sha "$work/dry" staging)
  local out; out=$(bash "$promote" merge staging --local --dry-run)
  contains "$out" "[dry-run] git push origin"
  equals "$(remote_sha "$work/dry" staging)" "$before"
}

test_nothing_to_promote_when_branches_agree() {
  scratch "$work/same"
  local out; out=$(bash "$promote" open staging --local)
  contains "$out" "nothing to promote"
}

cargo_manifest() { # version, changelog section or nothing
  git fetch --quiet origin
  git checkout --quiet -B develop origin/develop
  printf '[package]\nname = "demo"\nversion = "%s"\nedition = "2021"\n\n[dependencies]\nother = { version = "9.9.9" }\n' "$1" > Cargo.toml
  if [ -n "${2:-}" ]; then printf '# Changelog\n\n## [%s]\n\n- %s\n' "$1" "$2" > CHANGELOG.md; else printf '# Changelog\n' > CHANGELOG.md; fi
  git add Cargo.toml CHANGELOG.md
  git commit --quiet -m "release $1"
  git push --quiet origin develop
}

test_cargo_versioned_repository_tags_its_crate_version_once() {
  scratch "$work/cargo" cargo
  cargo_manifest 0.3.0 "the first release"
  promote_to_main
  equals "$(git -C "$work/cargo/origin.git" rev-parse 'demo-v0.3.0^{commit}')" "$(remote_sha "$work/cargo" main)"
  commit_on develop "fix: forgot to bump"
  bash "$promote" merge staging --local >/dev/null
  local out status=0
  out=$(bash "$promote" merge main --local 2>&1) || status=$?
  equals "$status" 1
  contains "$out" "demo-v0.3.0 already tags"
  contains "$out" "bump the version"
}

test_cargo_versioned_release_needs_its_changelog_section() {
  scratch "$work/changelog" cargo
  cargo_manifest 0.4.0 ""
  bash "$promote" merge staging --local >/dev/null
  local out status=0
  out=$(bash "$promote" merge main --local 2>&1) || status=$?
  equals "$status" 1
  contains "$out" "CHANGELOG.md has no '## [0.4.0]' section"
}

# ---- GitHub mode, through a fake gh ----------------------------------------------------------
# FAKE_GH_DIR/pr_number: the open pull request's number (empty: none); FAKE_GH_DIR/view.json:
# what `gh pr view` answers; every call is appended to FAKE_GH_DIR/calls.
fake_gh() {
  mkdir -p "$work/bin-gh"
  cat > "$work/bin-gh/gh" <<'EOF'
#!/usr/bin/env bash
echo "gh $*" >> "$FAKE_GH_DIR/calls"
case "$1 $2" in
  "pr list") cat "$FAKE_GH_DIR/pr_number" 2>/dev/null || true ;;
  "pr view") cat "$FAKE_GH_DIR/view.json" ;;
  "pr create" | "pr edit" | "release create") ;;
  *) echo "fake gh: unexpected $*" >&2; exit 9 ;;
esac
EOF
  chmod +x "$work/bin-gh/gh"
}
view_json() { # head sha, review decision, check conclusion
  jq -n --arg head "$1" --arg review "$2" --arg result "$3" \
    '{headRefOid: $head, reviewDecision: $review, statusCheckRollup: [{name: "test", conclusion: "SUCCESS"}, {name: "terraform plan", conclusion: $result}]}'
}

test_github_open_creates_then_updates_the_pull_request() {
  scratch "$work/gh-open" && three_commits && fake_gh
  export FAKE_GH_DIR="$work/gh-open/gh" && mkdir -p "$FAKE_GH_DIR"
  PATH="$work/bin-gh:$PATH" bash "$promote" open staging >/dev/null
  contains "$(cat "$FAKE_GH_DIR/calls")" "gh pr create --base staging --head develop --title Promote develop → staging (3 commits) --body-file"
  echo 7 > "$FAKE_GH_DIR/pr_number"
  PATH="$work/bin-gh:$PATH" bash "$promote" open staging >/dev/null
  contains "$(cat "$FAKE_GH_DIR/calls")" "gh pr edit 7 --title Promote develop → staging (3 commits) --body-file"
}

github_merge_attempt() { # dir, review decision, check conclusion, head (default: develop's)
  scratch "$work/$1" && three_commits && fake_gh
  export FAKE_GH_DIR="$work/$1/gh" && mkdir -p "$FAKE_GH_DIR"
  echo 12 > "$FAKE_GH_DIR/pr_number"
  view_json "${4:-$(remote_sha "$work/$1" develop)}" "$2" "$3" > "$FAKE_GH_DIR/view.json"
  PATH="$work/bin-gh:$PATH" bash "$promote" merge staging 2>&1
}

test_github_merge_refuses_an_unapproved_pull_request() {
  local out status=0 before
  out=$(github_merge_attempt gh-unapproved REVIEW_REQUIRED SUCCESS) || status=$?
  equals "$status" 1
  contains "$out" "pull request #12 is not approved (review decision: REVIEW_REQUIRED)"
  before=$(remote_sha "$work/gh-unapproved" main)
  equals "$(remote_sha "$work/gh-unapproved" staging)" "$before"
}

test_github_merge_refuses_a_pull_request_with_failing_checks() {
  local out status=0
  out=$(github_merge_attempt gh-red APPROVED FAILURE) || status=$?
  equals "$status" 1
  contains "$out" "has checks that did not pass: terraform plan: FAILURE"
}

test_github_merge_refuses_when_the_head_moved_after_review() {
  local out status=0
  out=$(github_merge_attempt gh-moved APPROVED SUCCESS 0123456789012345678901234567890123456789) || status=$?
  equals "$status" 1
  contains "$out" "head is not"
}

test_github_merge_fast_forwards_an_approved_green_pull_request_and_publishes_main() {
  github_merge_attempt gh-green APPROVED SUCCESS >/dev/null
  equals "$(remote_sha "$work/gh-green" staging)" "$(remote_sha "$work/gh-green" develop)"
  view_json "$(remote_sha "$work/gh-green" staging)" APPROVED SUCCESS > "$FAKE_GH_DIR/view.json"
  PATH="$work/bin-gh:$PATH" bash "$promote" merge main >/dev/null
  contains "$(cat "$FAKE_GH_DIR/calls")" "gh release create demo-v0.1.0 --verify-tag --title demo-v0.1.0 --notes-file"
  equals "$(remote_sha "$work/gh-green" main)" "$(remote_sha "$work/gh-green" develop)"
}

# ---- A fake aws: SSM, S3, CodeBuild, CloudWatch Logs --------------------------------------------
# FAKE_AWS_DIR/params: "name value" per line; history.json: get-parameter-history's answer;
# statuses: the build statuses batch-get-builds returns, one per call; log: the build's log lines.
fake_aws() {
  mkdir -p "$work/bin-aws"
  cat > "$work/bin-aws/aws" <<'EOF'
#!/usr/bin/env bash
state=${FAKE_AWS_DIR:?}
echo "aws $*" >> "$state/calls"
option() { local name=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$name" ] && { echo "$2"; return; }; shift; done; }
case "$1 $2" in
  "ssm get-parameters")
    shift 2; names=()
    while [ $# -gt 0 ]; do
      if [ "$1" = --names ]; then shift; while [ $# -gt 0 ] && [[ $1 != --* ]]; do names+=("$1"); shift; done; else shift; fi
    done
    echo "${#names[@]}" >> "$state/batch-sizes"
    missing=()
    for name in "${names[@]}"; do grep -q "^$name " "$state/params" 2>/dev/null || missing+=("$name"); done
    if [ ${#missing[@]} -eq 0 ]; then echo; else (IFS=$'\t'; echo "${missing[*]}"); fi ;;
  "ssm get-parameter")
    name=$(option --name "$@")
    line=$(grep "^$name " "$state/params" 2>/dev/null) || { echo "ParameterNotFound: $name" >&2; exit 254; }
    echo "${line#* }" ;;
  "ssm get-parameter-history")
    [ -f "$state/history.json" ] || { echo "ParameterNotFound" >&2; exit 254; }
    cat "$state/history.json" ;;
  "s3 cp")
    args=("$@"); target=${args[-1]}; source=${args[-2]}
    mkdir -p "$state/uploads"; cp "$source" "$state/uploads/bundle.zip"; echo "$target" > "$state/uploaded-to" ;;
  "codebuild start-build")
    echo "$(option --project-name "$@") $(option --source-location-override "$@")" > "$state/started"
    environment=$(option --environment-variables-override "$@"); cp "${environment#file://}" "$state/environment.json"
    echo "build:1" ;;
  "codebuild batch-get-builds")
    count=$(cat "$state/polls" 2>/dev/null || echo 0); echo $((count + 1)) > "$state/polls"
    status=$(sed -n "$((count + 1))p" "$state/statuses"); [ -n "$status" ] || status=$(tail -n1 "$state/statuses")
    printf '%s\t%s\t%s\n' "$status" /aws/codebuild/demo stream-1 ;;
  "logs get-log-events")
    token=$(option --next-token "$@")
    if [ -z "$token" ]; then jq -Rn '{events: [inputs | {message: (. + "\n")}], nextForwardToken: "f/1"}' < "$state/log"
    else echo '{"events": [], "nextForwardToken": "f/1"}'; fi ;;
  *) echo "fake aws: unexpected $*" >&2; exit 9 ;;
esac
EOF
  chmod +x "$work/bin-aws/aws"
  export FAKE_AWS_DIR="$work/aws-$RANDOM$RANDOM"
  mkdir -p "$FAKE_AWS_DIR"
}
with_parameters() { for name in "$@"; do echo "$name value-of-${name##*/}" >> "$FAKE_AWS_DIR/params"; done; }
everything_before_the_app() {
  local s=/postech/staging
  with_parameters /postech/account/github-oidc-provider-arn $s/eks/namespace-ready $s/rds/app-role-name \
    $s/auth/jwt-verification-key-secret-arn $s/ecr/postech-app-repository $s/ecr/postech-migrator-repository \
    $s/eks/cluster-name $s/rds/endpoint $s/rds/port $s/rds/db-name \
    $s/rds/master-secret-arn $s/cognito/user-pool-id $s/cognito/client-id $s/apigw/endpoint \
    $s/deploy/executor-bucket $s/deploy/app-rollout-project
}

test_require_upstream_passes_when_everything_is_there() {
  fake_aws && everything_before_the_app
  local out; out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/require-upstream.sh" staging postech-app)
  contains "$out" "everything postech-app reads on staging is in place (16 parameters)"
  # get-parameters takes at most ten names per call.
  equals "$(sort -n "$FAKE_AWS_DIR/batch-sizes" | tail -n1)" 10
}

test_require_upstream_names_what_is_missing_and_who_writes_it() {
  fake_aws && everything_before_the_app
  sed -i '/rds\/endpoint /d; /apigw\/endpoint /d' "$FAKE_AWS_DIR/params"
  local out status=0
  out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/require-upstream.sh" staging postech-app 2>&1) || status=$?
  equals "$status" 3
  contains "$out" "postech-app cannot deploy to staging yet; missing:"
  contains "$out" "/postech/staging/rds/endpoint (written by postech-database-infra's deploy)"
  contains "$out" "/postech/staging/apigw/endpoint (written by postech-lambda-functions' deploy)"
  contains "$out" "Apply order: bootstrap postech-kubernetes-infra postech-database-infra postech-lambda-functions postech-app"
}

test_require_upstream_enforces_the_order_through_the_markers() {
  fake_aws
  with_parameters /postech/account/github-oidc-provider-arn /postech/production/eks/namespace-ready \
    /postech/production/vpc/private-subnet-ids /postech/production/eks/vpc-link-security-group-id \
    /postech/production/eks/app-load-balancer-arn /postech/production/eks/app-tls-server-name
  local out status=0
  out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/require-upstream.sh" production postech-lambda-functions 2>&1) || status=$?
  equals "$status" 3
  contains "$out" "/postech/production/rds/app-role-name (written by postech-database-infra's deploy)"
  # The functions' VPC configuration and OTLP endpoint (postech-lambda-functions infra/parameters.yml).
  contains "$out" "/postech/production/eks/edge-functions-security-group-id (written by postech-kubernetes-infra's deploy)"
  contains "$out" "/postech/production/tracing/edge-otlp-endpoint (written by postech-kubernetes-infra's deploy)"
  out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/require-upstream.sh" production postech-kubernetes-infra 2>&1)
  contains "$out" "in place (1 parameters)"
}

test_require_upstream_stops_the_first_deploy_before_the_bootstrap() {
  fake_aws
  local out status=0
  out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/require-upstream.sh" staging postech-kubernetes-infra 2>&1) || status=$?
  equals "$status" 3
  contains "$out" "/postech/account/github-oidc-provider-arn (written by the account bootstrap"
}

release_record() { # n, commit [rollback_of n]
  jq -nc --arg app "repo/postech-app@sha256:$(printf '%064d' "$1")" --arg migrator "repo/postech-migrator@sha256:$(printf '%064d' "$1")" \
    --arg commit "$2" --arg rollback "${3:+repo/postech-app@sha256:$(printf '%064d' "${3:-0}")}" \
    '{app_image: $app, migrator_image: $migrator, commit: $commit} + (if $rollback == "" then {} else {rollback_of: $rollback} end)'
}
history() { local records=(); for record in "$@"; do records+=("$record"); done; printf '%s\n' "${records[@]}" | jq -s 'map(tojson)' > "$FAKE_AWS_DIR/history.json"; }
digest() { printf 'sha256:%064d' "$1"; }

test_previous_release_is_the_one_before_the_current() {
  fake_aws && history "$(release_record 1 aaaaaaa)" "$(release_record 2 bbbbbbb)" "$(release_record 3 ccccccc)"
  local out; out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/previous-release.sh" production)
  contains "$out" "app_digest=$(digest 2)"
  contains "$out" "migrator_digest=$(digest 2)"
  contains "$out" "commit=bbbbbbb"
  contains "$out" "rollback_of=repo/postech-app@$(digest 3)"
}

test_two_rollbacks_in_a_row_go_two_releases_back() {
  fake_aws && history "$(release_record 1 aaaaaaa)" "$(release_record 2 bbbbbbb)" "$(release_record 3 ccccccc)" "$(release_record 2 bbbbbbb 3)"
  local out; out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/previous-release.sh" production)
  contains "$out" "app_digest=$(digest 1)"
}

test_previous_release_of_a_named_commit() {
  fake_aws && history "$(release_record 1 aaaaaaa1)" "$(release_record 2 bbbbbbb2)" "$(release_record 3 ccccccc3)"
  local out; out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/previous-release.sh" staging aaaaaaa)
  contains "$out" "app_digest=$(digest 1)"
  local status=0
  out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/previous-release.sh" staging 1234567 2>&1) || status=$?
  equals "$status" 1
  contains "$out" "never ran a release of commit 1234567"
}

test_previous_release_refuses_without_an_earlier_release() {
  fake_aws
  local out status=0
  out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/previous-release.sh" staging 2>&1) || status=$?
  equals "$status" 1
  contains "$out" "no release recorded on staging"
  history "$(release_record 4 ddddddd)"
  status=0
  out=$(PATH="$work/bin-aws:$PATH" bash "$scripts/previous-release.sh" staging 2>&1) || status=$?
  equals "$status" 1
  contains "$out" "no earlier release with a different app image"
}

executor_bundle() { # dir
  mkdir -p "$1/postech-kubernetes-infra/.github/executor" "$1/postech-kubernetes-infra/.git"
  echo "secret-looking git metadata" > "$1/postech-kubernetes-infra/.git/config"
  # shellcheck disable=SC2016 # the entry script expands them, not this one
  printf '#!/usr/bin/env bash\necho "rolled out $APP_DIGEST on $POSTECH_EXECUTOR_STAGE" > "%s/local-run"\n' "$1" \
    > "$1/postech-kubernetes-infra/.github/executor/app-rollout.sh"
}

test_run_in_vpc_uploads_the_bundle_starts_the_build_and_streams_its_log() {
  fake_aws && executor_bundle "$work/bundle-ok"
  with_parameters /postech/staging/deploy/executor-bucket
  echo "/postech/staging/deploy/app-rollout-project postech-staging-app-rollout" >> "$FAKE_AWS_DIR/params"
  printf 'IN_PROGRESS\nIN_PROGRESS\nSUCCEEDED\n' > "$FAKE_AWS_DIR/statuses"
  printf 'installing kubectl\ndeploy-app: postech-app is live on staging\n' > "$FAKE_AWS_DIR/log"
  local out; out=$(POSTECH_EXECUTOR_POLL_SECONDS=0 PATH="$work/bin-aws:$PATH" \
    bash "$scripts/run-in-vpc.sh" staging app-rollout "$work/bundle-ok" "APP_DIGEST=$(digest 5)" SKIP_MIGRATIONS=1)
  contains "$out" "deploy-app: postech-app is live on staging"
  contains "$out" "run-in-vpc: app-rollout on staging succeeded"
  equals "$(grep -c 'deploy-app: postech-app is live' <<<"$out")" 1   # each log line once
  contains "$(cat "$FAKE_AWS_DIR/started")" "postech-staging-app-rollout value-of-executor-bucket/app-rollout/"
  contains "$(cat "$FAKE_AWS_DIR/uploaded-to")" "s3://value-of-executor-bucket/app-rollout/"
  local listing; listing=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$FAKE_AWS_DIR/uploads/bundle.zip")
  contains "$listing" "postech-kubernetes-infra/.github/executor/app-rollout.sh"
  lacks "$listing" ".git/config"
  equals "$(jq -r '[.[] | "\(.name)=\(.value)"] | join(" ")' "$FAKE_AWS_DIR/environment.json")" \
    "POSTECH_EXECUTOR_STAGE=staging APP_DIGEST=$(digest 5) SKIP_MIGRATIONS=1"
}

test_run_in_vpc_fails_with_the_build() {
  fake_aws && executor_bundle "$work/bundle-failed"
  with_parameters /postech/production/deploy/executor-bucket /postech/production/deploy/app-rollout-project
  printf 'IN_PROGRESS\nFAILED\n' > "$FAKE_AWS_DIR/statuses"
  printf 'deploy-app: the migration Job did not complete\n' > "$FAKE_AWS_DIR/log"
  local out status=0
  out=$(POSTECH_EXECUTOR_POLL_SECONDS=0 PATH="$work/bin-aws:$PATH" bash "$scripts/run-in-vpc.sh" production app-rollout "$work/bundle-failed" 2>&1) || status=$?
  equals "$status" 1
  contains "$out" "deploy-app: the migration Job did not complete"
  contains "$out" "app-rollout on production ended FAILED"
}

test_run_in_vpc_local_mode_runs_the_entry_script_here() {
  executor_bundle "$work/bundle-local"
  POSTECH_EXECUTOR=local bash "$scripts/run-in-vpc.sh" staging app-rollout "$work/bundle-local" "APP_DIGEST=$(digest 6)" >/dev/null
  equals "$(cat "$work/bundle-local/local-run")" "rolled out $(digest 6) on staging"
}

test_run_in_vpc_refuses_what_is_not_an_assignment_or_a_step() {
  executor_bundle "$work/bundle-bad"
  local status=0
  bash "$scripts/run-in-vpc.sh" staging app-rollout "$work/bundle-bad" "lowercase=1" 2>/dev/null || status=$?
  equals "$status" 2
  status=0
  bash "$scripts/run-in-vpc.sh" staging drop-database "$work/bundle-bad" 2>/dev/null || status=$?
  equals "$status" 2
}

# ---- apply-github-settings.sh --dry-run, through a fake gh --------------------------------------
test_apply_github_settings_creates_rulesets_environments_and_variables() {
  mkdir -p "$work/bin-gh-settings"
  cat > "$work/bin-gh-settings/gh" <<'EOF'
#!/usr/bin/env bash
[ "$1" = api ] || { echo "fake gh: unexpected $*" >&2; exit 9; }
case "$2" in
  repos/postech/postech-app/git/ref/heads/main) [ "${4:-}" = .object.sha ] && echo 0123456789012345678901234567890123456789 ;;
  repos/postech/postech-app/git/ref/heads/develop) echo '{}' ;;
  repos/postech/postech-app/git/ref/heads/staging) exit 1 ;;
  repos/postech/postech-app/rulesets) printf 'main branch\t55\n' ;;
  orgs/postech/teams/release-managers) echo 4242 ;;
  repos/postech/postech-app/environments/*/deployment-branch-policies) printf 'develop\t9\n' ;;
  *) echo "fake gh: unexpected $*" >&2; exit 9 ;;
esac
EOF
  chmod +x "$work/bin-gh-settings/gh"
  jq -n '{"postech-app": {repository: {AWS_REGION: "us-east-1", AWS_STAGING_IMAGE_ROLE_ARN: "arn:aws:iam::1:role/x"},
          environments: {production: {AWS_DEPLOY_ROLE_ARN: "arn:aws:iam::1:role/y"}}}}' > "$work/github-variables.json"
  local out
  out=$(cd "$root/postech-app" && PATH="$work/bin-gh-settings:$PATH" bash .github/scripts/apply-github-settings.sh postech/postech-app "$work/github-variables.json" --dry-run 2>&1)
  contains "$out" "[dry-run] gh api --method POST repos/postech/postech-app/git/refs"
  contains "$out" '{"ref":"refs/heads/staging","sha":"0123456789012345678901234567890123456789"}'
  lacks "$out" '"ref":"refs/heads/develop"'
  contains "$out" "[dry-run] gh api --method PUT repos/postech/postech-app/rulesets/55"
  contains "$out" "ruleset 'develop branch' created"
  contains "$out" "ruleset 'release tags' created"
  contains "$out" "[dry-run] gh api --method PUT repos/postech/postech-app/environments/production"
  contains "$out" '"reviewers":[{"type":"Team","id":4242}]'
  contains "$out" "[dry-run] gh api --method DELETE repos/postech/postech-app/environments/production/deployment-branch-policies/9"
  contains "$out" '{"name":"main","type":"branch"}'
  contains "$out" "[dry-run] gh variable set AWS_STAGING_IMAGE_ROLE_ARN --repo postech/postech-app"
  contains "$out" "[dry-run] gh variable set AWS_DEPLOY_ROLE_ARN --repo postech/postech-app --env production"
}

test_shellcheck_finds_nothing_in_the_release_scripts() {
  local shellcheck=${tools_bin:+$tools_bin/}shellcheck
  command -v "$shellcheck" >/dev/null || { echo "shellcheck is missing (.ci/requirements.txt)"; return 1; }
  cd "$root"
  "$shellcheck" -x postech-*/.github/scripts/*.sh postech-*/.github/executor/*.sh \
    postech-kubernetes-infra/scripts/bootstrap-cluster.sh postech-kubernetes-infra/scripts/deploy-app.sh \
    .ci/test-release-scripts.sh
}

for tool in git jq python3; do command -v "$tool" >/dev/null || { echo "test-release-scripts: $tool is required" >&2; exit 1; }; done
started=$SECONDS
for test in $(declare -F | awk '$3 ~ /^test_/ { print $3 }'); do
  run_test "${test#test_}" "$test"
done
echo "release scripts: took $((SECONDS - started)) s"
echo "release scripts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
