#!/usr/bin/env bash
# Batch point classification: delimit (PolygonIndex, rayon) against Shapely 2
# STRtree.query(..., predicate="within"), same points, same run, same machine.
#
#   bench/village-points.sh [N] [SEED]     (needs: pip install shapely numpy)
#
# Only the classification is timed on both sides (not loading or indexing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n=${1:-1000000}; seed=${2:-42}
cd "$root"
cargo build --release --locked --example classify_points >/dev/null 2>&1
out=$(mktemp -d)
target/release/examples/classify_points "$n" "$seed" > "$out/delimit.json"
python3 bench/peers/classify_shapely.py data/legal.geojson data/control.geojson "$n" "$seed" > "$out/shapely.json"
python3 - "$out" <<'PY'
import json, sys, pathlib
o = pathlib.Path(sys.argv[1])
d, s = json.loads((o / "delimit.json").read_text()), json.loads((o / "shapely.json").read_text())
print(f"points: {d['points']:,} (threads: {d['threads']})")
print(f"delimit: {d['seconds']:.3f} s, {d['points_per_second']:,.0f} points/s")
print(f"shapely: {s['seconds']:.3f} s, {s['points_per_second']:,.0f} points/s ({s['versions']['shapely']}, GEOS {s['versions']['geos']})")
print(f"ratio (delimit speed / shapely speed): {d['points_per_second'] / s['points_per_second']:.2f}x")
pp = s["prepared_contains_xy"]
print(f"shapely, prepared polygons + contains_xy (context): {pp['seconds']:.3f} s, {pp['points_per_second']:,.0f} points/s; ratio {d['points_per_second'] / pp['points_per_second']:.2f}x")
for k in ("owners", "controllers"):
    same = d[k] == s[k]
    print(f"{k} counts {'identical' if same else 'DIFFER'}: {d[k]}" + ("" if same else f" vs {s[k]}"))
PY
