#!/usr/bin/python3
"""λ_max along a real seqMNIST training trajectory: PyTorch's power
iteration as the authors' code runs it (a cold random start at every
checkpoint, spec §4.2) against hessrnn's default (Lanczos warm-started
from the previous checkpoint's eigenvector, float64), on the same networks
and Hessian batches.

The trajectory is a `hessrnn run ... --save-weights` run (its result JSON,
OUT/<run ID>.json, and OUT/weights/<run ID>/iter-*.npz). The Go test
TestDumpSeqMNISTTrajectory (eig/trajectory_dump_test.go) writes, for each
checkpoint, the Hessian batch the run used (a fresh validation minibatch
of 256, spec §4.6), a check vector and hessrnn's values into a dump
directory with a manifest.json; without --dir this script runs it into a
temporary directory from --run.

The operator is the W_rec Hessian of the run's loss: the plain ReLU network
of bptt_bench.loss_fn (cross-entropy at the last step, W_rec's diagonal
masked) plus the L2 term l2/2·(‖W_in‖² + ‖W_rec‖² + ‖W_out‖²), as hessrnn
computes it. Hessian-vector products are double backward (gradient with
create_graph=True once per checkpoint, the "setup", then one backward per
product). Power iteration is the paper's loop: v = randn(N, N) (diagonal
zeroed, so that it lies in the operator's domain as hessrnn's vectors do),
v /= ‖v‖, then w = Hv, v = w/‖w‖, λ = ⟨v, w⟩ until |λ − λ_prev| ≤ 1e-6
(λ_prev starts at 0), at most 500 products.

Before timing, in float64, it checks the PyTorch operator at every
checkpoint against the dump: the loss and H·start (relative ≤ --tol, which
defaults to 1e-10 here). Every timed float64 power iteration's |λ| must
agree with hessrnn's λ_max (Lanczos at residual 1e-10·‖H‖) to --lam-tol
(default 1e-6) relative, else the script exits with status 1; float32's
error is reported.

Each of --rounds rounds runs, one after another: hessrnn's default chain
(the Go test TestTimeSeqMNISTTrajectory, GOMAXPROCS=1, which times itself
in CPU time), then PyTorch float32 and float64 power iteration at every
checkpoint from the round's random starts (torch.randn with seed
--seed + 1000·round + checkpoint). It prints medians over rounds: products
per checkpoint, CPU time per checkpoint and over the whole trajectory,
with and without the setup, and the ratio PyTorch ÷ hessrnn. Run it pinned
to one core:

  taskset -c 0 /usr/bin/python3 bench/pytorch/along_training.py --run OUT/<run ID>.json --compare --rounds 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bptt_bench import loss_fn  # noqa: E402
from eig_bench import power, rel  # noqa: E402
from timing import measure, require_fast_blas  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BLOCKS = ("W_in", "W_rec", "W_out", "b_out")


def dump(root, run, out):
    """Writes the trajectory with the Go test TestDumpSeqMNISTTrajectory."""
    env = dict(os.environ, HESSRNN_DUMP_TRAJECTORY=out, HESSRNN_TRAJECTORY_RUN=os.path.abspath(run))
    p = subprocess.run(["go", "test", "-count=1", "-run", "^TestDumpSeqMNISTTrajectory$", "./eig"],
                       cwd=root, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"TestDumpSeqMNISTTrajectory failed:\n{p.stdout}{p.stderr}")


class Checkpoint:
    """The network, Hessian batch and hessrnn's values at one checkpoint."""

    def __init__(self, d, ref, l2):
        net = np.load(ref["weights"])
        cfg = {k: net[k].item() for k in ("leak", "b_thr", "loss_kind", "loss_timing")}
        if cfg != {"leak": 0.0, "b_thr": 0.0, "loss_kind": 1, "loss_timing": 0} or net["beta"].any():
            sys.exit(f"{ref['weights']}: configuration {cfg} is not the plain ReLU, cross-entropy-at-the-last-step "
                     "network of loss_fn")
        if net["l2"].item() != l2:
            sys.exit(f"{ref['weights']}: l2 {net['l2'].item()}, the manifest says {l2}")
        self.weights = [net[k] for k in BLOCKS]
        b = np.load(os.path.join(d, ref["batch"]))
        self.x, self.labels = b["x"], b["labels"][-1]  # the loss reads the last step only
        self.start, self.hv = b["start"], b["hv"]
        self.ref, self.l2, self.iteration = ref, l2, ref["iteration"]

    def hvp(self, dtype):
        """Forward pass and gradient with create_graph=True; returns (loss,
        product function v -> Hv)."""
        params = [torch.tensor(w, dtype=dtype).requires_grad_() for w in self.weights]
        n = params[1].shape[0]
        mask = 1 - torch.eye(n, dtype=dtype)
        loss = loss_fn(params, mask, torch.tensor(self.x, dtype=dtype), torch.tensor(self.labels))
        if self.l2:
            loss = loss + self.l2 / 2 * sum((p * p).sum() for p in params[:3])
        (g,) = torch.autograd.grad(loss, params[1], create_graph=True)

        def apply(v):
            (hv,) = torch.autograd.grad(g, params[1], grad_outputs=v, retain_graph=True)
            return hv
        return loss, apply


