#!/usr/bin/env bash
# Runs every test of the workspace: the README's test command, and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
# Unit, integration, property and vector tests (vectors also fail if specs/vectors/ is stale).
cargo test --workspace --all-targets
# Doc tests.
cargo test --workspace --doc
