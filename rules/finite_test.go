package rules

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
)

// TestCheckFiniteMatchesRef checks checkFinite, which scans with the
// branch-free allFinite first, against checkFiniteRef, the entry-by-entry
// loop: the same error (block, index, value) or nil, for non-finite
// entries of each kind in the four-wide body, the tail and the first and
// last places, several at once, and for extreme finite values (largest,
// smallest subnormal, −0) that must pass.
func TestCheckFiniteMatchesRef(t *testing.T) {
	testCheckFinite[float32](t)
	testCheckFinite[float64](t)
}

func testCheckFinite[T float32 | float64](t *testing.T) {
	l := rnn.NewLayout(3, 4, 2) // 12 + 16 + 8 + 2 = 38 parameters
	inf, nan := math.Inf(1), math.NaN()
	big := math.MaxFloat64
	if _, ok := any(T(0)).(float32); ok {
		big = math.MaxFloat32
	}
	type put struct {
		i int
		v float64
	}
	cases := []struct {
		n    int
		puts []put
	}{
		{n: 0},
		{n: 3},
		{n: 38},
		{n: 38, puts: []put{{0, inf}}},
		{n: 38, puts: []put{{37, -inf}}},
		{n: 38, puts: []put{{36, nan}}},
		{n: 38, puts: []put{{17, nan}, {29, inf}}},
		{n: 38, puts: []put{{30, -inf}, {5, inf}}},
		{n: 38, puts: []put{{3, big}, {4, -big}, {5, math.SmallestNonzeroFloat64}, {6, math.Copysign(0, -1)}}},
		{n: 38, puts: []put{{3, big}, {9, -big}, {20, inf}}},
		{n: 7, puts: []put{{6, nan}}},
		{n: 5, puts: []put{{4, -inf}}},
		{n: 1, puts: []put{{0, nan}}},
	}
	for ci, c := range cases {
		name := fmt.Sprintf("%T/case%d/n=%d", T(0), ci, c.n)
		v := make([]T, c.n)
		for i := range v {
			v[i] = T(float64(i%7) - 3.25)
		}
		for _, p := range c.puts {
			v[p.i] = T(p.v)
		}
		got, want := checkFinite(v, l), checkFiniteRef(v, l)
		if (got == nil) != (want == nil) {
			t.Fatalf("%s: error %v, reference %v", name, got, want)
		}
		if got == nil {
			continue
		}
		g, w := *got.(*rnn.ErrDiverged), *want.(*rnn.ErrDiverged)
		gv, wv := g.Value, w.Value
		g.Value, w.Value = 0, 0
		if !reflect.DeepEqual(g, w) || math.Float64bits(gv) != math.Float64bits(wv) {
			t.Fatalf("%s: error %+v (value %v), reference %+v (value %v)", name, g, gv, w, wv)
		}
	}
}
