#!/usr/bin/env bash
# Installs the independent Sigstore client of the keyless fidelity test, @sigstore/cli (its
# `sigstore verify`), from the npm registry into .tmp/sigstore-cli/ with the lockfile of
# scripts/sigstore-cli/, unless it is already there, and prints two lines: the Node binary that
# runs it (Node 24 from scripts/node24.sh: @sigstore/cli 0.10 needs Node ^22.22 or ^24.15, the
# project's Node 20 is too old) and the CLI's entry script. No system install.
#   bash scripts/sigstore-cli.sh          prints <node path>\n<cli path>
set -euo pipefail
cd "$(dirname "$0")/.."

node24=$(bash scripts/node24.sh)
dir=.tmp/sigstore-cli
cli="$dir/node_modules/@sigstore/cli/bin/run"
if ! cmp -s scripts/sigstore-cli/package-lock.json "$dir/package-lock.json" || [ ! -f "$cli" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  cp scripts/sigstore-cli/package.json scripts/sigstore-cli/package-lock.json "$dir/"
  # npm itself runs on the project's Node; the CLI runs on Node 24 (its engines say so).
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --engine-strict=false --silent) >&2
fi
"$node24" "$cli" --version >/dev/null
echo "$node24"
echo "$PWD/$cli"
