// Package testproblems provides symmetric test operators with known spectra
// for the eig package, in the manner of gonum's optimize/functions: dense
// matrices Q diag(λ) Qᵀ with a Haar-random orthogonal Q, named spectra
// (definite, indefinite, clustered, spread, power-law, negative-dominant),
// and a diagonal operator for large dimensions.
//
// The package does not import eig; Diagonal satisfies eig.Operator
// structurally.
package testproblems
