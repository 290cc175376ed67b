#!/usr/bin/env bash
# Offline validation of terraform/, with real tools and no AWS access:
#   1. every .tf/.tfvars/.tfbackend parses with python-hcl2, variables are documented and
#      typed, .tfvars set only declared variables (and all required ones), local module
#      calls match their modules' variables (scripts/check_terraform.py);
#   2. checkov passes (each skipped check carries its reason beside the resource);
#   3. terraform fmt -check, when terraform is installed.
# `terraform validate` and `plan` need the providers and AWS: the deploy workflow runs them.
# Exits non-zero as soon as a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "validate-terraform: $*" >&2; exit 1; }

command -v python3 >/dev/null || fail "python3 is required"
command -v checkov >/dev/null || fail "checkov is not on PATH; install the tools: python3 -m venv /root/.cache/postech/venv-database-infra && /root/.cache/postech/venv-database-infra/bin/pip install -r tools/requirements-dev.txt, then put its bin on PATH"

# python-hcl2 lives in its own directory, keyed by its requirements and the Python version
# (its regex dependency is compiled per version).
hcl2_dir="${POSTECH_CACHE:-$HOME/.cache/postech}/database-infra-python-hcl2"
wanted="$(sha256sum tools/requirements-hcl2.txt | cut -d' ' -f1)-$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ "$(cat "$hcl2_dir/.installed" 2>/dev/null)" != "$wanted" ]; then
  echo "validate-terraform: installing python-hcl2 into $hcl2_dir"
  rm -rf "$hcl2_dir"
  python3 -m pip install --quiet --disable-pip-version-check --target "$hcl2_dir" -r tools/requirements-hcl2.txt \
    || fail "pip could not install tools/requirements-hcl2.txt"
  echo "$wanted" > "$hcl2_dir/.installed"
fi

steps=0
echo "validate-terraform: HCL parse and variable checks (python-hcl2)"
PYTHONPATH="$hcl2_dir" python3 scripts/check_terraform.py terraform
steps=$((steps + 1))

echo "validate-terraform: checkov"
# --skip-download: no call to the Prisma Cloud API (offline; results are the same).
# LOG_LEVEL=ERROR: checkov warns that it cannot download the registry module offline; the
# module call itself is still checked.
LOG_LEVEL=ERROR checkov -d terraform --framework terraform --quiet --compact --skip-download
steps=$((steps + 1))

if command -v terraform >/dev/null; then
  echo "validate-terraform: terraform fmt -check"
  TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive -diff terraform
  steps=$((steps + 1))
else
  echo "validate-terraform: terraform is not installed; fmt -check runs in the deploy workflow"
fi

echo "terraform validation: $steps passed, 0 failed"
