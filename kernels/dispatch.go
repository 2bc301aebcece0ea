package kernels

// funcs holds one implementation of every kernel. tables[l] is filled for
// each level l at package initialisation and never changed afterwards; the
// active level selects one of them.
type funcs struct {
	// Level 1.
	sdot  func(x, y []float32) float32
	ddot  func(x, y []float64) float64
	saxpy func(y []float32, alpha float32, x []float32)
	daxpy func(y []float64, alpha float64, x []float64)
	sscal func(x []float32, alpha float32)
	dscal func(x []float64, alpha float64)

	// Finite-difference HVP helpers.
	saxpyTo     func(dst []float32, alpha float32, x, y []float32)
	daxpyTo     func(dst []float64, alpha float64, x, y []float64)
	sscaledDiff func(dst []float32, scale float32, a, b []float32)
	dscaledDiff func(dst []float64, scale float64, a, b []float64)

	// Elementwise.
	srelu func(dst, mask, src []float32)
	drelu func(dst, mask, src []float64)
	smul  func(dst, a, b []float32)
	dmul  func(dst, a, b []float64)

	// Matrix-vector.
	sgemvN func(y []float32, alpha float32, a []float32, lda int, x []float32, beta float32)
	dgemvN func(y []float64, alpha float64, a []float64, lda int, x []float64, beta float64)
	sgemvT func(y []float32, alpha float32, a []float32, lda int, x []float32, beta float32)
	dgemvT func(y []float64, alpha float64, a []float64, lda int, x []float64, beta float64)
	sger   func(a []float32, lda int, alpha float32, x, y []float32)
	dger   func(a []float64, lda int, alpha float64, x, y []float64)

	// Matrix-matrix. At the assembly levels sgemm and dgemm are the blocked
	// driver of sgemmMicro and dgemmMicro, which hold every function the
	// driver calls (micro-kernels, half-width kernels, packs); GemmReLU
	// reads them directly. They are nil at levels without a micro-kernel.
	// TestRequiresCoveredByLevel walks into them.
	sgemm      func(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	dgemm      func(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
	sgemmMicro *gemmMicro[float32]
	dgemmMicro *gemmMicro[float64]

	// Eligibility traces.
	strace func(e []float32, lde int, g []float32, ldg int, c, d, p, q, v []float32)
	dtrace func(e []float64, lde int, g []float64, ldg int, c, d, p, q, v []float64)
}

// tables holds the implementation of every level. Entries of a level the
// build or CPU cannot run keep the generic functions. Every function a level
// calls is reachable from its entry, so that one test can check them all
// against the level's CPU features; there is no other per-level state.
var tables [numLevels]funcs

func init() {
	for l := range tables {
		tables[l] = genericFuncs()
	}
	bindAsm(&tables)
}

// genericFuncs returns the pure-Go reference implementations.
func genericFuncs() funcs {
	return funcs{
		sdot: dotGeneric[float32], ddot: dotGeneric[float64],
		saxpy: axpyGeneric[float32], daxpy: axpyGeneric[float64],
		sscal: scalGeneric[float32], dscal: scalGeneric[float64],
		saxpyTo: axpyToGeneric[float32], daxpyTo: axpyToGeneric[float64],
		sscaledDiff: scaledDiffGeneric[float32], dscaledDiff: scaledDiffGeneric[float64],
		srelu: reluGeneric[float32], drelu: reluGeneric[float64],
		smul: mulGeneric[float32], dmul: mulGeneric[float64],
		sgemvN: gemvNGeneric[float32], dgemvN: gemvNGeneric[float64],
		sgemvT: gemvTGeneric[float32], dgemvT: gemvTGeneric[float64],
		sger: gerGeneric[float32], dger: gerGeneric[float64],
		sgemm: gemmGeneric[float32], dgemm: gemmGeneric[float64],
		strace: traceGeneric[float32], dtrace: traceGeneric[float64],
	}
}
