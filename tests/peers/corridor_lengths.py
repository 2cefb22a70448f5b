"""Independent route lengths per jurisdiction: shapely + pyproj.

    python3 tests/peers/corridor_lengths.py LEGAL.geojson ROUTES.geojson [--owner owner] [--step DEG]

Each route is segmentized in lon/lat to STEP degrees (default 1e-4, about
10 m), so its vertices lie on delimit's edges (straight in lon/lat). shapely
cuts it by every legal unit, and pyproj.Geod (GeographicLib) measures each
part along its short geodesic chords: the ellipsoidal length of the
lon/lat-straight edges to well under a millimetre per 100 km. Prints one
JSON object per route: its name, total length and length per owner (m).
"""
import argparse
import json

import shapely
from pyproj import Geod
from shapely.geometry import shape

ap = argparse.ArgumentParser()
ap.add_argument("legal")
ap.add_argument("routes")
ap.add_argument("--owner", default="owner")
ap.add_argument("--step", type=float, default=1e-4)
a = ap.parse_args()
geod = Geod(ellps="WGS84")
legal = [(f["properties"][a.owner], shape(f["geometry"])) for f in json.load(open(a.legal))["features"]]
for f in json.load(open(a.routes))["features"]:
    line = shapely.segmentize(shape(f["geometry"]), a.step)
    by = {}
    for owner, poly in legal:
        part = shapely.intersection(line, poly)
        m = sum(geod.line_length(*zip(*g.coords)) for g in shapely.get_parts(part) if g.geom_type == "LineString" and not g.is_empty)
        if m > 0:
            by[owner] = by.get(owner, 0.0) + m
    print(json.dumps({"name": f["properties"].get("name"), "length_m": geod.line_length(*zip(*line.coords)),
                      "by_owner_m": by, "step_deg": a.step}))
