#!/usr/bin/env bash
# Measures the bulletin board under load: starts a release-built board on a fresh PostgreSQL schema
# (or on a fresh embedded store with --sqlite), runs board-load against it, prints its figures, and
# stops the board. With --flood it runs board-flood instead: honest voters with and without a flood
# of bad requests, side by side, and the board's peak memory (further arguments after -- go to it).
# With --restart, the board is then killed with -9 and started again on the same store: the script
# prints the time until /v1/health answers 200 and the restarted board's peak memory. With
# --verify, it downloads the record and prints its size and thistle-verify's time and peak memory.
# With --witnesses N, it starts N verifying thistle-witness processes and runs the load three times on the
# same board, side by side: first an election without witnesses, then one whose manifest names the
# N (quorum --quorum K, default N), printing the witnessed checkpoint's lag and catch-up too, then
# again without (the order's drift);
# --no-verify-witnesses runs them in consistency-only mode (the board's own cost of witnessing).
# Needs psql, curl and python3 (for a free port); PostgreSQL at DATABASE_URL (default: the local
# server's database test); /usr/bin/time for --verify.
#   bash scripts/load-test.sh [--sqlite] [--pin] [--voters N [--turnout PERCENT]] [--clients C] [--restart] [--verify]
#                             [--witnesses N [--quorum K] [--no-verify-witnesses]]
#                             [--flood [-- board-flood args]]
set -euo pipefail
cd "$(dirname "$0")/.."
store=postgres
voters=""
clients=""
turnout=""
flood=no
pin=no
restart=no
verify=no
witnesses=0
quorum=""
witness_mode=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sqlite) store=sqlite ;;
    --voters) voters="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --turnout) turnout="$2"; shift ;;
    --flood) flood=yes ;;
    --pin) pin=yes ;;
    --restart) restart=yes ;;
    --verify) verify=yes ;;
    --witnesses) witnesses="$2"; shift ;;
    --quorum) quorum="$2"; shift ;;
    --no-verify-witnesses) witness_mode=(--no-verify) ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: $0 [--sqlite] [--pin] [--voters N [--turnout PERCENT]] [--clients C] [--restart] [--verify] [--witnesses N [--quorum K] [--no-verify-witnesses]] [--flood [-- board-flood args]]" >&2; exit 2 ;;
  esac
  shift
done
# Every binary at once, as scripts/demo.sh builds them: a per-package build would unify features
# differently and rebuild shared crates. THISTLE_PROFILE=dev: the test build's (CI's smoke run).
profile="${THISTLE_PROFILE:-release}"
case "$profile" in release) out=release ;; dev) out=debug ;; *) echo "THISTLE_PROFILE must be release or dev" >&2; exit 2 ;; esac
cargo build --profile "$profile" -q --bins
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
RUST_LOG=warn "${board_cpu[@]}" target/$out/bulletin-board "${args[@]}" &
board=$!
witness_pids=()
cleanup() {
  for w in "${witness_pids[@]}"; do kill "$w" 2>/dev/null || true; done
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
  "${tool_cpu[@]}" target/$out/board-flood --url "http://127.0.0.1:$port" --board-pid "$board" \
    --voters "${voters:-9000}" --clients "${clients:-16}" "${extra[@]}"
else
  load=("${tool_cpu[@]}" target/$out/board-load --url "http://127.0.0.1:$port" --voters "${voters:-20000}" --clients "${clients:-32}" ${turnout:+--turnout "$turnout"})
  if [ "$witnesses" -gt 0 ]; then
    # N organisations' witnesses, each its own process with a sealed key, following this board.
    printf 'a load-test witness passphrase\n' > "$dir/passphrase"; chmod 600 "$dir/passphrase"
    named=()
    for i in $(seq "$witnesses"); do
      key=$(target/$out/thistle-witness key --key "$dir/w$i.key" --name "w$i.load" --passphrase-file "$dir/passphrase" | awk -F'"' '/^key = / { print $2 }')
      wport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      RUST_LOG=warn "${tool_cpu[@]}" target/$out/thistle-witness serve --bind "127.0.0.1:$wport" --data-dir "$dir/w$i" \
        --key "$dir/w$i.key" --name "w$i.load" --passphrase-file "$dir/passphrase" --board "http://127.0.0.1:$port" "${witness_mode[@]}" &
      witness_pids+=($!)
      until curl -fs "http://127.0.0.1:$wport/v1/health" >/dev/null; do sleep 0.1; done
      named+=(--witness "w$i.load=$key=http://127.0.0.1:$wport")
    done
    echo "=== without witnesses"
    "${load[@]}"
    echo "=== with $witnesses ${witness_mode:+consistency-only }witnesses (quorum ${quorum:-$witnesses}), on the same board and machine"
    "${load[@]}" "${named[@]}" ${quorum:+--witness-quorum "$quorum"} | tee "$dir/load.out"
    # Again without: the second run meets a larger store than the first, so the drift between the
    # two runs without witnesses shows how much of the difference is the order, not the witnesses.
    echo "=== without witnesses again, after (the drift from the first run is the order's, not the witnesses')"
    "${load[@]}"
  else
    "${load[@]}" | tee "$dir/load.out"
  fi
fi
election=$(awk '/^election:/ { print $2 }' "$dir/load.out" 2>/dev/null || true)
if [ "$store" = postgres ] && [ -n "$election" ]; then
  psql "$base_url" -qAtc "SELECT 'store:           ' || pg_size_pretty(SUM(pg_total_relation_size(c.oid))::bigint) || ', ' || (SUM(pg_total_relation_size(c.oid)) / (SELECT COUNT(*) FROM $schema.leaves))::bigint || ' bytes per leaf (leaves, resume notes, indexes)' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$schema' AND c.relkind IN ('r', 't', 'i')"
fi
if [ "$flood" = no ]; then
  awk '/^VmHWM/ { printf "board:           peak memory %.0f MiB\n", $2 / 1024 }' "/proc/$board/status"
fi
if [ "$restart" = yes ]; then
  sleep 2 # the last checkpoint
  kill -9 "$board"; wait "$board" 2>/dev/null || true
  start=$(date +%s.%N)
  RUST_LOG=warn "${board_cpu[@]}" target/$out/bulletin-board "${args[@]}" &
  board=$!
  until curl -fs "http://127.0.0.1:$port/v1/health" >/dev/null; do
    kill -0 "$board" 2>/dev/null || { echo "the restarted board exited" >&2; exit 1; }
    sleep 0.05
  done
  end=$(date +%s.%N)
  hwm=$(awk '/^VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$board/status")
  printf 'restart:         healthy %.2f s after kill -9 and start; peak memory %s\n' "$(echo "$end - $start" | bc)" "$hwm"
fi
if [ "$verify" = yes ] && [ -n "$election" ]; then
  start=$(date +%s.%N)
  curl -fsS "http://127.0.0.1:$port/v1/elections/$election/record" -o "$dir/record"
  end=$(date +%s.%N)
  printf 'export:          %s bytes in %.1f s\n' "$(stat -c %s "$dir/record")" "$(echo "$end - $start" | bc)"
  /usr/bin/time -f 'verify:          %e s, peak memory %M KiB' target/$out/thistle-verify verify --file "$dir/record" | tail -3
  # THISTLE_KEEP_RECORD=PATH keeps the export (to verify it again with another build).
  if [ -n "${THISTLE_KEEP_RECORD:-}" ]; then cp "$dir/record" "$THISTLE_KEEP_RECORD"; fi
fi
