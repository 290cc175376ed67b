#!/usr/bin/env bash
# What this repository's CI runs: offline validation with real tools, no AWS access.
#
#   yaml        yamllint over every YAML file (manifests, workflows)
#   terraform   python-hcl2 parse + variable/tfvars/module/version/SSM-contract checks
#               (scripts/check_terraform.py), checkov, terraform fmt -check (when installed),
#               for terraform/ and the account stack terraform-bootstrap/
#   kubernetes  render each overlay and k8s/platform (kubectl kustomize), manifest checks
#               (scripts/check_manifests.py), platform checks (scripts/check_platform.py, and
#               scripts/test_check_platform.py, which breaks each of its rules once), kubernetes-validate --strict against the stage's
#               Kubernetes version (terraform/<stage>.tfvars), checkov on the rendered output
#   monitoring  the alert rules' unit tests with promtool (scripts/test_alert_rules.py, which
#               prints its own "promtool rule tests: N passed, M failed" line), and the
#               dashboards, metric names and chart values (scripts/check_monitoring.py)
#
# Usage: scripts/test.sh [yaml|terraform|kubernetes|monitoring]...   (default: all)
# Needs on PATH: yamllint, checkov, kubernetes-validate (tools/requirements-dev.txt, one venv),
# python3, kubectl, promtool (Debian package prometheus); optionally terraform. python-hcl2 is installed by this script into its own
# directory (checkov ships a fork under the same import name). Every step runs even when one
# fails; the last line is the summary the root test command adds up.
set -uo pipefail
cd "$(dirname "$0")/.."

stages=(staging production)
passed=0
failed=0
failed_steps=()

step() {
  local name=$1
  shift
  echo "==> $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_steps+=("$name")
    echo "FAILED step: $name" >&2
  fi
}

need() {
  command -v "$1" >/dev/null && return 0
  echo "test.sh: $1 is not on PATH. $2" >&2
  return 1
}

venv_hint="Install the tools: python3 -m venv /root/.cache/postech/venv-kubernetes-infra && /root/.cache/postech/venv-kubernetes-infra/bin/pip install -r tools/requirements-dev.txt, then put its bin on PATH."

# python-hcl2 in its own directory, keyed by its requirements and the Python version.
hcl2_dir="${POSTECH_CACHE:-$HOME/.cache/postech}/kubernetes-infra-python-hcl2"
ensure_hcl2() {
  local wanted
  wanted="$(sha256sum tools/requirements-hcl2.txt | cut -d' ' -f1)-$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  [ "$(cat "$hcl2_dir/.installed" 2>/dev/null)" = "$wanted" ] && return 0
  echo "test.sh: installing python-hcl2 into $hcl2_dir"
  rm -rf "$hcl2_dir"
  python3 -m pip install --quiet --disable-pip-version-check --target "$hcl2_dir" -r tools/requirements-hcl2.txt \
    && echo "$wanted" > "$hcl2_dir/.installed"
}

run_yaml() {
  step "yamllint" bash -c "command -v yamllint >/dev/null || { echo '$venv_hint' >&2; exit 1; }; yamllint -s ."
}

run_terraform() {
  step "terraform static checks (python-hcl2)" bash -c \
    "$(declare -f ensure_hcl2); hcl2_dir='$hcl2_dir'; ensure_hcl2 && PYTHONPATH='$hcl2_dir' python3 scripts/check_terraform.py terraform"
  # --skip-download: no call to the Prisma Cloud API. LOG_LEVEL=ERROR: checkov warns that it
  # cannot download the registry modules offline; the module calls are still checked.
  step "checkov terraform" bash -c \
    "command -v checkov >/dev/null || { echo '$venv_hint' >&2; exit 1; }; LOG_LEVEL=ERROR checkov -d terraform --framework terraform --quiet --compact --skip-download"
  # The account's bootstrap stack (OIDC provider, workflow roles, state bucket): same checks,
  # with the account-stack rules of check_terraform.py instead of the stage stack's contract.
  step "terraform-bootstrap static checks (python-hcl2)" bash -c \
    "$(declare -f ensure_hcl2); hcl2_dir='$hcl2_dir'; ensure_hcl2 && PYTHONPATH='$hcl2_dir' python3 scripts/check_terraform.py terraform-bootstrap --account-stack"
  step "checkov terraform-bootstrap" bash -c \
    "command -v checkov >/dev/null || { echo '$venv_hint' >&2; exit 1; }; LOG_LEVEL=ERROR checkov -d terraform-bootstrap --framework terraform --quiet --compact --skip-download"
  if command -v terraform >/dev/null; then
    step "terraform fmt -check" env TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive -diff terraform
    step "terraform fmt -check (terraform-bootstrap)" env TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive -diff terraform-bootstrap
  else
    echo "test.sh: terraform is not installed; fmt -check runs in the deploy workflow"
  fi
}

