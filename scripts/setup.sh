#!/usr/bin/env bash
# Set-up on a fresh Debian machine: the Debian packages the tests use (the Azure CLI for the
# CLI fidelity tests and the benchmark's baseline, docker-registry as a real OCI upstream,
# openssl for the emulator's CA and the signature checks, skopeo as an independent registry
# client), installed only when missing (as root, or with sudo), then npm ci.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v az >/dev/null 2>&1 || need+=(azure-cli)
[ -x /usr/bin/docker-registry ] || command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need+=(iproute2)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "az $(az version --query '"azure-cli"' -o tsv 2>/dev/null), $(openssl version), docker-registry $([ -x /usr/bin/docker-registry ] && echo present), $(skopeo --version 2>/dev/null)"

npm ci --no-audit --no-fund
