package rules

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hessrnn/hessrnn/kernels"
)

// FeedbackDist is the distribution of RFLO's fixed random feedback matrix B
// (paper §2.5, an UNKNOWN of the paper).
type FeedbackDist int

const (
	// FeedbackGlorot draws B like W_out's default initialisation,
	// U(−√(6/(N+N_out)), +√(6/(N+N_out))), so that the signal scale at
	// initialisation matches symmetric e-prop. The default.
	FeedbackGlorot FeedbackDist = iota
	// FeedbackNormalOut draws B ~ N(0, 1/N_out) (the RFLO reference).
	FeedbackNormalOut
	// FeedbackNormalN draws B ~ N(0, 1/N) (the e-prop tutorial).
	FeedbackNormalN
)

// String returns glorot, normal-out or normal-n.
func (d FeedbackDist) String() string {
	switch d {
	case FeedbackGlorot:
		return "glorot"
	case FeedbackNormalOut:
		return "normal-out"
	case FeedbackNormalN:
		return "normal-n"
	}
	return fmt.Sprintf("FeedbackDist(%d)", int(d))
}

// ParseFeedbackDist returns the distribution named s.
func ParseFeedbackDist(s string) (FeedbackDist, error) {
	for _, d := range []FeedbackDist{FeedbackGlorot, FeedbackNormalOut, FeedbackNormalN} {
		if d.String() == s {
			return d, nil
		}
	}
	return FeedbackGlorot, fmt.Errorf("rules: unknown feedback distribution %q (allowed: glorot, normal-out, normal-n)", s)
}

// feedbackStream is the PCG stream of the feedback matrix.
const feedbackStream = 0xd1b54a32d192ed03

// FeedbackMatrix draws RFLO's feedback matrix for n units and out readouts
// from seed. It is returned as an out×n row-major matrix, the layout of
// W_out, so the learning signal is L = ∂L/∂y · Bᵀ-as-stored; entry [o*n+i]
// is B_io of paper §2.5.
func FeedbackMatrix[T kernels.Float](d FeedbackDist, seed uint64, n, out int) []T {
	rng := rand.New(rand.NewPCG(seed, feedbackStream))
	m := make([]T, out*n)
	switch d {
	case FeedbackNormalOut:
		s := 1 / math.Sqrt(float64(out))
		for i := range m {
			m[i] = T(s * rng.NormFloat64())
		}
	case FeedbackNormalN:
		s := 1 / math.Sqrt(float64(n))
		for i := range m {
			m[i] = T(s * rng.NormFloat64())
		}
	default:
		lim := math.Sqrt(6 / float64(n+out))
		for i := range m {
			m[i] = T(lim * (2*rng.Float64() - 1))
		}
	}
	return m
}

// ContiguousCellTypes assigns n units to k cell types in contiguous blocks
// of (nearly) equal size: unit i gets type ⌊i·k/n⌋.
func ContiguousCellTypes(n, k int) []int {
	k = max(1, min(k, n))
	c := make([]int, n)
	for i := range c {
		c[i] = i * k / n
	}
	return c
}

// cellAverage writes into dst the n×n matrix whose entry (l, i) is the mean
// of the off-diagonal entries of w over the type pair (types[l], types[i]),
// with a zero diagonal.
func cellAverage[T kernels.Float](dst, w []T, n int, types []int) {
	k := 0
	for _, c := range types {
		k = max(k, c+1)
	}
	sum := make([]float64, k*k)
	cnt := make([]float64, k*k)
	for l := 0; l < n; l++ {
		for i := 0; i < n; i++ {
			if l != i {
				p := types[l]*k + types[i]
				sum[p] += float64(w[l*n+i])
				cnt[p]++
			}
		}
	}
	for l := 0; l < n; l++ {
		for i := 0; i < n; i++ {
			p := types[l]*k + types[i]
			if l == i || cnt[p] == 0 {
				dst[l*n+i] = 0
			} else {
				dst[l*n+i] = T(sum[p] / cnt[p])
			}
		}
	}
}
