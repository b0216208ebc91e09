#!/usr/bin/env bash
# Puts a Node.js >= 22.13 first on PATH. Hardhat 3 needs it; machines with an older system Node get
# one from the npm registry (the `node@22` package) in .tools/node22, installed once.
#
#   source scripts/node22.sh        # in a shell: PATH now starts with Node 22 (when needed)
#   bash scripts/node22.sh npm ci   # or run one command under it
#
# Run it BEFORE `npm ci`: npm under Node 20 skips Hardhat's native EDR package (error HHE27).
_mc_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_mc_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)'
}
if ! _mc_node_ok; then
  _mc_dir="$_mc_root/.tools/node22"
  if [ ! -x "$_mc_dir/node_modules/.bin/node" ]; then
    echo "scripts/node22.sh: installing Node 22 from the npm registry into .tools/node22" >&2
    npm install --prefix "$_mc_dir" --no-audit --no-fund --loglevel=error node@22.23.3 >&2
  fi
  export PATH="$_mc_dir/node_modules/.bin:$PATH"
  _mc_node_ok || { echo "scripts/node22.sh: could not get Node >= 22.13" >&2; return 1 2>/dev/null || exit 1; }
fi
unset -f _mc_node_ok
unset _mc_root _mc_dir
# Executed (not sourced) with arguments: run them under this PATH.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "$#" -gt 0 ]; then
  exec "$@"
fi
