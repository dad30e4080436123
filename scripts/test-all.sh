#!/usr/bin/env bash
# Runs every test of the workspace: the README's test command, and what .ci/run calls. On a fresh
# machine it first installs what the tests need (scripts/prerequisites.sh: the wasm32 target, the
# pinned wasm-bindgen-cli, Debian's chromium and chromedriver, PostgreSQL started), failing with
# one sentence where it cannot. Ends with one summary line, "all tests: N passed, M failed", and
# fails if nothing ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prerequisites.sh
# The board's tests run against a real PostgreSQL; the local server unless DATABASE_URL says otherwise.
# They fail (never skip) if it cannot be reached.
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The voting page, built reproducibly (it must match voter-client/assets.sha256): its end-to-end
# test drives it in headless Chromium.
bash scripts/build-client.sh --check
# Unit, integration, property and vector tests (vectors also fail if specs/vectors/ is stale);
# benchmarks and examples are built and run once in test mode.
cargo test --workspace --all-targets 2>&1 | tee "$log"
cargo test --workspace --doc 2>&1 | tee -a "$log"
read -r passed failed < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } } END { print p + 0, f + 0 }' "$log")
echo
echo "all tests: ${passed} passed, ${failed} failed"
[ "$passed" -gt 0 ] && [ "$failed" -eq 0 ]
