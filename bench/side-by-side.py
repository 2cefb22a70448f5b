#!/usr/bin/env python3
"""Two delimit binaries timed side by side, interleaved so that both see the
same machine noise: median of ROUNDS rounds, each the median of RUNS runs.

    python3 bench/side-by-side.py OLD_BINARY NEW_BINARY [ROUNDS] [RUNS]

Prints one line per command with both medians and their ratio (new / old).
"""
import statistics
import subprocess
import sys
import time

old, new = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
COMMANDS = [["--version"], ["village", "Voskepar"], ["village", "--at", "41.07,45.00"], ["gaps"]]


def wall(exe, args):
    subprocess.run([exe] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm the cache
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([exe] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append((time.perf_counter() - t) * 1000)
    return statistics.median(ts)


for args in COMMANDS:
    o, n = [], []
    for _ in range(rounds):
        o.append(wall(old, args))
        n.append(wall(new, args))
    mo, mn = statistics.median(o), statistics.median(n)
    print(f"{' '.join(args):<28} old {mo:7.1f} ms  new {mn:7.1f} ms  new/old {mn / mo:5.2f}")
