#!/usr/bin/env bash
# Measures the bulletin board under load: starts a release-built board on a fresh PostgreSQL schema
# (or on a fresh embedded store with --sqlite), runs board-load against it, prints its figures, and
# stops the board. With --flood it runs board-flood instead: honest voters with and without a flood
# of bad requests, side by side, and the board's peak memory (further arguments after -- go to it).
# Needs psql, curl and python3 (for a free port); PostgreSQL at DATABASE_URL (default: the local
# server's database test).
#   bash scripts/load-test.sh [--sqlite] [--pin] [--voters N] [--clients C] [--flood [-- board-flood args]]
set -euo pipefail
cd "$(dirname "$0")/.."
store=postgres
voters=""
clients=""
flood=no
pin=no
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sqlite) store=sqlite ;;
    --voters) voters="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --flood) flood=yes ;;
    --pin) pin=yes ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--sqlite] [--pin] [--voters N] [--clients C] [--flood [-- board-flood args]]" >&2; exit 2 ;;
  esac
  shift
done
cargo build --release -q -p bulletin-board
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
args=(serve --bind "127.0.0.1:$port" --data-dir "$dir")
schema=""
base_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
if [ "$store" = postgres ]; then
  schema="thistle_load_$$"
  psql "$base_url" -qc "CREATE SCHEMA $schema"
  case "$base_url" in *\?*) sep='&' ;; *) sep='?' ;; esac
  args+=(--database-url "${base_url}${sep}options=-csearch_path%3D$schema")
fi
# --pin: the board on core 0 and the load generator on the others, so that the generator's own work
# (attackers included) never takes the board's CPU; calm and flood then compare one core's worth.
board_cpu=() tool_cpu=()
if [ "$pin" = yes ]; then
  board_cpu=(taskset -c 0) tool_cpu=(taskset -c "1-$(( $(nproc) - 1 ))")
fi
RUST_LOG=warn "${board_cpu[@]}" target/release/bulletin-board "${args[@]}" &
board=$!
cleanup() {
  kill "$board" 2>/dev/null || true
  wait "$board" 2>/dev/null || true
  [ -n "$schema" ] && psql "$base_url" -qc "DROP SCHEMA $schema CASCADE" || true
  rm -rf "$dir"
}
trap cleanup EXIT
healthy=no
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$port/v1/health" >/dev/null && { healthy=yes; break; }
  sleep 0.1
done
[ "$healthy" = yes ] || { echo "the board did not become healthy" >&2; exit 1; }
echo "store: $store; machine: $(nproc) cores"
if [ "$flood" = yes ]; then
  "${tool_cpu[@]}" target/release/board-flood --url "http://127.0.0.1:$port" --board-pid "$board" \
    --voters "${voters:-3000}" --clients "${clients:-16}" "${extra[@]}"
else
  "${tool_cpu[@]}" target/release/board-load --url "http://127.0.0.1:$port" --voters "${voters:-20000}" --clients "${clients:-32}"
fi