render_dir=""
run_kubernetes() {
  render_dir=$(mktemp -d)
  trap 'rm -rf "$render_dir"' EXIT
  local stage version rendered=()
  for stage in "${stages[@]}"; do
    step "kustomize render $stage" bash -c \
      "command -v kubectl >/dev/null || { echo 'kubectl is required (it renders kustomize)' >&2; exit 1; }; kubectl kustomize 'k8s/overlays/$stage' > '$render_dir/$stage.yaml'"
    rendered+=("$stage=$render_dir/$stage.yaml")
  done
  # The platform's objects (namespace, ServiceAccounts) that scripts/bootstrap-cluster.sh applies.
  step "kustomize render platform" bash -c \
    "command -v kubectl >/dev/null || { echo 'kubectl is required (it renders kustomize)' >&2; exit 1; }; kubectl kustomize k8s/platform > '$render_dir/platform.yaml'"
  rendered+=("platform=$render_dir/platform.yaml")
  step "manifest checks" bash -c \
    "$(declare -f ensure_hcl2); hcl2_dir='$hcl2_dir'; ensure_hcl2 && PYTHONPATH='$hcl2_dir' python3 scripts/check_manifests.py terraform ${rendered[*]}"
  # The platform at production size: node autoscaling and its bounds against the HPA, pinned
  # add-ons, VPC endpoints, security groups for pods and the database egress
  # (scripts/check_platform.py); then each of its rules broken once, which must make it fail.
  step "platform checks" bash -c \
    "$(declare -f ensure_hcl2); hcl2_dir='$hcl2_dir'; ensure_hcl2 && PYTHONPATH='$hcl2_dir' python3 scripts/check_platform.py terraform ${rendered[*]}"
  step "platform check mutations" bash -c \
    "$(declare -f ensure_hcl2); hcl2_dir='$hcl2_dir'; ensure_hcl2 && PYTHONPATH='$hcl2_dir' python3 scripts/test_check_platform.py"
  for stage in "${stages[@]}"; do
    # The cluster's version, from the stage's tfvars (e.g. "1.33" -> 1.33.0).
    version=$(sed -n 's/^kubernetes_version *= *"\([0-9.]*\)"/\1/p' "terraform/$stage.tfvars")
    step "kubernetes-validate $stage (Kubernetes ${version:-?})" bash -c \
      "command -v kubernetes-validate >/dev/null || { echo '$venv_hint' >&2; exit 1; }; [ -n '$version' ] || { echo 'no kubernetes_version in terraform/$stage.tfvars' >&2; exit 1; }; kubernetes-validate --strict --quiet -k '$version.0' '$render_dir/$stage.yaml' '$render_dir/platform.yaml'"
  done
  step "checkov kubernetes (rendered overlays)" bash -c \
    "command -v checkov >/dev/null || { echo '$venv_hint' >&2; exit 1; }; LOG_LEVEL=ERROR checkov -d '$render_dir' --framework kubernetes --quiet --compact --skip-download"
}

run_monitoring() {
  step "alert rule tests (promtool)" bash -c \
    "command -v promtool >/dev/null || { echo 'promtool is required: apt-get install prometheus' >&2; exit 1; }; python3 scripts/test_alert_rules.py monitoring/alerts"
  step "monitoring checks (dashboards, metric names, chart values)" python3 scripts/check_monitoring.py
}

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(yaml terraform kubernetes monitoring)
for part in "${parts[@]}"; do
  case $part in
    yaml) run_yaml ;;
    terraform) run_terraform ;;
    kubernetes) run_kubernetes ;;
    monitoring) run_monitoring ;;
    *) echo "usage: scripts/test.sh [yaml|terraform|kubernetes|monitoring]..." >&2; exit 2 ;;
  esac
done

for name in "${failed_steps[@]}"; do echo "failed: $name"; done
echo "kubernetes-infra checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