def verify(ck, tol):
    """Compares the float64 operator with the dump; returns (line, ok)."""
    loss, apply = ck.hvp(torch.float64)
    le = rel(loss.item(), ck.ref["loss"])
    # hessrnn ignores the diagonal of its input (and zeroes that of its
    # output), the L2 term here would not: mask the start.
    n = ck.start.shape[0]
    hv = apply(torch.tensor(ck.start) * (1 - torch.eye(n, dtype=torch.float64))).detach().numpy()
    he = np.linalg.norm(hv - ck.hv) / np.linalg.norm(ck.hv)
    return f"  iteration {ck.iteration:6d}: loss rel {le:.1e}, H·start rel {he:.1e}", le <= tol and he <= tol


def run_torch(ck, dtype, seed):
    """Setup and the paper's power iteration from a random start; returns a
    dict of CPU ms, products and λ."""
    (_, apply), _, sc = measure(lambda: ck.hvp(dtype))
    n = ck.weights[1].shape[0]
    v0 = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=dtype) * (1 - torch.eye(n, dtype=dtype))
    (lam, its), _, pc = measure(lambda: power(apply, v0))
    return {"setup_cpu": sc, "cpu": pc, "applies": its, "lambda": lam}


def run_go(binary, run, out):
    """One timed run of hessrnn's default chain; returns its checkpoints."""
    env = dict(os.environ, GOMAXPROCS="1", HESSRNN_TRAJECTORY_RUN=os.path.abspath(run), HESSRNN_TIME_TRAJECTORY=out)
    subprocess.run([binary, "-test.run", "^TestTimeSeqMNISTTrajectory$", "-test.count", "1"],
                   cwd=os.path.join(ROOT, "eig"), env=env, check=True, capture_output=True, text=True)
    with open(out) as f:
        return [{"setup_cpu": c["setup_cpu_ms"], "cpu": c["solve_cpu_ms"], "applies": c["applies"], "lambda": c["lambda"]}
                for c in json.load(f)]


