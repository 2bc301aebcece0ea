package rules

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// FeedbackDist is the distribution of RFLO's fixed random feedback matrix B
// (METHOD.md §2.5; the paper does not give it).
type FeedbackDist int

const (
	// FeedbackWOut draws B like W_out's initialisation under the network's
	// Config.Init, so that the signal scale at initialisation matches
	// symmetric e-prop: FeedbackGlorot for the "code" scheme (the paper's),
	// FeedbackMurray for "murray". The default (zero value).
	FeedbackWOut FeedbackDist = iota
	// FeedbackGlorot draws B ~ U(−√(6/(N+N_out)), +√(6/(N+N_out))), W_out's
	// "code" initialisation.
	FeedbackGlorot
	// FeedbackNormalOut draws B ~ N(0, 1/N_out) (the RFLO reference).
	FeedbackNormalOut
	// FeedbackNormalN draws B ~ N(0, 1/N) (the e-prop tutorial).
	FeedbackNormalN
	// FeedbackMurray draws B ~ 0.1·U(−1, 1)/√N, W_out's "murray"
	// initialisation.
	FeedbackMurray
	numFeedback
)

var feedbackNames = [numFeedback]string{"w-out", "glorot", "normal-out", "normal-n", "murray"}

// String returns w-out, glorot, normal-out, normal-n or murray.
func (d FeedbackDist) String() string {
	if d >= 0 && d < numFeedback {
		return feedbackNames[d]
	}
	return fmt.Sprintf("FeedbackDist(%d)", int(d))
}

// ParseFeedbackDist returns the distribution named s.
func ParseFeedbackDist(s string) (FeedbackDist, error) {
	return parseName("feedback distribution", s, FeedbackWOut, FeedbackGlorot, FeedbackNormalOut, FeedbackNormalN, FeedbackMurray)
}

// Resolve returns the concrete distribution d stands for in a network with
// initialisation scheme init (rnn.Config.Init): FeedbackWOut becomes
// FeedbackMurray for rnn.InitMurray and FeedbackGlorot otherwise; the other
// distributions are returned unchanged.
func (d FeedbackDist) Resolve(init rnn.Init) FeedbackDist {
	if d != FeedbackWOut {
		return d
	}
	if init == rnn.InitMurray {
		return FeedbackMurray
	}
	return FeedbackGlorot
}

// feedbackStream is the PCG stream of the feedback matrix.
const feedbackStream = 0xd1b54a32d192ed03

// FeedbackMatrix draws RFLO's feedback matrix for n units and out readouts
// from seed. It is returned as an out×n row-major matrix, the layout of
// W_out, so the learning signal is L = ∂L/∂y · Bᵀ-as-stored; entry [o*n+i]
// is B_io of METHOD.md §2.5. FeedbackWOut draws as for the "code"
// initialisation; resolve it against the network first (Resolve).
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
	case FeedbackMurray:
		rnn.DrawWOut(m, rnn.InitMurray, n, out, rng)
	default:
		rnn.DrawWOut(m, rnn.InitCode, n, out, rng)
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
