package dsa

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var sinkProcrustes Procrustes

// BenchmarkCompare times one DSA distance (8 starts, the dynamics
// experiment's settings) between random r×r operators, the cost that the
// n(n−1)/2 pairs of an experiment multiply.
func BenchmarkCompare(b *testing.B) {
	for _, r := range []int{5, 10, 20} {
		b.Run(fmt.Sprintf("r=%d", r), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(r)))
			A, B := randMat(r, rng), randMat(r, rng)
			A.Scale(0.3, A)
			B.Scale(0.3, B)
			iters := 0
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				sinkProcrustes, _ = Compare(A, B, ProcrustesSettings{Starts: 8, Tol: 1e-9, Seed: 1})
				iters += sinkProcrustes.Iterations
			}
			b.ReportMetric(float64(iters)/float64(b.N), "iters/op")
		})
	}
}

var sinkModel *Model

// BenchmarkFit times the fit of one network's trajectories at the DMS
// probe size (68 trials of 20–36 steps, 100 units, 4 delays, rank 10).
func BenchmarkFit(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 3))
	var trials []mat.Matrix
	for k := 0; k < 68; k++ {
		x := mat.NewDense(20+k%17, 100, nil)
		for i := range x.RawMatrix().Data {
			x.RawMatrix().Data[i] = rng.Float64()
		}
		trials = append(trials, x)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkModel, _ = Fit(trials, FitSettings{NDelays: 4, Rank: 10, Ridge: 1e-8})
	}
}
