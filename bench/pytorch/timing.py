"""Timing helpers shared by the PyTorch benchmarks in this directory
(bptt_bench.py, eig_bench.py): wall and process CPU time of a callable.

The development machine is shared and noisy, so callers repeat
measurements and report medians; CPU time (time.process_time, all threads
of this process, which runs torch on one thread) is steadier than wall
time under load.
"""
import time


def measure(fn):
    """Calls fn() once and returns (its result, wall ms, CPU ms)."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    w1, c1 = time.perf_counter(), time.process_time()
    return out, (w1 - w0) * 1e3, (c1 - c0) * 1e3


def timeit(fn, iters):
    """Calls fn() once to warm up, then iters times, and returns the mean
    wall and CPU milliseconds per call."""
    fn()  # warm-up
    _, wall, cpu = measure(lambda: [fn() for _ in range(iters)])
    return wall / iters, cpu / iters
