#!/usr/bin/env bash
# Deploy executor entry (terraform/deploy-executor, project postech-<stage>-app-rollout):
# postech-app's migration Job and rollout, its images pinned by digest. Variables from the
# deploy job (postech-app .github/workflows/deploy.yml, rollback.yml): APP_DIGEST,
# MIGRATOR_DIGEST, SKIP_MIGRATIONS (1 for a rollback), ROLLBACK_OF, RELEASE_COMMIT,
# RELEASE_RUN_URL.
set -euo pipefail
stage=${POSTECH_EXECUTOR_STAGE:?the project sets POSTECH_EXECUTOR_STAGE}
source postech-kubernetes-infra/.github/executor/install-tools.sh
skip=()
[ "${SKIP_MIGRATIONS:-0}" = 1 ] && skip=(--skip-migrations)
postech-kubernetes-infra/scripts/deploy-app.sh "$stage" "${APP_DIGEST:?}" "${MIGRATOR_DIGEST:?}" "${skip[@]}"
