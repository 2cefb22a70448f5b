"""Algorithm names (no QGIS import: the zip builder uses them too)."""

#: Algorithm names that differ from the command's (`delimit qgis` writes a
#: project: `delimit:qgis_project`).
NAMES = {"qgis": "qgis_project"}


def algorithm_name(command):
    """The algorithm's name for a command of `delimit describe --json`."""
    return NAMES.get(command["name"], command["name"])
