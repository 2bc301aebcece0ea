package rnn

import (
	"math"
	"math/rand/v2"
	"testing"
)

var paramSets = []struct {
	name string
	set  ParamSet
}{
	{"default", 0}, {"W_in", SetWIn}, {"W_out", SetWOut}, {"b_out", SetBOut}, {"all", SetAll},
}

func randVec(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func TestHVPFiniteDifference(t *testing.T) {
	for _, tc := range gradCases() {
		for _, ps := range paramSets {
			if ps.set != SetAll && ps.set != 0 && tc.cfg.L2 != 0 {
				continue // keep the table short: subsets without L2
			}
			t.Run(tc.name+"/"+ps.name, func(t *testing.T) {
				net := mustNew[float64](t, tc.cfg)
				b := randBatch[float64](tc.cfg, 3, 7, 5)
				h, err := NewHVP(net, b, ps.set, nil)
				if err != nil {
					t.Fatal(err)
				}
				v := randVec(h.Dim(), 9)
				got := make([]float64, h.Dim())
				h.Apply(got, v)
				want := make([]float64, h.Dim())
				if err := FiniteDiffHVP(net, b, ps.set, want, v); err != nil {
					t.Fatal(err)
				}
				if e := relErr(got, want); !(e < 1e-5) {
					t.Errorf("exact vs FD HVP relative error %g", e)
				}
				if n := math.Sqrt(dot(got, got)); n == 0 {
					t.Errorf("H·v is zero")
				}
			})
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TestHVPDense assembles H from HVPs on basis vectors for a network with
// about 100 parameters and checks it against a dense Hessian from finite
// differences of the gradient, symmetry, and the block apply.
func TestHVPDense(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"plain-ce", Config{In: 3, N: 8, Out: 2, Seed: 4, Loss: Loss{Kind: CrossEntropy}}},
		{"mixed-mse-leak", Config{In: 3, N: 8, Out: 2, Seed: 4, Leak: 0.5, Beta: MixedBeta(8, 4, 1.8), TauA: 4,
			Loss: Loss{Kind: MSE, Timing: EveryStep}, L2: 1e-2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net := mustNew[float64](t, tc.cfg)
			b := randBatch[float64](tc.cfg, 4, 6, 2)
			h, err := NewHVP(net, b, SetAll, nil)
			if err != nil {
				t.Fatal(err)
			}
			d := h.Dim()
			if d < 90 || d > 130 {
				t.Fatalf("dimension %d, want about 100", d)
			}
			H := make([]float64, d*d) // row i = H e_i
			E := make([]float64, d*d)
			for i := 0; i < d; i++ {
				E[i*d+i] = 1
			}
			h.ApplyBlock(H, E, d)
			// Single applies equal the block apply.
			col := make([]float64, d)
			fd := make([]float64, d)
			maxAsym, maxH := 0.0, 0.0
			for i := 0; i < d; i++ {
				h.Apply(col, E[i*d:(i+1)*d])
				if e := relErr(col, H[i*d:(i+1)*d]); e > 1e-12 {
					t.Fatalf("column %d: block vs single relative difference %g", i, e)
				}
				if err := FiniteDiffHVP(net, b, SetAll, fd, E[i*d:(i+1)*d]); err != nil {
					t.Fatal(err)
				}
				for j := 0; j < d; j++ {
					if math.Abs(fd[j]-col[j]) > 1e-5*(1+math.Abs(col[j])) {
						t.Fatalf("H[%d,%d] = %g, finite difference %g", j, i, col[j], fd[j])
					}
					maxAsym = max(maxAsym, math.Abs(H[i*d+j]-H[j*d+i]))
					maxH = max(maxH, math.Abs(H[i*d+j]))
				}
			}
			t.Logf("dim %d, max|H| %.3g, max|H-Hᵀ| %.3g", d, maxH, maxAsym)
			if maxAsym > 1e-12*maxH {
				t.Errorf("asymmetry %g", maxAsym)
			}
			// Masked diagonal of W_rec: zero rows and columns.
			off := net.Layout.Blocks[WRec].Off
			for u := 0; u < tc.cfg.N; u++ {
				p := off + u*tc.cfg.N + u
				for j := 0; j < d; j++ {
					if H[p*d+j] != 0 || H[j*d+p] != 0 {
						t.Fatalf("diagonal parameter %d has curvature", p)
					}
				}
			}
			// The float64 operator adapter and the float32 adapter.
			op := h.Operator()
			v := randVec(d, 3)
			w := make([]float64, d)
			op.Apply(w, v)
			h.Apply(col, v)
			if relErr(w, col) != 0 {
				t.Errorf("operator differs from Apply")
			}
		})
	}
}

func TestFiniteDiffHVPFloat32(t *testing.T) {
	cfg := Config{In: 2, N: 3, Out: 2}
	net := mustNew[float32](t, cfg)
	b := randBatch[float32](cfg, 2, 3, 1)
	d := net.Layout.Dim(0)
	if err := FiniteDiffHVP(net, b, 0, make([]float32, d), make([]float32, d)); err != ErrFloat32FD {
		t.Fatalf("float32 FD HVP: err %v, want ErrFloat32FD", err)
	}
}
