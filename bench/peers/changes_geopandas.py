"""Independent peer for `delimit changes`: the GeoPandas loop an analyst
would write, one overlay per consecutive pair of snapshots.

    python3 bench/peers/changes_geopandas.py LEGAL 'DIR/*.geojson' [--owner owner] [--controller controller]

Snapshots are dated by the first YYYY-MM-DD in the file name and taken in
date order. For each consecutive pair:
- geopandas.overlay(previous, current, how="intersection") gives every
  area with its controller on both dates; the rows whose controller differs
  changed hands;
- only those rows are overlaid with the legal basis (how="intersection"),
  which names whose legal territory each piece is;
- areas: pyproj.Geod(ellps="WGS84").geometry_area_perimeter on the pieces
  segmentized to 0.002° (edges straight in lon/lat, as delimit measures them).
Prints JSON: for each period, km² by owner, controller before and after,
plus the wall time. Keeps two snapshots in memory at a time.

Needs: pip install geopandas pyproj shapely
"""
import argparse
import collections
import glob
import json
import re
import time

import geopandas as gpd
import shapely
from pyproj import Geod

ap = argparse.ArgumentParser()
ap.add_argument("legal")
ap.add_argument("series")
ap.add_argument("--owner", default="owner")
ap.add_argument("--controller", default="controller")
a = ap.parse_args()

t0 = time.time()
geod = Geod(ellps="WGS84")
files = sorted(glob.glob(a.series), key=lambda f: re.search(r"\d{4}-\d{2}-\d{2}", f).group(0))
date = lambda f: re.search(r"\d{4}-\d{2}-\d{2}", f).group(0)
legal = gpd.read_file(a.legal)[[a.owner, "geometry"]].rename(columns={a.owner: "owner"})


def read(f):
    return gpd.read_file(f)[[a.controller, "geometry"]].rename(columns={a.controller: "controller"})


periods = []
prev = read(files[0])
for f0, f1 in zip(files, files[1:]):
    cur = read(f1)
    both = gpd.overlay(prev, cur, how="intersection", keep_geom_type=True)
    moved = both[both["controller_1"] != both["controller_2"]]
    totals = collections.defaultdict(float)
    if len(moved):
        pieces = gpd.overlay(moved, legal, how="intersection", keep_geom_type=True)
        for owner, b, c, g in zip(pieces["owner"], pieces["controller_1"], pieces["controller_2"], pieces.geometry):
            area, _ = geod.geometry_area_perimeter(shapely.segmentize(g, 0.002))
            totals[f"{owner}|{b}|{c}"] += abs(area) / 1e6
    periods.append({"from": date(f0), "to": date(f1), "km2": dict(sorted(totals.items()))})
    prev = cur

print(json.dumps({"seconds": time.time() - t0, "snapshots": len(files), "periods": periods}))
