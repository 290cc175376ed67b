#!/usr/bin/env bash
# Moves this repository to a released postech-shared-sdk version through a pull request into
# develop: the requirement in Cargo.toml (`version = "X.Y"`), Cargo.lock, a branch
# deps/postech-shared-sdk-X.Y.Z and its pull request. The same file in every consumer of the
# SDK (.ci/check_release_settings.py keeps the copies identical); bump-sdk.yml runs it when the
# SDK's release workflow announces a tag, or by hand.
#
#   .github/scripts/bump-sdk.sh X.Y.Z
#
# Needs the SDK checked out beside this repository at postech-shared-sdk-vX.Y.Z (where the path
# dependency points), cargo, git with push access and gh (GH_TOKEN). A consumer that also takes
# the SDK through another crate (postech-app through postech-database) needs that crate released
# with the new SDK first: cargo then says which requirement conflicts.
set -euo pipefail

die() { echo "bump-sdk: $*" >&2; exit 1; }
version=${1:?usage: bump-sdk.sh X.Y.Z}
[[ $version =~ ^([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "X.Y.Z, got $version"
requirement="${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
cd "$(git rev-parse --show-toplevel)"

sdk_version=$(awk '/^\[/ { p = ($0 == "[package]") } p && /^version *= *"/ { gsub(/^version *= *"|".*$/, ""); print; exit }' ../postech-shared-sdk/Cargo.toml)
[ "$sdk_version" = "$version" ] || die "../postech-shared-sdk is at $sdk_version, not $version: check out postech-shared-sdk-v$version beside this repository"
grep -Eq '^postech-shared-sdk *= *\{' Cargo.toml || die "Cargo.toml does not depend on postech-shared-sdk"

sed -i -E "/^postech-shared-sdk *= *\\{/ s/version *= *\"[^\"]*\"/version = \"$requirement\"/" Cargo.toml
cargo update --package postech-shared-sdk
locked=$(grep -A1 '^name = "postech-shared-sdk"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
[ "$locked" = "$version" ] || die "Cargo.lock names postech-shared-sdk $locked after the update, not $version"

if git diff --quiet -- Cargo.toml Cargo.lock; then
  echo "bump-sdk: already on postech-shared-sdk $version"
  exit 0
fi
branch="deps/postech-shared-sdk-$version"
title="build(deps): postech-shared-sdk $version"
git switch --create "$branch"
git -c user.name="${GIT_AUTHOR_NAME:-postech release}" -c user.email="${GIT_AUTHOR_EMAIL:-release@postech.invalid}" \
  commit --quiet -m "$title" -- Cargo.toml Cargo.lock
git push origin "refs/heads/$branch"
gh pr create --base develop --head "$branch" --title "$title" \
  --body "Moves to postech-shared-sdk $version (requirement \`$requirement\`, Cargo.lock $version). Its CHANGELOG.md says what changed; CI runs this repository's tests against it."
