// Package rnn implements the discrete-time rate recurrent network of Liu et
// al. (NeurIPS 2022): ReLU units with an optional leak, adaptive-threshold
// (ALIF) units, a linear readout, MSE and cross-entropy losses, exact
// gradients by backpropagation through time, and exact and finite-difference
// Hessian-vector products.
package rnn
