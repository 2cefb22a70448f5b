#!/usr/bin/env python3
"""A synthetic control series for the `changes` benchmark, reproducible from a seed.

    changes-series.py OUTDIR [--days 700] [--vertices 10000] [--seed 20201110]

Writes OUTDIR/legal.geojson (two legal units, A west of 47°E and B east of
it, lat 38.5-42.5) and OUTDIR/series/front_YYYY-MM-DD.geojson, one file per
day from 2023-01-01. Each day is two control polygons that share a front
line of --vertices vertices from lat 39 to 42: A holds from 43.2°E to the
front (about 100,000 km²), B from the front to 48.5°E, so a snapshot has
about 2 x --vertices vertices. Each day moves 1-4 short stretches of the
front (1-10 km long) east or west by up to 5 km, with a smooth sin² profile;
the front stays a function of latitude, so no ring ever crosses itself, and
it wanders across the legal boundary at 47°E. Everything else is written
byte for byte as the day before.

Synthetic: the parties, lines and dates are invented for the benchmark.
Standard library only.
"""
import argparse
import datetime
import json
import math
import pathlib
import random

p = argparse.ArgumentParser()
p.add_argument("outdir")
p.add_argument("--days", type=int, default=700)
p.add_argument("--vertices", type=int, default=10000)
p.add_argument("--seed", type=int, default=20201110)
a = p.parse_args()

rng = random.Random(a.seed)
out = pathlib.Path(a.outdir)
(out / "series").mkdir(parents=True, exist_ok=True)
n = a.vertices
lat0, lat1 = 39.0, 42.0
ys = [lat0 + (lat1 - lat0) * i / (n - 1) for i in range(n)]
# The first day's front: 46.7°E with a few long wiggles.
xs = [46.7 + 0.08 * math.sin(7.0 * y) + 0.03 * math.sin(31.0 * y) for y in ys]
km_lon = 111.32 * math.cos(math.radians(40.5))
lo, hi = 46.2, 47.4

legal = {
    "type": "FeatureCollection",
    "name": "synthetic legal basis (invented for the benchmark)",
    "features": [
        {"type": "Feature", "properties": {"id": "A-1", "owner": "A", "status": "synthetic"},
         "geometry": {"type": "Polygon", "coordinates": [[[43.0, 38.5], [47.0, 38.5], [47.0, 42.5], [43.0, 42.5], [43.0, 38.5]]]}},
        {"type": "Feature", "properties": {"id": "B-1", "owner": "B", "status": "synthetic"},
         "geometry": {"type": "Polygon", "coordinates": [[[47.0, 38.5], [50.0, 38.5], [50.0, 42.5], [47.0, 42.5], [47.0, 38.5]]]}},
    ],
}
(out / "legal.geojson").write_text(json.dumps(legal))

start = datetime.date(2023, 1, 1)
for day in range(a.days):
    if day > 0:
        for _ in range(rng.randint(1, 4)):
            half = rng.randint(15, 150)
            c = rng.randint(half + 1, n - half - 2)
            shift = rng.uniform(-5.0, 5.0) / km_lon
            for i in range(c - half, c + half + 1):
                t = (i - (c - half)) / (2 * half)
                xs[i] = min(hi, max(lo, xs[i] + shift * math.sin(math.pi * t) ** 2))
    front = [[round(x, 6), round(y, 6)] for x, y in zip(xs, ys)]
    west = [[43.2, lat0]] + front + [[43.2, lat1], [43.2, lat0]]
    east = [front[0], [48.5, lat0], [48.5, lat1]] + front[::-1]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"controller": "A", "source": "synthetic"},
             "geometry": {"type": "Polygon", "coordinates": [west]}},
            {"type": "Feature", "properties": {"controller": "B", "source": "synthetic"},
             "geometry": {"type": "Polygon", "coordinates": [east]}},
        ],
    }
    d = start + datetime.timedelta(days=day)
    (out / "series" / f"front_{d.isoformat()}.geojson").write_text(json.dumps(fc, separators=(",", ":")))
