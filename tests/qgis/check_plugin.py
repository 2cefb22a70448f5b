#!/usr/bin/python3
"""Install the delimit Processing plugin from its zip in a real (headless)
QGIS, run every algorithm, and compare with the CLI.

    /usr/bin/python3 tests/qgis/check_plugin.py ZIP BINARY REPO WORKDIR [PG_URI]

ZIP is what `make plugin` builds (qgis-plugin/build.py), BINARY the delimit
binary, REPO the source tree (for the sample files), WORKDIR an empty
folder; PG_URI, a QGIS postgres data source of the sample's control layer
(`... table="public"."control" (geom)`), adds a run with a PostGIS input. TMPDIR should be an empty folder too: the cancellation check looks
there for the plugin's temporary files. Prints one line per check; exits 1
on the first failure, saying which. Needs Debian's python3-qgis; run with
QT_QPA_PLATFORM=offscreen.
"""
import json
import os
import subprocess
import sys
import threading
import time
import zipfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, "/usr/share/qgis/python/plugins")

from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsFeatureRequest,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildDependency,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelParameter,
    QgsProcessingParameterVectorLayer,
    QgsProcessingParameterFolderDestination,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

#: What the issue asks for, plus info and report.
REQUIRED = {
    "gaps",
    "check",
    "village",
    "lines",
    "progress",
    "corridor_measure",
    "corridor_route",
    "polygonize",
    "changes",
    "qgis_project",
}


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def ok(msg):
    print("ok   " + msg)


class Feedback(QgsProcessingFeedback):
    """Keeps what the algorithm reported, for the checks."""

    def __init__(self):
        super().__init__()
        self.errors, self.steps, self.percents, self.commands, self.warnings = [], [], [], [], []

    def reportError(self, error, fatalError=False):  # noqa: N802, N803
        self.errors.append(error)

    def pushWarning(self, warning):  # noqa: N802
        self.warnings.append(warning)

    def setProgressText(self, text):  # noqa: N802
        self.steps.append(text)

    def pushCommandInfo(self, info):  # noqa: N802
        self.commands.append(info)


def cli(binary, args):
    """The CLI's --json for the same inputs, as the reference."""
    r = subprocess.run([binary, *args, "--json"], capture_output=True, check=False)
    if r.returncode not in (0, 1):
        fail(f"delimit {' '.join(args)} exit {r.returncode}: {r.stderr.decode()}")
    cli.code = r.returncode
    return json.loads(r.stdout)


def strip(v):
    """A JSON value without provenance (paths of the plugin's copies differ)
    and without where the output went."""
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ("provenance", "features_written", "gpkg", "project")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v


def count(path):
    """Features in the CLI's own output file."""
    return QgsVectorLayer(path, "cli", "ogr").featureCount()


def layer(path, name=None):
    lyr = QgsVectorLayer(path, name or os.path.basename(path), "ogr")
    if not lyr.isValid():
        fail(f"cannot open {path}")
    return lyr


def memory_copy(lyr):
    """The same features in a memory layer, named as the source."""
    m = lyr.materialize(QgsFeatureRequest())
    m.setName(lyr.name())
    if m.providerType() != "memory":
        fail("materialize did not give a memory layer")
    return m


