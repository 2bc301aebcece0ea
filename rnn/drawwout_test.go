package rnn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestDrawWOut(t *testing.T) {
	const n, out = 40, 3
	for _, tc := range []struct {
		init Init
		lim  float64
	}{
		{InitCode, math.Sqrt(6.0 / (n + out))},
		{InitMurray, 0.1 / math.Sqrt(n)},
	} {
		net, err := New[float64](Config{In: 2, N: n, Out: out, Init: tc.init, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		w := make([]float64, n*out)
		DrawWOut(w, tc.init, n, out, rand.New(rand.NewPCG(5, streamWOut)))
		if !slices.Equal(w, net.WOutM) {
			t.Errorf("%s: DrawWOut differs from the network's W_out", tc.init)
		}
		mx := 0.0
		for _, v := range w {
			mx = max(mx, math.Abs(v))
		}
		if mx >= tc.lim || mx < tc.lim/2 {
			t.Errorf("%s: max |w| = %g, want in [%g, %g)", tc.init, mx, tc.lim/2, tc.lim)
		}
	}
}
