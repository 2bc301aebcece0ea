package rnn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hessrnn/hessrnn/dsa"
)

// jacobianCases covers every unit type: plain ReLU units with and without
// leak and threshold, ALIF units, and mixed networks.
var jacobianCases = []struct {
	name string
	cfg  Config
}{
	{"plain", Config{In: 3, N: 6, Out: 2, Seed: 1}},
	{"plain leak", Config{In: 3, N: 6, Out: 2, Seed: 2, Leak: 0.3}},
	{"plain threshold", Config{In: 3, N: 6, Out: 2, Seed: 3, BThr: 0.2}},
	{"all ALIF", Config{In: 2, N: 5, Out: 2, Seed: 4, Beta: []float64{1.8, 1.8, 1.8, 1.8, 1.8}, TauA: 30}},
	{"mixed ALIF leak", Config{In: 2, N: 7, Out: 2, Seed: 5, Leak: 0.2, BThr: 0.1, Beta: MixedBeta(7, 3, 1.8), TauA: 5}},
}

func TestStateJacobianFiniteDifference(t *testing.T) {
	for _, tc := range jacobianCases {
		t.Run(tc.name, func(t *testing.T) {
			net, err := New[float64](tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			n := net.StateDim()
			if want := tc.cfg.N + len(net.alifUnits()); n != want {
				t.Fatalf("StateDim %d, want %d", n, want)
			}
			rng := rand.New(rand.NewPCG(7, uint64(n)))
			x := make([]float64, tc.cfg.In)
			s := make([]float64, n)
			for trial := 0; trial < 5; trial++ {
				// A state away from every ReLU kink, so the map is smooth
				// within the finite-difference step.
				for {
					for i := range s {
						s[i] = rng.NormFloat64()
						if i >= tc.cfg.N {
							s[i] = math.Abs(s[i]) * 0.3
						}
					}
					ok := true
					for i := 0; i < tc.cfg.N; i++ {
						u := s[i] - tc.cfg.BThr
						for k, j := range net.alifUnits() {
							if j == i {
								u -= tc.cfg.Beta[j] * s[tc.cfg.N+k]
							}
						}
						if math.Abs(u) < 1e-3 {
							ok = false
						}
					}
					if ok {
						break
					}
				}
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				J := make([]float64, n*n)
				net.StateJacobian(J, net.StateMask(s))
				const h = 1e-6
				sp, sm := make([]float64, n), make([]float64, n)
				fp, fm := make([]float64, n), make([]float64, n)
				for j := 0; j < n; j++ {
					copy(sp, s)
					copy(sm, s)
					sp[j] += h
					sm[j] -= h
					net.StateStep(fp, sp, x)
					net.StateStep(fm, sm, x)
					for i := 0; i < n; i++ {
						fd := (fp[i] - fm[i]) / (2 * h)
						if d := math.Abs(fd - J[i*n+j]); d > 1e-7*math.Max(1, math.Abs(fd)) {
							t.Errorf("trial %d: J[%d,%d] = %.10g, finite difference %.10g", trial, i, j, J[i*n+j], fd)
						}
					}
				}
			}
		})
	}
}

// TestStateStepMatchesForward iterates StateStep from the state after step
// 1 and compares the rates with those of Forward.
func TestStateStepMatchesForward(t *testing.T) {
	for _, tc := range jacobianCases {
		t.Run(tc.name, func(t *testing.T) {
			net, err := New[float64](tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(8, 9))
			const B, T = 3, 12
			b := &Batch[float64]{Size: B, Steps: T, In: tc.cfg.In, Out: tc.cfg.Out, X: make([]float64, T*B*tc.cfg.In), Y: make([]float64, T*B*tc.cfg.Out)}
			for i := range b.X {
				b.X[i] = rng.NormFloat64()
			}
			var ws Workspace[float64]
			if _, err := net.Forward(&ws, b); err != nil {
				t.Fatal(err)
			}
			tr, _ := ws.Trajectory()
			N, In, n := tc.cfg.N, tc.cfg.In, net.StateDim()
			for row := 0; row < B; row++ {
				s := make([]float64, n)
				x1 := b.X[row*In : (row+1)*In]
				for i := 0; i < N; i++ { // h^1 = (1−α_m) W_in x^1, a^1 = 0
					u := 0.0
					for k := 0; k < In; k++ {
						u += net.WInM[i*In+k] * x1[k]
					}
					s[i] = (1 - tc.cfg.Leak) * u
				}
				next := make([]float64, n)
				for step := 1; step <= T; step++ {
					r := net.stateRates(s, net.alifUnits())
					want := tr.R(step)[row*N : (row+1)*N]
					for i := range r {
						if math.Abs(r[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
							t.Fatalf("row %d step %d unit %d: StateStep rate %v, Forward %v", row, step, i, r[i], want[i])
						}
					}
					if step == T {
						break
					}
					net.StateStep(next, s, b.X[(step*B+row)*In:(step*B+row+1)*In])
					s, next = next, s
				}
			}
		})
	}
}

// TestContractionLinear: with non-negative weights and inputs every unit
// is active, the network is linear and J = α_m I + (1−α_m) W for the path
// graph W (weights a between neighbours), whose eigenvalues are 0 and
// ±a√2: μ₂ = α_m + (1−α_m) a√2, μ∞ = α_m + 2(1−α_m) a, and the optimal
// diagonal metric reaches the Perron root α_m + (1−α_m) a√2.
func TestContractionLinear(t *testing.T) {
	for _, tc := range []struct{ leak, a float64 }{{0, 0.4}, {0.5, 0.3}, {0.2, 1.1}} {
		net, err := New[float64](Config{In: 1, N: 3, Out: 1, Leak: tc.leak})
		if err != nil {
			t.Fatal(err)
		}
		copy(net.WRecM, []float64{0, tc.a, 0, tc.a, 0, tc.a, 0, tc.a, 0})
		copy(net.WInM, []float64{1, 1, 1})
		const B, T = 2, 6
		b := &Batch[float64]{Size: B, Steps: T, In: 1, Out: 1, X: make([]float64, T*B), Y: make([]float64, T*B)}
		for i := range b.X {
			b.X[i] = 1 + float64(i%3)
		}
		var ws Workspace[float64]
		if _, err := net.Forward(&ws, b); err != nil {
			t.Fatal(err)
		}
		c, err := ContractionOf(net, dsa.DiagonalSettings{Tol: 1e-12}, &ws)
		if err != nil {
			t.Fatal(err)
		}
		mu2 := tc.leak + (1-tc.leak)*tc.a*math.Sqrt2
		muInf := tc.leak + 2*(1-tc.leak)*tc.a
		if c.Steps != B*(T-1) || c.Distinct != 1 {
			t.Errorf("leak %v: %d steps (%d distinct), want %d (1)", tc.leak, c.Steps, c.Distinct, B*(T-1))
		}
		for _, x := range []struct {
			name      string
			got, want float64
		}{
			{"μ₂ max", c.Mu2Max, mu2}, {"μ₂ mean", c.Mu2Mean, mu2},
			{"μ∞ max", c.MuInfMax, muInf}, {"μ∞ mean", c.MuInfMean, muInf},
			{"diagonal metric", c.DiagMax, mu2}, {"diagonal mean", c.DiagMean, mu2},
		} {
			if math.Abs(x.got-x.want) > 1e-9 {
				t.Errorf("leak %v a %v: %s = %.12g, want %.12g", tc.leak, tc.a, x.name, x.got, x.want)
			}
		}
	}
}

func TestContractionALIF(t *testing.T) {
	cfg := jacobianCases[4].cfg
	net, err := New[float64](cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	const B, T = 4, 10
	b := &Batch[float64]{Size: B, Steps: T, In: cfg.In, Out: cfg.Out, X: make([]float64, T*B*cfg.In), Y: make([]float64, T*B*cfg.Out)}
	for i := range b.X {
		b.X[i] = rng.NormFloat64()
	}
	var ws Workspace[float64]
	if _, err := net.Forward(&ws, b); err != nil {
		t.Fatal(err)
	}
	c, err := ContractionOf(net, dsa.DiagonalSettings{}, &ws, &ws)
	if err != nil {
		t.Fatal(err)
	}
	if !(c.DiagMax <= c.MuInfMax) || !(c.Mu2Mean <= c.Mu2Max) || !(c.DiagLower <= c.DiagMax) || c.Steps != 2*B*(T-1) {
		t.Errorf("inconsistent: %+v", c)
	}
	var other Workspace[float64]
	if _, err := ContractionOf(net, dsa.DiagonalSettings{}, &other); err == nil {
		t.Error("no forward pass: no error")
	}
}
