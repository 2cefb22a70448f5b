"""One Processing algorithm per delimit command, built from the command's
description (`delimit describe --json`), and run as the binary with
machine-readable progress (`--progress json`).
"""
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDateTime,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
    QgsProviderRegistry,
    QgsVectorFileWriter,
)

from qgis.PyQt.QtGui import QIcon

from .names import algorithm_name

HERE = os.path.dirname(__file__)

#: Flags the plugin sets itself, or that a QGIS layer already says, so it
#: never asks for them; with the reason, for the help and the tests.
HANDLED = {
    "--json": "the plugin always reads delimit's JSON summary (the JSON output)",
    "--progress": "the plugin always asks for JSON progress (--progress json)",
    "--quiet": "notes go to the Processing log",
    "--verbose": "notes go to the Processing log",
    "--src-crs": "the layer says its CRS",
    "--format": "the plugin passes delimit a file it reads (a temporary GeoPackage where needed)",
    "--layer": "the plugin passes delimit one layer per file",
    "--output-format": "the format follows the output's extension",
    "--force": "Processing asks before replacing an output; inputs are never overwritten",
}

#: Where each field parameter's fields come from: the first of these layer
#: parameters (by Processing name, lower case) that the command has.
FIELD_PARENTS = {
    "owner_field": ["legal", "file"],
    "controller_field": ["control", "series", "file"],
    "name_field": ["settlements", "routes", "file"],
    "left_field": ["legal_lines"],
    "right_field": ["legal_lines"],
    "time_field": ["series"],
    "alt_names_field": ["settlements"],
}

#: Outputs that are not vector layers: (command, parameter id) -> file filter.
FILE_OUTPUTS = {
    ("report", "output"): "HTML (*.html);;Markdown (*.md)",
    ("changes", "csv_series"): "CSV (*.csv)",
    ("qgis", "gpkg"): "GeoPackage (*.gpkg)",
    ("qgis", "project"): "QGIS project (*.qgs)",
}

#: Expert settings, folded under "Advanced parameters".
ADVANCED = {"status", "precision", "max_memory", "snap_m", "scale", "frame", "alt_names_field"}


def _held(kind):
    def total(j):
        # Rounded as delimit prints areas: to the m² (1e-6 km²).
        return round(sum(r["km2"] for r in j.get("summary", {}).get("rows", []) if r.get("class") == kind), 6)

    return total


#: Numbers from delimit's JSON summary returned as output values, so that
#: models can use them: command -> [(output name, description, function)].
SUMMARIES = {
    "gaps": [
        ("HELD_BY_OTHER_KM2", "Area held by another party than its legal owner (km²)", _held("held_by_other")),
        ("CONTESTED_KM2", "Area claimed by two controllers (km²)", _held("contested_control")),
    ],
    "check": [
        ("ERRORS", "Errors found", lambda j: j.get("errors")),
        ("WARNINGS", "Warnings found", lambda j: j.get("warnings")),
    ],
}


def param_name(p):
    """The Processing name of a parameter: its long flag (--legal-lines:
    LEGAL_LINES), or for a positional its id (NAMES)."""
    return (p["flag"] or p["id"]).lstrip("-").replace("-", "_").upper()


def first_sentence(text):
    """The label: the help's first sentence, without the default it states."""
    text = (text or "").split("\n")[0]
    for stop in (". Default:", ". "):
        if stop in text:
            text = text.split(stop)[0]
    return text.rstrip(".")


def help_text(name, command):
    """The help panel: the description part of `delimit CMD --help` (shipped in
    the zip as help/NAME.txt), else of the description, as HTML paragraphs;
    each parameter's own help is on the parameter."""
    path = os.path.join(HERE, "help", f"{name}.txt")
    text = command.get("help") or ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read().split("\nUsage:")[0]
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    escape = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return html + f"<p>Command line: <code>delimit {' '.join(command['argv'])} --help</code></p>"


