package shapes

import "fmt"

// Gemm is one benchmarked product C = op(A)·op(B) of row-major matrices
// with tight leading dimensions: op(A) is M×K and op(B) is K×N, A is
// stored transposed (K×M) when TA is set and B (N×K) when TB is set.
type Gemm struct {
	TA, TB  bool
	M, N, K int
}

// RNNGemms returns the RNN's shapes with batch 256 and 128 or 512 units:
// forward h·Wᵀ (NT), input projection with 2 and 28 inputs (NT), backward
// deltas δ·W (NN) and weight gradients δᵀ·h over the batch (TN, K = 256);
// and the forward step of the 100-unit networks (edge tiles in N).
func RNNGemms() []Gemm {
	return []Gemm{
		{false, true, 256, 128, 128},
		{false, true, 256, 512, 512},
		{false, true, 256, 128, 2},
		{false, true, 256, 128, 28},
		{false, true, 256, 512, 28},
		{false, true, 256, 100, 100},
		{false, false, 256, 128, 128},
		{false, false, 256, 512, 512},
		{true, false, 128, 128, 256},
		{true, false, 512, 512, 256},
	}
}

// Op returns the operation's BLAS-style name: "NT" for op(A) = A and
// op(B) = Bᵀ, and so on.
func (g Gemm) Op() string {
	s := func(t bool) string {
		if t {
			return "T"
		}
		return "N"
	}
	return s(g.TA) + s(g.TB)
}

// Name returns the benchmark name of the shape, "op=NT/m=256/n=128/k=128".
func (g Gemm) Name() string {
	return fmt.Sprintf("op=%s/m=%d/n=%d/k=%d", g.Op(), g.M, g.N, g.K)
}

// Layout returns the leading dimensions of A and B and their lengths in
// elements as stored (C is M×N with leading dimension N).
func (g Gemm) Layout() (lda, ldb, lenA, lenB int) {
	lda, ldb = g.K, g.N
	aRows, bRows := g.M, g.K
	if g.TA {
		lda, aRows = g.M, g.K
	}
	if g.TB {
		ldb, bRows = g.K, g.N
	}
	return lda, ldb, aRows * lda, bRows * ldb
}

// Flops returns the floating-point operations of one product, 2·M·N·K.
func (g Gemm) Flops() float64 {
	return 2 * float64(g.M) * float64(g.N) * float64(g.K)
}
