#!/usr/bin/env bash
# Promotion of one repository along develop → staging → main, and its release tags. The same
# file in all five repositories (.ci/check_release_settings.py keeps the copies identical);
# .github/release.conf says how the repository names and versions its releases.
#
#   .github/scripts/promote.sh open <staging|main>     open or update the promotion pull request
#                                                      (develop → staging, staging → main) with
#                                                      the changelog of what it brings
#   .github/scripts/promote.sh merge <staging|main>    once that pull request is approved and
#                                                      green: fast-forward the target branch to
#                                                      its head; for main, tag and publish the
#                                                      release <prefix>X.Y.Z
#   .github/scripts/promote.sh changelog <from> <to>   the changelog of from..to (markdown)
#   .github/scripts/promote.sh next-version            the version the next release gets
#
# Options: --remote <name> (default origin); --local: no GitHub (no pull request, no review
# check, no GitHub release): branches and tags are pushed to the git remote only, as the root
# test command does against a scratch repository; --dry-run: print what would happen, change
# nothing.
#
# Why a fast-forward and not GitHub's merge button: every button rewrites commits (merge commit,
# squash, or rebase with a new committer), so the commit CI tested, whose image was built and
# whose Terraform plan was reviewed, would not be the commit that lands. The push is accepted by
# the rulesets because its commit is the head of an approved pull request whose required checks
# passed (GitHub lets a pull request's own head be pushed to its base once the rules are met).
set -euo pipefail

die() { echo "promote: $*" >&2; exit "${PROMOTE_EXIT:-1}"; }

remote=origin local_mode=false dry_run=false
arguments=()
while [ $# -gt 0 ]; do
  case "$1" in
    --remote) remote=${2:?--remote needs a name}; shift 2 ;;
    --local) local_mode=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    -*) die "unknown option $1" ;;
    *) arguments+=("$1"); shift ;;
  esac
done
set -- "${arguments[@]}"

top=$(git rev-parse --show-toplevel 2>/dev/null) || die "not inside a git repository"
cd "$top"
[ -f .github/release.conf ] || die ".github/release.conf is missing (RELEASE_TAG_PREFIX, VERSION_SOURCE)"
conf() { sed -n "s/^$1=\([^ #]*\).*/\1/p" .github/release.conf | tail -n1; }
tag_prefix=$(conf RELEASE_TAG_PREFIX)
version_source=$(conf VERSION_SOURCE)
[ -n "$tag_prefix" ] || die ".github/release.conf does not set RELEASE_TAG_PREFIX"
case "$version_source" in cargo | commits) ;; *) die ".github/release.conf: VERSION_SOURCE is cargo or commits, not '$version_source'" ;; esac

run() { # a command that changes something: printed, and skipped under --dry-run
  if [ "$dry_run" = true ]; then echo "[dry-run] $*"; else "$@"; fi
}

source_of() {
  case "$1" in
    staging) echo develop ;;
    main) echo staging ;;
    *) die "the target is staging or main, not '$1'" ;;
  esac
}

fetch() {
  git fetch --quiet --prune --tags "$remote" "+refs/heads/*:refs/remotes/$remote/*"
}

# ---- Versions ------------------------------------------------------------------------------
latest_release_tag() { # the highest X.Y.Z tag of this repository reachable from $1
  git tag --merged "$1" --list "${tag_prefix}*" | sed -n "s/^$(printf '%s' "$tag_prefix" | sed 's/[.[\*^$]/\\&/g')\([0-9]*\.[0-9]*\.[0-9]*\)$/\1/p" \
    | sort -t. -k1,1n -k2,2n -k3,3n | tail -n1
}

cargo_version() { # [package] version of Cargo.toml at $1
  git show "$1:Cargo.toml" 2>/dev/null | awk '
    /^\[/ { in_package = ($0 == "[package]") }
    in_package && /^version *= *"/ { gsub(/^version *= *"|".*$/, ""); print; exit }'
}

next_version() { # the version a release of $1 gets
  local target=$1 previous bump major minor patch
  if [ "$version_source" = cargo ]; then
    cargo_version "$target"
    return
  fi
  previous=$(latest_release_tag "$target")
  if [ -z "$previous" ]; then echo 0.1.0; return; fi
  bump="patch"
  local range="${tag_prefix}${previous}..$target"
  # grep reads everything (no -q): under pipefail, git log killed by SIGPIPE would fail the test.
  if git log --format='%s%n%b' "$range" | grep -E '^[a-z]+(\([^)]*\))?!:|^BREAKING[ -]CHANGE:' >/dev/null; then
    bump=major
  elif git log --format='%s' "$range" | grep -E '^feat(\([^)]*\))?:' >/dev/null; then
    bump=minor
  fi
  IFS=. read -r major minor patch <<<"$previous"
  case "$bump" in
    major) if [ "$major" = 0 ]; then echo "0.$((minor + 1)).0"; else echo "$((major + 1)).0.0"; fi ;; # 0.x: breaking is minor
    minor) echo "$major.$((minor + 1)).0" ;;
    patch) echo "$major.$minor.$((patch + 1))" ;;
  esac
}

