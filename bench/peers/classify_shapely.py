"""Peer for `bench/village-points.sh`: classify random points against the
legal and control layers with a Shapely 2 STRtree and predicate="within"
(and, for context, with every polygon prepared and shapely.contains_xy).

    python3 bench/peers/classify_shapely.py LEGAL CONTROL N SEED

The points are the same as delimit's (the same 64-bit LCG, uniform in the
legal layer's box). Only the two STRtree queries are timed (building the
trees and the points is not). Prints JSON with the time and per-owner counts.

Needs: pip install shapely numpy
"""
import json
import sys
import time

import numpy as np
import shapely

legal_path, control_path, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def load(path, key):
    doc = json.load(open(path))
    geoms = [shapely.geometry.shape(f["geometry"]) for f in doc["features"]]
    return geoms, [f["properties"].get(key) for f in doc["features"]]


legal, owners = load(legal_path, "owner")
control, controllers = load(control_path, "controller")
minx = min(g.bounds[0] for g in legal); miny = min(g.bounds[1] for g in legal)
maxx = max(g.bounds[2] for g in legal); maxy = max(g.bounds[3] for g in legal)
M = (1 << 64) - 1
state = seed
xs = np.empty(n); ys = np.empty(n)
for i in range(n):
    state = (state * 6364136223846793005 + 1442695040888963407) & M
    u = (state >> 11) / float(1 << 53)
    state = (state * 6364136223846793005 + 1442695040888963407) & M
    v = (state >> 11) / float(1 << 53)
    xs[i] = minx + u * (maxx - minx)
    ys[i] = miny + v * (maxy - miny)
pts = shapely.points(xs, ys)
lt, ct = shapely.STRtree(legal), shapely.STRtree(control)
t = time.perf_counter()
lp = lt.query(pts, predicate="within")
cp = ct.query(pts, predicate="within")
secs = time.perf_counter() - t

# Not what the issue names, but the fastest Shapely way, for context:
# every polygon prepared, then vectorised contains_xy over all points.
for geom in legal + control:
    shapely.prepare(geom)
t = time.perf_counter()
for geom in legal + control:
    shapely.contains_xy(geom, xs, ys)
secs_prepared = time.perf_counter() - t


def counts(pairs, keys):
    first = {}
    for p, g in zip(pairs[0], pairs[1]):
        if p not in first or g < first[p]:
            first[p] = g
    out = {}
    for p in range(n):
        k = keys[first[p]] if p in first else "-"
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items()))


print(json.dumps({
    "points": n, "seconds": secs, "points_per_second": n / secs,
    "prepared_contains_xy": {"seconds": secs_prepared, "points_per_second": n / secs_prepared},
    "owners": counts(lp, owners), "controllers": counts(cp, controllers),
    "versions": {"shapely": shapely.__version__, "geos": shapely.geos_version_string},
}, indent=2))
