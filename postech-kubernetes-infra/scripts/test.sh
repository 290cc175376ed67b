#!/usr/bin/env bash
# What this repository's CI runs. Only YAML lint for now: there is no Terraform or manifest yet.
set -euo pipefail
cd "$(dirname "$0")/.."
yamllint -s .
echo "yamllint: 1 passed, 0 failed"
