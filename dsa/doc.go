// Package dsa compares dynamical systems by their fitted linear dynamics
// (dynamical similarity analysis, DSA; Ostrow, Eisen, Kozachkov and Fiete,
// "Beyond Geometry: Comparing the Temporal Structure of Computation in
// Neural Circuits with Dynamical Similarity Analysis", NeurIPS 2023) and
// measures how strongly a sequence of Jacobians contracts (matrix measures,
// or log-norms, in the identity metric and in an optimised diagonal
// metric). It works on trajectories and matrices only; it imports no other
// package of this module. Everything is float64 on gonum.
//
// # Dynamical similarity
//
// A system is observed as trials, each a T×n matrix of states (one row per
// time step). Embed builds the delay embedding (Hankel matrix) of a trial
// with NDelays copies spaced by Interval steps, most recent first:
//
//	row t = [x_{t+(d−1)τ}, x_{t+(d−2)τ}, …, x_t],  t = 0 … T−(d−1)τ−1
//
// (the layout of the reference implementation, github.com/mitchellostrow/DSA,
// embed_signal_torch). Fit stacks the embeddings of all trials into H
// (M×D), takes its thin SVD H = U S Vᵀ and uses the first r columns of U as
// the whitened eigen-time-delay coordinates z_t (the reference's "V"), as
// HAVOK/DMD does. It then fits the linear operator A (r×r) of
// z_{t+1} ≈ A z_t by least squares over consecutive rows of the same trial,
// with an optional ridge λ‖A‖²_F: principal-component regression, a
// reduced-rank linear fit whose rank is r. r is FitSettings.Rank, or the
// smallest rank holding a fraction FitSettings.Energy of Σ s_i², never
// above the numerical rank of H.
//
// Two systems are compared by the Procrustes distance over vector fields
//
//	d(A_x, A_y) = min over orthogonal C of ‖A_x − C A_y Cᵀ‖_F
//
// and its angular form, the angle θ ∈ [0, π] between A_x and C A_y Cᵀ as
// vectors (cos θ = ⟨A_x, C A_y Cᵀ⟩_F/(‖A_x‖_F ‖A_y‖_F)); the reference
// reports θ in radians as its "angular" score. Because ‖C A_y Cᵀ‖_F =
// ‖A_y‖_F, one C minimises both. Compare minimises ‖A_x − C A_y Cᵀ‖²_F over
// the orthogonal group by Riemannian gradient descent: C ← C·cay(−τΩ) with
// the Cayley transform cay(X) = (I − X/2)⁻¹(I + X/2) of the skew-symmetric
// gradient Ω = skew(Cᵀ∇F), a Barzilai–Borwein trial step and non-monotone
// Armijo backtracking (the curvilinear search of Wen and Yin, 2013). It starts from
// the identity, from a reflection (the Cayley transform never leaves the
// connected component of its start, and O(n) has two), from the
// eigenbases of the symmetric parts aligned (exact up to signs for
// conjugate pairs; the signs by greedy flips) and from Haar-random
// orthogonal matrices of alternating determinant, and keeps the best:
// deterministic for a given Seed. Both scores are metrics on similarity
// classes (d(A, B) = d(B, A) and the triangle inequality hold at the global
// minimum). The reference normalises A_x and A_y to unit Frobenius norm in
// place before optimising, so its "euclidean" score is ‖Â_x − C Â_y Cᵀ‖_F =
// 2 sin(θ/2); Procrustes.Normalized is that number.
//
// Similarity-invariant lower bounds: for any orthogonal C,
// ‖A_x − C A_y Cᵀ‖_F ≥ |tr A_x − tr A_y|/√n (the trace is similarity
// invariant and |tr E| ≤ √n ‖E‖_F) and ≥ |‖A_x‖_F − ‖A_y‖_F|; LowerBound
// returns the larger. For normal A_x and A_y the Hoffman–Wielandt
// inequality gives the sharper bound min over matchings π of
// (Σ|λ_i(A_x) − λ_π(i)(A_y)|²)^{1/2}, with equality for symmetric matrices.
//
// # Contraction
//
// LogNorm2 is the matrix measure induced by the 2-norm, μ₂(J) = λ_max((J +
// Jᵀ)/2); LogNormInf is μ∞(J) = max_i (J_ii + Σ_{j≠i} |J_ij|). In a
// diagonal metric D (x ↦ Dx), μ∞(D J D⁻¹) = max_i (J_ii + Σ_{j≠i} |J_ij|
// d_i/d_j). OptimalDiagonalInf minimises max_t μ∞(D J_t D⁻¹) over positive
// diagonal D for a set of Jacobians J_t, a convex problem in log D (each row
// term is a sum of exponentials of differences of log d). With v = 1/d and
// the Metzler majorants M_t (diagonal J_ii, off-diagonal |J_ij|) the
// objective is max_i T(v)_i/v_i − c, where T(v) = max_t (M_t + cI) v
// (componentwise) is monotone and positively homogeneous. The solver is the
// nonlinear power iteration v ← T(v)/max T(v). It was chosen because every
// iterate gives both an achieved value (the objective at D = diag(1/v), an
// upper bound) and a certificate min_i T(v)_i/v_i − c, a lower bound on the
// optimum (T(v) ≥ λv implies that the growth rate of T, which bounds the
// objective at every v from below, is at least λ), so the optimality gap
// is known; it needs only matrix-vector products, and its first iterate is
// the identity metric, so the result is never worse than D = I.
package dsa
