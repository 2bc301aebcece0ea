#!/usr/bin/python3
"""PyTorch equivalents of the hessrnn learning rules, for rules/bench_test.go.

The network is the plain ReLU rate RNN of paper section 1.1 at leak 0 (the
paper's setting): h^t = W_in x^t + W r^{t-1} with a zero diagonal,
r^t = relu(h^t), y^t = W_out r^t + b_out. Float32, one thread. One training
step = forward, the rule's update direction, and an SGD update of all
parameters, as BenchmarkStep times it.

Shapes (the same data layout and initialisation scales as the Go benchmark):
  seqmnist  B=256 T=28 In=28 N=128 Out=10, cross-entropy at the last step
  patgen    B=1   T=50 In=100 N=100 Out=1, MSE at every step

Rules, each written the way a PyTorch user would (autograd where it gives
the rule):
  bptt                 full autograd
  tbptt4               per loss step tau, a graph from detach(r^{tau-4})
                       over the last 4 steps (loss at T only: one window)
  three-factor         stop-gradient e-prop (the authors' custom_mode=1):
                       the recurrent input r^{t-1} is detached
  rf-three-factor      the same with the learning signal through a fixed
                       random feedback matrix (readout gradient exact)
  mdgl                 e-prop plus the one-step term: a second copy of r^t
                       whose gradient reaches W r^{t-1} one step later and
                       stops there
  three-factor-theory  bptt and three-factor on the same batch, BPTT scaled
                       by alpha over W_rec
  *-online             the real-time form: per-synapse traces (B x N x (N+In),
                       the same arithmetic as kernels.TraceBatch, which does
                       not exploit leak 0) advanced every step with the
                       readout error of that step; MDGL adds its one-step
                       term one step late from the previous trace

Prints one line per measurement: rule, shape, wall ms/step, CPU ms/step.
Run: /usr/bin/python3 rules_bench.py --rule three-factor --shape seqmnist
With --compare it runs the Go benchmarks (a test binary built from rules/)
and the PyTorch steps interleaved, round by round, and prints a Markdown
table of medians.
"""
import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

SHAPES = {
    "seqmnist": dict(B=256, T=28, In=28, N=128, Out=10, ce=True),
    "patgen": dict(B=1, T=50, In=100, N=100, Out=1, ce=False),
}
RULES = ["bptt", "tbptt4", "three-factor", "rf-three-factor", "mdgl", "three-factor-theory",
         "three-factor-online", "rf-three-factor-online", "mdgl-online"]


def build(s, seed=1):
    g = torch.Generator().manual_seed(seed)
    B, T, In, N, Out = s["B"], s["T"], s["In"], s["N"], s["Out"]
    W_in = (torch.randn(N, In, generator=g) / (In / 2) ** 0.5).requires_grad_()
    W_rec = (torch.randn(N, N, generator=g) / (N / 2) ** 0.5).requires_grad_()
    lim = (6 / (N + Out)) ** 0.5
    W_out = ((torch.rand(Out, N, generator=g) * 2 - 1) * lim).requires_grad_()
    b_out = torch.zeros(Out, requires_grad=True)
    fb = (torch.rand(Out, N, generator=g) * 2 - 1) * lim  # RFLO feedback, never trained
    if s["ce"]:
        x = torch.rand(T, B, In, generator=g)
        target = torch.randint(0, Out, (B,), generator=g)
    else:
        x = torch.randn(T, B, In, generator=g)
        target = torch.randn(T, B, Out, generator=g)
    mask = 1 - torch.eye(N)
    return [W_in, W_rec, W_out, b_out], fb, mask, x, target


def readout_loss(s, ys, target):
    """ys: list of (t, y^t) at the loss steps; the loss normalisation of rnn."""
    if s["ce"]:
        (_, y), = ys
        return torch.nn.functional.cross_entropy(y, target)
    B, T = s["B"], len(ys)
    tot = 0
    for t, y in ys:
        tot = tot + ((y - target[t]) ** 2).sum()
    return tot / (2 * B * T)


def loss_steps(s):
    return [s["T"] - 1] if s["ce"] else list(range(s["T"]))


def readout(W_out, b_out, fb, r):
    if fb is None:
        return r @ W_out.t() + b_out
    # exact readout gradient; the signal to r goes through fb instead of W_out
    y_w = r.detach() @ W_out.t() + b_out
    y_r = r @ fb.t()
    return y_w + y_r - y_r.detach()


