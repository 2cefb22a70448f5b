"""Independent reference for `delimit village` distances.

    python3 bench/peers/village_distance.py data/legal.geojson LON LAT OWNER [OTHER]

The distance from a point to the nearest edge of any polygon whose `owner`
differs from OWNER (or equals OTHER when given): every edge is segmentized
to 1e-5 degrees (about 1 m) in lon/lat, as delimit reads edges, and the
minimum pyproj.Geod (GeographicLib) distance to those vertices is taken.
The discretisation error is below (0.5 m)^2 / (2 d): negligible beyond a
few metres. Prints JSON with the distance, the nearest vertex and the
versions used.

Needs: pip install shapely pyproj
"""
import json
import sys

import numpy as np
import shapely
from pyproj import Geod

path, lon, lat, owner = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
other = sys.argv[5] if len(sys.argv) > 5 else None
geod = Geod(ellps="WGS84")
doc = json.load(open(path))
best = (float("inf"), None, None)
for f in doc["features"]:
    o = f["properties"].get("owner")
    if o == owner or (other and o != other):
        continue
    g = shapely.geometry.shape(f["geometry"])
    # Only edges near the point matter; a 1° box is ample for the sample.
    box = shapely.box(lon - 1, lat - 1, lon + 1, lat + 1)
    b = shapely.intersection(g.boundary, box)
    if b.is_empty:
        continue
    xy = shapely.get_coordinates(shapely.segmentize(b, 1e-5))
    d = geod.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])[2]
    i = int(np.argmin(d))
    if d[i] < best[0]:
        best = (float(d[i]), o, [float(xy[i, 0]), float(xy[i, 1])])
print(json.dumps({
    "point": [lon, lat], "owner": owner, "other": best[1], "distance_m": round(best[0], 3), "nearest": best[2],
    "method": "segmentize 1e-5 deg, min pyproj.Geod.inv over vertices",
    "versions": {"shapely": shapely.__version__, "pyproj": __import__("pyproj").__version__},
    "command": "python3 bench/peers/village_distance.py " + " ".join(sys.argv[1:]),
}, indent=1))
