#!/usr/bin/env bash
# Deploy executor entry (terraform/deploy-executor, project postech-<stage>-cluster-bootstrap):
# the namespace and ServiceAccounts of the stage, after postech-kubernetes-infra's terraform
# apply. Runs from the bundle root (the repositories side by side); the stage comes from the
# project (POSTECH_EXECUTOR_STAGE).
set -euo pipefail
stage=${POSTECH_EXECUTOR_STAGE:?the project sets POSTECH_EXECUTOR_STAGE}
source postech-kubernetes-infra/.github/executor/install-tools.sh
postech-kubernetes-infra/scripts/bootstrap-cluster.sh "$stage"
