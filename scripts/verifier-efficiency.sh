#!/usr/bin/env bash
# How close thistle-verify comes to its limit on this machine (issue 17): the limit is the number of
# cores divided by criterion's batched decode+verify time per 1-of-5 ballot, and both are measured
# here in the same run, round by round, because this machine's speed drifts by 10-15% over an hour.
#
#   bash scripts/verifier-efficiency.sh RECORD [ROUNDS]
#
# RECORD: a record export of 1-of-5 ballots, e.g. kept by
#   THISTLE_KEEP_RECORD=/tmp/record100k bash scripts/load-test.sh --voters 100000 --verify
set -euo pipefail
cd "$(dirname "$0")/.."
record="${1:?usage: $0 RECORD [ROUNDS]}"
rounds="${2:-3}"
[ -r "$record" ] || { echo "cannot read $record" >&2; exit 2; }
cores=$(nproc)
cargo build --release -q --bins
cargo bench -q -p protocol --bench protocol --no-run 2>/dev/null
ratios=()
for round in $(seq "$rounds"); do
  # The median of criterion's estimate for one batch of 1,000 ballots.
  ms=$(cargo bench -q -p protocol --bench protocol -- 'decode.verify-batch/choose-1-of-5/1000$' 2>/dev/null |
    awk '/time:/ { gsub(/\[|\]/, ""); v = $4; u = $5; if (u == "s") v *= 1000; if (u == "µs" || u == "us") v /= 1000; if (!seen++) print v }')
  out=$( { /usr/bin/time -f 'elapsed %e' target/release/thistle-verify verify --file "$record" >"$record.report"; } 2>&1 | tail -1)
  seconds=${out#elapsed }
  ballots=$(awk '$1 == "V10" { print $4; exit }' "$record.report")
  grep -q '^Verdict: VALID' "$record.report" || { echo "the record did not verify" >&2; cat "$record.report" >&2; exit 1; }
  line=$(python3 -c "
ms, s, n, cores = $ms, $seconds, $ballots, $cores
limit = cores / (ms / 1000 / 1000)
rate = n / s
print(f'{rate:.0f} {limit:.0f} {100 * rate / limit:.1f} {ms:.1f}')")
  read -r rate limit pct per <<<"$line"
  echo "round $round: criterion ${per} µs/ballot -> limit $limit ballots/s on $cores cores; thistle-verify $ballots ballots in $seconds s = $rate ballots/s: $pct% of the limit"
  ratios+=("$pct")
done
rm -f "$record.report"
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "median of %d rounds: %s%% of the limit\n", NR, a[int((NR + 1) / 2)] }'
