#!/usr/bin/env python3
"""Write a legal layer that stresses `check`'s part-overlap test (issue 20):
one feature whose MultiPolygon has a mainland ring of N vertices (a
circle, with a hole of 0.9 of its radius) and K square islands inside the
hole, so that every island's box lies inside the mainland's box.

    python3 bench/check-parts.py N K out.geojson [overlap]

With `overlap`, islands 0 and 1 overlap by half a square: exactly one
parts_overlap must be reported.
"""
import json
import math
import sys

n, k, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
overlap = len(sys.argv) > 4
cx, cy, r = 45.0, 40.0, 1.0


def circle(radius, count, clockwise):
    pts = []
    for i in range(count):
        a = 2 * math.pi * i / count * (-1 if clockwise else 1)
        pts.append([round(cx + radius * math.cos(a), 9), round(cy + radius * math.sin(a), 9)])
    pts.append(pts[0])
    return pts


parts = [[circle(r, n, False), circle(0.9 * r, max(4, n // 10), True)]]
side = int(math.ceil(math.sqrt(k)))
cell = 1.0 / side  # islands fill a square of side 1 inside the hole (radius 0.9)
size = cell * 0.4
for i in range(k):
    x = cx - 0.5 + (i % side) * cell
    y = cy - 0.5 + (i // side) * cell
    if overlap and i == 1:
        x, y = cx - 0.5 + size / 2, cy - 0.5
    parts.append([[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]])
feature = {
    "type": "Feature",
    "properties": {"owner": "AAA"},
    "geometry": {"type": "MultiPolygon", "coordinates": parts},
}
json.dump({"type": "FeatureCollection", "features": [feature]}, open(out, "w"))