class DelimitAlgorithm(QgsProcessingAlgorithm):
    def __init__(self, exe, command, globals_=()):
        super().__init__()
        self.exe = exe
        # The global flags (--max-memory…) are offered with each command's own.
        self.command = dict(command, parameters=command["parameters"] + list(globals_))

    # -- identity ---------------------------------------------------------
    def createInstance(self):  # noqa: N802 (QGIS's name)
        return DelimitAlgorithm(self.exe, self.command)

    def name(self):
        return algorithm_name(self.command)

    def displayName(self):  # noqa: N802 (QGIS's name)
        return self.name().replace("_", " ")

    def icon(self):
        return QIcon(os.path.join(HERE, "icon.svg"))

    def shortDescription(self):  # noqa: N802 (QGIS's name)
        return self.command.get("summary") or ""

    def shortHelpString(self):  # noqa: N802 (QGIS's name)
        return help_text(self.name(), self.command)

    def flags(self):
        # The binary runs in its own process: safe off the main thread, and
        # cancellation stops it.
        return QgsProcessingAlgorithm.FlagSupportsBatch | QgsProcessingAlgorithm.FlagCanCancel

    # -- parameters -------------------------------------------------------
    def parameters_described(self):
        """The command's parameters that the plugin offers."""
        return [p for p in self.command["parameters"] if (p["flag"] or "") not in HANDLED]

    def initAlgorithm(self, config=None):  # noqa: N802 (QGIS's name)
        ids = {param_name(p).lower() for p in self.command["parameters"]}
        for p in self.parameters_described():
            param = self.make_parameter(p, ids)
            param.setHelp((p.get("long_help") or p.get("help") or "") + f"\n\ndelimit flag: {p['flag'] or p['id']}")
            if p["id"] in ADVANCED:
                param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(param)
        self.addOutput(QgsProcessingOutputString("JSON", "delimit's JSON summary"))
        self.addOutput(QgsProcessingOutputNumber("EXIT_CODE", "Exit code (1: the data has errors)"))
        if any(p["kind"] == "output" for p in self.command["parameters"]):
            self.addOutput(QgsProcessingOutputNumber("FEATURES_WRITTEN", "Features written"))
        for out_name, desc, _ in SUMMARIES.get(self.command["name"], []):
            self.addOutput(QgsProcessingOutputNumber(out_name, desc))
        if self.command["name"] == "qgis":
            self.addOutput(QgsProcessingOutputFile("PROJECT", "QGIS project"))
            self.addOutput(QgsProcessingOutputFile("GPKG", "GeoPackage"))

    def make_parameter(self, p, ids):
        name, kind = param_name(p), p["kind"]
        label = first_sentence(p.get("help")) or p["id"].replace("_", " ")
        optional = not p["required"]
        default = p.get("default")
        if kind == "flag":
            return QgsProcessingParameterBoolean(name, label, defaultValue=False, optional=True)
        if kind in ("number", "integer"):
            t = QgsProcessingParameterNumber.Double if kind == "number" else QgsProcessingParameterNumber.Integer
            param = QgsProcessingParameterNumber(
                name, label, type=t, defaultValue=None if default is None else float(default), optional=optional
            )
            if p.get("min") is not None:
                param.setMinimum(float(p["min"]))
            if p.get("max") is not None:
                param.setMaximum(float(p["max"]))
            return param
        if kind == "choice":
            choices = p["choices"]
            d = choices.index(default) if default in choices else None
            return QgsProcessingParameterEnum(
                name, label, options=choices, allowMultiple=p["repeatable"], defaultValue=d, optional=optional
            )
        if kind == "layer":
            if p["repeatable"] or p["values"] is None:
                return QgsProcessingParameterMultipleLayers(name, label, QgsProcessing.TypeVectorAnyGeometry, optional=optional)
            return QgsProcessingParameterVectorLayer(name, label, [QgsProcessing.TypeVectorAnyGeometry], optional=optional)
        if kind == "table":
            return QgsProcessingParameterVectorLayer(name, label, [QgsProcessing.TypeVector], optional=optional)
        if kind == "raster":
            return QgsProcessingParameterRasterLayer(name, label, optional=optional)
        if kind == "file":
            return QgsProcessingParameterFile(name, label, extension="toml", optional=optional)
        if kind == "field":
            parent = next((c for c in FIELD_PARENTS.get(p["id"], []) if c in ids), None)
            parent_name = parent.upper() if parent else ""
            return QgsProcessingParameterField(name, label, defaultValue=default, parentLayerParameterName=parent_name, optional=True)
        if kind == "date":
            return QgsProcessingParameterDateTime(name, label, type=QgsProcessingParameterDateTime.Date, optional=optional)
        if kind == "point":
            return QgsProcessingParameterPoint(name, label, optional=optional)
        if kind == "crs":
            return QgsProcessingParameterCrs(name, label, defaultValue=default, optional=optional)
        if kind == "output":
            key = (self.command["name"], p["id"])
            if key in FILE_OUTPUTS:
                return QgsProcessingParameterFileDestination(name, label, FILE_OUTPUTS[key], optional=optional)
            return QgsProcessingParameterVectorDestination(
                name, label, QgsProcessing.TypeVectorAnyGeometry, optional=optional, createByDefault=not optional or p["id"] == "output"
            )
        if kind == "output_raster":
            return QgsProcessingParameterRasterDestination(name, label, optional=optional, createByDefault=False)
        if kind in ("output_folder", "folder"):
            return QgsProcessingParameterFolderDestination(name, label, optional=optional)
        # Text: codes, names, ROLE=STATUS, two dates. Repeatable values are
        # separated by ';' (two values for one flag by a space).
        if p["repeatable"] or p["values"] is None:
            label += " (several: separate with ;)"
        if p["values"] and p["values"] > 1:
            label += f" ({' '.join(p['value_names'])}, separated by a space)"
        return QgsProcessingParameterString(name, label, defaultValue=default, optional=optional)

    # -- running ----------------------------------------------------------
    def given(self, parameters, p):
        v = parameters.get(param_name(p))
        return v is not None and v != "" and v != []

    def layer_path(self, layer, tmp, feedback, role=None):
        """A file delimit reads for the layer: its own, or a temporary GeoPackage.

        A copy's status (and the role it is read for) is kept in self.copied."""
        if layer is None:
            return None
        parts, path = {}, None
        if layer.providerType() == "ogr":
            parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
            path = parts.get("path")
        if layer.providerType() == "ogr" and not layer.subsetString():
            one_layer = not parts.get("layerName") and parts.get("layerId") in (None, "", -1)
            if path and os.path.isfile(path) and one_layer:
                return path
        # Named after the layer, in a folder of its own: a snapshot dated by
        # the date in its name (2024-05-01.geojson) keeps that date.
        folder = os.path.join(tmp, f"input-{len(os.listdir(tmp))}")
        os.makedirs(folder)
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in layer.name()) or "layer"
        out = os.path.join(folder, f"{stem}.gpkg")
        options = QgsVectorFileWriter.SaveVectorOptions()
        options.driverName = "GPKG"
        err = QgsVectorFileWriter.writeAsVectorFormatV3(layer, out, layer.transformContext(), options)
        if err[0] != QgsVectorFileWriter.NoError:
            raise QgsProcessingException(f"could not copy layer {layer.name()} for delimit: {err[1]}")
        feedback.pushInfo(f"layer {layer.name()} ({layer.providerType()}) copied to a temporary GeoPackage for delimit")
        # A copy loses the file's metadata (metadata.status): it carries the
        # status its source file states, or says that none is known; it is
        # never taken as observed by default.
        status = self.source_status(layer, path, parts)
        self.copied.append((role, status))
        if status == "unknown":
            feedback.pushWarning(
                f"layer {layer.name()} is not a file delimit reads and states no status: delimit reports it as "
                "'status unknown'; set Status (e.g. control=observed) to say how far it can be taken as fact"
            )
        return out

    def source_status(self, layer, path, parts):
        """The status the layer's source file states (delimit info), else "unknown"."""
        if not path or not os.path.isfile(path):
            return "unknown"
        argv = [self.exe, "info", "--json", path]
        if parts.get("layerName"):
            argv[3:3] = ["--layer", parts["layerName"]]
        try:
            out = subprocess.run(argv, capture_output=True, timeout=120)
            info = json.loads(out.stdout.decode("utf-8", "replace"))
            prov = info[0]["layers"][0]["provenance"]
        except (OSError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired):
            return "unknown"
        return prov.get("status", "unknown") if prov.get("status_from") == "file" else "unknown"

    def command_line(self, parameters, context, feedback, tmp):
        """(argv, {output name: path}) for the parameters."""
        argv = [self.exe, *self.command["argv"], "--progress", "json"]
        self.copied = []
        if any(p["flag"] == "--json" for p in self.command["parameters"]):
            argv.append("--json")
        outputs, positionals = {}, []
        has_output = False
        for p in self.parameters_described():
            name, kind = param_name(p), p["kind"]
            if kind == "flag":
                if self.parameterAsBool(parameters, name, context):
                    argv.append(p["flag"])
                continue
            values = []
            if kind in ("output", "output_raster", "output_folder", "folder"):
                if not self.given(parameters, p):
                    continue
                if kind == "output_raster" or (kind == "output" and (self.command["name"], p["id"]) not in FILE_OUTPUTS):
                    path = self.parameterAsOutputLayer(parameters, name, context)
                else:
                    path = self.parameterAsFileOutput(parameters, name, context)
                if not path:
                    continue
                if kind == "output_folder":
                    os.makedirs(path, exist_ok=True)
                outputs[name] = path
                values, has_output = [path], True
            elif not self.given(parameters, p):
                continue
            elif kind == "layer" and (p["repeatable"] or p["values"] is None):
                layers = self.parameterAsLayerList(parameters, name, context)
                values = [self.layer_path(lyr, tmp, feedback, p.get("role")) for lyr in layers]
            elif kind in ("layer", "table"):
                lyr = self.parameterAsVectorLayer(parameters, name, context)
                values = [self.layer_path(lyr, tmp, feedback, p.get("role"))]
            elif kind == "raster":
                values = [self.parameterAsRasterLayer(parameters, name, context).source()]
            elif kind == "file":
                values = [self.parameterAsFile(parameters, name, context)]
            elif kind == "number":
                values = [repr(self.parameterAsDouble(parameters, name, context))]
            elif kind == "integer":
                values = [str(self.parameterAsInt(parameters, name, context))]
            elif kind == "choice" and p["repeatable"]:
                values = [p["choices"][i] for i in self.parameterAsEnums(parameters, name, context)]
            elif kind == "choice":
                values = [p["choices"][self.parameterAsEnum(parameters, name, context)]]
            elif kind == "field":
                fields = self.parameterAsFields(parameters, name, context)
                values = fields[:1]
            elif kind == "date":
                values = [self.parameterAsDateTime(parameters, name, context).date().toString("yyyy-MM-dd")]
            elif kind == "point":
                pt = self.parameterAsPoint(parameters, name, context, QgsCoordinateReferenceSystem("EPSG:4326"))
                values = [f"{pt.y():.7f},{pt.x():.7f}"]
            elif kind == "crs":
                crs = self.parameterAsCrs(parameters, name, context)
                values = [crs.authid() or crs.toWkt()]
            else:
                text = self.parameterAsString(parameters, name, context)
                values = [v.strip() for v in text.split(";") if v.strip()] if (p["repeatable"] or p["values"] is None) else [text]
            values = [v for v in values if v not in (None, "")]
            if not values:
                continue
            if p["positional"]:
                positionals.extend(values)
            elif p["values"] and p["values"] > 1:
                for v in values:
                    # Exactly that many values: extra words would become
                    # flags (issue 31 §20: "--csv-series x.csv" in BETWEEN).
                    words = v.split()
                    if len(words) != p["values"]:
                        raise QgsProcessingException(
                            f"{p['flag']} takes {p['values']} values ({' '.join(p['value_names'])}), got {len(words)}: {v!r}"
                        )
                    argv.extend([p["flag"], *words])
            else:
                for v in values:
                    argv.extend([p["flag"], v])
        # Copied layers carry their source's status (or "unknown"), unless
        # the user's Status names their role; one status per role, the least
        # certain where copies of one role differ.
        if any(p["flag"] == "--status" for p in self.command["parameters"]):
            given = {argv[i + 1].split("=", 1)[0] for i, a in enumerate(argv[:-1]) if a == "--status"}
            order = ["observed", "unknown", "approximate", "illustrative"]
            by_role = {}
            for role, st in self.copied:
                if role and role not in given:
                    by_role[role] = max(by_role.get(role, "observed"), st, key=order.index)
            for role, st in sorted(by_role.items()):
                argv.extend(["--status", f"{role}={st}"])
        if has_output and any(p["flag"] == "--force" for p in self.command["parameters"]):
            argv.append("--force")
        if positionals:
            argv.append("--")
            argv.extend(positionals)
        return argv, outputs

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 (QGIS's name)
        tmp = tempfile.mkdtemp(prefix="delimit-processing-")
        try:
            argv, outputs = self.command_line(parameters, context, feedback, tmp)
            feedback.pushCommandInfo(" ".join(_quote(a) for a in argv))
            code, stdout, errors = run(argv, feedback, tmp)
        finally:
            # Copies of layers live only as long as the run.
            shutil.rmtree(tmp, ignore_errors=True)
        if code is None:
            raise QgsProcessingException("delimit was cancelled: nothing was written")
        # Exit 1 without an error line is a verdict (check found errors in the
        # data, a village row was not found): the run itself succeeded.
        if code != 0 and (errors or code != 1):
            raise QgsProcessingException("\n".join(errors) or f"delimit stopped with exit code {code}")
        results = dict(outputs)
        results["EXIT_CODE"] = code
        results["JSON"] = stdout
        try:
            summary = json.loads(stdout) if stdout.strip() else {}
        except ValueError:
            summary = {}
        if isinstance(summary, dict):
            if "features_written" in summary:
                results["FEATURES_WRITTEN"] = summary["features_written"]
            for out_name, _, f in SUMMARIES.get(self.command["name"], []):
                results[out_name] = f(summary)
            if self.command["name"] == "qgis":
                results["PROJECT"] = summary.get("project")
                results["GPKG"] = summary.get("gpkg")
        # Every caveat of the inputs (ILLUSTRATIVE, APPROXIMATE, status
        # unknown) is a warning in the log, as the CLI's note: lines are.
        prov = summary.get("provenance") if isinstance(summary, dict) else None
        for note in (prov or {}).get("notes", []):
            feedback.pushWarning(f"note: {note}")
        if code == 1:
            feedback.reportError(VERDICTS.get(self.command["name"], VERDICT), False)
        return results


# Exit 1 without an error line is a verdict, not a failure: what it means
# for each command.
VERDICT = "delimit returned a verdict (exit 1), not an error: see the JSON output"
VERDICTS = {
    "check": "delimit check found errors in the data (exit 1): see the JSON output",
    "village": "some rows were not answered (no match, ambiguous, invalid or outside the data; exit 1): see the JSON output",
    "corridor_measure": "a route fails a constraint (a FAIL verdict; exit 1): see the JSON output",
    "corridor_route": "a route fails a constraint (a FAIL verdict; exit 1): see the JSON output",
}


def _quote(a):
    return a if a and all(c.isalnum() or c in "-_./=,:@" for c in a) else "'" + a.replace("'", "'\\''") + "'"


def run(argv, feedback, cwd):
    """Run delimit; returns (exit code or None if cancelled, stdout, error lines).

    Progress lines ({"progress": …}) drive the feedback; notes go to the log;
    error:/cause:/hint: lines are returned for the Processing error.
    """
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    lines = queue.Queue()
    out = []

    def read_stderr():
        for raw in proc.stderr:
            lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        lines.put(None)

    def read_stdout():
        out.append(proc.stdout.read().decode("utf-8", "replace"))

    threads = [threading.Thread(target=read_stderr, daemon=True), threading.Thread(target=read_stdout, daemon=True)]
    for t in threads:
        t.start()
    errors, step = [], None
    done = False
    while not done:
        if feedback.isCanceled():
            # SIGTERM: delimit removes its temporary files and exits; its
            # outputs are renamed into place only at the end, so none appear.
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for t in threads:
                t.join(timeout=5)
            proc.stdout.close()
            proc.stderr.close()
            return None, "", []
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        if line is None:
            done = True
            continue
        if line.startswith("{"):
            try:
                pr = json.loads(line).get("progress", {})
            except ValueError:
                pr = {}
            if pr.get("step") and pr["step"] != step and pr["step"] != "done":
                step = pr["step"]
                feedback.setProgressText(step)
            if pr.get("percent") is not None:
                feedback.setProgress(pr["percent"])
            continue
        if line.startswith(("error:", "cause:", "hint:")):
            errors.append(line)
        elif line.startswith(("note:", "warning:")):
            feedback.pushInfo(line)
        else:
            feedback.pushConsoleInfo(line)
    code = proc.wait()
    for t in threads:
        t.join()
    proc.stdout.close()
    proc.stderr.close()
    return code, "".join(out), errors
