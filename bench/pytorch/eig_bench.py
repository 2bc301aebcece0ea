#!/usr/bin/python3
"""PyTorch power iteration on the exact operator of the eig benchmarks
(eig/rnn_bench_test.go, BenchmarkSeqMNISTLeading): the leading eigenvalue
of the W_rec Hessian of the seqMNIST-size network (In 28, N 128, Out 10,
ReLU, no leak, cross-entropy at the last of T = 28 steps, mean over
B = 256) at its initialisation with W_rec scaled by 1 and by 0.5.

The network, the batch and hessrnn's reference values come from the Go test
TestDumpSeqMNISTOperator (HESSRNN_DUMP_OPERATOR=dir, see
eig/pytorch_dump_test.go); without --dir this script runs it into a
temporary directory. The forward pass is loss_fn of bptt_bench.py; the
Hessian-vector product is double backward: the gradient g of the loss with
respect to W_rec with create_graph=True once ("setup"), then per product
the gradient of (g·v).sum(). Power iteration is the paper's loop (spec
§4.2): v = randn(N, N), v /= ‖v‖, then w = Hv, v = w/‖w‖, λ = ⟨v, w⟩,
until |λ − λ_prev| ≤ 1e-6 (λ_prev starts at 0), at most 500 products.

Before timing, in float64, it checks the PyTorch operator against the
dump: loss, gradient per block, one product H·start, and power iteration
from the same start vector as eig.Power in the Go test (same number of
products, same λ). A mismatch above --tol (relative) exits with status 1.

Then, for each scale and float32/float64, it runs --rounds rounds of
setup + power iteration on one thread, from eig.Power's start vector for
Seed 1 (the benchmark's, so float64 makes the same products; --start go,
the default) or from torch.randn with seed --seed + round (--start randn),
and prints medians of wall and CPU time, the products (with their range),
λ and CPU ms per product.

--compare also runs the Go benchmarks (BenchmarkSeqMNISTLeading,
BenchmarkSeqMNISTNewHVP, BenchmarkSeqMNISTHVP/k=1; GOMAXPROCS=1), one Go
run per round interleaved with the PyTorch rounds, and prints one Markdown
table of both. Times exclude the setup (hessrnn: rnn.NewHVP, the forward
and BPTT pass, with a reused workspace; PyTorch: forward and gradient with
create_graph=True), which has its own column. Run it pinned to one core:

  taskset -c 0 /usr/bin/python3 bench/pytorch/eig_bench.py --compare --rounds 5
"""
import argparse
import json
import os
import re
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
from timing import measure, require_fast_blas  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCALES = ["1", "0.5"]


def dump(root, out):
    """Writes the operators with the Go test TestDumpSeqMNISTOperator."""
    env = dict(os.environ, HESSRNN_DUMP_OPERATOR=out)
    subprocess.run(["go", "test", "-count=1", "-run", "^TestDumpSeqMNISTOperator$", "./eig"],
                   cwd=root, env=env, check=True, capture_output=True, text=True)


class Operator:
    """The network, batch and Go reference values of one W_rec scale."""

    def __init__(self, d, scale):
        base = os.path.join(d, f"seqmnist_wrec{scale}")
        net = np.load(base + "_net.npz")
        # loss_fn is the plain ReLU network with the loss at the last step;
        # refuse a dump of any other configuration.
        cfg = {k: net[k].item() for k in ("leak", "b_thr", "l2", "loss_kind", "loss_timing")}
        if cfg != {"leak": 0.0, "b_thr": 0.0, "l2": 0.0, "loss_kind": 1, "loss_timing": 0} or net["beta"].any():
            sys.exit(f"{base}_net.npz: configuration {cfg} is not the plain ReLU, cross-entropy-at-the-last-step "
                     "network of loss_fn")
        self.weights = [net[k] for k in ("W_in", "W_rec", "W_out", "b_out")]
        batch = np.load(base + "_batch.npz")
        self.x = batch["x"]
        self.labels = batch["labels"][-1]  # the loss reads the last step only
        self.check = dict(np.load(base + "_check.npz"))
        with open(base + "_ref.json") as f:
            self.ref = json.load(f)
        self.scale = scale

    def hvp(self, dtype):
        """Runs the forward pass and the gradient with create_graph=True and
        returns (loss, gradients, product function v -> Hv)."""
        params = [torch.tensor(w, dtype=dtype).requires_grad_() for w in self.weights]
        n = params[1].shape[0]
        mask = 1 - torch.eye(n, dtype=dtype)
        x = torch.tensor(self.x, dtype=dtype)
        labels = torch.tensor(self.labels)
        loss = loss_fn(params, mask, x, labels)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        g = grads[1]

        def apply(v):
            (hv,) = torch.autograd.grad(g, params[1], grad_outputs=v, retain_graph=True)
            return hv
        return loss, grads, apply


