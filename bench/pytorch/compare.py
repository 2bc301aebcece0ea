#!/usr/bin/python3
"""Runs the hessrnn rnn benchmarks and their PyTorch equivalents interleaved,
round by round, on one thread each, and prints a Markdown table of medians.

The machine is shared and noisy, so each round runs ours then theirs back to
back, and the table reports the median (and minimum) over rounds of wall and
CPU milliseconds per step.

Usage, from anywhere in the repository:
  /usr/bin/python3 bench/pytorch/compare.py [--rounds 5] [--all]
--all adds N=256, N=512 and T=784 (slow).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (label, Go benchmark regexp, Go iterations, PyTorch args, PyTorch iterations)
CASES = [
    ("BPTT step B=256 T=28 N=128", "BPTTStep/B=256/T=28/N=128$", 20, ["--mode", "bptt"], 10),
    ("BPTT step B=1 T=28 N=128", "BPTTStep/B=1/T=28/N=128$", 2000, ["--mode", "bptt", "--batch", "1"], 200),
    ("HVP W_rec B=256 T=28 N=128", "HVP/B=256/T=28/N=128/k=1$", 20, ["--mode", "hvp"], 10),
    ("HVP W_rec B=256 T=28 N=128 float64", "HVP64/B=256/T=28/N=128/k=1$", 10, ["--mode", "hvp", "--double"], 5),
]
MORE = [
    ("BPTT step B=256 T=28 N=256", "BPTTStep/B=256/T=28/N=256$", 5, ["--mode", "bptt", "--hidden", "256"], 5),
    ("HVP W_rec B=256 T=28 N=256", "HVP/B=256/T=28/N=256/k=1$", 5, ["--mode", "hvp", "--hidden", "256"], 5),
    ("BPTT step B=256 T=28 N=512", "BPTTStep/B=256/T=28/N=512$", 2, ["--mode", "bptt", "--hidden", "512"], 2),
    ("HVP W_rec B=256 T=28 N=512", "HVP/B=256/T=28/N=512/k=1$", 2, ["--mode", "hvp", "--hidden", "512"], 2),
    ("BPTT step B=256 T=784 N=128", "BPTTStep/B=256/T=784/N=128$", 1, ["--mode", "bptt", "--steps", "784", "--inputs", "1"], 1),
    ("HVP W_rec B=256 T=784 N=128", "HVP/B=256/T=784/N=128/k=1$", 1, ["--mode", "hvp", "--steps", "784", "--inputs", "1"], 1),
]


TIME = "/usr/bin/time"


def timed(cmd, env, cwd=None):
    """Runs cmd, returning its stdout and peak resident memory in MB (from
    /usr/bin/time when available, else 0)."""
    rss = 0.0
    if os.path.exists(TIME):
        with tempfile.NamedTemporaryFile("r") as f:
            p = subprocess.run([TIME, "-f", "%M", "-o", f.name] + cmd, env=env, cwd=cwd,
                               capture_output=True, text=True, check=True)
            try:
                rss = float(f.read().split()[-1]) / 1024
            except (ValueError, IndexError):
                rss = 0.0
        return p.stdout, rss
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return p.stdout, rss


def run_go(binary, pattern, iters):
    env = dict(os.environ, GOMAXPROCS="1")
    out, rss = timed([binary, "-test.run", "^$", "-test.bench", "^Benchmark" + pattern,
                      "-test.benchtime", f"{iters}x"], env, cwd=os.path.join(ROOT, "rnn"))
    m = re.search(r"\s([\d.]+) ns/op.*?\s([\d.]+) cpu-ms/op", out)
    if not m:
        sys.exit(f"could not parse Go output:\n{out}")
    return float(m.group(1)) / 1e6, float(m.group(2)), rss


def run_torch(args, iters):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out, rss = timed(["/usr/bin/python3", os.path.join(HERE, "bptt_bench.py"), "--iters", str(iters)] + args, env)
    m = re.search(r"([\d.]+) ms/step wall, ([\d.]+) ms/step cpu", out)
    if not m:
        sys.exit(f"could not parse PyTorch output:\n{out}")
    return float(m.group(1)), float(m.group(2)), rss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--root", default=ROOT, help="module to build the Go benchmarks from (default: this checkout)")
    a = ap.parse_args()
    cases = CASES + (MORE if a.all else [])
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "rnn.test")
        subprocess.run(["go", "test", "-c", "-o", binary, "./rnn"], cwd=a.root, check=True)
        kl = subprocess.run(["go", "run", "./bench/pytorch/level"], cwd=a.root, capture_output=True, text=True)
        print(f"kernels level: {kl.stdout.strip() or 'unknown'}; rounds: {a.rounds}; GOMAXPROCS=1; torch 1 thread\n")
        print("| case | hessrnn wall ms (median/min) | hessrnn cpu ms (median/min) | PyTorch wall ms (median/min) "
              "| PyTorch cpu ms (median/min) | speed-up wall / cpu (medians) | peak RSS MB hessrnn / PyTorch |")
        print("|---|---|---|---|---|---|---|")
        for label, pat, gi, targs, ti in cases:
            ours, theirs = [], []
            for _ in range(a.rounds):
                ours.append(run_go(binary, pat, gi))
                theirs.append(run_torch(targs, ti))
            ow = statistics.median(o[0] for o in ours)
            oc = statistics.median(o[1] for o in ours)
            tw = statistics.median(t[0] for t in theirs)
            tc = statistics.median(t[1] for t in theirs)
            print(f"| {label} | {ow:.3f} / {min(o[0] for o in ours):.3f} | {oc:.3f} / {min(o[1] for o in ours):.3f} | "
                  f"{tw:.3f} / {min(t[0] for t in theirs):.3f} | {tc:.3f} / {min(t[1] for t in theirs):.3f} | "
                  f"{tw / ow:.1f}x / {tc / oc:.1f}x | {max(o[2] for o in ours):.0f} / {max(t[2] for t in theirs):.0f} |",
                  flush=True)


if __name__ == "__main__":
    main()
