#!/usr/bin/env bash
# Runs one deploy step where the cluster's private API is reachable: in the stage's CodeBuild
# project inside the VPC (postech-kubernetes-infra terraform/deploy-executor). Zips the bundle
# directory (the checked-out repositories, side by side, as the step expects them), uploads it
# to the executor bucket, starts the project's build with that zip as its source and the given
# variables, streams the build's log here and exits with the build's result. The same file in
# every repository that has such a step (.ci/check_release_settings.py keeps the copies equal).
#
#   .github/scripts/run-in-vpc.sh <staging|production> <step> <bundle dir> [NAME=value ...]
#
# Steps: cluster-bootstrap, app-rollout, database-migrate; each runs
# <bundle>/<repository>/.github/executor/<step>.sh (its project's buildspec calls the same file).
#
# POSTECH_EXECUTOR=local runs that entry script on this machine instead (an operator whose
# machine reaches the cluster API; the AWS Academy fallback, where no project exists).
# POSTECH_EXECUTOR_POLL_SECONDS (default 10) is the wait between two looks at the build.
# Needs aws, jq, python3 and credentials that may start the project, upload under
# <bucket>/<step>/ and read the project's log (the repository's deploy role).
set -euo pipefail

usage="usage: $0 <staging|production> <cluster-bootstrap|app-rollout|database-migrate> <bundle dir> [NAME=value ...]"
[ $# -ge 3 ] || { echo "$usage" >&2; exit 2; }
stage=$1 step=$2 bundle=$3
shift 3
case "$stage" in staging | production) ;; *) echo "$usage" >&2; exit 2 ;; esac
case "$step" in cluster-bootstrap | app-rollout | database-migrate) ;; *) echo "$usage" >&2; exit 2 ;; esac
[ -d "$bundle" ] || { echo "run-in-vpc: no bundle directory $bundle" >&2; exit 2; }
for assignment in "$@"; do
  [[ $assignment =~ ^[A-Z][A-Z0-9_]*= ]] || { echo "run-in-vpc: not NAME=value: $assignment" >&2; exit 2; }
done

entries=("$bundle"/*/.github/executor/"$step".sh)
if [ ${#entries[@]} -ne 1 ] || [ ! -f "${entries[0]}" ]; then
  echo "run-in-vpc: the bundle must hold exactly one <repository>/.github/executor/$step.sh" >&2
  exit 2
fi
entry=${entries[0]#"$bundle"/}

if [ "${POSTECH_EXECUTOR:-codebuild}" = local ]; then
  echo "run-in-vpc: POSTECH_EXECUTOR=local: running $entry on this machine"
  (cd "$bundle" && env POSTECH_EXECUTOR_STAGE="$stage" "$@" bash "$entry")
  exit
fi

for tool in aws jq python3; do
  command -v "$tool" >/dev/null || { echo "run-in-vpc: $tool is required" >&2; exit 1; }
done
ssm() {
  aws ssm get-parameter --name "/postech/$stage/$1" --query Parameter.Value --output text \
    || { echo "run-in-vpc: cannot read /postech/$stage/$1 (written by postech-kubernetes-infra's deploy; none under the AWS Academy fallback: POSTECH_EXECUTOR=local)" >&2; exit 1; }
}
bucket=$(ssm deploy/executor-bucket)
project=$(ssm "deploy/$step-project")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$bundle" "$work/bundle.zip" <<'PY'
import os, sys, zipfile
root, target = sys.argv[1], sys.argv[2]
skipped = {".git", "target", "node_modules", ".terraform"}
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
    for folder, directories, files in os.walk(root):
        directories[:] = sorted(d for d in directories if d not in skipped)
        for name in sorted(files):
            path = os.path.join(folder, name)
            archive.write(path, os.path.relpath(path, root))
PY
key="$step/${GITHUB_RUN_ID:-manual}-${GITHUB_RUN_ATTEMPT:-1}-$(date -u +%Y%m%dT%H%M%SZ).zip"
aws s3 cp --only-show-errors "$work/bundle.zip" "s3://$bucket/$key"

jq -n --arg stage "$stage" '[{name: "POSTECH_EXECUTOR_STAGE", value: $stage, type: "PLAINTEXT"}]' > "$work/environment.json"
for assignment in "$@"; do
  jq --arg name "${assignment%%=*}" --arg value "${assignment#*=}" '. + [{name: $name, value: $value, type: "PLAINTEXT"}]' \
    "$work/environment.json" > "$work/environment.next" && mv "$work/environment.next" "$work/environment.json"
done

build=$(aws codebuild start-build --project-name "$project" --source-type-override S3 \
  --source-location-override "$bucket/$key" --environment-variables-override "file://$work/environment.json" \
  --query build.id --output text)
echo "run-in-vpc: $step on $stage: build $build (project $project)"

poll=${POSTECH_EXECUTOR_POLL_SECONDS:-10}
token="" status=IN_PROGRESS
# Prints the log events written since the last call; remembers where it stopped in $token.
print_new_log_events() {
  local group=$1 stream=$2 page next
  while :; do
    page=$(aws logs get-log-events --log-group-name "$group" --log-stream-name "$stream" --start-from-head \
      ${token:+--next-token "$token"} --output json) || return 0
    jq -r '.events[].message | sub("\n$"; "")' <<<"$page"
    next=$(jq -r '.nextForwardToken' <<<"$page")
    [ "$next" = "$token" ] && return 0
    token=$next
  done
}
while :; do
  read -r status group stream < <(aws codebuild batch-get-builds --ids "$build" \
    --query 'builds[0].[buildStatus, logs.groupName, logs.streamName]' --output text)
  if [ -n "${stream:-}" ] && [ "$stream" != None ]; then
    print_new_log_events "$group" "$stream"
  fi
  [ "$status" = IN_PROGRESS ] || break
  sleep "$poll"
done

if [ "$status" != SUCCEEDED ]; then
  echo "run-in-vpc: $step on $stage ended $status (build $build; its log is above and in CloudWatch Logs ${group:-})" >&2
  exit 1
fi
echo "run-in-vpc: $step on $stage succeeded"