def power(apply, v, tol=1e-6, max_iter=500):
    """The paper's power iteration (spec §4.2) from v; returns (λ, products)."""
    v = v / v.norm()
    lam_prev = 0.0
    for i in range(1, max_iter + 1):
        w = apply(v)
        v = w / w.norm()
        lam = (v * w).sum().item()
        if abs(lam - lam_prev) <= tol:
            return lam, i
        lam_prev = lam
    print(f"warning: power iteration reached {max_iter} iterations", file=sys.stderr)
    return lam, max_iter


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def verify(op, tol):
    """Compares the float64 PyTorch operator with the Go dump; returns the
    report lines and whether every quantity is within tol."""
    ref, chk = op.ref, op.check
    loss, grads, apply = op.hvp(torch.float64)
    rows = [("loss", loss.item(), ref["loss"])]
    gnorm = torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)).item()
    rows.append(("‖grad‖", gnorm, ref["grad_norm"]))
    gerr = max((g.detach().numpy() - chk["grad_" + k]).__abs__().max() / max(np.abs(chk["grad_" + k]).max(), 1e-300)
               for g, k in zip(grads, ("W_in", "W_rec", "W_out", "b_out")))
    start = torch.tensor(chk["start"])
    hv = apply(start).detach().numpy()
    hverr = np.linalg.norm(hv - chk["hv"]) / np.linalg.norm(chk["hv"])
    lam, its = power(apply, start)
    rows.append(("power λ (eig.Power's start)", lam, ref["power"]["abs"]))
    ok = True
    lines = [f"W_rec×{op.scale}: float64 PyTorch vs hessrnn dump"]
    for name, a, b in rows:
        r = rel(a, b)
        ok &= r <= tol
        lines.append(f"  {name:28s} {a:.15g} vs {b:.15g}  rel {r:.1e}")
    for name, r in (("grad blocks (max |Δ|/max)", gerr), ("H·start (‖Δ‖/‖Hv‖)", hverr)):
        ok &= r <= tol
        lines.append(f"  {name:28s} rel {r:.1e}")
    same = its == ref["power"]["applies"]
    ok &= same
    lines.append(f"  power products from eig.Power's start: {its} vs {ref['power']['applies']}"
                 f"{'' if same else '  MISMATCH'}")
    lines.append(f"  (power λ vs Lanczos at 1e-10: rel {rel(lam, ref['lambda']):.1e}, the error of the paper's rule)")
    return lines, ok


def run_torch(op, dtype, seed):
    """One round: setup and power iteration from eig.Power's start vector
    (seed None) or from randn(seed); returns a dict of wall/CPU ms,
    products and λ."""
    (_, _, apply), sw, sc = measure(lambda: op.hvp(dtype))
    if seed is None:
        v0 = torch.tensor(op.check["start"], dtype=dtype)
    else:
        n = op.weights[1].shape[0]
        v0 = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    (lam, its), pw, pc = measure(lambda: power(apply, v0))
    return {"setup_wall": sw, "setup_cpu": sc, "wall": pw, "cpu": pc, "applies": its, "lambda": lam}


BENCH_LINE = re.compile(r"^Benchmark(\S+)\s+\d+\s+([\d.]+) ns/op(.*)$")


def run_go(binary):
    """One run of the Go benchmarks; returns {name: {metric: value}} with
    wall ms/op as "wall"."""
    env = dict(os.environ, GOMAXPROCS="1")
    out = ""
    for pat, n in (("^BenchmarkSeqMNIST(NewHVP|HVP)$/^(ws=.*|k=1)$", "10x"), ("^BenchmarkSeqMNISTLeading$", "3x")):
        p = subprocess.run([binary, "-test.run", "^$", "-test.bench", pat, "-test.benchtime", n, "-test.cpu", "1"],
                           cwd=os.path.join(ROOT, "eig"), env=env, capture_output=True, text=True, check=True)
        out += p.stdout
    res = {}
    for line in out.splitlines():
        m = BENCH_LINE.match(line)
        if not m:
            continue
        vals = {"wall": float(m.group(2)) / 1e6}
        for v, unit in re.findall(r"(-?[\d.e+]+) (\S+)", m.group(3)):
            vals[unit] = float(v)
        res[m.group(1)] = vals
    if not res:
        sys.exit(f"could not parse Go output:\n{out}")
    return res


