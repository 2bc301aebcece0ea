package experiment

import (
	"math"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/eig/testproblems"
)

// TestTopSpectrumMagnitude checks that Fig. 7's top-k spectrum holds the
// eigenvalues of largest magnitude (spec §4.3: subspace iteration; §4.4:
// the fit is to |λ_n|), negative ones included, in descending |λ|.
func TestTopSpectrumMagnitude(t *testing.T) {
	for _, c := range []struct {
		name   string
		values []float64
		k      int
		want   []float64
	}{
		{"negative second", []float64{10, -8, 3, 2, 1, 0.5, -0.1, 0.05}, 3, []float64{10, -8, 3}},
		{"negative first", []float64{4, -9, 1, 0.5, 0.25, -0.2, 0.1, 0.01}, 2, []float64{-9, 4}},
		{"all positive", []float64{7, 5, 3, 1, 0.5, 0.2, 0.1, 0.01}, 4, []float64{7, 5, 3, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := config.Hessian{TopK: c.k, Tol: 1e-10}
			r, err := topSpectrum(testproblems.Diagonal(c.values), h, 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Values) != len(c.want) {
				t.Fatalf("got %d values %v, want %v", len(r.Values), r.Values, c.want)
			}
			for i, w := range c.want {
				if math.Abs(r.Values[i]-w) > 1e-8*math.Abs(w) {
					t.Errorf("value %d = %v, want %v (all %v)", i, r.Values[i], w, r.Values)
				}
			}
		})
	}
}
