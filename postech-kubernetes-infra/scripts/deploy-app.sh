#!/usr/bin/env bash
# Rolls postech-app out to a stage: render the overlay with the release's images pinned by
# digest, run the migration Job, then roll the Deployment, and record the release. Called by
# postech-app's deploy workflow inside the VPC (CodeBuild project postech-<stage>-app-rollout:
# terraform/deploy-executor), with the digests of the images built once and promoted:
#
#   scripts/deploy-app.sh <staging|production> sha256:<app image> sha256:<migrator image> [--skip-migrations]
#
# --skip-migrations (the rollback): redeploys earlier images without running their older
# migrator; the schema stays where it is, which the expand/contract rule of
# postech-database-infra makes safe for the previous release.
#
# Needs AWS credentials (the app-rollout role: edit in the app namespace), aws, curl, jq,
# kubectl and kustomize on PATH. The namespace and the ServiceAccounts must exist
# (scripts/bootstrap-cluster.sh, this repository's deploy). Reads only SSM parameters, Secrets
# Manager (the public token verification keys; never the JWT signing key) and AWS's public RDS
# trust store; writes no file of this checkout (it edits a temporary copy of k8s/) and one SSM
# parameter, /postech/<stage>/app/release, which the rollback reads. Secret values never reach
# stdout. RELEASE_COMMIT, RELEASE_RUN_URL and, for a rollback, ROLLBACK_OF (the app image it
# replaces) go into that record (all optional).
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: scripts/deploy-app.sh <staging|production> sha256:<app digest> sha256:<migrator digest> [--skip-migrations]"
stage=${1:?$usage}
app_digest=${2:?$usage}
migrator_digest=${3:?$usage}
skip_migrations=false
case "${4:-}" in
  "") ;;
  --skip-migrations) skip_migrations=true ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
[[ $stage =~ ^(staging|production)$ ]] || { echo "unknown stage $stage" >&2; exit 2; }
for digest in "$app_digest" "$migrator_digest"; do
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "an image digest is sha256:<64 hex>, got $digest" >&2; exit 2; }
done
for tool in aws curl jq kubectl kustomize; do
  command -v "$tool" >/dev/null || { echo "deploy-app: $tool is required" >&2; exit 1; }
done

ssm() {
  aws ssm get-parameter --name "/postech/$stage/$1" --query Parameter.Value --output text \
    || { echo "deploy-app: cannot read /postech/$stage/$1 (apply order and who writes it: RELEASING.md)" >&2; exit 1; }
}
region=${AWS_REGION:-us-east-1}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r k8s "$work/"
overlay="$work/k8s/overlays/$stage"

# ---- Release values into the overlay copy -------------------------------------------------
app_repository=$(ssm ecr/postech-app-repository)
migrator_repository=$(ssm ecr/postech-migrator-repository)
# Pinned by digest: the image staging ran is the image production runs, whatever a tag says.
(cd "$overlay" && kustomize edit set image "postech-app=$app_repository@$app_digest" "postech-migrator=$migrator_repository@$migrator_digest")

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

# The read replica's address, for a stage whose overlay asks for one (production: the
# DATABASE_READER_HOST placeholder). Staging's overlay leaves it unset: every read on the writer.
if grep -q 'DATABASE_READER_HOST=set-by-deploy' "$overlay/kustomization.yaml"; then
  (cd "$overlay" && kustomize edit set configmap postech-app-config \
    --from-literal="DATABASE_READER_HOST=$(ssm rds/reader-endpoint)")
fi

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

kubectl get namespace "$namespace" >/dev/null \
  || { echo "deploy-app: namespace $namespace does not exist: deploy postech-kubernetes-infra to $stage first (it runs scripts/bootstrap-cluster.sh)" >&2; exit 1; }

kubectl apply -l postech.io/phase=prepare -f "$rendered"

if [ "$skip_migrations" = true ]; then
  echo "deploy-app: --skip-migrations: the schema stays as it is (expand/contract keeps the previous release compatible)"
else
  kubectl delete job -n "$namespace" postech-migrate --ignore-not-found
  kubectl apply -l postech.io/phase=migrate -f "$rendered"
  if ! kubectl wait -n "$namespace" --for=condition=complete job/postech-migrate --timeout=600s; then
    kubectl logs -n "$namespace" job/postech-migrate --tail=100 || true
    echo "deploy-app: the migration Job did not complete; the app was not rolled out" >&2
    exit 1
  fi
fi

kubectl apply -l postech.io/phase=rollout -f "$rendered"
kubectl rollout status -n "$namespace" deployment/postech-app --timeout=600s

# The release record: what runs on the stage now. Its parameter history is the list of
# releases the rollback chooses from.
release=$(jq -cn --arg app "$app_repository@$app_digest" --arg migrator "$migrator_repository@$migrator_digest" \
  --arg commit "${RELEASE_COMMIT:-unknown}" --arg run "${RELEASE_RUN_URL:-}" --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --arg rollback_of "${ROLLBACK_OF:-}" \
  '{app_image: $app, migrator_image: $migrator, commit: $commit, run: $run, deployed_at: $at}
   + (if $rollback_of == "" then {} else {rollback_of: $rollback_of} end)')
aws ssm put-parameter --name "/postech/$stage/app/release" --type String --overwrite \
  --description "postech $stage: the release postech-app runs (scripts/deploy-app.sh)" --value "$release" >/dev/null
echo "deploy-app: postech-app $app_repository@$app_digest is live on $stage"