def rule_grads(s, rule, params, fb, mask, x, target):
    W_in, W_rec, W_out, b_out = params
    W = W_rec * mask
    T, B = s["T"], s["B"]
    steps = loss_steps(s)
    last = set(steps)
    xin = x @ W_in.t()
    r = torch.zeros(B, s["N"])
    ys = []
    if rule == "bptt":
        for t in range(T):
            r = torch.relu(xin[t] + r @ W.t())
            if t in last:
                ys.append((t, readout(W_out, b_out, None, r)))
        return torch.autograd.grad(readout_loss(s, ys, target), params)
    if rule == "tbptt4":
        K = 4
        with torch.no_grad():
            rs = [r]
            for t in range(T):
                rs.append(torch.relu(xin[t] + rs[-1] @ W.t()))
        for tau in steps:
            lo = max(0, tau - K + 1)
            rr = rs[lo].detach()
            for t in range(lo, tau + 1):
                rr = torch.relu(xin[t] + rr @ W.t())
            ys.append((tau, readout(W_out, b_out, None, rr)))
        return torch.autograd.grad(readout_loss(s, ys, target), params)
    if rule in ("three-factor", "rf-three-factor"):
        f = fb if rule == "rf-three-factor" else None
        for t in range(T):
            r = torch.relu(xin[t] + r.detach() @ W.t())
            if t in last:
                ys.append((t, readout(W_out, b_out, f, r)))
        return torch.autograd.grad(readout_loss(s, ys, target), params)
    if rule == "mdgl":
        rin = r
        for t in range(T):
            h = xin[t] + rin @ W.t()
            r = torch.relu(h)
            if t in last:
                ys.append((t, readout(W_out, b_out, None, r)))
            # r2 has r's value; its gradient (from h^{t+1} only) flows into
            # W r^{t-1} and stops at the detached r^{t-1}
            r2 = torch.relu(xin[t] + rin.detach() @ W.t())
            rin = r.detach() + r2 - r2.detach()
        return torch.autograd.grad(readout_loss(s, ys, target), params)
    if rule.endswith("-online"):
        return online_grads(s, rule[:-len("-online")], params, fb, mask, x, target)
    if rule == "three-factor-theory":
        g = rule_grads(s, "bptt", params, fb, mask, x, target)
        gh = rule_grads(s, "three-factor", params, fb, mask, x, target)
        alpha = (gh[1] * g[1]).sum() / (g[1] * g[1]).sum()
        return [alpha * gi for gi in g]
    raise ValueError(rule)


def online_grads(s, rule, params, fb, mask, x, target, leak=0.0):
    """The online trace form of three-factor, rf-three-factor and mdgl."""
    W_in, W_rec, W_out, b_out = [p.detach() for p in params]
    W = W_rec * mask
    T, B, N = s["T"], s["B"], s["N"]
    steps = set(loss_steps(s))
    F = fb if rule == "rf-three-factor" else W_out
    M = N + s["In"]
    e, e_prev = torch.zeros(B, N, M), torch.zeros(B, N, M)  # traces at t and t-1
    G = torch.zeros(N, M)
    gOut, gb = torch.zeros_like(W_out), torch.zeros_like(b_out)
    r = torch.zeros(B, N)
    psi_prev = torch.zeros(B, N)
    for t in range(T):
        v = torch.cat([r, x[t]], dim=1)
        h = x[t] @ W_in.t() + r @ W.t()
        r = torch.relu(h)
        psi = (h > 0).to(h.dtype)
        e, e_prev = e_prev, e
        torch.mul(e_prev, leak, out=e)
        if rule == "rf-three-factor":  # p = a p + (1-a) psi_i v_j
            e.add_(psi[:, :, None] * v[:, None, :], alpha=1 - leak)
        else:  # eps = a eps + (1-a) v_j; the trace is psi_i eps
            e.add_(v[:, None, :].expand(B, N, M), alpha=1 - leak)
        if t in steps:
            y = r @ W_out.t() + b_out
            if s["ce"]:
                dy = (torch.softmax(y, 1) - torch.nn.functional.one_hot(target, s["Out"]).to(y.dtype)) / B
            else:
                dy = (y - target[t]) / (B * len(steps))
            gOut += dy.t() @ r
            gb += dy.sum(0)
            L = dy @ F
            sig = L if rule == "rf-three-factor" else L * psi
            G += torch.einsum("bi,bij->ij", sig, e)
            if rule == "mdgl" and t > 0:  # step t-1's one-step term, one step late
                one = (1 - leak) * ((psi * L) @ W) * psi_prev
                G += torch.einsum("bi,bij->ij", one, e_prev)
        psi_prev = psi
    return [G[:, N:], G[:, :N] * mask, gOut, gb]


