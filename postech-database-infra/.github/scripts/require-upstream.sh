#!/usr/bin/env bash
# The apply order of the postech repositories, enforced: before a repository deploys to a stage,
# every repository before it in the order must have deployed that stage, and every SSM parameter
# this repository's deploy reads must exist. Stops with a message naming what is missing, who
# writes it and what to deploy first. The same file in every deployed repository
# (.ci/check_release_settings.py keeps the copies identical); RELEASING.md tells the order.
#
#   .github/scripts/require-upstream.sh <staging|production> <repository>
#
# Needs the aws CLI and credentials that may read /postech/<stage>/* and /postech/account/*.
set -euo pipefail

# The order, each with the parameter whose presence proves its deploy went through (the last
# thing it writes) and the bootstrap of the account before all of them.
POSTECH_APPLY_ORDER=(bootstrap postech-kubernetes-infra postech-database-infra postech-lambda-functions postech-app)

# The parameter proving a repository's deploy of <stage> went through: the last thing it writes.
upstream_marker() { # <repository> <stage>
  case "$1" in
    bootstrap) echo "/postech/account/github-oidc-provider-arn" ;;
    postech-kubernetes-infra) echo "/postech/$2/eks/namespace-ready" ;;
    postech-database-infra) echo "/postech/$2/rds/app-role-name" ;;
    postech-lambda-functions) echo "/postech/$2/auth/jwt-verification-key-secret-arn" ;;
    *) return 1 ;;
  esac
}

# What a repository's deploy of <stage> reads, besides the markers of everything before it.
upstream_reads() { # <repository> <stage>
  local p="/postech/$2"
  case "$1" in
    postech-kubernetes-infra) ;;
    postech-database-infra)
      printf '%s\n' "$p/vpc/id" "$p/vpc/private-subnet-ids" "$p/eks/workload-security-group-id" "$p/eks/cluster-name" \
        "$p/deploy/executor-bucket" "$p/deploy/database-migrate-project" ;;
    postech-lambda-functions)
      printf '%s\n' "$p/vpc/private-subnet-ids" "$p/eks/vpc-link-security-group-id" "$p/eks/app-load-balancer-arn" \
        "$p/eks/app-tls-server-name" "$p/ses/identity-arn" "$p/ses/from-address" \
        "$p/eks/edge-functions-security-group-id" "$p/tracing/edge-otlp-endpoint" ;;
    postech-app)
      printf '%s\n' "$p/ecr/postech-app-repository" "$p/ecr/postech-migrator-repository" "$p/eks/cluster-name" \
        "$p/rds/endpoint" "$p/rds/port" "$p/rds/db-name" \
        "$p/rds/master-secret-arn" "$p/cognito/user-pool-id" "$p/cognito/client-id" "$p/apigw/endpoint" \
        "$p/deploy/executor-bucket" "$p/deploy/app-rollout-project" ;;
    *) return 1 ;;
  esac
}

# Who writes a parameter, for the message.
upstream_writer() {
  case "$1" in
    /postech/account/*) echo "the account bootstrap (postech-kubernetes-infra terraform-bootstrap, applied once by an operator)" ;;
    */vpc/* | */eks/* | */ecr/* | */deploy/* | */ses/* | */tracing/*) echo "postech-kubernetes-infra's deploy" ;;
    */rds/*) echo "postech-database-infra's deploy" ;;
    */cognito/* | */apigw/* | */auth/*) echo "postech-lambda-functions' deploy" ;;
    *) echo "an earlier repository's deploy" ;;
  esac
}

# require_upstream <stage> <repository>: 0 when everything is there, 3 (and a message on
# stderr per missing parameter) otherwise.
require_upstream() {
  local stage=$1 repository=$2 entry names=() missing=() position=-1 index
  case "$stage" in staging | production) ;; *) echo "require-upstream: unknown stage $stage" >&2; return 2 ;; esac
  for index in "${!POSTECH_APPLY_ORDER[@]}"; do
    [ "${POSTECH_APPLY_ORDER[$index]}" = "$repository" ] && position=$index
  done
  [ "$position" -gt 0 ] || { echo "require-upstream: $repository is not in the apply order (${POSTECH_APPLY_ORDER[*]})" >&2; return 2; }

  for ((index = 0; index < position; index++)); do
    names+=("$(upstream_marker "${POSTECH_APPLY_ORDER[$index]}" "$stage")")
  done
  mapfile -t -O "${#names[@]}" names < <(upstream_reads "$repository" "$stage")

  # get-parameters takes ten names per call and lists the absent ones as InvalidParameters.
  local chunk answer
  for ((index = 0; index < ${#names[@]}; index += 10)); do
    chunk=("${names[@]:index:10}")
    answer=$(aws ssm get-parameters --names "${chunk[@]}" --query 'InvalidParameters' --output text) || {
      echo "require-upstream: could not read SSM parameters (credentials? region?)" >&2
      return 2
    }
    for entry in $answer; do
      [ "$entry" = "None" ] || missing+=("$entry")
    done
  done

  if [ ${#missing[@]} -gt 0 ]; then
    echo "require-upstream: $repository cannot deploy to $stage yet; missing:" >&2
    for entry in "${missing[@]}"; do
      echo "  $entry (written by $(upstream_writer "$entry"))" >&2
    done
    echo "Apply order: ${POSTECH_APPLY_ORDER[*]} (RELEASING.md, 'First deploy from zero'). Deploy what is missing to $stage first." >&2
    return 3
  fi
  echo "require-upstream: everything $repository reads on $stage is in place (${#names[@]} parameters)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# -eq 2 ] || { echo "usage: $0 <staging|production> <repository>" >&2; exit 2; }
  require_upstream "$1" "$2"
fi
