#!/usr/bin/env bash
# Peak RSS of one `delimit village --file -` process answering N lines
# (default 1,000,000: the sample's settlement names repeated, and every
# 1,000th line a point), against the same process given N/10 lines: a
# bounded stream keeps the same peak for both (issue 31 §9: the acceptance
# bar is 200 MB at 1,000,000 lines).
#
#   bench/village-stream-memory.sh [N] [EXE]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n=${1:-1000000}
exe=${2:-$root/target/release/delimit}
cd "$root"
[ "$exe" != "$root/target/release/delimit" ] || cargo build --release --locked >/dev/null 2>&1
lines() {
  python3 - "$1" <<'PY'
import json, sys
n = int(sys.argv[1])
names = [f["properties"]["name"] for f in json.load(open("data/settlements.geojson"))["features"]]
out = sys.stdout
for i in range(n):
    out.write(("41.07,45.00" if i % 1000 == 999 else names[i % len(names)]) + "\n")
PY
}
for k in $((n / 10)) "$n"; do
  # Exit 1 is a verdict (some names are ambiguous or not found), not a failure.
  rc=0
  lines "$k" | /usr/bin/time -f "$k lines: peak RSS %M KiB, %e s wall" "$exe" -q village --file - > /dev/null || rc=$?
  [ "$rc" -le 1 ] || exit "$rc"
done
