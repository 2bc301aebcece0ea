"""Timing helpers shared by the PyTorch benchmarks in this directory
(bptt_bench.py, eig_bench.py): wall and process CPU time of a callable.

The development machine is shared and noisy, so callers repeat
measurements and report medians; CPU time (time.process_time, all threads
of this process, which runs torch on one thread) is steadier than wall
time under load.
"""
import os
import re
import sys
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


def blas_libraries():
    """Returns the BLAS shared libraries (OpenBLAS, BLIS, MKL or the
    reference libblas) mapped into this process after a float64 matrix
    product, which makes torch load its BLAS."""
    import torch

    torch.ones(8, 8, dtype=torch.float64) @ torch.ones(8, 8, dtype=torch.float64)
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            name = os.path.basename(path).lower()
            if any(k in name for k in ("blas", "blis", "mkl")):
                libs.add(path)
    return sorted(libs)


def require_fast_blas():
    """Prints torch's BLAS to stderr, and exits with an error when it is
    the reference BLAS.

    Debian's python3-torch (BLAS_INFO=generic) calls the system
    libblas.so.3, which is the slow reference implementation unless OpenBLAS
    (libopenblas0-pthread or libopenblas-dev) is installed; timing PyTorch
    against it is not a fair peer. Builds with their own BLAS (pip's torch
    links MKL in) are accepted. Set HESSRNN_ALLOW_REFERENCE_BLAS=1 to time
    the reference BLAS anyway.
    """
    import torch

    info = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    built_in = info.group(1) if info and info.group(1) != "generic" else ""
    libs = blas_libraries()
    fast = built_in or any(k in os.path.basename(p).lower() for p in libs for k in ("openblas", "blis", "mkl"))
    print(f"BLAS: {built_in or ', '.join(libs) or 'none found'}", file=sys.stderr)
    if not fast and os.environ.get("HESSRNN_ALLOW_REFERENCE_BLAS") != "1":
        sys.exit(
            f"torch uses the reference BLAS ({', '.join(libs) or 'no BLAS library found'}): "
            "install OpenBLAS (apt-get install libopenblas0-pthread) for a fair comparison, "
            "or set HESSRNN_ALLOW_REFERENCE_BLAS=1"
        )
