// Package eig analyses the curvature of a loss landscape through a symmetric
// linear operator H, typically a Hessian-vector product, without ever forming
// H. It implements the methods of METHOD.md §4 (Liu et al., NeurIPS
// 2022):
//
//   - Power: power iteration exactly as the paper's code ran it (absolute
//     tolerance 1e-6 on the change of ‖Hv‖, at most 500 iterations, random
//     normal start) and a PyHessian-style relative mode.
//   - Lanczos: Lanczos with full reorthogonalisation and thick restarts for
//     the top-k, bottom-k or largest-magnitude eigenpairs with a Ritz-residual
//     stopping rule. Leading is the default method for the leading
//     eigenvalue.
//   - Subspace: simultaneous iteration with QR, the paper's "generalised
//     power method", using BlockOperator when the operator provides it.
//   - Hutchinson: trace estimation with Rademacher probes; SLQ: stochastic
//     Lanczos quadrature spectral density with Gaussian smoothing (PyHessian).
//   - FitRank and FitCSN: power-law decay of the top eigenvalues by the
//     weighted log-log rank fit of Stringer et al. and by the
//     Clauset-Shalizi-Newman maximum-likelihood method; FitPowerLaw
//     reports both.
//   - RelativeFlatness and RelativeFlatnessHutchinson: relative flatness of
//     a weight matrix (Petzka et al. 2021), exact and unbiased stochastic.
//   - Alignment: the energy fraction of a vector in a top-k eigenspace.
//
// Power, Lanczos, Leading and Subspace answer in one type, Result: the
// eigenvalues in Values (the leading one is Values[0]), their vectors,
// residuals, Status and the number of operator applications. Power returns
// it inside a PowerResult, with its own estimate ‖Hv‖ (Abs) beside it.
//
// # Operators
//
// An Operator has Dim() and Apply(dst, src []float64) with dst = H src. Apply
// must not retain src or dst and must not modify src. An operator whose
// product can fail (for example a Hessian-vector product that diverges) may
// also implement FallibleOperator; the methods then call ApplyErr and return
// its error wrapped in an *OperatorError. Independently, every product is
// checked for NaN and Inf and a non-finite entry stops the method with a
// *NotFiniteError (errors.Is(err, ErrNotFinite)). An operator that can apply
// H to k vectors at once more cheaply implements BlockOperator, whose block
// layout is k×Dim with one vector per row (so each vector is a contiguous
// []float64). The exact Hessian operator of package rnn (rnn.HVP.Operator)
// has these methods, so it is a BlockOperator without either package
// importing the other; the integration is tested in this package's external
// tests.
//
// # Conventions
//
// Settings structs mean their documented defaults when zero. Every method is
// a pure function of the operator, its settings and Settings.Seed (a
// math/rand/v2 PCG stream); no method reads global state, prints, or depends
// on GOMAXPROCS. Progress can be observed through a Recorder. Running into an
// iteration cap is not an error: the result's Status says IterationLimit or
// ApplyLimit. Errors are returned for invalid settings (*SettingsError),
// mismatched dimensions (*DimError), invalid data (*ValueError) and operator
// failures.
//
// Eigenvectors are returned as the columns of a Dim×k *mat.Dense, following
// mat.EigenSym.
package eig