# ---- Changelog -------------------------------------------------------------------------------
# Commits of from..to (all of to's history when from is empty) grouped by their
# conventional-commit type; subjects without a type go under "Other changes". One line per
# commit: subject and short hash.
changelog() {
  local from=$1 to=$2
  git log --no-merges --reverse --format='%h%x1f%s%x1f%b%x1e' "${from:+$from..}$to" | python3 -c '
import re, sys
groups = {"breaking": [], "feat": [], "fix": [], "perf": [], "other": []}
titles = {"breaking": "Breaking changes", "feat": "Features", "fix": "Fixes", "perf": "Performance", "other": "Other changes"}
conventional = re.compile(r"^(?P<type>[a-z]+)(\((?P<scope>[^)]*)\))?(?P<bang>!)?: (?P<text>.+)$")
for record in sys.stdin.read().split("\x1e"):
    record = record.strip("\n")
    if not record:
        continue
    short, subject, body = (record.split("\x1f") + ["", ""])[:3]
    line = f"- {subject} ({short})"
    match = conventional.match(subject)
    if (match and match["bang"]) or re.search(r"^BREAKING[ -]CHANGE:", body, re.M):
        groups["breaking"].append(line)
    elif match and match["type"] in ("feat", "fix", "perf"):
        groups[match["type"]].append(line)
    else:
        groups["other"].append(line)
for key, lines in groups.items():
    if lines:
        print(f"### {titles[key]}\n")
        print("\n".join(lines))
        print()
'
}

# ---- GitHub ------------------------------------------------------------------------------------
open_pull_request_number() { # the open pull request source → target, if any
  gh pr list --base "$2" --head "$1" --state open --json number --jq '.[0].number // empty'
}

