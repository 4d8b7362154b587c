#!/usr/bin/env bash
# The whole test suite, as the README's quick start and .ci/run call it (after `npm install`):
# installs the system packages the tests need, type-checks and lints everything,
# then runs every test against the real components and prints one summary line; in CI
# (CI=true, or ATB_ALL_NODES=1) it then runs the suite on Node 22 and 24 as well.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
npx tsc --build
# Benchmarks are not part of the build (nothing ships them) but are type-checked all the same.
for project in bench/*/tsconfig.json; do npx tsc -p "$project"; done
npx biome check .
# Files ≤ 450 lines everywhere, functions ≤ 80 lines in the two agents' src.
node scripts/check-sizes.mjs

results=.data/test-results.json
mkdir -p .data
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
node scripts/summarize-tests.mjs "$results" || status=$?
# In CI (CI=true) or on request (ATB_ALL_NODES=1), the same suite again on Node 22 and 24
# (binaries from the npm registry, under .data; ~12 minutes each), one summary line per version.
if [ "${CI:-}" = true ] || [ "${ATB_ALL_NODES:-}" = 1 ]; then
  bash scripts/test-node-versions.sh "$@" || status=$?
fi
exit "$status"
