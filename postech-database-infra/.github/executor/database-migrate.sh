#!/usr/bin/env bash
# Deploy executor entry (postech-kubernetes-infra terraform/deploy-executor, project
# postech-<stage>-database-migrate): `postech-migrator up` and `verify` against the stage's RDS
# instance through the tunnel pod, after this repository's terraform apply. Runs from the
# bundle root: postech-database-infra and postech-shared-sdk (at the tag Cargo.lock names) side
# by side.
set -euo pipefail
stage=${POSTECH_EXECUTOR_STAGE:?the project sets POSTECH_EXECUTOR_STAGE}
source postech-database-infra/.github/executor/install-tools.sh

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# The migrator links libpq; the toolchain is the one the workflows pin.
if ! command -v pg_config >/dev/null; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libpq-dev
fi
if ! command -v rustup >/dev/null; then
  curl -fsSL --proto '=https' --tlsv1.2 https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
  # shellcheck disable=SC1091 # written by rustup just above
  source "$HOME/.cargo/env"
fi
rustup toolchain install 1.95.0 --profile minimal && rustup default 1.95.0

postech-database-infra/scripts/migrate-stage.sh "$stage"
