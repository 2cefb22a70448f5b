"""Independent reference for `delimit check`: the area of the overlap between
the two units of fixtures/check/overlap/legal.geojson, computed with GEOS
(Shapely) for the intersection and GeographicLib (pyproj.Geod, WGS 84) for
the geodesic area.

Run:  python3 bench/peers/check_overlap_area.py
Needs: pip install shapely pyproj
"""
import json
import sys
from pathlib import Path

from pyproj import Geod
from shapely.geometry import shape

root = Path(__file__).resolve().parents[2]
path = root / "fixtures/check/overlap/legal.geojson"
fc = json.loads(path.read_text())
a, b = (shape(f["geometry"]) for f in fc["features"])
common = a.intersection(b)
area, _perimeter = Geod(ellps="WGS84").geometry_area_perimeter(common)
print(json.dumps({"overlap_km2": abs(area) / 1e6, "geos": __import__("shapely").geos_version_string,
                  "pyproj": __import__("pyproj").__version__}))