def med(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="result JSON of a seqmnist run made with --save-weights")
    ap.add_argument("--dir", help="dump directory of TestDumpSeqMNISTTrajectory (default: dump --run into a temporary one)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1, help="seed of torch.randn: seed + 1000·round + checkpoint")
    ap.add_argument("--tol", type=float, default=1e-10, help="relative tolerance of the loss and H·start check")
    ap.add_argument("--lam-tol", type=float, default=1e-6, help="relative tolerance of float64 λ against hessrnn's")
    ap.add_argument("--compare", action="store_true", help="also time hessrnn's default chain (needs --run), interleaved")
    ap.add_argument("--root", default=ROOT, help="module to run the Go tests from")
    a = ap.parse_args()
    if a.dir is None and a.run is None:
        ap.error("give --run or --dir")
    if a.compare and a.run is None:
        ap.error("--compare needs --run")
    if a.rounds < 1:
        ap.error(f"--rounds {a.rounds}: allowed range [1, ∞)")
    torch.set_num_threads(1)
    require_fast_blas()
    torch.set_num_interop_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        d = a.dir
        if d is None:
            d = os.path.join(tmp, "dump")
            dump(a.root, a.run, d)
        with open(os.path.join(d, "manifest.json")) as f:
            man = json.load(f)
        cks = [Checkpoint(d, r, man["l2"]) for r in man["checkpoints"]]
        print(f"{man['run']}: {len(cks)} checkpoints, iterations {cks[0].iteration}..{cks[-1].iteration}")
        ok = True
        for ck in cks:
            line, good = verify(ck, a.tol)
            ok &= good
            print(line + ("" if good else "  MISMATCH"))
        binary = None
        if a.compare:
            binary = os.path.join(tmp, "eig.test")
            subprocess.run(["go", "test", "-c", "-o", binary, "./eig"], cwd=a.root, check=True)
        methods = (["hessrnn default (warm Lanczos, float64)"] if binary else []) + \
            ["PyTorch power, cold (float32)", "PyTorch power, cold (float64)"]
        runs = {m: [] for m in methods}  # method -> rounds -> checkpoints -> dict
        for i in range(a.rounds):
            if binary:
                runs[methods[0]].append(run_go(binary, a.run, os.path.join(tmp, f"go{i}.json")))
            for m, dtype in ((methods[-2], torch.float32), (methods[-1], torch.float64)):
                runs[m].append([run_torch(ck, dtype, a.seed + 1000 * i + j) for j, ck in enumerate(cks)])
        # λ agreement: every float64 solve (PyTorch and hessrnn) against the
        # reference λ_max of the dump.
        worst = {}
        for m in methods:
            worst[m] = max(rel(abs(c["lambda"]), abs(ck.ref["lambda"])) for r in runs[m] for c, ck in zip(r, cks))
            if "float64" in m and worst[m] > a.lam_tol:
                ok = False
                print(f"{m}: |λ| differs from hessrnn's λ_max by {worst[m]:.1e} relative (> {a.lam_tol:g})")
        print(f"\ntorch {torch.__version__}, 1 thread; {a.rounds} rounds, medians; affinity "
              f"{sorted(os.sched_getaffinity(0))}; load average {os.getloadavg()[0]:.1f} at the end\n")
        print("| iteration | λ_max | " + " | ".join(f"{m}: products, CPU ms" for m in methods) + " |")
        print("|---:|---:|" + "---:|" * len(methods))
        for j, ck in enumerate(cks):
            cells = []
            for m in methods:
                cs = [r[j] for r in runs[m]]
                cells.append(f"{med(c['applies'] for c in cs):g}, {med(c['cpu'] + c['setup_cpu'] for c in cs):.0f}")
            print(f"| {ck.iteration} | {ck.ref['lambda']:.6g} | " + " | ".join(cells) + " |")
        print("\n| method | products per checkpoint (median) | products, total | CPU s, total (solve / with setup) "
              "| CPU ms per product | largest rel. err. of \\|λ\\| | this ÷ hessrnn (CPU, with setup) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        tot = {}
        for m in methods:
            rs = runs[m]
            solve = med(sum(c["cpu"] for c in r) for r in rs) / 1e3
            full = med(sum(c["cpu"] + c["setup_cpu"] for c in r) for r in rs) / 1e3
            prods = med(sum(c["applies"] for c in r) for r in rs)
            per = med(med(c["applies"] for c in r) for r in rs)
            tot[m] = (solve, full, prods, per)
        for m in methods:
            solve, full, prods, per = tot[m]
            ratio = f"{full / tot[methods[0]][1]:.2f}× ({solve / tot[methods[0]][0]:.2f}× solve only)" if binary else "–"
            print(f"| {m} | {per:g} | {prods:g} | {solve:.2f} / {full:.2f} | {1e3 * solve / prods:.1f} | "
                  f"{worst[m]:.0e} | {ratio} |")
        if not ok:
            sys.exit("check against the hessrnn dump FAILED (see above)")


if __name__ == "__main__":
    main()
