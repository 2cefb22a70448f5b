#!/usr/bin/python3
"""Open a project written by `delimit qgis` in a real (headless) QGIS and check it.

    /usr/bin/python3 tests/qgis/check_project.py PROJECT EXPECTED.json OUT.png

EXPECTED.json is what `delimit qgis --json` printed: the layers, their
feature counts and the project CRS. Exits 0 when every check passes and
prints one line per check; exits 1 on the first failure, saying which.
Needs Debian's python3-qgis; run with QT_QPA_PLATFORM=offscreen.
"""
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsDateTimeRange,
    QgsFeatureRequest,
    QgsVectorLayerTemporalContext,
    QgsVectorLayerTemporalProperties,
    QgsLayoutExporter,
    QgsRectangle,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QSize, Qt, QTime  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

GAP_CATEGORIES = [
    "held_by_other",
    "contested_control",
    "dual_claim",
    "unassigned",
    "outside_basis",
    "held_by_owner",
    "sliver",
]


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def ok(msg):
    print("ok   " + msg)


def main():
    project_path, expected_path, png_path = sys.argv[1:4]
    expected = json.load(open(expected_path, encoding="utf-8"))
    app = QgsApplication([], False)
    app.initQgis()

    project = QgsProject.instance()
    if not project.read(project_path):
        fail(f"QGIS cannot read {project_path}: {project.error()}")
    ok(f"project read: {project_path}")

    crs = project.crs().authid()
    if crs != expected["crs"]:
        fail(f"project CRS is {crs!r}, expected {expected['crs']!r}")
    ok(f"project CRS {crs}")

    layers = {l.id(): l for l in project.mapLayers().values()}
    want = {l["id"]: l for l in expected["layers"]}
    if sorted(layers) != sorted(want):
        fail(f"layers {sorted(layers)} != expected {sorted(want)}")
    for name, spec in sorted(want.items()):
        layer = layers[name]
        if not layer.isValid():
            fail(f"layer {name} is not valid (source {layer.source()})")
        if layer.featureCount() != spec["features"]:
            fail(f"layer {name}: QGIS counts {layer.featureCount()} features, delimit wrote {spec['features']}")
        if not layer.source().startswith(os.path.dirname(os.path.abspath(project_path))):
            fail(f"layer {name}: source {layer.source()} is not beside the project")
        history = layer.metadata().history()
        if not any("sha256" in h for h in history):
            fail(f"layer {name}: no input sha256 in its metadata history {history}")
    ok(f"{len(want)} layers valid, counts equal delimit's, provenance in metadata")

    # Time-aware layers: start and end from fields, and the project's
    # temporal range is the series.
    temporal = [(i, l["temporal"]) for i, l in want.items() if l.get("temporal")]
    for lid, t in temporal:
        props = layers[lid].temporalProperties()
        if not props.isActive():
            fail(f"layer {lid}: temporal properties are not active")
        if props.mode() != QgsVectorLayerTemporalProperties.ModeFeatureDateTimeStartAndEndFromFields:
            fail(f"layer {lid}: temporal mode {props.mode()}, expected start and end from fields")
        if (props.startField(), props.endField()) != (t["start_field"], t["end_field"]):
            fail(f"layer {lid}: temporal fields {props.startField()}, {props.endField()} != {t}")
        kinds = {f.name(): f.typeName() for f in layers[lid].fields()}
        if kinds.get(t["start_field"], "").lower() != "date" or kinds.get(t["end_field"], "").lower() != "date":
            fail(f"layer {lid}: the temporal fields are not dates: {kinds}")
        rng = project.timeSettings().temporalRange()
        got = (rng.begin().date().toString("yyyy-MM-dd"), rng.end().date().toString("yyyy-MM-dd"))
        if got != (t["start"], t["end"]):
            fail(f"project temporal range {got} != the series {t['start']} .. {t['end']}")
        # What the temporal controller shows: a change is not shown inside
        # the interval before it (it had not happened yet), is shown from its
        # to_date on, and no longer from the date a later change covers it.
        ctx = QgsVectorLayerTemporalContext()
        ctx.setLayer(layers[lid])

        def shown_on(date):
            day = QDateTime(QDate.fromString(date, "yyyy-MM-dd"), QTime(12, 0), Qt.UTC)
            expr = props.createFilterString(ctx, QgsDateTimeRange(day, day))
            return {f["id"] for f in layers[lid].getFeatures(QgsFeatureRequest().setFilterExpression(expr))}

        feats = list(layers[lid].getFeatures())
        if not feats:
            fail(f"layer {lid}: no changes to check")
        superseded = 0
        for f in feats:
            start, end = f["from_date"].toString("yyyy-MM-dd"), f["to_date"].toString("yyyy-MM-dd")
            inside = QDate.fromString(start, "yyyy-MM-dd").addDays(1).toString("yyyy-MM-dd")
            if inside < end and f["id"] in shown_on(inside):
                fail(f"layer {lid}: change {f['id']} ({start} → {end}) is shown on {inside}, before it happened")
            if f["id"] not in shown_on(end):
                fail(f"layer {lid}: change {f['id']} is not shown on {end}, the first snapshot that shows it")
            until = f["superseded_date"]
            if until is not None and not (hasattr(until, "isNull") and until.isNull()):
                superseded += 1
                u = until.toString("yyyy-MM-dd")
                if f["id"] in shown_on(u):
                    fail(f"layer {lid}: change {f['id']} is still shown on {u}, when a later change covers it")
        shown = shown_on(t["end"])
        ok(f"layer {lid} temporal: {props.startField()} to {props.endField()} (dates); project range {got[0]} .. {got[1]}; "
           f"{len(shown)} change(s) shown on {t['end']}; each hidden before its to_date, {superseded} hidden from a later change")

    tree = project.layerTreeRoot()
    groups = [g.name() for g in tree.children()]
    expected_groups = sorted({l["group"] for l in expected["layers"]})
    if sorted(groups) != expected_groups:
        fail(f"layer groups {groups} != {expected_groups}")
    ok(f"groups {groups}")

    gaps = layers["delimit_gaps"]
    r = gaps.renderer()
    if r.type() != "categorizedSymbol":
        fail(f"gaps renderer is {r.type()}, expected categorizedSymbol")
    values = [c.value() for c in r.categories()]
    if values != GAP_CATEGORIES:
        fail(f"gaps categories {values} != {GAP_CATEGORIES}")
    ok(f"gaps renderer categorised on {r.classAttribute()!r}: {values}")

    # Category values come back exactly as the data has them: escaping
    # in the project round-trips (a hostile name stays a name).
    legal = layers["delimit_legal"]
    field = legal.renderer().classAttribute()
    owners = sorted({str(f[field]) for f in legal.getFeatures()})
    cats = sorted(c.value() for c in legal.renderer().categories())
    if owners != cats:
        fail(f"legal categories {cats} != owner values {owners}")
    ok(f"legal categories equal the owner values: {cats}")

    # The default style from layer_styles: a layer opened from the
    # GeoPackage alone (no project) must come up with delimit's style.
    source = gaps.source().split("|")[0]
    for name, renderer_type in [("gaps", "categorizedSymbol"), ("deviation_runs", "graduatedSymbol"), ("settlements", "singleSymbol")]:
        standalone = QgsVectorLayer(f"{source}|layername={name}", name, "ogr")
        if not standalone.isValid():
            fail(f"{source}|layername={name} does not open on its own")
        count, ids, names, descriptions, err = standalone.listStylesInDatabase()
        if count < 1:
            fail(f"{name}: no style in layer_styles ({err})")
        got = standalone.renderer().type()
        if got != renderer_type:
            fail(f"{name} opened alone has a {got} renderer: the layer_styles default was not applied")
    labels = QgsVectorLayer(f"{source}|layername=settlements", "s", "ogr")
    if not labels.labelsEnabled():
        fail("settlements opened alone have no labels")
    ok("default styles picked up from layer_styles (gaps categorised, deviation graduated, settlement labels on)")

    settings = QgsMapSettings()
    settings.setLayers([l.layer() for l in tree.findLayers() if l.layer() is not None and l.isVisible()])
    settings.setDestinationCrs(project.crs())
    settings.setOutputSize(QSize(1200, 900))
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setExtent(project.viewSettings().defaultViewExtent() if not project.viewSettings().defaultViewExtent().isEmpty() else gaps.extent())
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png_path)
    w, h = image.width(), image.height()
    painted = 0
    colours = set()
    for y in range(0, h, 4):
        for x in range(0, w, 4):
            c = image.pixel(x, y) & 0xFFFFFF
            colours.add(c)
            if c != 0xFFFFFF:
                painted += 1
    share = painted / ((w // 4) * (h // 4))
    if share < 0.05 or len(colours) < 8:
        fail(f"the rendered map is blank: {share:.1%} painted, {len(colours)} colours ({png_path})")
    ok(f"rendered {w}x{h} to {png_path}: {share:.1%} painted, {len(colours)} colours")

    # Settlement names are scale-limited: none is drawn at the project's
    # full extent; zoomed to 1:100,000 on a town, some are.
    def settlement_labels(extent):
        s = QgsMapSettings(settings)
        s.setExtent(extent)
        j = QgsMapRendererParallelJob(s)
        j.start()
        j.waitForFinished()
        res = j.takeLabelingResults()
        return [lab for lab in res.allLabels() if lab.layerID == "delimit_settlements"] if res else []

    # Zoomed out to at least 1:1,000,000 (a small layer's own extent may
    # already be closer than the labels' 1:250,000 limit).
    wide = QgsRectangle(settings.extent())
    wide.scale(max(1.0, 1_000_000 / settings.scale()))
    full = settlement_labels(wide)
    if full:
        fail(f"{len(full)} settlement labels drawn at 1:{settings.scale() * max(1.0, 1_000_000 / settings.scale()):,.0f}: not scale-limited")
    centre = settings.extent().center()
    near = project.mapLayer("delimit_settlements")
    if near is not None and near.featureCount() > 0:
        # Around the first settlement: 1,200 px at 0.28 mm/px is 336 mm, so 33.6 km is 1:100,000.
        p = next(near.getFeatures()).geometry().asPoint()
        from qgis.core import QgsCoordinateTransform
        t = QgsCoordinateTransform(near.crs(), project.crs(), project)
        c = t.transform(p)
        zoomed = settlement_labels(QgsRectangle(c.x() - 16800, c.y() - 12600, c.x() + 16800, c.y() + 12600))
        if not zoomed:
            fail("no settlement label drawn at 1:100,000")
        ok(f"settlement labels scale-limited: 0 at the full extent or 1:1,000,000, {len(zoomed)} at 1:100,000")
    del centre

    # Route lines have a casing in a colour that no fill uses.
    routes = project.mapLayer("delimit_route_pieces")
    if routes is not None:
        fills = set()
        for layer in project.mapLayers().values():
            if layer.geometryType() == 2:
                for sym in layer.renderer().symbols(QgsRenderContext()):
                    fills.add(sym.color().name())
        for sym in routes.renderer().symbols(QgsRenderContext()):
            if sym.symbolLayerCount() < 2:
                fail("route lines have no casing")
            casing = sym.symbolLayer(0).color().name()
            if casing in fills:
                fail(f"route casing {casing} is also a fill colour")
        ok(f"route lines cased in {casing}, a colour no fill uses")

    # The print layout exports with QGIS's own exporter.
    layouts = project.layoutManager().printLayouts()
    if not layouts:
        fail("the project has no print layout")
    layout = layouts[0]
    kinds = sorted({type(i).__name__ for i in layout.items()})
    for need in ["QgsLayoutItemMap", "QgsLayoutItemLegend", "QgsLayoutItemScaleBar", "QgsLayoutItemPicture", "QgsLayoutItemLabel"]:
        if need not in kinds:
            fail(f"the layout lacks a {need}: {kinds}")
    maps = [i for i in layout.items() if type(i).__name__ == "QgsLayoutItemMap"]
    if len(maps) < 2 or not any(m.overviews().size() for m in maps):
        fail("the layout has no overview inset")
    texts = " ".join(i.text() for i in layout.items() if type(i).__name__ == "QgsLayoutItemLabel")
    if expected.get("status", "observed") != "observed" and expected["status"].upper() not in texts:
        fail(f"the layout does not state the data status: {texts[:200]}")
    bar = [i for i in layout.items() if type(i).__name__ == "QgsLayoutItemScaleBar"][0]
    if bar.rect().width() > 100:
        fail(f"the scale bar is {bar.rect().width():.0f} mm wide")
    exporter = QgsLayoutExporter(layout)
    base = os.path.splitext(png_path)[0]
    if exporter.exportToPdf(base + "-layout.pdf", QgsLayoutExporter.PdfExportSettings()) != QgsLayoutExporter.Success:
        fail("the layout did not export to PDF")
    image_settings = QgsLayoutExporter.ImageExportSettings()
    image_settings.dpi = 100
    if exporter.exportToImage(base + "-layout.png", image_settings) != QgsLayoutExporter.Success:
        fail("the layout did not export to PNG")
    ok(f"layout {layout.name()!r} exported to {base}-layout.pdf and .png ({', '.join(kinds)})")
    # Layers go before the application: QGIS 3.22 segfaults in exitQgis()
    # when the project still holds them.
    project.clear()
    del layers, gaps, legal, labels, standalone
    app.exitQgis()


if __name__ == "__main__":
    main()
