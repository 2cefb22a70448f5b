#!/usr/bin/env bash
# The `changes` series benchmark: delimit against a GeoPandas loop, same
# machine, same run, one after the other.
#
#   bench/changes-series.sh [DAYS]   (default 700; needs geopandas and pyproj for $PYTHON
#                                     (default python3), and a release build)
#
# The series is synthetic (bench/changes-series.py, seed 20201110): DAYS
# daily snapshots of two parties sharing a 10,000-vertex front (about
# 20,000 vertices a snapshot, 100,000 km² held by A), where each day moves
# 1-4 stretches of 1-10 km by up to 5 km. It is generated once into
# bench/cache/ (git-ignored). Prints wall time and peak RSS of both, the
# ratios, the share of edges that reached delimit's overlays, and the
# largest difference of the per-period totals (owner, controller before and
# after), relative to the period's total.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
days="${1:-700}"
dir="$here/cache/changes-series-$days"
[ -f "$dir/legal.geojson" ] || python3 "$here/changes-series.py" "$dir" --days "$days"
bin="$root/target/release/delimit"
[ -x "$bin" ] || (cd "$root" && cargo build --release --locked)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; $(uname -r); $days snapshots"

run() { timed "$dir" "$@"; } # label, output, command...

run delimit "$dir/delimit.json" "$bin" changes --legal "$dir/legal.geojson" --series "$dir/series/*.geojson" \
  --no-settlements --json
# REUSE_PEER=1 keeps the peer's last run (it takes minutes) and re-times delimit only.
[ "${REUSE_PEER:-}" = 1 ] && [ -f "$dir/geopandas.json" ] || run geopandas "$dir/geopandas.json" "${PYTHON:-python3}" "$here/peers/changes_geopandas.py" "$dir/legal.geojson" \
  "$dir/series/*.geojson"

python3 - "$dir" <<'PY'
import json, sys, pathlib, re
d = pathlib.Path(sys.argv[1])
ours = json.loads((d / "delimit.json").read_text())
peer = json.loads((d / "geopandas.json").read_text())
def secs(label):
    t = (d / f"{label}.time").read_text()
    w = re.search(r"Elapsed \(wall clock\).*: (\S+)", t).group(1).split(":")
    s = sum(float(x) * 60 ** i for i, x in enumerate(reversed(w)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    return s, rss
(ws, wr), (ps, pr) = secs("delimit"), secs("geopandas")
print(f"ratio: delimit is {ps / ws:.1f}x faster; peak RSS {wr / 1024:.0f} MiB vs {pr / 1024:.0f} MiB ({wr / pr:.2f} of the peer's)")
w = ours["work"]
print(f"edges compared {w['edges_compared']:,}, changed {w['edges_changed']:,} "
      f"({100 * w['edges_changed'] / max(1, w['edges_compared']):.2f}%), "
      f"vertices overlaid in {w['windows']:,} windows: {w['edges_overlaid']:,} "
      f"({100 * w['edges_overlaid'] / max(1, 2 * w['edges_compared']):.2f}% of both dates' vertices)")
# Per period: km² by owner|before|after, from delimit's gained_from.
mine = {}
for r in ours["periods"]:
    for src, km2 in r["gained_from"].items():
        mine.setdefault((r["from_date"], r["to_date"]), {})[f"{r['owner']}|{src}|{r['party']}"] = km2
worst, worst_m2, over, total_mine, total_peer = 0.0, 0.0, 0, 0.0, 0.0
for p in peer["periods"]:
    a, b = mine.get((p["from"], p["to"]), {}), p["km2"]
    scale = max(sum(b.values()), 1e-12)
    diff = max((abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b)), default=0.0)
    worst, worst_m2 = max(worst, diff / scale), max(worst_m2, diff * 1e6)
    over += diff / scale > 1e-6
    total_mine += sum(a.values()); total_peer += sum(b.values())
print(f"periods {len(peer['periods'])}; moved in all: delimit {total_mine:.6f} km², peer {total_peer:.6f} km² "
      f"({abs(total_mine - total_peer) / total_peer:.1e} apart); per period and owner/before/after: worst "
      f"{worst:.2e} of the period's total, {worst_m2:.3f} m² at most; {over} period(s) beyond 1e-6")
print(f"identity: worst {ours['identity']['worst']:.1e} of the owner's legal area")
PY
