#!/usr/bin/env bash
# Prints a directory whose `node` is a current LTS (22.18+ or 24), fetching
# node@24 from the npm registry into .tools/node when the machine's node is older.
# Why 22.18: the tests run TypeScript directly through Node's built-in type stripping.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
local_bin="$root/.tools/node/node_modules/node/bin"

fits() { # $1 = path to a node binary
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>=24||(a===22&&b>=18)||a===23?0:1)' 2>/dev/null
}

if [ -x "$local_bin/node" ] && fits "$local_bin/node"; then echo "$local_bin"; exit 0; fi
if command -v node >/dev/null 2>&1 && fits "$(command -v node)"; then dirname "$(command -v node)"; exit 0; fi

echo "ensure-node: machine node is $(node --version 2>/dev/null || echo missing); installing node@24 into .tools/node" >&2
mkdir -p "$root/.tools/node"
npm install --no-save --no-audit --no-fund --prefix "$root/.tools/node" node@24 >&2
fits "$local_bin/node" || { echo "ensure-node: could not get a current node" >&2; exit 1; }
echo "$local_bin"
