"""Finding the delimit binary, reading its description, and checking its version."""
import json
import os
import shutil
import subprocess

from qgis.core import QgsSettings

#: The setting that names the binary (Settings > Options > Processing >
#: Providers > delimit, or QgsSettings().setValue).
SETTING = "delimit_processing/binary"
#: The environment variable that names the binary, before the setting.
ENV = "DELIMIT_BINARY"
#: The versions of delimit this plugin was built for: same major and minor.
SUPPORTED = "0.1"


class BinaryError(Exception):
    """The binary is missing, does not run, or is another version."""


def find_binary():
    """The binary: $DELIMIT_BINARY, else the setting, else `delimit` on PATH."""
    for candidate in (os.environ.get(ENV), QgsSettings().value(SETTING, "", type=str)):
        if candidate:
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
            raise BinaryError(
                f"the delimit binary `{candidate}` (from {'$' + ENV if candidate == os.environ.get(ENV) else 'the setting ' + SETTING}) "
                "does not exist or is not executable"
            )
    found = shutil.which("delimit")
    if found:
        return found
    raise BinaryError(
        "the delimit binary is not on PATH; install it (cargo install --path . in delimit's source) "
        f"or set its path in the QGIS setting {SETTING} or in ${ENV}"
    )


def describe(binary):
    """What `delimit describe --json` prints, parsed; checks the version."""
    try:
        out = subprocess.run([binary, "describe", "--json"], capture_output=True, check=False, timeout=60)
    except OSError as e:
        raise BinaryError(f"could not run `{binary}`: {e}") from e
    if out.returncode != 0:
        raise BinaryError(
            f"`{binary} describe --json` failed (exit {out.returncode}): {out.stderr.decode('utf-8', 'replace').strip()}; "
            f"this plugin needs delimit {SUPPORTED}.x, which has `describe`"
        )
    d = json.loads(out.stdout.decode("utf-8"))
    check_version(d.get("version", ""))
    return d


def check_version(version):
    """Refuse a binary whose major.minor differs from SUPPORTED, saying why."""
    if ".".join(version.split(".")[:2]) != SUPPORTED:
        raise BinaryError(
            f"the delimit binary is version {version or 'unknown'}, and this plugin supports {SUPPORTED}.x: "
            "its parameters may differ; install the plugin built with that binary (`make plugin` in its source)"
        )
