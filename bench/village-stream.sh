#!/usr/bin/env bash
# Questions per second through one loaded process: `delimit village --file -`
# answering every settlement name of the embedded sample (872 names, in
# file order, repeated to N lines), against the same process given no lines
# (load and exit only). Throughput after load = N / (t_N - t_0).
#
#   bench/village-stream.sh [N] [RUNS] [EXE]
#
# Prints the median of RUNS wall times for 0 and N lines, and the rate.
# Names only; coordinates cost about the same (the name lookup is a map).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n=${1:-10000}
runs=${2:-10}
exe=${3:-$root/target/release/delimit}
cd "$root"
[ "$exe" != "$root/target/release/delimit" ] || cargo build --release --locked >/dev/null 2>&1
python3 - "$n" "$runs" "$exe" <<'PY'
import json, statistics, subprocess, sys, time
n, runs, exe = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
names = [f["properties"]["name"] for f in json.load(open("data/settlements.geojson"))["features"]]
lines = "".join(names[i % len(names)] + "\n" for i in range(n)).encode()
def wall(data):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run([exe, "village", "--file", "-"], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ts.append(time.perf_counter() - t)
        if r.returncode not in (0, 1):
            sys.exit(f"exit {r.returncode}: {r.stderr.decode()}")
    out = r.stdout.decode().splitlines()
    return statistics.median(ts), out
t0, _ = wall(b"")
tn, out = wall(lines)
assert len(out) == n, (len(out), n)
status = {}
for l in out:
    s = json.loads(l)["status"]; status[s] = status.get(s, 0) + 1
print(f"load only (0 lines):   {t0*1000:8.1f} ms (median of {runs})")
print(f"{n} names:           {tn*1000:8.1f} ms (median of {runs})")
print(f"after load:            {n/(tn-t0):8.0f} names/s  statuses: {status}")
PY
