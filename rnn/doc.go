// Package rnn implements the discrete-time rate recurrent network of Liu et
// al. (NeurIPS 2022): ReLU units with an optional leak, adaptive-threshold
// (ALIF) units, a linear readout, MSE and cross-entropy losses, exact
// gradients by backpropagation through time, and exact and finite-difference
// Hessian-vector products. Equations and defaults follow
// METHOD.md §1, §2.1 and §4 (at the repository root).
//
// # Model and parameters
//
// Config describes a network (its zero value, apart from the sizes, means
// the documented defaults; Validate names the offending field and range).
// New[T] builds a Network[T] (T is float32 or float64) initialised from
// Config.Seed with the "code" or "murray" scheme. All parameters live in one
// flat vector Network.Params, laid out by Layout as the blocks W_in (N×In),
// W_rec (N×N, zero diagonal), W_out (Out×N) and b_out (Out), each row-major;
// Network.Block, Layout.Blocks, Gather and Scatter give block views and
// packed subsets (ParamSet). Convert switches precision in one call;
// SaveNPZ and LoadNPZ read and write NumPy .npz archives.
//
// # Forward, backward and the trajectory
//
// Forward runs a Batch through the network, stores the trajectory in a
// reusable Workspace and returns the loss; Backward (or Gradient, both at
// once) writes the exact gradient into a flat vector with the layout of
// Params. After warm-up neither allocates. Learning rules read the stored
// trajectory through Workspace.Trajectory: per step t, the rates r^t, the
// pseudo-derivatives ψ^t, the adaptation a^t (ALIF networks), the readout
// y^t and the readout error ∂L/∂y^t (loss normalisation included), the
// inputs x^t, and after Backward the BPTT deltas δ^t = ∂L/∂h^t.
//
// A NaN or Inf in a state or in the loss is returned as *ErrDiverged with
// the step.
//
// # Curvature
//
// NewHVP computes the forward pass and deltas once and returns an HVP whose
// Apply and ApplyBlock give exact Hessian-vector products (Pearlmutter's
// R-operator) with respect to a ParamSet, W_rec by default. ApplyBlock runs
// up to MaxBlock directions together (their tangent recursions stacked into
// one gemm per step) and splits larger blocks, so memory stays bounded; each
// result is bitwise equal to Apply on that vector alone. Operator adapts an
// HVP of either precision to the float64 Operator and BlockOperator shapes of
// package eig. FiniteDiffHVP is the float64 finite-difference reference (its
// step is FDStep·(1+‖w‖)/‖v‖, shrunk when the two points of the difference
// lie on different sides of a ReLU kink, ErrFDKink when that persists down
// to FDMinStep; it refuses float32).
//
// A forward pass stores O(T·B·N) elements and an HVP adds O(T·B·N) per
// direction of a sub-block, both linear in T: about 0.5 GB in float32 for
// pixel-by-pixel MNIST (T = 784, B = 256, N = 128). NewHVPWith with
// HVPOptions.Checkpoint (and NewHVP on its own above
// HVPAutoCheckpointBytes) stores only the states entering every S-th step
// and recomputes each segment of S steps when it is needed: O((S + T/S)·B·N)
// per direction, with bitwise the same products.
//
// # Dynamics
//
// StateStep is the recurrent map on the state s = (h, a_ALIF) in float64,
// StateJacobian its Jacobian (it depends on the state only through the
// ReLU mask), and ContractionOf the matrix measures μ₂ and μ∞ of the
// Jacobians along stored trajectories, max and mean over steps, in the
// identity metric and in the diagonal metric that minimises the maximum μ∞
// (package dsa).
//
// # Determinism and parallelism
//
// The batch is split into fixed chunks of rows (independent of GOMAXPROCS),
// run on persistent helper goroutines; every reduction over the batch or
// time is a kernels.Gemm over all T·B rows (in fixed chunks of rows) or a
// sum in fixed chunk order, so losses, gradients and HVPs are bitwise
// identical for any GOMAXPROCS at a fixed kernels level.
package rnn
