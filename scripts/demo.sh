#!/usr/bin/env bash
# The README's first command: a whole Thistle election with the real programs, each its own
# process (see `thistle-demo --help`). Builds every program in release mode, then runs the demo in
# the current directory; arguments go to it, e.g. `bash scripts/demo.sh --voters 200 --keep-serving`.
# PostgreSQL instead of the embedded store: --database-url URL or THISTLE_DEMO_DATABASE_URL.
# THISTLE_PROFILE=dev uses the test build's programs instead (CI, after the tests; slower crypto).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
profile="${THISTLE_PROFILE:-release}"
case "$profile" in release) out=release ;; dev) out=debug ;; *) echo "THISTLE_PROFILE must be release or dev" >&2; exit 2 ;; esac
echo "building every program ($profile; in release about 5 minutes the first time on 2 cores)..."
cargo build --profile "$profile" --bins --manifest-path "$root/Cargo.toml"
# The voting page, when the demo is to serve it and it is not built yet.
for arg in "$@"; do
  case "$arg" in
    --keep-serving|--vote-yourself)
      if [ ! -f "$root/voter-client/dist/index.html" ]; then
        echo "building the voting page (needs the wasm32 target and wasm-bindgen-cli; see the README)..."
        bash "$root/scripts/build-client.sh"
      fi
      ;;
  esac
done
exec "$root/target/$out/thistle-demo" "$@"
