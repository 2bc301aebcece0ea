"""Writes numpy_net.npz with NumPy's own np.savez, for TestLoadNumPyNPZ.

Run from this directory: /usr/bin/python3 make_numpy_npz.py
The network: In=2, N=3, Out=2, float32 weights with a zero W_rec diagonal,
one ALIF unit, leak 0.25, cross-entropy at every step.
"""
import numpy as np

W_in = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
W_rec = np.array([[0, 1, 2], [3, 0, 4], [5, 6, 0]], dtype=np.float32) / 10
W_out = -np.arange(6, dtype=np.float32).reshape(2, 3) / 10
b_out = np.array([0.5, -0.5], dtype=np.float32)
beta = np.array([0, 1.8, 0], dtype=np.float64)
np.savez("numpy_net.npz", W_in=W_in, W_rec=W_rec, W_out=W_out, b_out=b_out, beta=beta,
         leak=np.float64(0.25), tau_a=np.float64(20.0), loss_kind=np.int64(1), loss_timing=np.int64(1),
         seed=np.uint64(12345))
