"""The `delimit` Processing provider: one algorithm per delimit analysis."""
import os

from qgis.core import Qgis, QgsMessageLog, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from . import binary
from .algorithm import DelimitAlgorithm

HERE = os.path.dirname(__file__)


class DelimitProvider(QgsProcessingProvider):
    def __init__(self):
        super().__init__()
        self.description = None
        self.error = None

    def id(self):
        return "delimit"

    def name(self):
        return "delimit"

    def longName(self):  # noqa: N802 (QGIS's name)
        v = self.description["version"] if self.description else "not found"
        return f"delimit {v}: land-boundary delimitation"

    def icon(self):
        return QIcon(os.path.join(HERE, "icon.svg"))

    def defaultVectorFileExtension(self, hasGeometry=True):  # noqa: N802, N803 (QGIS's names)
        # GeoPackage: delimit writes its default style into it (layer_styles).
        return "gpkg"

    def supportedOutputVectorLayerExtensions(self):  # noqa: N802 (QGIS's name)
        return ["gpkg", "geojson", "fgb", "shp", "csv"]

    def supportedOutputRasterLayerExtensions(self):  # noqa: N802 (QGIS's name)
        return ["tif"]

    def loadAlgorithms(self):  # noqa: N802 (QGIS's name)
        self.description, self.error = None, None
        try:
            exe = binary.find_binary()
            self.description = binary.describe(exe)
        except binary.BinaryError as e:
            # The toolbox shows no delimit algorithms; the log says why.
            self.error = str(e)
            QgsMessageLog.logMessage(self.error, "delimit", Qgis.Critical)
            return
        for command in self.description["commands"]:
            if command["analysis"]:
                self.addAlgorithm(DelimitAlgorithm(exe, command, self.description.get("globals", [])))
