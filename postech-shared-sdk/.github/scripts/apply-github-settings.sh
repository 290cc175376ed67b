#!/usr/bin/env bash
# Applies this repository's GitHub settings from the files beside it: the branch rulesets
# (.github/rulesets/*.json: develop, staging, main, release tags), the deployment environments
# (.github/environments/*.json: branch policy, required reviewers by team), the merge settings
# the rulesets expect, and, given the bootstrap stack's output, the Actions variables (role
# ARNs, state bucket). Idempotent: creates what is missing, updates what differs. The same
# file in all five repositories (.ci/check_release_settings.py keeps the copies identical and
# validates the JSON it applies).
#
#   .github/scripts/apply-github-settings.sh <owner>/<repository> [<github-variables.json>] [--dry-run]
#
# <github-variables.json>: `terraform output -json github_variables` of postech-kubernetes-infra
# terraform-bootstrap. --dry-run prints every call instead of making it. Needs gh, authenticated
# as a repository admin (and an organisation member who can read its teams), and jq.
set -euo pipefail

dry_run=false
arguments=()
for argument in "$@"; do
  case "$argument" in
    --dry-run) dry_run=true ;;
    *) arguments+=("$argument") ;;
  esac
done
repository=${arguments[0]:?usage: apply-github-settings.sh <owner>/<repository> [github-variables.json] [--dry-run]}
variables=${arguments[1]:-}
[[ $repository =~ ^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$ ]] || { echo "apply-github-settings: <owner>/<repository>, got $repository" >&2; exit 2; }
owner=${repository%%/*} name=${repository#*/}
cd "$(dirname "$0")/../.."  # the repository whose .github/ holds this script
settings=.github

api() { # gh api, or its description under --dry-run (reads are made either way)
  if [ "$dry_run" = true ] && [[ " $* " =~ " --method "(POST|PUT|PATCH|DELETE)" " ]]; then
    echo "[dry-run] gh api $*" >&2
    [ -n "${dry_run_input:-}" ] && echo "[dry-run]   $(jq -c . "$dry_run_input")" >&2
    echo '{}'
  else
    gh api "$@"
  fi
}
send() { # method path json-file
  dry_run_input=$3 api --method "$1" "$2" --input "$3"
}

# ---- Branches the rulesets protect -----------------------------------------------------------
default_sha=$(api "repos/$repository/git/ref/heads/main" --jq .object.sha)
for branch in develop staging; do
  if ! gh api "repos/$repository/git/ref/heads/$branch" >/dev/null 2>&1; then
    payload=$(mktemp)
    jq -n --arg ref "refs/heads/$branch" --arg sha "$default_sha" '{ref: $ref, sha: $sha}' > "$payload"
    send POST "repos/$repository/git/refs" "$payload" >/dev/null
    echo "apply-github-settings: created $branch from main"
  fi
done

# ---- Merge settings: linear history; squash or rebase per ruleset ------------------------------
payload=$(mktemp)
jq -n '{allow_merge_commit: false, allow_squash_merge: true, allow_rebase_merge: true, delete_branch_on_merge: true}' > "$payload"
send PATCH "repos/$repository" "$payload" >/dev/null

# ---- Rulesets ------------------------------------------------------------------------------------
existing=$(api "repos/$repository/rulesets" --paginate --jq '.[] | [.name, .id] | @tsv')
for file in "$settings"/rulesets/*.json; do
  ruleset=$(jq -r .name "$file")
  id=$(awk -F'\t' -v name="$ruleset" '$1 == name { print $2 }' <<<"$existing")
  if [ -n "$id" ]; then
    send PUT "repos/$repository/rulesets/$id" "$file" >/dev/null
    echo "apply-github-settings: ruleset '$ruleset' updated"
  else
    send POST "repos/$repository/rulesets" "$file" >/dev/null
    echo "apply-github-settings: ruleset '$ruleset' created"
  fi
done

# ---- Environments ------------------------------------------------------------------------------
for file in "$settings"/environments/*.json; do
  [ -e "$file" ] || continue
  environment=$(jq -r .name "$file")
  reviewers='[]'
  while IFS=$'\t' read -r kind slug; do
    [ -n "$kind" ] || continue
    case "$kind" in
      Team) id=$(api "orgs/$owner/teams/$slug" --jq .id) ;;
      User) id=$(api "users/$slug" --jq .id) ;;
      *) echo "apply-github-settings: reviewer type $kind in $file" >&2; exit 1 ;;
    esac
    reviewers=$(jq -c --arg kind "$kind" --argjson id "$id" '. + [{type: $kind, id: $id}]' <<<"$reviewers")
  done < <(jq -r '.reviewers[] | [.type, .slug] | @tsv' "$file")
  payload=$(mktemp)
  jq --argjson reviewers "$reviewers" '{wait_timer, prevent_self_review, reviewers: $reviewers,
      deployment_branch_policy: {protected_branches: false, custom_branch_policies: true}}' "$file" > "$payload"
  send PUT "repos/$repository/environments/$environment" "$payload" >/dev/null
  # Deployment branches: exactly the declared ones.
  policies=$(api "repos/$repository/environments/$environment/deployment-branch-policies" --jq '.branch_policies[]? | [.name, .id] | @tsv' 2>/dev/null || true)
  while IFS=$'\t' read -r branch id; do
    [ -n "$branch" ] || continue
    jq -e --arg branch "$branch" '.deployment_branches | index($branch)' "$file" >/dev/null \
      || api --method DELETE "repos/$repository/environments/$environment/deployment-branch-policies/$id" >/dev/null
  done <<<"$policies"
  for branch in $(jq -r '.deployment_branches[]' "$file"); do
    if ! awk -F'\t' -v name="$branch" '$1 == name { found = 1 } END { exit !found }' <<<"$policies"; then
      jq -n --arg name "$branch" '{name: $name, type: "branch"}' > "$payload"
      send POST "repos/$repository/environments/$environment/deployment-branch-policies" "$payload" >/dev/null
    fi
  done
  echo "apply-github-settings: environment '$environment' (branches: $(jq -r '.deployment_branches | join(", ")' "$file"); reviewers: $(jq -r '[.reviewers[].slug] | join(", ") | if . == "" then "none" else . end' "$file"))"
done

# ---- Actions variables from the bootstrap stack --------------------------------------------------
if [ -n "$variables" ]; then
  jq -e --arg name "$name" 'has($name)' "$variables" >/dev/null \
    || { echo "apply-github-settings: $variables has no entry for $name" >&2; exit 1; }
  while IFS=$'\t' read -r variable value; do
    [ -n "$variable" ] || continue
    if [ "$dry_run" = true ]; then echo "[dry-run] gh variable set $variable --repo $repository" >&2; else gh variable set "$variable" --repo "$repository" --body "$value"; fi
  done < <(jq -r --arg name "$name" '.[$name].repository | to_entries[] | [.key, .value] | @tsv' "$variables")
  while IFS=$'\t' read -r environment variable value; do
    [ -n "$environment" ] || continue
    if [ "$dry_run" = true ]; then echo "[dry-run] gh variable set $variable --repo $repository --env $environment" >&2; else gh variable set "$variable" --repo "$repository" --env "$environment" --body "$value"; fi
  done < <(jq -r --arg name "$name" '.[$name].environments | to_entries[] | .key as $environment | .value | to_entries[] | [$environment, .key, .value] | @tsv' "$variables")
  echo "apply-github-settings: Actions variables set from $variables"
fi
echo "apply-github-settings: $repository matches $settings/"
