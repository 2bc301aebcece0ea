package rnn

import (
	"math"
	"testing"
)

// refForward is the obviously-correct scalar reference of the model of
// METHOD.md §1, written from the equations with plain loops: it returns the
// loss and r^t, a^t per step (index t = 0..T, b, i).
func refForward(net *Network[float64], b *Batch[float64]) (float64, [][]float64, [][]float64) {
	c := net.Cfg
	B, T, N, In, Out := b.Size, b.Steps, c.N, c.In, c.Out
	rho := math.Exp(-1 / map[bool]float64{true: DefaultTauA, false: c.TauA}[c.TauA == 0])
	beta := make([]float64, N)
	copy(beta, c.Beta)
	W := func(i, j int) float64 { return net.WRecM[i*N+j] }
	r := make([][]float64, T+1)
	a := make([][]float64, T+1)
	h := make([]float64, B*N)
	for t := range r {
		r[t] = make([]float64, B*N)
		a[t] = make([]float64, B*N)
	}
	lossAt, nLoss, _ := c.Loss.lossSteps(nil, T)
	loss := 0.0
	for t := 1; t <= T; t++ {
		for bi := 0; bi < B; bi++ {
			for i := 0; i < N; i++ {
				s := 0.0
				for j := 0; j < N; j++ {
					s += W(i, j) * r[t-1][bi*N+j]
				}
				for k := 0; k < In; k++ {
					s += net.WInM[i*In+k] * b.X[((t-1)*B+bi)*In+k]
				}
				h[bi*N+i] = c.Leak*h[bi*N+i] + (1-c.Leak)*s
				a[t][bi*N+i] = rho*a[t-1][bi*N+i] + (1-rho)*r[t-1][bi*N+i]
				r[t][bi*N+i] = math.Max(0, h[bi*N+i]-c.BThr-beta[i]*a[t][bi*N+i])
			}
		}
		if !lossAt[t] {
			continue
		}
		for bi := 0; bi < B; bi++ {
			y := make([]float64, Out)
			for o := range y {
				y[o] = net.BOutV[o]
				for j := 0; j < N; j++ {
					y[o] += net.WOutM[o*N+j] * r[t][bi*N+j]
				}
			}
			if c.Loss.Kind == MSE {
				for o := range y {
					d := y[o] - b.Y[((t-1)*B+bi)*Out+o]
					loss += d * d / (2 * float64(B*nLoss))
				}
			} else {
				s := 0.0
				for _, v := range y {
					s += math.Exp(v)
				}
				loss += (math.Log(s) - y[b.Labels[(t-1)*B+bi]]) / float64(B)
			}
		}
	}
	for _, w := range [][]float64{net.WInM, net.WRecM, net.WOutM} {
		for _, v := range w {
			loss += c.L2 / 2 * v * v
		}
	}
	return loss, r, a
}

// TestForwardReference compares Forward and the Trajectory accessor with
// the scalar reference.
func TestForwardReference(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) {
			net := mustNew[float64](t, tc.cfg)
			for _, steps := range []int{1, 7} {
				cfg := tc.cfg
				if cfg.Loss.Timing == MaskedSteps && steps == 1 {
					continue
				}
				b := randBatch[float64](cfg, 3*chunkRows/2, steps, 4) // two chunks
				var ws Workspace[float64]
				loss, err := net.Forward(&ws, b)
				if err != nil {
					t.Fatal(err)
				}
				want, r, a := refForward(net, b)
				if math.Abs(loss-want) > 1e-12*(1+math.Abs(want)) {
					t.Errorf("T=%d: loss %v, reference %v", steps, loss, want)
				}
				tr, err := ws.Trajectory()
				if err != nil {
					t.Fatal(err)
				}
				if tr.HasDelta() {
					t.Errorf("HasDelta before Backward")
				}
				for s := 0; s <= steps; s++ {
					got := tr.R(s)
					for i := range got {
						if math.Abs(got[i]-r[s][i]) > 1e-12*(1+math.Abs(r[s][i])) {
							t.Fatalf("T=%d step %d r[%d] = %v, reference %v", steps, s, i, got[i], r[s][i])
						}
						if s > 0 && tr.Psi(s)[i] != map[bool]float64{true: 1, false: 0}[got[i] > 0] {
							t.Fatalf("psi does not match r > 0")
						}
					}
					if ga := tr.A(s); ga != nil {
						for i := range ga {
							if math.Abs(ga[i]-a[s][i]) > 1e-12 {
								t.Fatalf("step %d a[%d] = %v, reference %v", s, i, ga[i], a[s][i])
							}
						}
					} else if net.HasALIF() {
						t.Fatalf("A is nil for an ALIF network")
					}
				}
				// DY is the derivative of the loss with respect to y: check
				// one entry by perturbing b_out at a loss step through the
				// gradient identity ∂L/∂b_o = Σ_t Σ_b DY.
				g := make([]float64, net.NumParams())
				if err := net.Backward(&ws, g); err != nil {
					t.Fatal(err)
				}
				if !tr.HasDelta() {
					t.Errorf("HasDelta false after Backward")
				}
				for o := 0; o < cfg.Out; o++ {
					s := 0.0
					for st := 1; st <= steps; st++ {
						if !tr.LossStep(st) {
							for _, v := range tr.DY(st) {
								if v != 0 {
									t.Fatalf("DY non-zero at non-loss step %d", st)
								}
							}
						}
						for bi := 0; bi < b.Size; bi++ {
							s += tr.DY(st)[bi*cfg.Out+o]
						}
					}
					if gb := g[net.Layout.Blocks[BOut].Off+o]; math.Abs(gb-s) > 1e-12 {
						t.Errorf("Σ DY = %v, ∂L/∂b_out = %v", s, gb)
					}
				}
			}
		})
	}
}

// TestHVPOneStep covers T = 1, where the recurrent products are empty.
func TestHVPOneStep(t *testing.T) {
	cfg := Config{In: 3, N: 4, Out: 2, Loss: Loss{Kind: CrossEntropy}, L2: 1e-2}
	net := mustNew[float64](t, cfg)
	b := randBatch[float64](cfg, 5, 1, 2)
	h, err := NewHVP(net, b, SetAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	v := randVec(h.Dim(), 1)
	got, want := make([]float64, h.Dim()), make([]float64, h.Dim())
	h.Apply(got, v)
	if _, err := FiniteDiffHVP(net, b, SetAll, want, v); err != nil {
		t.Fatal(err)
	}
	if e := relErr(got, want); !(e < 1e-6) {
		t.Errorf("relative error %g", e)
	}
}
