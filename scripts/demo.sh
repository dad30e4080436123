#!/usr/bin/env bash
# The README's first command: a whole Thistle election with the real programs, each its own
# process (see `thistle-demo --help`). Builds every program in release mode, then runs the demo;
# arguments go to it, e.g. `bash scripts/demo.sh --voters 200 --keep-serving`.
# PostgreSQL instead of the embedded store: --database-url URL or THISTLE_DEMO_DATABASE_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bins --quiet
exec target/release/thistle-demo "$@"
