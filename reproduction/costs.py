#!/usr/bin/python3
"""costs.py OUT [TASK...]: the cost of a "hessrnn run paper" output folder,
read from its result files, as the rows of BENCHMARKS.md's "Whole
experiments" table.

For each task folder (default: every one in OUT) it prints one row per
experiment and rule label (selection runs as experiment "select"): the number of runs, how many finished and diverged, the summed
run wall time (`wall_seconds`) and the median wall time per finished run,
and the machines (`simd` level) they were computed at. Then the invocation
records of OUT/invocations/: their summed wall time and CPUs.

Wall times are per run; at --jobs 2 two runs share the machine, so a
phase's wall time is about half of its summed run time.
"""
import glob
import json
import os
import statistics
import sys
from collections import defaultdict
from datetime import datetime


def fmt_h(sec):
    return f"{sec / 3600:.2f} h"


def fmt_m(sec):
    return f"{sec / 60:.1f} min" if sec >= 60 else f"{sec:.0f} s"


def task_rows(folder):
    rows = defaultdict(list)
    files = glob.glob(os.path.join(folder, "*.json")) + glob.glob(os.path.join(folder, "selection", "*.json"))
    for f in files:
        name = os.path.basename(f)
        if name.startswith(".") or name == "selection.json":
            continue
        try:
            with open(f) as fh:
                r = json.load(fh)
        except (OSError, ValueError) as e:
            print(f"{f}: {e}", file=sys.stderr)
            continue
        if not isinstance(r, dict) or "config" not in r:
            continue
        exp = r.get("experiment", "?")
        label = r.get("label", "?")
        rows[(exp, label)].append(r)
    return rows


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: costs.py OUT [TASK...]")
    out = sys.argv[1]
    tasks = sys.argv[2:] or sorted(
        d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d)) and d != "invocations"
    )
    for t in tasks:
        rows = task_rows(os.path.join(out, t))
        if not rows:
            continue
        print(f"\n{t}\n")
        print("| experiment | rule | runs | finished / diverged | summed run wall time | median per finished run | SIMD |")
        print("|---|---|---:|---:|---:|---:|---|")
        total = 0.0
        for (exp, label), rs in sorted(rows.items()):
            walls = [r.get("wall_seconds") or 0 for r in rs]
            state = [r.get("status", {}).get("state", "?") for r in rs]
            fin = [w for w, s in zip(walls, state) if s == "finished"]
            med = fmt_m(statistics.median(fin)) if fin else "—"
            simd = ", ".join(sorted({r.get("simd", "?") for r in rs}))
            total += sum(walls)
            print(f"| {exp} | {label} | {len(rs)} | {state.count('finished')} / {state.count('diverged')} | "
                  f"{fmt_h(sum(walls))} | {med} | {simd} |")
        print(f"\n{t}: {fmt_h(total)} of summed run wall time")
    recs = []
    for f in sorted(glob.glob(os.path.join(out, "invocations", "*.json"))):
        with open(f) as fh:
            recs.append(json.load(fh))
    if recs:
        wall = 0.0
        for r in recs:
            a = datetime.fromisoformat(r["start"].replace("Z", "+00:00"))
            b = datetime.fromisoformat(r["last"].replace("Z", "+00:00"))
            wall += (b - a).total_seconds()
        cpus = ", ".join(sorted({r.get("cpu", "?") for r in recs}))
        print(f"\ninvocations: {len(recs)}, summed wall time {fmt_h(wall)}; CPUs: {cpus}")


if __name__ == "__main__":
    main()