def step_fn(s, rule, lr=1e-9):
    params, fb, mask, x, target = build(s)

    def step():
        grads = rule_grads(s, rule, params, fb, mask, x, target)
        with torch.no_grad():
            for p, gr in zip(params, grads):
                p.sub_(lr * gr)
    return step


def timeit(fn, iters):
    fn()  # warm-up
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(iters):
        fn()
    w1, c1 = time.perf_counter(), time.process_time()
    return (w1 - w0) / iters * 1e3, (c1 - c0) / iters * 1e3


def run_go(binary, pattern, benchtime):
    env = dict(os.environ, GOMAXPROCS="1")
    out = subprocess.run([binary, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", benchtime,
                          "-test.cpu", "1"], env=env, capture_output=True, text=True, check=True).stdout
    m = re.search(r"\s([\d.]+) ns/op\s+([\d.]+) cpu-ms/op", out)
    if not m:
        sys.exit(f"could not parse Go output for {pattern}:\n{out}")
    return float(m.group(1)) / 1e6, float(m.group(2))


def cases(a):
    """(label, Go benchmark pattern, PyTorch shape, rule) of the comparison."""
    out = []
    for shape in a.shapes.split(","):
        for rule in a.rules.split(","):
            out.append((f"{shape} {rule}", f"^BenchmarkStep$/^shape={shape}$/^rule={rule}$", SHAPES[shape], rule))
    for n in [int(v) for v in a.online_sizes.split(",") if v]:
        for rule in ["three-factor", "rf-three-factor", "mdgl"]:
            sh = dict(SHAPES["patgen"], N=n)
            out.append((f"online B=1 T=50 N={n} {rule}", f"^BenchmarkOnline$/^n={n}$/^rule={rule}$", sh,
                        rule + "-online"))
    return out


def compare(a):
    rows = []
    for label, pattern, shape, rule in cases(a):
        fn = step_fn(shape, rule)
        iters = max(2, int(a.torch_ms / 1e3 / max(timeit(fn, 1)[0] / 1e3, 1e-4)))
        go, pt = [], []
        for _ in range(a.rounds):
            go.append(run_go(a.go, pattern, a.benchtime))
            pt.append(timeit(fn, iters))
        gw = statistics.median(v[0] for v in go)
        gc = statistics.median(v[1] for v in go)
        pw = statistics.median(v[0] for v in pt)
        pc = statistics.median(v[1] for v in pt)
        rows.append((label, gw, gc, pw, pc))
        print(f"{label}: go {gw:.3f}/{gc:.3f} ms, torch {pw:.3f}/{pc:.3f} ms (wall/cpu)", file=sys.stderr, flush=True)
    print("| case | Go wall ms | Go CPU ms | PyTorch wall ms | PyTorch CPU ms | speed-up (CPU) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, gw, gc, pw, pc in rows:
        print(f"| {label} | {gw:.3f} | {gc:.3f} | {pw:.3f} | {pc:.3f} | {pc / gc:.1f}x |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rule", choices=RULES, default="three-factor")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="seqmnist")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--compare", action="store_true", help="interleave with the Go benchmarks")
    ap.add_argument("--go", default="/tmp/rules.test", help="Go test binary (go test -c ./rules/)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--benchtime", default="200ms")
    ap.add_argument("--rules", default=",".join(RULES))
    ap.add_argument("--shapes", default="seqmnist,patgen")
    ap.add_argument("--online-sizes", default="100,256,512", help="N of the online comparison ('' for none)")
    ap.add_argument("--hidden", type=int, default=0, help="override N of --shape")
    ap.add_argument("--torch-ms", type=float, default=300, help="PyTorch time per round")
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    if a.compare:
        compare(a)
        return
    shape = dict(SHAPES[a.shape])
    if a.hidden:
        shape["N"] = a.hidden
    wall, cpu = timeit(step_fn(shape, a.rule), a.iters)
    print(f"pytorch {a.rule} {a.shape} N={shape['N']}: {wall:.3f} ms/step wall, {cpu:.3f} ms/step cpu "
          f"(torch {torch.__version__}, threads {torch.get_num_threads()})")


if __name__ == "__main__":
    main()
