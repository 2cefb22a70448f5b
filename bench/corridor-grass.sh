#!/usr/bin/env bash
# Least-cost routing: delimit `corridor route --cost-in` against GRASS
# `r.cost -k` + `r.drain` on the same raster, same run, same machine.
#
#   bench/corridor-grass.sh [N]     (N×N cells, default 3163 ≈ 10^7; needs grass-core, gdal-bin)
#
# The raster (examples/cost_raster.rs) has costs 1–10 and a no-data wall
# with one gap. Both route from the cell centre (row 1, col 1) to
# (row N-2, col N-2). GRASS's cumulative cost at the end is in cell units;
# delimit's `cost_in_cells` is the same quantity. Times: wall of each
# tool's routing step(s); GRASS's import of the raster is not counted.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n=${1:-3163}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
cargo build --release --locked --example cost_raster >/dev/null 2>&1
cargo build --release --locked >/dev/null 2>&1
target/release/examples/cost_raster "$work/cost.tif" "$n"
x0=600000; y0=4360000; px=30
sx=$(python3 -c "print($x0 + 1.5*$px)"); sy=$(python3 -c "print($y0 - 1.5*$px)")
ex=$(python3 -c "print($x0 + ($n-1.5)*$px)"); ey=$(python3 -c "print($y0 - ($n-1.5)*$px)")
read -r slon slat _ < <(echo "$sx $sy" | gdaltransform -s_srs EPSG:32638 -t_srs EPSG:4326 -output_xy)
read -r elon elat _ < <(echo "$ex $ey" | gdaltransform -s_srs EPSG:32638 -t_srs EPSG:4326 -output_xy)
echo "raster: ${n}×${n} = $((n*n)) cells of ${px} m; machine: $(nproc) cores"

/usr/bin/time -f "%e %M" -o "$work/d.time" target/release/delimit corridor route --cost-in "$work/cost.tif" \
  --from "$slat,$slon" --to "$elat,$elon" --json > "$work/d.json"
read -r dwall drss < "$work/d.time"

cat > "$work/grass.sh" <<G
set -e
r.in.gdal -o input="$work/cost.tif" output=cost --quiet
g.region raster=cost
start=\$(date +%s.%N)
r.cost -k input=cost output=cum outdir=dir start_coordinates=$sx,$sy stop_coordinates=$ex,$ey --quiet
r.drain input=cum direction=dir output=path drain=pathv start_coordinates=$ex,$ey -d --quiet
end=\$(date +%s.%N)
echo "grass_seconds \$(python3 -c "print(\$end - \$start)")"
r.what map=cum coordinates=$ex,$ey | awk -F'|' '{print "grass_cost", \$4}'
G
grass -c "$work/cost.tif" "$work/gdb/loc" --exec bash "$work/grass.sh" > "$work/g.out" 2>"$work/g.err" || { cat "$work/g.err"; exit 1; }

python3 - "$work" "$dwall" "$drss" <<'PY'
import json, sys, pathlib
w = pathlib.Path(sys.argv[1]); dwall = float(sys.argv[2]); drss = int(sys.argv[3])
d = json.loads((w / "d.json").read_text())
g = dict(l.split() for l in (w / "g.out").read_text().splitlines() if l.split()[0] in ("grass_seconds", "grass_cost"))
gc, gs = float(g["grass_cost"]), float(g["grass_seconds"])
print(f"delimit: cost {d['cost_in_cells']:.4f} cell units, search {d['search_seconds']:.2f} s, wall (read + search) {dwall:.2f} s, peak RSS {drss / 1024:.0f} MiB")
print(f"GRASS r.cost -k + r.drain: cost {gc:.4f}, {gs:.2f} s")
print(f"cost difference: {(d['cost_in_cells'] - gc) / gc:+.2e} relative")
print(f"speed-up (GRASS routing time / delimit wall): {gs / dwall:.2f}x")
PY