require_approved_and_green() { # pull request $1 with head $2
  local pr=$1 head=$2 view
  view=$(gh pr view "$pr" --json headRefOid,reviewDecision,statusCheckRollup)
  [ "$(jq -r .headRefOid <<<"$view")" = "$head" ] \
    || die "pull request #$pr's head is not $(git rev-parse --short "$head") any more: wait for its checks and review of the new head"
  [ "$(jq -r .reviewDecision <<<"$view")" = APPROVED ] \
    || die "pull request #$pr is not approved (review decision: $(jq -r '.reviewDecision // "none"' <<<"$view"))"
  local unfinished
  unfinished=$(jq -r '[.statusCheckRollup[]
      | {name: (.name // .context), result: (.conclusion // .state // "PENDING")}
      | select(.result != "SUCCESS" and .result != "SKIPPED" and .result != "NEUTRAL")
      | "\(.name): \(.result)"] | join(", ")' <<<"$view")
  [ -z "$unfinished" ] || die "pull request #$pr has checks that did not pass: $unfinished"
  [ "$(jq '.statusCheckRollup | length' <<<"$view")" -gt 0 ] || die "pull request #$pr has no checks yet"
}

# ---- Commands ----------------------------------------------------------------------------------
command_open() {
  local target=$1 source from to count title body
  source=$(source_of "$target")
  fetch
  from=$(git rev-parse "$remote/$target") to=$(git rev-parse "$remote/$source")
  if [ "$from" = "$to" ]; then echo "promote: $target already is $source ($(git rev-parse --short "$to")): nothing to promote"; return 0; fi
  git merge-base --is-ancestor "$from" "$to" \
    || PROMOTE_EXIT=4 die "$target has commits $source lacks: something reached $target outside the promotion, and a fast-forward cannot carry it (RELEASING.md, 'When the histories fork')"
  count=$(git rev-list --count "$from..$to")
  if [ "$target" = main ]; then
    title="Release ${tag_prefix}$(next_version "$to"): staging → main ($count commits)"
  else
    title="Promote develop → staging ($count commits)"
  fi
  body=$(mktemp)
  {
    echo "Promotes \`$source\` $(git rev-parse --short "$to") to \`$target\` (from $(git rev-parse --short "$from"))."
    echo
    changelog "$from" "$to"
    echo "---"
    echo "Merge with \`.github/scripts/promote.sh merge $target\` (or the promote workflow) once approved and green: it fast-forwards \`$target\`, so the commit that lands is the one CI tested$( [ "$target" = main ] && echo " and staging ran, and tags the release")."
  } > "$body"
  echo "== $title"
  cat "$body"
  [ -n "${PROMOTE_OUTPUT_DIR:-}" ] && { echo "$title" > "$PROMOTE_OUTPUT_DIR/pr-$target.title"; cp "$body" "$PROMOTE_OUTPUT_DIR/pr-$target.md"; }
  if [ "$local_mode" = true ]; then rm -f "$body"; return 0; fi
  local pr
  pr=$(open_pull_request_number "$source" "$target")
  if [ -n "$pr" ]; then
    run gh pr edit "$pr" --title "$title" --body-file "$body"
    echo "promote: updated pull request #$pr"
  else
    run gh pr create --base "$target" --head "$source" --title "$title" --body-file "$body"
  fi
  rm -f "$body"
}

command_merge() {
  local target=$1 source from to
  source=$(source_of "$target")
  fetch
  from=$(git rev-parse "$remote/$target") to=$(git rev-parse "$remote/$source")
  if [ "$from" = "$to" ]; then
    echo "promote: $target already is $source ($(git rev-parse --short "$to"))"
  else
    git merge-base --is-ancestor "$from" "$to" \
      || PROMOTE_EXIT=4 die "$target has commits $source lacks: something reached $target outside the promotion, and a fast-forward cannot carry it (RELEASING.md, 'When the histories fork')"
    if [ "$local_mode" = false ]; then
      local pr
      pr=$(open_pull_request_number "$source" "$target")
      [ -n "$pr" ] || die "no open pull request $source → $target: run '.github/scripts/promote.sh open $target' first"
      require_approved_and_green "$pr" "$to"
    fi
    # No --force: the remote refuses anything but a fast-forward.
    run git push "$remote" "$to:refs/heads/$target"
    echo "promote: $target fast-forwarded to $(git rev-parse --short "$to")"
  fi
  [ "$target" = main ] && release "$to"
  return 0
}

release() { # tag commit $1 as the next release, publish it
  local commit=$1 version tag previous notes existing
  version=$(next_version "$commit")
  [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "no release version for $(git rev-parse --short "$commit") (VERSION_SOURCE=$version_source gave '$version')"
  tag="${tag_prefix}${version}"
  if existing=$(git rev-parse -q --verify "refs/tags/$tag^{commit}"); then
    [ "$existing" = "$commit" ] && { echo "promote: $tag already tags $(git rev-parse --short "$commit")"; return 0; }
    die "$tag already tags $(git rev-parse --short "$existing"): bump the version (Cargo.toml and CHANGELOG.md) for this release"
  fi
  if [ "$version_source" = cargo ] && git cat-file -e "$commit:CHANGELOG.md" 2>/dev/null; then
    git show "$commit:CHANGELOG.md" | grep "^## \[$version\]" >/dev/null || die "CHANGELOG.md has no '## [$version]' section"
  fi
  previous=$(latest_release_tag "$commit")
  notes=$(mktemp)
  {
    echo "${tag_prefix%-v} $version"
    echo
    changelog "${previous:+${tag_prefix}${previous}}" "$commit"
  } > "$notes"
  run git -c user.name="${GIT_AUTHOR_NAME:-postech release}" -c user.email="${GIT_AUTHOR_EMAIL:-release@postech.invalid}" \
    tag --annotate --cleanup=verbatim --file "$notes" "$tag" "$commit"
  run git push "$remote" "refs/tags/$tag"
  if [ "$local_mode" = false ]; then
    run gh release create "$tag" --verify-tag --title "$tag" --notes-file "$notes"
  fi
  echo "promote: released $tag at $(git rev-parse --short "$commit")"
  rm -f "$notes"
}

case "${1:-}" in
  open) [ $# -eq 2 ] || die "usage: promote.sh open <staging|main>"; command_open "$2" ;;
  merge) [ $# -eq 2 ] || die "usage: promote.sh merge <staging|main>"; command_merge "$2" ;;
  changelog) [ $# -eq 3 ] || die "usage: promote.sh changelog <from> <to>"; changelog "$2" "$3" ;;
  next-version) next_version "${2:-HEAD}" ;;
  *) die "usage: promote.sh open|merge <staging|main> | changelog <from> <to> | next-version [--remote name] [--local] [--dry-run]" ;;
esac
