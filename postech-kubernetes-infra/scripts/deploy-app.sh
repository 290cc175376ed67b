#!/usr/bin/env bash
# Rolls postech-app out to a stage: render the overlay with the release's values, run the
# migration Job, then roll the Deployment. Called by postech-app's deploy workflow (it checks
# this repository out beside it) after the image is pushed to ECR:
#
#   scripts/deploy-app.sh <staging|production> sha-<commit>
#
# Needs AWS credentials (a principal listed in namespace_deployer_principal_arns), aws, curl,
# jq, kubectl and kustomize on PATH. Reads only SSM parameters, Secrets Manager (the RDS master
# secret and the public token verification keys; never the JWT signing key) and AWS's public
# RDS trust store; writes no file of this checkout (it edits a temporary copy of k8s/).
# Secret values never reach stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

stage=${1:?usage: scripts/deploy-app.sh <staging|production> sha-<commit>}
tag=${2:?usage: scripts/deploy-app.sh <staging|production> sha-<commit>}
[[ $stage =~ ^(staging|production)$ ]] || { echo "unknown stage $stage" >&2; exit 2; }
[[ $tag =~ ^sha-[0-9a-f]{7,40}$ ]] || { echo "tag must be sha-<commit hex>, got $tag" >&2; exit 2; }
for tool in aws curl jq kubectl kustomize; do
  command -v "$tool" >/dev/null || { echo "deploy-app: $tool is required" >&2; exit 1; }
done

ssm() { aws ssm get-parameter --name "/postech/$stage/$1" --query Parameter.Value --output text; }
region=${AWS_REGION:-us-east-1}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r k8s "$work/"
overlay="$work/k8s/overlays/$stage"

# ---- Release values into the overlay copy -------------------------------------------------
app_repository=$(ssm ecr/postech-app-repository)
migrator_repository=$(ssm ecr/postech-migrator-repository)
(cd "$overlay" && kustomize edit set image "postech-app=$app_repository:$tag" "postech-migrator=$migrator_repository:$tag")

# Mercado Pago notifies the webhook on the stage's API Gateway; source_news=webhooks asks for
# the signed Webhooks format only (postech-app docs/payments.md). The endpoint of a REST API
# stage ends with the stage's name (https://<api>.execute-api.<region>.amazonaws.com/<stage>).
apigw_endpoint=$(ssm apigw/endpoint)
[[ $apigw_endpoint =~ ^https://[^/?#]+(/[A-Za-z0-9_-]+)?$ ]] \
  || { echo "deploy-app: /postech/$stage/apigw/endpoint is not an https base URL: $apigw_endpoint" >&2; exit 1; }
(cd "$overlay" && kustomize edit set configmap postech-app-config \
  --from-literal="COGNITO_USER_POOL_ID=$(ssm cognito/user-pool-id)" \
  --from-literal="COGNITO_CLIENT_ID=$(ssm cognito/client-id)" \
  --from-literal="MERCADOPAGO_NOTIFICATION_URL=$apigw_endpoint/v1/api/pagamentos/webhook?source_news=webhooks")

# The RDS CA bundle of the region: RDS certificates chain to Amazon's RDS CAs, which are not
# public roots, and the app and the migrator connect with sslmode=verify-full. Fetched at each
# deploy so that CAs AWS adds reach the pods. The region's bundle rather than the global one
# (every region's CAs): kubectl apply copies the ConfigMap into an annotation capped at 256 KiB.
curl -fsS --proto '=https' --tlsv1.2 --retry 3 --max-time 60 \
  -o "$overlay/rds-ca-bundle.pem" "https://truststore.pki.rds.amazonaws.com/$region/$region-bundle.pem"
grep -q "BEGIN CERTIFICATE" "$overlay/rds-ca-bundle.pem" \
  || { echo "deploy-app: the RDS CA bundle of $region holds no certificate" >&2; exit 1; }
(cd "$overlay" && kustomize edit add configmap postech-rds-ca --behavior=replace \
  --from-file="rds-ca-bundle.pem=rds-ca-bundle.pem")

# The app reads its token verification keys itself (JWT_VERIFICATION_KEY_SECRET_ID in the
# overlay), and follows key rotations without a restart. The deploy only checks that
# postech-lambda-functions has published a key there: otherwise every pod would fail its start.
# It reads the public half only; the signing key is never needed here.
verification_secret=$(ssm auth/jwt-verification-key-secret-arn)
published_kid=$(aws secretsmanager get-secret-value --secret-id "$verification_secret" --query SecretString --output text \
  | jq -r 'if (.public_key_pem // "" | contains("BEGIN PUBLIC KEY")) then .kid else "" end')
[ -n "$published_kid" ] \
  || { echo "deploy-app: $verification_secret holds no public key yet (deploy postech-lambda-functions, which runs scripts/rotate-signing-key.sh --if-unset)" >&2; exit 1; }
echo "deploy-app: token verification keys published (current kid $published_kid)"

# The migration Job's connection as the schema owner (k8s/base/migration-job.yaml): the ARN of
# the RDS-managed master secret, which the migrator reads itself at each run (so no password
# passes through here or into Kubernetes, and RDS's rotations need nothing), and where the
# instance is.
(cd "$overlay" && kustomize edit add configmap postech-migrator-config --behavior=merge \
  --from-literal="MIGRATOR_DATABASE_SECRET_ID=$(ssm rds/master-secret-arn)" \
  --from-literal="MIGRATOR_DATABASE_HOST=$(ssm rds/endpoint)" \
  --from-literal="MIGRATOR_DATABASE_PORT=$(ssm rds/port)" \
  --from-literal="MIGRATOR_DATABASE_NAME=$(ssm rds/db-name)")

for account in app migrator; do
  role=$(ssm "eks/$account-role-arn")
  if [ "$role" = "none" ]; then  # AWS Academy fallback: pods use the node role
    patch='[{"op":"remove","path":"/metadata/annotations/eks.amazonaws.com~1role-arn"}]'
  else
    patch=$(jq -cn --arg role "$role" '[{op:"replace",path:"/metadata/annotations/eks.amazonaws.com~1role-arn",value:$role}]')
  fi
  (cd "$overlay" && kustomize edit add patch --kind ServiceAccount --name "postech-$account" --patch "$patch")
done

rendered="$work/rendered.yaml"
kubectl kustomize "$overlay" > "$rendered"
if grep -nE 'set-by-deploy|000000000000|sha-0000000' "$rendered"; then
  echo "deploy-app: placeholders left in the rendered manifests (above)" >&2
  exit 1
fi

# ---- Apply in phases -------------------------------------------------------------------
aws eks update-kubeconfig --region "$region" --name "$(ssm eks/cluster-name)" --kubeconfig "${KUBECONFIG:=$work/kubeconfig}" >/dev/null
export KUBECONFIG
namespace=postech

kubectl apply -l postech.io/phase=prepare -f "$rendered"

kubectl delete job -n "$namespace" postech-migrate --ignore-not-found
kubectl apply -l postech.io/phase=migrate -f "$rendered"
if ! kubectl wait -n "$namespace" --for=condition=complete job/postech-migrate --timeout=600s; then
  kubectl logs -n "$namespace" job/postech-migrate --tail=100 || true
  echo "deploy-app: the migration Job did not complete; the app was not rolled out" >&2
  exit 1
fi

kubectl apply -l postech.io/phase=rollout -f "$rendered"
kubectl rollout status -n "$namespace" deployment/postech-app --timeout=600s
echo "deploy-app: postech-app $tag is live on $stage"
