#!/usr/bin/python3
"""PyTorch reference for the rnn package benchmarks (rnn/bench_test.go).

The same rate RNN as hessrnn's rnn package, plain ReLU units, no leak
(paper section 1.1): h^t = W_in x^t + W r^{t-1} with a masked (zero)
diagonal, r^t = relu(h^t), readout y = W_out r^T + b_out, softmax
cross-entropy at the last step, mean over the batch. Float32 (--double:
float64), one thread.

Modes:
  bptt  one training step: forward, backward (autograd), SGD update
  hvp   one exact Hessian-vector product w.r.t. W_rec by double backward,
        reusing the graph of the gradient (create_graph=True once)

Prints one line per measurement: mode, shape, wall ms/step and CPU ms/step.
Run: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bptt_bench.py --mode bptt
(the script also sets the variable itself before importing torch).
"""
import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import torch  # noqa: E402

from timing import require_fast_blas, timeit  # noqa: E402


def build(B, T, n_in, N, n_out, seed=1):
    g = torch.Generator().manual_seed(seed)
    W_in = (torch.randn(N, n_in, generator=g) / (n_in / 2) ** 0.5).requires_grad_()
    W_rec = (torch.randn(N, N, generator=g) / (N / 2) ** 0.5)
    if T > 100:
        W_rec *= 0.5  # as the Go benchmark: keep 784 steps finite
    W_rec.requires_grad_()
    lim = (6 / (N + n_out)) ** 0.5
    W_out = ((torch.rand(n_out, N, generator=g) * 2 - 1) * lim).requires_grad_()
    b_out = torch.zeros(n_out, requires_grad=True)
    x = torch.rand(T, B, n_in, generator=g) * 2 - 1
    labels = torch.randint(0, n_out, (B,), generator=g)
    mask = 1 - torch.eye(N)
    return [W_in, W_rec, W_out, b_out], mask, x, labels


def loss_fn(params, mask, x, labels):
    W_in, W_rec, W_out, b_out = params
    W = W_rec * mask
    T, B, _ = x.shape
    r = torch.zeros(B, W.shape[0], dtype=W.dtype)
    # One input product per step. Indexing a precomputed x @ W_in.t() by
    # step (xin[t]) is 10x slower in backward: each SelectBackward
    # materialises a zero gradient of the whole T×B×N tensor.
    for xt in x.unbind(0):
        r = torch.relu(torch.addmm(xt @ W_in.t(), r, W.t()))
    y = r @ W_out.t() + b_out
    return torch.nn.functional.cross_entropy(y, labels)


def bench_bptt(params, mask, x, labels, iters, lr=1e-3):
    def step():
        loss = loss_fn(params, mask, x, labels)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(lr * g)
    return timeit(step, iters)


def bench_hvp(params, mask, x, labels, iters):
    W_rec = params[1]
    loss = loss_fn(params, mask, x, labels)
    (g,) = torch.autograd.grad(loss, W_rec, create_graph=True)
    v = torch.randn_like(W_rec) * mask

    def step():
        (hv,) = torch.autograd.grad(g, W_rec, grad_outputs=v, retain_graph=True)
        return hv
    return timeit(step, iters)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["bptt", "hvp"], default="bptt")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=28)
    ap.add_argument("--inputs", type=int, default=28)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--outputs", type=int, default=10)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--double", action="store_true", help="float64 instead of float32")
    a = ap.parse_args()
    if a.double:
        torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    require_fast_blas()
    torch.set_num_interop_threads(1)
    params, mask, x, labels = build(a.batch, a.steps, a.inputs, a.hidden, a.outputs)
    fn = bench_bptt if a.mode == "bptt" else bench_hvp
    wall, cpu = fn(params, mask, x, labels, a.iters)
    print(f"pytorch {a.mode} {'float64' if a.double else 'float32'} B={a.batch} T={a.steps} In={a.inputs} N={a.hidden}: "
          f"{wall:.3f} ms/step wall, {cpu:.3f} ms/step cpu (torch {torch.__version__}, threads {torch.get_num_threads()})")


if __name__ == "__main__":
    main()
