#!/usr/bin/env bash
# Creates what the platform owns inside the stage's cluster before any other repository deploys
# (k8s/platform): the app namespace, with Pod Security `restricted` enforced, warned and
# audited, the ServiceAccounts of the app and of the migration Job with their IRSA roles, and
# the SecurityGroupPolicy that puts the workload security group on the database's clients.
# The app's and the database's deploy steps may only edit inside that namespace; creating it is
# this repository's job.
#
#   scripts/bootstrap-cluster.sh <staging|production>
#
# Run by this repository's deploy right after `terraform apply`, inside the VPC (CodeBuild
# project postech-<stage>-cluster-bootstrap, cluster admin: terraform/deploy-executor), or by
# hand by a cluster admin who reaches the API. Needs aws, jq, kubectl and kustomize. Idempotent:
# server-side apply, this script owning the fields it sets.
#
# Last, it records /postech/<stage>/eks/namespace-ready (the namespace's name), which the
# database's and the app's deploys check before they start (apply order: RELEASING.md).
set -euo pipefail
cd "$(dirname "$0")/.."

stage=${1:?usage: scripts/bootstrap-cluster.sh <staging|production>}
[[ $stage =~ ^(staging|production)$ ]] || { echo "unknown stage $stage" >&2; exit 2; }
for tool in aws jq kubectl kustomize; do
  command -v "$tool" >/dev/null || { echo "bootstrap-cluster: $tool is required" >&2; exit 1; }
done
region=${AWS_REGION:-us-east-1}

ssm() {
  aws ssm get-parameter --region "$region" --name "/postech/$stage/$1" --query Parameter.Value --output text \
    || { echo "bootstrap-cluster: cannot read /postech/$stage/$1 (written by this repository's terraform apply)" >&2; exit 1; }
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r k8s "$work/"
platform="$work/k8s/platform"

for account in app migrator; do
  role=$(ssm "eks/$account-role-arn")
  if [ "$role" = "none" ]; then  # AWS Academy fallback: pods use the node role
    patch='[{"op":"remove","path":"/metadata/annotations/eks.amazonaws.com~1role-arn"}]'
  else
    [[ $role =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/ ]] \
      || { echo "bootstrap-cluster: /postech/$stage/eks/$account-role-arn is not a role ARN: $role" >&2; exit 1; }
    patch=$(jq -cn --arg role "$role" '[{op:"replace",path:"/metadata/annotations/eks.amazonaws.com~1role-arn",value:$role}]')
  fi
  (cd "$platform" && kustomize edit add patch --kind ServiceAccount --name "postech-$account" --patch "$patch")
done

# Security groups for pods: the workload security group (the database's only admitted
# source) on the app's, the migrator's and the migration tunnel's pods.
workload_sg=$(ssm eks/workload-security-group-id)
[[ $workload_sg =~ ^sg-[0-9a-f]{8,17}$ ]] \
  || { echo "bootstrap-cluster: /postech/$stage/eks/workload-security-group-id is not a security group id: $workload_sg" >&2; exit 1; }
patch=$(jq -cn --arg sg "$workload_sg" '[{op:"replace",path:"/spec/securityGroups/groupIds/0",value:$sg}]')
(cd "$platform" && kustomize edit add patch --group vpcresources.k8s.aws --kind SecurityGroupPolicy --name database-clients --patch "$patch")
rendered="$work/platform.yaml"
kubectl kustomize "$platform" > "$rendered"
if grep -n -e '000000000000' -e 'sg-00000000000000000' "$rendered"; then
  echo "bootstrap-cluster: placeholders left in the rendered manifests (above)" >&2
  exit 1
fi
namespace=$(sed -n 's/^namespace: *//p' k8s/platform/kustomization.yaml)
grep -q "^  name: $namespace\$" "$rendered" || { echo "bootstrap-cluster: k8s/platform renders no Namespace $namespace" >&2; exit 1; }

aws eks update-kubeconfig --region "$region" --name "$(ssm eks/cluster-name)" --kubeconfig "${KUBECONFIG:=$work/kubeconfig}" >/dev/null
export KUBECONFIG

# --force-conflicts: these fields are the platform's, also when an older deploy applied them
# client-side.
kubectl apply --server-side --force-conflicts --field-manager=postech-platform -f "$rendered"
enforced=$(kubectl get namespace "$namespace" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')
[ "$enforced" = "restricted" ] \
  || { echo "bootstrap-cluster: namespace $namespace enforces Pod Security '$enforced', not restricted" >&2; exit 1; }

aws ssm put-parameter --region "$region" --name "/postech/$stage/eks/namespace-ready" --type String --overwrite \
  --description "postech $stage: the app namespace exists with its ServiceAccounts (scripts/bootstrap-cluster.sh)" \
  --value "$namespace" >/dev/null
echo "bootstrap-cluster: namespace $namespace and its ServiceAccounts are in place on $stage"
