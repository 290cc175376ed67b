#!/usr/bin/env bash
# Runs `postech-migrator up` and `verify` against a deployed stage's RDS instance, from a
# machine that reaches the cluster's API (the deploy executor inside the VPC, which the deploy
# workflow starts through .github/scripts/run-in-vpc.sh, or an operator's machine).
#
#   scripts/migrate-stage.sh staging|production
#
# Needs: AWS credentials in the environment (the executor's database-migrate role), aws,
# kubectl, jq, curl, cargo and libpq. The instance only admits the EKS workloads' security
# group, so the connection goes through a short-lived socat pod in the stage's cluster and
# `kubectl port-forward`; TLS is still verified against the instance's host name (libpq
# `hostaddr`). The master credentials are read by the migrator from the RDS-managed secret
# (MIGRATOR_DATABASE_SECRET_ID).
#
# Also seeds postech/<stage>/app-database with a generated password the first time (the
# secret is created empty by Terraform so that no password enters the state).
set -euo pipefail
cd "$(dirname "$0")/.."

stage=${1:?usage: scripts/migrate-stage.sh staging|production}
case "$stage" in staging | production) ;; *) echo "unknown stage: $stage" >&2; exit 2 ;; esac
region=${AWS_REGION:-us-east-1}
namespace=${DB_TUNNEL_NAMESPACE:-postech}
image=${DB_TUNNEL_IMAGE:-alpine/socat:1.8.0.0}
local_port=15432

ssm() { aws ssm get-parameter --region "$region" --name "/postech/$stage/$1" --query Parameter.Value --output text; }

host=$(ssm rds/endpoint)
port=$(ssm rds/port)
dbname=$(ssm rds/db-name)
master_secret_arn=$(ssm rds/master-secret-arn)
app_secret_arn=$(ssm rds/app-database-secret-arn)
app_role=$(ssm rds/app-role-name)
cluster=$(ssm eks/cluster-name)

# First deploy: give the app role a generated password (never printed, never in a file
# outside the runner's temp dir, removed right after).
versions=$(aws secretsmanager list-secret-version-ids --region "$region" --secret-id "$app_secret_arn" --query 'length(Versions)' --output text)
if [ "$versions" = "0" ]; then
  echo "Seeding $app_secret_arn with a generated password for role $app_role"
  password=$(aws secretsmanager get-random-password --region "$region" --exclude-punctuation --password-length 40 --query RandomPassword --output text)
  [ -n "${GITHUB_ACTIONS:-}" ] && echo "::add-mask::$password"
  secret_file=$(mktemp)
  trap 'rm -f "$secret_file"' EXIT
  jq -n --arg username "$app_role" --arg password "$password" --arg host "$host" \
    --argjson port "$port" --arg dbname "$dbname" \
    '{username: $username, password: $password, host: $host, port: $port, dbname: $dbname, engine: "postgres"}' >"$secret_file"
  aws secretsmanager put-secret-value --region "$region" --secret-id "$app_secret_arn" --secret-string "file://$secret_file" >/dev/null
  rm -f "$secret_file"
  unset password
fi

bundle=$(mktemp --suffix=.pem)
curl -fsSL https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem -o "$bundle"

aws eks update-kubeconfig --region "$region" --name "$cluster" --kubeconfig "${KUBECONFIG:=$(mktemp)}" >/dev/null
export KUBECONFIG
pod="postech-db-tunnel-${GITHUB_RUN_ID:-$$}"
cleanup() {
  [ -n "${forward_pid:-}" ] && kill "$forward_pid" 2>/dev/null || true
  kubectl delete pod -n "$namespace" "$pod" --ignore-not-found --wait=false >/dev/null || true
  rm -f "$bundle" "${secret_file:-}"
}
trap cleanup EXIT

# A restricted-profile pod: non-root, no privileges, read-only root, deleted on exit.
overrides=$(jq -n --arg image "$image" --arg target "TCP:$host:$port" '{
  spec: {
    automountServiceAccountToken: false,
    securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: "RuntimeDefault"}},
    containers: [{
      name: "tunnel", image: $image,
      args: ["TCP-LISTEN:5432,fork,reuseaddr", $target],
      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: ["ALL"]}},
      resources: {requests: {cpu: "10m", memory: "16Mi"}, limits: {cpu: "200m", memory: "64Mi"}}
    }]
  }}')
# The label selects the pod for the workload security group (postech-kubernetes-infra
# k8s/platform/security-group-policies.yaml): without it RDS refuses the connection.
kubectl run "$pod" -n "$namespace" --image="$image" --restart=Never --labels=app.kubernetes.io/name=postech-db-tunnel \
  --overrides="$overrides" >/dev/null
kubectl wait -n "$namespace" --for=condition=Ready "pod/$pod" --timeout=120s >/dev/null
kubectl port-forward -n "$namespace" "pod/$pod" "$local_port:5432" >/dev/null &
forward_pid=$!
for _ in $(seq 1 30); do
  (exec 3<>"/dev/tcp/127.0.0.1/$local_port") 2>/dev/null && break
  sleep 1
done

# The migrator reads the master credentials from the RDS-managed secret itself (the
# password never passes through this shell) and connects to the instance's host name
# through the tunnel: PGHOSTADDR sends the connection to 127.0.0.1 while verify-full still
# checks the certificate against $host.
unset DATABASE_URL
export MIGRATOR_DATABASE_SECRET_ID="$master_secret_arn"
export MIGRATOR_DATABASE_HOST="$host" MIGRATOR_DATABASE_PORT="$local_port" MIGRATOR_DATABASE_NAME="$dbname"
export PGHOSTADDR=127.0.0.1 PGSSLMODE=verify-full PGSSLROOTCERT="$bundle"
export APP_DATABASE_SECRET_ID="$app_secret_arn"
export AWS_REGION="$region"
cargo run --release --locked --quiet --bin postech-migrator -- up
cargo run --release --locked --quiet --bin postech-migrator -- verify
