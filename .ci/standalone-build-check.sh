#!/usr/bin/env bash
# Proves every Rust folder builds as if it were its own repository: each is copied into an empty
# directory together with only the sibling folders its Cargo.toml names as path dependencies
# (as its workflow checks them out), and built there with its own Cargo.lock. Then proves the
# version contract bites: a consumer asking for an SDK version that does not exist must fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$POSTECH_ROOT"

scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
# The checkout's build profile (not its target dir: CARGO_TARGET_DIR is set), so the copies reuse
# the dependencies already built instead of rebuilding them under a different profile.
mkdir -p "$scratch/.cargo" && cp .cargo/config.toml "$scratch/.cargo/config.toml"
checked=0

# Sibling folders named by `path = "../<folder>"` in a folder's manifests, transitively.
siblings_of() {
  local folder=$1 seen=" $1 " queue=("$1")
  while [ ${#queue[@]} -gt 0 ]; do
    local current=${queue[0]}; queue=("${queue[@]:1}")
    for dep in $(grep -rhoE 'path *= *"\.\./[A-Za-z0-9_-]+' --include=Cargo.toml "$current" 2>/dev/null \
                 | sed -E 's#.*\.\./##' | sort -u); do
      case "$seen" in *" $dep "*) ;; *) seen+="$dep "; queue+=("$dep"); echo "$dep";; esac
    done
  done
}

copy_folder() { # copy without build output or installed tools
  mkdir -p "$2"
  tar -C "$POSTECH_ROOT" --exclude=target --exclude=node_modules --exclude=.serverless -cf - "$1" | tar -C "$2" -xf -
}

for folder in "${POSTECH_REPOS[@]}"; do
  [ -f "$folder/Cargo.toml" ] || continue
  work="$scratch/$folder-alone"
  copy_folder "$folder" "$work"
  for sibling in $(siblings_of "$folder"); do copy_folder "$sibling" "$work"; done
  log "standalone: $folder (with: $(siblings_of "$folder" | tr '\n' ' '))"
  (cd "$work/$folder" && cargo check --locked --all-targets --all-features --quiet)
  checked=$((checked + 1))
done

# The wrong-version case: a consumer that asks for SDK 99.0 must be refused by cargo.
consumer=$(grep -lE '^postech-shared-sdk *= *\{[^}]*path' postech-*/Cargo.toml | head -n1 || true)
[ -n "$consumer" ] || die "no folder consumes the SDK yet: nothing to prove the version check with"
consumer=$(dirname "$consumer")
work="$scratch/wrong-version"
copy_folder "$consumer" "$work"; copy_folder postech-shared-sdk "$work"
for sibling in $(siblings_of "$consumer"); do copy_folder "$sibling" "$work"; done
sed -i -E '/^postech-shared-sdk *=/ s/version *= *"[^"]*"/version = "99.0"/' "$work/$consumer/Cargo.toml"
if output=$(cd "$work/$consumer" && cargo check --quiet 2>&1); then
  die "$consumer built against an SDK version that does not exist (asked for 99.0)"
fi
grep -q 'postech-shared-sdk' <<<"$output" || die "cargo failed for another reason than the SDK version: $output"
log "wrong-version case refused as intended: $(grep -m1 -iE 'failed to select|candidate' <<<"$output" || echo "$output" | head -n1)"
echo "standalone builds: $((checked + 1)) passed, 0 failed"
