#!/usr/bin/env bash
# Installs the pinned kubectl and kustomize into /usr/local/bin when they are missing (the
# deploy executor's CodeBuild image has neither), each checked against the checksum its
# publisher serves beside it. Sourced by the executor's entry scripts; a no-op on a machine that
# has both (POSTECH_EXECUTOR=local).
set -euo pipefail

POSTECH_KUBECTL_VERSION=v1.33.0
POSTECH_KUSTOMIZE_VERSION=v5.6.0

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_kubectl() {
  command -v kubectl >/dev/null && return 0
  local dir url
  dir=$(mktemp -d)
  url="https://dl.k8s.io/release/$POSTECH_KUBECTL_VERSION/bin/linux/amd64/kubectl"
  curl -fsSL --proto '=https' --retry 3 -o "$dir/kubectl" "$url"
  echo "$(curl -fsSL --proto '=https' --retry 3 "$url.sha256")  $dir/kubectl" | sha256sum --check --quiet
  as_root install -m 0755 "$dir/kubectl" /usr/local/bin/kubectl
  rm -rf "$dir"
}

install_kustomize() {
  command -v kustomize >/dev/null && return 0
  local dir base archive
  dir=$(mktemp -d)
  base="https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2F$POSTECH_KUSTOMIZE_VERSION"
  archive="kustomize_${POSTECH_KUSTOMIZE_VERSION}_linux_amd64.tar.gz"
  curl -fsSL --proto '=https' --retry 3 -o "$dir/$archive" "$base/$archive"
  curl -fsSL --proto '=https' --retry 3 -o "$dir/checksums.txt" "$base/checksums.txt"
  (cd "$dir" && grep " $archive\$" checksums.txt | sha256sum --check --quiet)
  tar -xzf "$dir/$archive" -C "$dir" kustomize
  as_root install -m 0755 "$dir/kustomize" /usr/local/bin/kustomize
  rm -rf "$dir"
}

install_kubectl
install_kustomize
kubectl version --client=true >/dev/null
kustomize version >/dev/null
