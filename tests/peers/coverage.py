"""GEOS's coverage validation of delimit's pieces (an independent check).

    python3 tests/peers/coverage.py PIECES.geojson [MORE.geojson ...]

Reads each GeoJSON file of pieces and runs shapely.coverage_invalid_edges
(GEOS CoverageValidator, the check `gdal vector check-coverage` runs in
GDAL 3.11+): an edge is invalid where two pieces overlap, or where
neighbouring pieces do not share their common boundary vertex for vertex.
Prints one JSON object per file: pieces, invalid pieces, total length of
invalid edges (degrees), the sum of the pieces' planar areas and the area
of their union (equal when nothing overlaps), how many pieces are valid
polygons, and the GEOS version. Needs shapely >= 2.1
(`make test-deps` installs it into target/peers, hash-pinned).
"""
import json
import sys

import shapely
from shapely.geometry import shape


def main(paths):
    for path in paths:
        with open(path, encoding="utf-8") as f:
            fc = json.load(f)
        geoms = [shape(ft["geometry"]) for ft in fc["features"] if ft.get("geometry")]
        geoms = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        invalid = shapely.coverage_invalid_edges(geoms, gap_width=0.0)
        bad = [i for i, e in enumerate(invalid) if e is not None and not e.is_empty]
        # Overlaps also show as area counted twice: the sum of the pieces'
        # planar areas against the area of their union.
        total = sum(g.area for g in geoms)
        union = shapely.union_all(geoms).area if geoms else 0.0
        print(json.dumps({
            "file": path,
            "pieces": len(geoms),
            "sum_area_deg2": total,
            "union_area_deg2": union,
            "valid_pieces": sum(1 for g in geoms if g.is_valid),
            "invalid_pieces": len(bad),
            "invalid_edge_length_deg": sum(invalid[i].length for i in bad),
            "first_invalid": [geoms[i].representative_point().coords[0] for i in bad[:5]],
            "geos": shapely.geos_version_string,
        }))


if __name__ == "__main__":
    main(sys.argv[1:])
