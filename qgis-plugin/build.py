#!/usr/bin/python3
"""Build the installable zip of the QGIS plugin (`make plugin`).

    python3 qgis-plugin/build.py BINARY OUT.zip

The zip holds delimit_processing/ (the code, metadata.txt, icon, licence)
and help/<algorithm>.txt, each the `--help` of the command the algorithm
runs, from BINARY. Entries are sorted and stamped with one fixed time, so
that the same sources and binary give the same bytes.
"""
import json
import os
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "delimit_processing"
FILES = ["__init__.py", "plugin.py", "provider.py", "algorithm.py", "binary.py", "names.py", "metadata.txt", "icon.svg", "LICENSE"]
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def main():
    binary, out = sys.argv[1:3]
    description = json.loads(subprocess.run([binary, "describe", "--json"], capture_output=True, check=True).stdout)
    entries = {}
    for name in FILES:
        with open(os.path.join(HERE, PACKAGE, name), "rb") as f:
            entries[f"{PACKAGE}/{name}"] = f.read()
    sys.path.insert(0, HERE)
    from delimit_processing.names import algorithm_name
    for command in description["commands"]:
        if not command["analysis"]:
            continue
        text = subprocess.run(
            [binary, *command["argv"], "--help"], capture_output=True, check=True, env={**os.environ, "COLUMNS": "100"}
        ).stdout
        entries[f"{PACKAGE}/help/{algorithm_name(command)}.txt"] = text
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, entries[name])
    os.replace(tmp, out)
    print(f"wrote {out}: {len(entries)} files, delimit {description['version']}")


if __name__ == "__main__":
    main()
