#!/usr/bin/env bash
# Validation of one MultiPolygon with a 10⁶-vertex ring and 20,000 islands
# (issue 20): `delimit check` of two builds side by side, median of RUNS.
#
#   bash bench/check-parts.sh OLD_BINARY NEW_BINARY [RUNS]
set -euo pipefail
old=$1 new=$2 runs=${3:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 "$(dirname "$0")/check-parts.py" 1000000 20000 "$dir/parts.geojson"
for bin in "$old" "$new"; do
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e" "$bin" check --role legal --json "$dir/parts.geojson" >/dev/null 2>"$dir/t" || true
    tail -n1 "$dir/t"
  done | sort -n | awk -v b="$bin" '{a[NR]=$1} END {print b ": median " a[int((NR+1)/2)] " s of " NR}'
done
