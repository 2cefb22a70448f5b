#!/usr/bin/env bash
# Single `delimit village` queries end to end (process start, loading the
# embedded sample, indexes, answer, exit), as a user at a terminal sees them.
#
#   bench/village-single.sh [RUNS]
#
# Prints the median and the slowest of RUNS wall times per query, with two
# threads (the default) and with one, and `delimit --version` as the floor
# (process start alone). Run it on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs=${1:-20}
cd "$root"
cargo build --release --locked >/dev/null 2>&1
python3 - "$runs" <<'PY'
import os, statistics, subprocess, sys, time
runs = int(sys.argv[1])
exe = "target/release/delimit"
queries = [["--version"], ["village", "Voskepar"], ["village", "Artsvashen"], ["village", "Başkənd", "--in", "Gegharkunik"],
           ["village", "Meghri"], ["village", "--at", "41.07,45.00"], ["village", "Voskapar"]]
def wall(args, threads):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    subprocess.run([exe] + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # warm the page cache
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run([exe] + args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ts.append((time.perf_counter() - t) * 1000)
        if r.returncode != 0:
            sys.exit(f"{' '.join(args)} exited {r.returncode}: {r.stderr.decode()}")
    return statistics.median(ts), max(ts)
print(f"{'query':<36} {'2 threads: median / max':>24} {'1 thread: median / max':>24}")
for q in queries:
    (m2, x2), (m1, x1) = wall(q, 2), wall(q, 1)
    print(f"{' '.join(q):<36} {m2:>12.1f} / {x2:>5.1f} ms {m1:>12.1f} / {x1:>5.1f} ms")
PY