def main():
    zip_path, binary, repo, work = sys.argv[1:5]
    pg_uri = sys.argv[5] if len(sys.argv) > 5 else None
    data = os.path.join(repo, "data")
    os.environ["DELIMIT_BINARY"] = binary

    # Install from the zip, as "Install from ZIP" does: unpack into a plugin folder.
    plugins = os.path.join(work, "plugins")
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        z.extractall(plugins)
    for needed in ("metadata.txt", "icon.svg", "LICENSE", "help/gaps.txt", "help/qgis_project.txt"):
        if f"delimit_processing/{needed}" not in names:
            fail(f"the zip has no delimit_processing/{needed}")
    ok(f"zip holds {len(names)} files: metadata, icon, licence, help per algorithm")
    sys.path.insert(0, plugins)

    # With widgets (offscreen): the toolbox and a dialog are rendered too.
    app = QgsApplication([], True)
    app.initQgis()
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing
    from delimit_processing import classFactory

    plugin = classFactory(None)
    plugin.initGui()
    provider = QgsApplication.processingRegistry().providerById("delimit")
    if provider is None or provider.error:
        fail(f"provider not registered: {provider and provider.error}")
    algs = {a.name(): a for a in provider.algorithms()}
    missing = REQUIRED - set(algs)
    if missing:
        fail(f"missing algorithms: {sorted(missing)}")
    ok(f"provider `delimit` registered with {len(algs)} algorithms: {', '.join(sorted(algs))}")

    # Pictures of the toolbox and of one algorithm's dialog, for the docs.
    from qgis.gui import QgsProcessingToolboxTreeView
    from processing.gui.AlgorithmDialog import AlgorithmDialog

    tree = QgsProcessingToolboxTreeView(None, QgsApplication.processingRegistry())
    tree.setFilterString("delimit")
    tree.expandAll()
    tree.resize(380, 360)
    dialog = AlgorithmDialog(QgsApplication.processingRegistry().createAlgorithmById("delimit:gaps"))
    dialog.resize(900, 700)
    dialog.show()
    app.processEvents()
    for widget, name in ((tree, "toolbox.png"), (dialog, "dialog-gaps.png")):
        if not widget.grab().save(os.path.join(work, name)):
            fail(f"could not render {name}")
    dialog.close()
    ok("toolbox and the gaps dialog rendered to toolbox.png and dialog-gaps.png")

    # Every CLI flag of every command is a parameter, or set by the plugin itself.
    from delimit_processing.algorithm import HANDLED, param_name
    from delimit_processing.names import algorithm_name

    description = json.loads(subprocess.run([binary, "describe", "--json"], capture_output=True, check=True).stdout)
    flags = 0
    for c in description["commands"]:
        if not c["analysis"]:
            continue
        alg = algs[algorithm_name(c)]
        defined = {p.name() for p in alg.parameterDefinitions()}
        for p in c["parameters"] + description["globals"]:
            flags += 1
            if (p["flag"] or "") in HANDLED:
                continue
            if param_name(p) not in defined:
                fail(f"{c['name']}: {p['flag'] or p['id']} is neither a parameter of delimit:{alg.name()} nor handled")
    ok(f"every CLI flag ({flags} over all commands) is a parameter or handled by the plugin ({len(HANDLED)} kinds)")

    # A binary of another minor version is refused, and the message says why.
    from delimit_processing import binary as plugin_binary

    try:
        plugin_binary.check_version("0.2.0")
        fail("a 0.2.0 binary was accepted")
    except plugin_binary.BinaryError as e:
        if "0.2.0" not in str(e) or plugin_binary.SUPPORTED not in str(e):
            fail(f"the version message does not say which versions: {e}")
        ok(f"another version is refused: {e}")

    # Parameters are typed: fields come from the layer, numbers carry ranges, points are points.
    gaps = algs["gaps"]
    owner = gaps.parameterDefinition("OWNER_FIELD")
    if owner.type() != "field" or owner.parentLayerParameterName() != "LEGAL":
        fail(f"--owner-field is {owner.type()} of {owner.parentLayerParameterName()!r}, not a field of LEGAL")
    tol = gaps.parameterDefinition("TOLERANCE_M")
    if tol.type() != "number" or tol.minimum() != 0:
        fail(f"--tolerance-m is {tol.type()} with minimum {tol.minimum()}")
    prec = gaps.parameterDefinition("PRECISION")
    if (prec.minimum(), prec.maximum()) != (0, 15):
        fail(f"--precision range {prec.minimum()}..{prec.maximum()}")
    frm = algs["corridor_route"].parameterDefinition("FROM")
    if frm.type() != "point":
        fail(f"--from is {frm.type()}")
    if gaps.parameterDefinition("SRC_CRS") is not None:
        fail("the plugin asks for --src-crs, which the layer says")
    ok("typed parameters: owner field of LEGAL, tolerance ≥ 0 m, precision 0..15, --from a point, no --src-crs")

    project = QgsProject.instance()
    legal = layer(os.path.join(data, "legal.geojson"), "legal")
    control_file = layer(os.path.join(data, "control.geojson"), "control")
    control = memory_copy(control_file)
    # The memory copy lost the file's metadata.status; the user says it again.
    status = "control=illustrative"
    settlements = layer(os.path.join(data, "settlements.geojson"), "settlements")
    project.addMapLayers([legal, control, settlements])
    out = os.path.join(work, "out")
    os.makedirs(out)
    context = QgsProcessingContext()
    context.setProject(project)

    def run(name, params, expect_code=0):
        fb = Feedback()
        r = processing.run(f"delimit:{name}", params, feedback=fb, context=context)
        if expect_code is not None and r["EXIT_CODE"] != expect_code:
            fail(f"{name}: exit {r['EXIT_CODE']}")
        return r, fb

    def styled(path, renderer, count=None):
        lyr = QgsVectorLayer(path, "out", "ogr")
        if not lyr.isValid():
            fail(f"{path} does not open")
        if lyr.renderer().type() != renderer:
            fail(f"{path}: renderer {lyr.renderer().type()}, not {renderer} (layer_styles not applied)")
        bad = [f.id() for f in lyr.getFeatures() if f.hasGeometry() and not f.geometry().isGeosValid()]
        if bad:
            fail(f"{path}: invalid geometries in features {bad[:5]}")
        if count is not None and lyr.featureCount() != count:
            fail(f"{path}: {lyr.featureCount()} features, the CLI says {count}")
        return lyr

    # gaps, with the control layer as a memory layer.
    r, fb = run("gaps", {"LEGAL": legal, "CONTROL": control, "STATUS": status, "SETTLEMENTS": settlements, "ALL": True, "OUTPUT": os.path.join(out, "gaps.gpkg")})
    ref_out = os.path.join(work, "cli-gaps.gpkg")
    ref = cli(binary, ["gaps", "--legal", legal.source(), "--control", control_file.source(), "--settlements", settlements.source(), "--all", "-o", ref_out])
    got = json.loads(r["JSON"])
    if strip(got) != strip(ref):
        fail(f"gaps: the plugin's summary differs from the CLI's:\n{json.dumps(strip(got))[:800]}\n{json.dumps(strip(ref))[:800]}")
    held = round(sum(x["km2"] for x in ref["summary"]["rows"] if x["class"] == "held_by_other"), 6)
    if r["HELD_BY_OTHER_KM2"] != held:
        fail(f"gaps: HELD_BY_OTHER_KM2 {r['HELD_BY_OTHER_KM2']} != {held}")
    n = count(ref_out)
    gaps_layer = styled(r["OUTPUT"], "categorizedSymbol", n)
    if not any("temporary GeoPackage" in c for c in fb.commands) and not fb.steps:
        fail("gaps: no progress step reported")
    ok(f"gaps (control as a memory layer): same summary as the CLI, {n} features, held_by_other {held} km², categorised style, {len(fb.steps)} progress step(s)")

    # The caveats reach the Processing log as warnings (issue 30: --json
    # silenced the note: lines, so no caveat reached QGIS).
    for want in ("note: APPROXIMATE input legal", "note: ILLUSTRATIVE input control"):
        if not any(w.startswith(want) for w in fb.warnings):
            fail(f"gaps: no warning {want!r} in the log: {fb.warnings}")
    ok(f"gaps: the inputs' caveats are warnings in the log ({len(fb.warnings)} warning(s))")

    # A copy that no Status covers is never taken as observed: a memory
    # layer states nothing ("status unknown"); a filtered file layer keeps
    # the status its file states.
    r, fb = run("gaps", {"LEGAL": legal, "CONTROL": control, "SETTLEMENTS": settlements})
    statuses = {i.get("role"): i["status"] for i in json.loads(r["JSON"])["provenance"]["inputs"]}
    if statuses.get("control") != "unknown":
        fail(f"gaps: a memory control layer without Status is {statuses.get('control')!r}, not 'unknown'")
    if not any("STATUS UNKNOWN input control" in w for w in fb.warnings):
        fail(f"gaps: no 'STATUS UNKNOWN' warning for the memory layer: {fb.warnings}")
    filtered = layer(os.path.join(data, "control.geojson"), "control (filtered)")
    filtered.setSubsetString("\"controller\" IS NOT NULL")
    project.addMapLayer(filtered)
    r, fb = run("gaps", {"LEGAL": legal, "CONTROL": filtered, "SETTLEMENTS": settlements})
    statuses = {i.get("role"): i["status"] for i in json.loads(r["JSON"])["provenance"]["inputs"]}
    if statuses.get("control") != "illustrative":
        fail(f"gaps: a filtered copy of the illustrative control file is {statuses.get('control')!r}")
    ok("copied layers: a memory layer is 'status unknown', a filtered file layer keeps its file's 'illustrative'")

    # The same with the control layer in PostGIS (through a temporary GeoPackage).
    if pg_uri:
        control_pg = QgsVectorLayer(pg_uri, "control", "postgres")
        if not control_pg.isValid() or control_pg.featureCount() != control_file.featureCount():
            fail(f"the PostGIS control layer does not open: {pg_uri}")
        r, fb = run("gaps", {"LEGAL": legal, "CONTROL": control_pg, "STATUS": status, "SETTLEMENTS": settlements, "ALL": True, "OUTPUT": os.path.join(out, "gaps-pg.gpkg")})
        if strip(json.loads(r["JSON"])) != strip(ref):
            fail("gaps with a PostGIS control layer: the summary differs from the CLI's")
        ok(f"gaps with the control layer in PostGIS: same summary as the CLI ({control_pg.featureCount()} polygons read through a temporary GeoPackage)")

    # check, which exits 1 when the data has errors: a verdict, not a failure.
    ref = cli(binary, ["check", legal.source(), "--role", "legal"])
    legal_role = algs["check"].parameterDefinition("ROLE").options().index("legal")
    r, _ = run("check", {"FILE": legal, "ROLE": legal_role, "OUTPUT": os.path.join(out, "problems.gpkg")}, 1 if ref["errors"] else 0)
    if (r["ERRORS"], r["WARNINGS"]) != (ref["errors"], ref["warnings"]) or strip(json.loads(r["JSON"])) != strip(ref):
        fail(f"check: {r['ERRORS']} errors, {r['WARNINGS']} warnings; the CLI: {ref['errors']}, {ref['warnings']}")
    styled(r["OUTPUT"], "categorizedSymbol", len(ref["problems"]))
    ok(f"check: {r['ERRORS']} errors, {r['WARNINGS']} warnings as the CLI (exit {r['EXIT_CODE']}, a verdict); problems layer styled by severity")

    # village, by name (either spelling).
    r, _ = run("village", {"NAMES": "Tigranashen;Karki", "LEGAL": legal, "CONTROL": control, "STATUS": status})
    ref = cli(binary, ["village", "--legal", legal.source(), "--control", control_file.source(), "Tigranashen", "Karki"])
    if strip(json.loads(r["JSON"])) != strip(ref):
        fail("village: the answers differ from the CLI's")
    ok(f"village: {len(ref['answers'])} answers as the CLI ({', '.join(a['status'] for a in ref['answers'])})")

    # A verdict is not a data error: a name no place has is "not answered".
    r, fb = run("village", {"NAMES": "Karki;Nowhereville", "LEGAL": legal, "CONTROL": control, "STATUS": status}, 1)
    if not fb.errors or "found errors in the data" in fb.errors[-1] or "not answered" not in fb.errors[-1]:
        fail(f"village no_match: the plugin says {fb.errors}")
    ok(f"village no_match: {fb.errors[-1]!r}")

    def against_cli(name, params, args, renderer):
        """Run the algorithm and the CLI on the same files; same summary,
        exit code and feature count, and the output styled by `renderer`."""
        out_name = params["OUTPUT"]
        r, _ = run(name, params, None)
        ref_out = os.path.join(work, "cli-" + os.path.basename(out_name))
        ref = cli(binary, args + ["-o", ref_out])
        if strip(json.loads(r["JSON"])) != strip(ref) or r["EXIT_CODE"] != cli.code:
            fail(f"{name}: the summary or exit code differs from the CLI's")
        n = count(ref_out)
        styled(r["OUTPUT"], renderer, n)
        against_cli.ref = ref
        return n

    n = against_cli(
        "lines",
        {"LEGAL": legal, "CONTROL": control, "STATUS": status, "OUTPUT": os.path.join(out, "runs.gpkg")},
        ["lines", "--legal", legal.source(), "--control", control_file.source()],
        "graduatedSymbol",
    )
    ok(f"lines: same summary as the CLI, {n} runs, graduated style")

    segments = layer(os.path.join(data, "segments.geojson"), "segments")
    n = against_cli(
        "progress",
        {"SEGMENTS": segments, "LEGAL": legal, "OUTPUT": os.path.join(out, "progress.gpkg")},
        ["progress", "--segments", segments.source(), "--legal", legal.source()],
        "categorizedSymbol",
    )
    ok(f"progress: same summary as the CLI, {n} features, categorised by status")

    # corridor measure, on the sample routes and constraints.
    routes = layer(os.path.join(data, "routes.geojson"), "routes")
    toml = os.path.join(data, "corridor.toml")
    n = against_cli(
        "corridor_measure",
        {"ROUTES": routes, "CONSTRAINTS": toml, "LEGAL": legal, "CONTROL": control, "STATUS": status, "OUTPUT": os.path.join(out, "corridor.gpkg")},
        ["corridor", "measure", "--routes", routes.source(), "--constraints", toml, "--legal", legal.source(), "--control", control_file.source()],
        "categorizedSymbol",
    )
    ok(f"corridor_measure: same verdicts and exit code ({cli.code}) as the CLI, {n} features")

    # corridor route, a coarse grid (the long run is the cancellation check).
    route_params = {"FROM": "46.40,39.21 [EPSG:4326]", "TO": "45.9,39.0 [EPSG:4326]", "CELL": 400, "LEGAL": legal, "CONTROL": control, "STATUS": status, "OUTPUT": os.path.join(out, "route.gpkg")}
    n = against_cli(
        "corridor_route",
        route_params,
        ["corridor", "route", "--from", "39.21,46.40", "--to", "39.0,45.9", "--cell", "400", "--legal", legal.source(), "--control", control_file.source()],
        "categorizedSymbol",
    )
    ok(f"corridor_route: --from/--to as map points, same route as the CLI, {n} features")
    ref_route = against_cli.ref

    # The same points picked in another CRS (UTM 38N) give the same route.
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsPointXY

    utm = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem("EPSG:32638"), project)
    a, b = utm.transform(QgsPointXY(46.40, 39.21)), utm.transform(QgsPointXY(45.9, 39.0))
    in_utm = dict(route_params, FROM=f"{a.x()!r},{a.y()!r} [EPSG:32638]", TO=f"{b.x()!r},{b.y()!r} [EPSG:32638]", OUTPUT=os.path.join(out, "route-utm.gpkg"))
    r_utm, _ = run("corridor_route", in_utm, None)
    if strip(json.loads(r_utm["JSON"])) != strip(ref_route):
        fail("corridor_route: points given in EPSG:32638 gave another route")
    ok("corridor_route: the same points picked in EPSG:32638 give the same route")

    lines = layer(os.path.join(data, "legal-lines.geojson"), "legal-lines")
    n = against_cli(
        "polygonize",
        {"LEGAL_LINES": lines, "OUTPUT": os.path.join(out, "faces.gpkg")},
        ["polygonize", "--legal-lines", lines.source()],
        "categorizedSymbol",
    )
    ok(f"polygonize: same faces as the CLI, {n} features")

    # changes: the fixture series as loaded layers, dated by their names.
    series_dir = os.path.join(repo, "fixtures", "changes", "series")
    files = sorted(os.path.join(series_dir, f) for f in os.listdir(series_dir) if f.endswith(".geojson"))
    snaps = [memory_copy(layer(f, os.path.splitext(os.path.basename(f))[0])) for f in files]
    basis = layer(os.path.join(repo, "fixtures", "changes", "legal.geojson"), "basis")
    args = ["changes", "--legal", basis.source()]
    for f in files:
        args += ["--control", f]
    n = against_cli(
        "changes",
        {"LEGAL": basis, "CONTROL": snaps, "STATUS": status, "OUTPUT": os.path.join(out, "changes.gpkg")},
        args,
        "categorizedSymbol",
    )
    ok(f"changes: {len(snaps)} memory-layer snapshots dated by their names, same periods as the CLI, {n} changes")

    # qgis_project: the full run.
    r, _ = run("qgis_project", {"LEGAL": legal, "CONTROL": control, "STATUS": status, "OUTPUT": os.path.join(out, "project")})
    if not (r["PROJECT"] and os.path.exists(r["PROJECT"]) and os.path.exists(r["GPKG"])):
        fail(f"qgis_project: no project or GeoPackage: {r}")
    ref = cli(binary, ["qgis", "--legal", legal.source(), "--control", control_file.source(), "-o", os.path.join(work, "cli-project")])
    if strip(json.loads(r["JSON"])) != strip(ref):
        fail("qgis_project: the layers and counts differ from the CLI's")
    ok(f"qgis_project: project and GeoPackage written, same layers and counts as the CLI ({len(ref.get('layers', []))} layers)")

    # A bad parameter: delimit's error, cause and hint reach Processing.
    fb = Feedback()
    try:
        processing.run("delimit:gaps", {"LEGAL": legal, "CONTROL": control, "STATUS": status, "OWNER_FIELD": "no_such_field"}, feedback=fb, context=context)
        fail("gaps with a missing owner field did not fail")
    except QgsProcessingException as e:
        message = str(e) + "\n".join(fb.errors)
    if "error:" not in message or "no_such_field" not in message or "hint:" not in message:
        fail(f"the missing field's message did not reach Processing:\n{message}")
    ok("a missing field gives delimit's error:/hint: through Processing: " + next(line for line in message.splitlines() if line.startswith("error:")))

    # Cancellation mid-run: nothing written, nothing left behind.
    cancel_out = os.path.join(work, "cancelled")
    os.makedirs(cancel_out)
    fb = Feedback()
    long_route = dict(route_params, CELL=15, MARGIN_KM=25, ALTERNATIVES=3, OUTPUT=os.path.join(cancel_out, "route.gpkg"), COST_OUT=os.path.join(cancel_out, "cost.tif"))
    long_route["MAX_MEMORY"] = "8G"
    timer = threading.Timer(3.0, fb.cancel)
    started = time.monotonic()
    timer.start()
    try:
        processing.run("delimit:corridor_route", long_route, feedback=fb, context=context)
        fail("the cancelled route returned results")
    except QgsProcessingException as e:
        if "cancelled" not in str(e) + " ".join(fb.errors):
            fail(f"the cancelled route failed otherwise: {e} {fb.errors}")
    took = time.monotonic() - started
    left = os.listdir(cancel_out)
    tmp = os.environ.get("TMPDIR", "/tmp")
    ours = [f for f in os.listdir(tmp) if f.startswith("delimit-processing-")]
    if left or ours:
        fail(f"cancellation left files: {left} {ours}")
    ok(f"cancelled corridor_route after 3 s (stopped at {took:.1f} s): no output, no temporary files")

    # A model: check -> gaps -> qgis_project, headless.
    model = QgsProcessingModelAlgorithm("delimit chain", "delimit")
    for name in ("LEGAL", "CONTROL"):
        model.addModelParameter(QgsProcessingParameterVectorLayer(name, name.title()), QgsProcessingModelParameter(name))
    model.addModelParameter(QgsProcessingParameterFolderDestination("PROJECT_DIR", "Project folder"), QgsProcessingModelParameter("PROJECT_DIR"))

    def child(alg_id, cid, sources, depends=()):
        c = QgsProcessingModelChildAlgorithm(alg_id)
        c.setChildId(cid)
        for k, v in sources.items():
            c.addParameterSources(k, [v])
        c.setDependencies([QgsProcessingModelChildDependency(d) for d in depends])
        return c

    src = QgsProcessingModelChildParameterSource
    model.addChildAlgorithm(child("delimit:check", "check", {"FILE": src.fromModelParameter("LEGAL"), "ROLE": src.fromStaticValue(legal_role)}))
    model.addChildAlgorithm(child("delimit:gaps", "gaps", {"LEGAL": src.fromModelParameter("LEGAL"), "CONTROL": src.fromModelParameter("CONTROL")}, ["check"]))
    qp = child("delimit:qgis_project", "qgis", {"LEGAL": src.fromModelParameter("LEGAL"), "CONTROL": src.fromModelParameter("CONTROL"), "OUTPUT": src.fromModelParameter("PROJECT_DIR")}, ["gaps"])
    model.addChildAlgorithm(qp)
    model_dir = os.path.join(work, "model-project")
    results, ok_run = model.run({"LEGAL": legal, "CONTROL": control, "STATUS": status, "PROJECT_DIR": model_dir}, context, Feedback())
    if not ok_run or not os.path.exists(os.path.join(model_dir, "delimit.qgs")):
        fail(f"the model check -> gaps -> qgis_project did not run: {results}")
    ok(f"model check -> gaps -> qgis_project ran headless: {os.path.join('model-project', 'delimit.qgs')} written")

    # A picture of the styled outputs, for the closing note.
    settings = QgsMapSettings()
    settings.setLayers([gaps_layer])
    settings.setDestinationCrs(gaps_layer.crs())
    settings.setExtent(gaps_layer.extent())
    settings.setOutputSize(QSize(900, 700))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    png = os.path.join(work, "plugin-gaps.png")
    job.renderedImage().save(png)
    ok(f"map of the plugin's styled gaps output rendered to {png}")

    plugin.unload()
    if QgsApplication.processingRegistry().providerById("delimit") is not None:
        fail("the provider is still registered after unload")
    ok("unload removes the provider")
    # Layers go before the application: QGIS 3.22 segfaults in exitQgis()
    # when the project or Python still holds them.
    project.clear()
    del legal, control, control_file, settlements, segments, routes, lines, basis, snaps, gaps_layer, model, context
    app.exitQgis()


if __name__ == "__main__":
    main()