def med(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", help="dump directory (default: run the Go dump test into a temporary one)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--start", choices=["go", "randn"], default="go",
                    help="start vector: eig.Power's (Seed 1, as BenchmarkSeqMNISTLeading) or torch.randn")
    ap.add_argument("--seed", type=int, default=1, help="first seed of torch.randn (round i: seed+i)")
    ap.add_argument("--tol", type=float, default=1e-6, help="relative tolerance of the float64 check")
    ap.add_argument("--compare", action="store_true", help="also run the Go benchmarks, interleaved")
    ap.add_argument("--root", default=ROOT, help="module to run the Go test and benchmarks from")
    a = ap.parse_args()
    torch.set_num_threads(1)
    require_fast_blas()
    torch.set_num_interop_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        d = a.dir
        if d is None:
            d = os.path.join(tmp, "dump")
            dump(a.root, d)
        ops = [Operator(d, s) for s in SCALES]
        ok = True
        for op in ops:
            lines, good = verify(op, a.tol)
            ok &= good
            print("\n".join(lines))
        binary = None
        if a.compare:
            binary = os.path.join(tmp, "eig.test")
            subprocess.run(["go", "test", "-c", "-o", binary, "./eig"], cwd=a.root, check=True)
        torch_runs = {(op.scale, dt): [] for op in ops for dt in ("float32", "float64")}
        go_runs = []
        for i in range(a.rounds):
            if binary:
                go_runs.append(run_go(binary))
            for op in ops:
                for dt, dtype in (("float32", torch.float32), ("float64", torch.float64)):
                    torch_runs[(op.scale, dt)].append(run_torch(op, dtype, None if a.start == "go" else a.seed + i))
        print(f"\ntorch {torch.__version__}, {torch.get_num_threads()} thread; {a.rounds} rounds, medians; "
              f"affinity {sorted(os.sched_getaffinity(0))}; PyTorch start: "
              f"{'eig.Power Seed 1' if a.start == 'go' else f'randn seeds {a.seed}..{a.seed + a.rounds - 1}'}\n")
        print("| W_rec | method | products | λ | rel. err. λ | wall ms | CPU ms | CPU ms/product | setup CPU ms "
              "| PyTorch f32 power ÷ this, CPU (excl. / incl. setup) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for op in ops:
            # (method, (products median, min, max), λ, rel. err., wall, CPU,
            # CPU per product, setup CPU), medians over rounds
            rows = []
            if go_runs:
                name = f"wrec×{op.scale}"
                setup = med(r["SeqMNISTNewHVP/ws=reused"]["cpu-ms/op"] for r in go_runs)
                for m, key in (("power", "power"), ("lanczos", "lanczos"), ("lanczos-paper", "lanczos_paper"),
                               ("lanczos-tol1e-3", "lanczos_tol1e-3")):
                    rs = [r[f"SeqMNISTLeading/{name}/{m}"] for r in go_runs]
                    app = med(r["applies"] for r in rs)
                    if app != op.ref[key]["applies"]:
                        print(f"warning: {name}/{m}: the benchmark made {app:.0f} products, the dump "
                              f"{op.ref[key]['applies']}", file=sys.stderr)
                    # The benchmark reports the error, the dump the value
                    # (the same deterministic computation).
                    rows.append((f"hessrnn {m} (float64)", (app, app, app), op.ref[key]["abs" if m == "power" else "value"],
                                 10 ** med(r["log10-relerr"] for r in rs), med(r["wall"] for r in rs),
                                 med(r["cpu-ms/op"] for r in rs), med(r["cpu-ms/op"] / r["applies"] for r in rs), setup))
            for dt in ("float32", "float64"):
                rs = torch_runs[(op.scale, dt)]
                lam = med(r["lambda"] for r in rs)
                apps = [r["applies"] for r in rs]
                rows.append((f"PyTorch power ({dt})", (med(apps), min(apps), max(apps)), lam,
                             rel(abs(lam), abs(op.ref["lambda"])), med(r["wall"] for r in rs),
                             med(r["cpu"] for r in rs), med(r["cpu"] / r["applies"] for r in rs),
                             med(r["setup_cpu"] for r in rs)))
            base = next(r for r in rows if r[0] == "PyTorch power (float32)")
            for m, (app, lo, hi), lam, err, wall, cpu, per, setup in rows:
                apps = f"{app:g}" if lo == hi else f"{app:g} ({lo}–{hi})"
                print(f"| ×{op.scale} | {m} | {apps} | {lam:.10g} | {err:.0e} | {wall:.1f} | {cpu:.1f} | "
                      f"{per:.2f} | {setup:.1f} | {base[5] / cpu:.2f}× / {(base[5] + base[7]) / (cpu + setup):.2f}× |")
        if go_runs:
            hv = med(r["SeqMNISTHVP/k=1"]["cpu-ms/vector"] for r in go_runs)
            new = med(r["SeqMNISTNewHVP/ws=new"]["cpu-ms/op"] for r in go_runs)
            print(f"\nhessrnn: BenchmarkSeqMNISTHVP/k=1 (W_rec×1) {hv:.2f} CPU ms per float64 product; setup "
                  f"(rnn.NewHVP: forward and BPTT) with a reused workspace as in the table, {new:.1f} CPU ms with "
                  "a new one (BenchmarkSeqMNISTNewHVP/ws=new, 10 calls in a new process: page faults)")
            print("PyTorch setup: forward and the W_rec gradient with create_graph=True")
        if not ok:
            sys.exit("float64 check against the hessrnn dump FAILED (see above)")


if __name__ == "__main__":
    main()
