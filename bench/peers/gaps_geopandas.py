"""Independent peer for `delimit gaps`: the same classification done with
GeoPandas (GEOS overlay) and pyproj.Geod (GeographicLib) areas.

    python3 bench/peers/gaps_geopandas.py LEGAL CONTROL [--owner owner] [--controller controller] [--json]

Method, chosen to mean what delimit means:
- edges are straight lines in lon/lat, segmentized to 0.002° (delimit's
  DENSIFY_DEG) so that geodesic areas measure them;
- control is dissolved per controller; where two controllers overlap, the
  overlap is a 'contested' pseudo-controller (GeoPandas has no such class),
  classed contested_control inside or outside the legal basis;
- likewise legal is dissolved per owner; where two owners overlap, the
  overlap is a 'dual' pseudo-owner, classed dual_claim whoever holds it;
- invalid inputs go through make_valid(method="structure") (overlapping
  parts unioned, as delimit --repair does), and nested GeometryCollections
  are reduced to their polygons;
- geopandas.overlay(legal, control, how="union") then gives:
  owner == controller -> held_by_owner, owner != controller ->
  held_by_other, 'dual' -> dual_claim, 'contested' -> contested_control, legal only ->
  unassigned, control only -> outside_basis.
Areas: pyproj.Geod(ellps="WGS84").geometry_area_perimeter, summed per class.

Needs: pip install geopandas pyproj shapely
"""
import argparse
import json
import sys
import time

import geopandas as gpd
import shapely
from pyproj import Geod

ap = argparse.ArgumentParser()
ap.add_argument("legal")
ap.add_argument("control")
ap.add_argument("--owner", default="owner")
ap.add_argument("--controller", default="controller")
ap.add_argument("--json", action="store_true")
ap.add_argument("--no-segmentize", action="store_true")
ap.add_argument("--straight-edges", type=float, metavar="DEG", default=None,
                help="after the timed run, also total the areas with each output piece segmentized to DEG "
                     "degrees first, so that Geod measures lon/lat-straight edges as delimit does")
a = ap.parse_args()

t0 = time.time()
geod = Geod(ellps="WGS84")
legal = gpd.read_file(a.legal)[[a.owner, "geometry"]].rename(columns={a.owner: "owner"})
control = gpd.read_file(a.control)[[a.controller, "geometry"]].rename(columns={a.controller: "controller"})
invalid = {"legal": int((~legal.geometry.is_valid).sum()), "control": int((~control.geometry.is_valid).sum())}


def polygonal(g):
    """make_valid can return nested GeometryCollections (OSM 2024's PSE does);
    overlay(keep_geom_type=True) would drop them whole. Keep their polygons."""
    if g is None or g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection")]
    parts = [polygonal(p) for p in parts]
    parts = [p for p in parts if p is not None and not p.is_empty]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# method="structure" unions overlapping parts, as delimit's --repair does;
# the default "linework" XORs them (OSM 2024's PSE lost 2,202 km² that way).
legal["geometry"] = [polygonal(g) for g in shapely.make_valid(legal.geometry.values, method="structure")]
control["geometry"] = [polygonal(g) for g in shapely.make_valid(control.geometry.values, method="structure")]
if not a.no_segmentize:
    legal["geometry"] = shapely.segmentize(legal.geometry.values, 0.002)
    control["geometry"] = shapely.segmentize(control.geometry.values, 0.002)

def flatten(df, field, both):
    """Dissolve per value of `field`, minus every overlap between two
    values; the overlaps become one pseudo-value `both`. Only pairs that the
    spatial index finds touching are intersected."""
    by = df.dissolve(by=field).reset_index()
    pairs = gpd.sjoin(by, by, predicate="intersects", how="inner")
    pairs = pairs[pairs[f"{field}_left"] < pairs[f"{field}_right"]]
    overlaps = {}
    for _, r in pairs.iterrows():
        o = shapely.intersection(r.geometry, by.geometry.iloc[r.index_right])
        o = shapely.get_parts(o)
        o = [g for g in o if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
        if o:
            g = shapely.union_all(o)
            overlaps.setdefault(r[f"{field}_left"], []).append(g)
            overlaps.setdefault(r[f"{field}_right"], []).append(g)
    parts, shared = [], []
    for _, r in by.iterrows():
        mine = overlaps.get(r[field], [])
        overlap = shapely.union_all(mine) if mine else shapely.Polygon()
        shared.extend(mine)
        parts.append({field: r[field], "geometry": shapely.difference(r.geometry, overlap) if mine else r.geometry})
    if shared:
        parts.append({field: both, "geometry": shapely.union_all(shared)})
    flat = gpd.GeoDataFrame(parts, geometry="geometry", crs=df.crs)
    return flat[~flat.geometry.is_empty]


# Control: where two controllers overlap, a 'contested' pseudo-controller.
# Legal: where two owners overlap (slivers; delimit refuses wider ones), a
# 'dual' pseudo-owner, counted once as delimit's dual_claim class.
flat = flatten(control, "controller", "contested")
legal_flat = flatten(legal, "owner", "dual")

u = gpd.overlay(legal_flat, flat, how="union", keep_geom_type=True)


def klass(r):
    o, c = r.get("owner"), r.get("controller")
    o = None if o is None or (isinstance(o, float)) else o
    c = None if c is None or (isinstance(c, float)) else c
    if o == "dual":
        # Two legal owners claim it, whoever holds it.
        return "dual_claim"
    if c == "contested":
        # Inside or outside the legal basis: two controllers claim it.
        return "contested_control"
    if o and c:
        return "held_by_owner" if o == c else "held_by_other"
    if o:
        return "unassigned"
    return "outside_basis"


u["class"] = u.apply(klass, axis=1)
u["area_km2"] = [abs(geod.geometry_area_perimeter(g)[0]) / 1e6 for g in u.geometry]
totals = u.groupby("class")["area_km2"].sum().to_dict()
seconds = round(time.time() - t0, 2)
straight = None
if a.straight_edges:
    # Not timed: one piece at a time, so it adds little to peak memory.
    t1 = time.time()
    s, by = {}, {}
    for k, o, c, g in zip(u["class"], u["owner"], u["controller"], u.geometry):
        x = abs(geod.geometry_area_perimeter(shapely.segmentize(g, a.straight_edges))[0]) / 1e6
        s[k] = s.get(k, 0.0) + x
        key = f"{k}|{o if isinstance(o, str) else '-'}|{c if isinstance(c, str) else '-'}"
        by[key] = by.get(key, 0.0) + x
    straight = {"segmentize_deg": a.straight_edges, "seconds": round(time.time() - t1, 2),
                "totals_km2": {k: round(v, 6) for k, v in sorted(s.items())},
                "by_class_owner_controller_km2": {k: round(v, 6) for k, v in sorted(by.items())}}
out = {
    "totals_km2": {k: round(v, 6) for k, v in sorted(totals.items())},
    "straight_edges": straight,
    "seconds": seconds,
    "invalid_input_geometries": invalid,
    "versions": {"geopandas": gpd.__version__, "shapely": shapely.__version__, "geos": shapely.geos_version_string,
                 "pyproj": __import__("pyproj").__version__},
    "command": "python3 bench/peers/gaps_geopandas.py " + " ".join(sys.argv[1:]),
}
print(json.dumps(out, indent=2))
