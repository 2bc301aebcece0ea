package dynamics

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestARI(t *testing.T) {
	for _, tc := range []struct {
		a, b []int
		want float64
	}{
		{[]int{0, 0, 1, 1}, []int{1, 1, 0, 0}, 1},
		{[]int{0, 0, 1, 1}, []int{0, 1, 0, 1}, -0.5},
		// sklearn's documented example: adjusted_rand_score([0,0,1,2],
		// [0,0,1,1]) = 0.5714285714285715.
		{[]int{0, 0, 1, 2}, []int{0, 0, 1, 1}, 4.0 / 7},
	} {
		if got := ARI(tc.a, tc.b); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("ARI(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// points returns the Euclidean distance matrix of 1-D points.
func points(x []float64) *mat.SymDense {
	d := mat.NewSymDense(len(x), nil)
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			d.SetSym(i, j, math.Abs(x[i]-x[j]))
		}
	}
	return d
}

func TestSeparate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var x []float64
	var labels []int
	for g := 0; g < 3; g++ {
		for i := 0; i < 8; i++ {
			x = append(x, 10*float64(g)+rng.NormFloat64())
			labels = append(labels, g)
		}
	}
	s := Separate(points(x), labels, 999, 1)
	if s.ARI != 1 || s.P > 0.002 || s.ARIP > 0.002 || !(s.Between > s.Within) {
		t.Errorf("separated groups: %+v", s)
	}
	// Labels unrelated to the points: nothing significant.
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	s = Separate(points(x), labels, 999, 1)
	if s.P < 0.01 || s.ARIP < 0.01 {
		t.Errorf("unrelated labels: p = %v, ARI p = %v (ARI %v)", s.P, s.ARIP, s.ARI)
	}
	if got := AverageLinkage(points([]float64{0, 0.1, 5, 5.2, 0.05}), 2); got[0] != got[1] || got[1] != got[4] || got[2] != got[3] || got[0] == got[2] {
		t.Errorf("AverageLinkage: %v", got)
	}
}
