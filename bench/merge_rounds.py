"""Merges hyperfine JSON exports of interleaved rounds (bench/run.sh `hfi`).

Usage: merge_rounds.py OUT NAME... -- ROUND.json...

Each round ran the same commands (named NAME..., in any order); OUT gets
one result per name, in the order given, with every round's times and the
statistics hyperfine reports (mean, sample stddev, median, min, max)
recomputed over all of them.
"""

import json
import statistics
import sys

args = sys.argv[1:]
out, rest = args[0], args[1:]
sep = rest.index("--")
names, files = rest[:sep], rest[sep + 1 :]
merged = {n: {"command": n, "times": [], "exit_codes": [], "user": 0.0, "system": 0.0} for n in names}
for path in files:
    with open(path) as f:
        for r in json.load(f)["results"]:
            m = merged[r["command"]]
            runs = len(r["times"])
            m["times"].extend(r["times"])
            m["exit_codes"].extend(r.get("exit_codes") or [])
            # hyperfine gives the mean user and system time of the round.
            m["user"] += (r.get("user") or 0.0) * runs
            m["system"] += (r.get("system") or 0.0) * runs
results = []
for n in names:
    m = merged[n]
    t = m["times"]
    m["mean"] = statistics.fmean(t)
    m["stddev"] = statistics.stdev(t) if len(t) > 1 else None
    m["median"] = statistics.median(t)
    m["min"], m["max"] = min(t), max(t)
    m["user"] /= len(t)
    m["system"] /= len(t)
    m["rounds"] = len(files)
    results.append(m)
with open(out, "w") as f:
    json.dump({"results": results}, f, indent=2)
