"""delimit for QGIS Processing: delimit's analyses in the Processing toolbox.

The algorithms are built from `delimit describe --json`, which the binary
reads from its own command-line definition, so that the toolbox offers
exactly the parameters the installed binary accepts.
"""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import DelimitPlugin

    return DelimitPlugin(iface)
