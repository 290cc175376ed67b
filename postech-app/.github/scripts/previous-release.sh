#!/usr/bin/env bash
# Which release the rollback redeploys: scripts/deploy-app.sh (postech-kubernetes-infra) records
# every release of a stage in /postech/<stage>/app/release; that parameter's history is the list
# of releases the stage ran. Without a commit, the most recent one whose app image differs from
# the current one; with a commit, the most recent release of that commit. Only recorded releases
# can be chosen: each was built once, tested, and ran on the stage before.
#
#   .github/scripts/previous-release.sh <staging|production> [<commit>]
#
# Prints app_digest=, migrator_digest=, commit= of the chosen release and rollback_of= (the app
# image running now), and appends them to $GITHUB_OUTPUT when set.
# Needs aws (ssm:GetParameterHistory on that parameter) and jq.
set -euo pipefail

stage=${1:?usage: previous-release.sh <staging|production> [<commit>]}
wanted=${2:-}
case "$stage" in staging | production) ;; *) echo "previous-release: unknown stage $stage" >&2; exit 2 ;; esac
[ -z "$wanted" ] || [[ $wanted =~ ^[0-9a-f]{7,40}$ ]] || { echo "previous-release: a commit is 7-40 hex digits, got $wanted" >&2; exit 2; }

history=$(aws ssm get-parameter-history --name "/postech/$stage/app/release" --query 'Parameters[].Value' --output json) || {
  echo "previous-release: no release recorded on $stage (/postech/$stage/app/release): nothing to roll back" >&2
  exit 1
}

# Oldest first, as SSM returns them; malformed entries are skipped. A release some later
# rollback moved away from (its app image is a later record's rollback_of) is never chosen
# again without naming its commit: two rollbacks in a row go two releases back, not back and
# forth.
releases=$(jq -c '[.[] | (try fromjson catch null) | select(type == "object" and (.app_image // "" | test("@sha256:[0-9a-f]{64}$")))]' <<<"$history")
[ "$(jq length <<<"$releases")" -gt 0 ] || { echo "previous-release: no release recorded on $stage: nothing to roll back" >&2; exit 1; }
current=$(jq -r '.[-1].app_image' <<<"$releases")
choice=$(jq -c --arg wanted "$wanted" --arg current "$current" '
  ([.[] | .rollback_of // empty]) as $rolled_back
  | if $wanted != "" then [.[] | select(.commit | startswith($wanted))] | last
    else [.[] | select(.app_image != $current and (.app_image as $image | $rolled_back | index($image) | not))] | last
    end' <<<"$releases")

if [ -z "$choice" ] || [ "$choice" = null ]; then
  if [ -n "$wanted" ]; then
    echo "previous-release: $stage never ran a release of commit $wanted" >&2
  else
    echo "previous-release: $stage has no earlier release with a different app image to roll back to" >&2
  fi
  exit 1
fi

output() {
  echo "$1=$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; fi
}
app_image=$(jq -r .app_image <<<"$choice")
migrator_image=$(jq -r .migrator_image <<<"$choice")
[[ $migrator_image =~ @sha256:[0-9a-f]{64}$ ]] || { echo "previous-release: the chosen release has no migrator digest" >&2; exit 1; }
output app_digest "${app_image##*@}"
output migrator_digest "${migrator_image##*@}"
output commit "$(jq -r '.commit // "unknown"' <<<"$choice")"
output rollback_of "$current"
