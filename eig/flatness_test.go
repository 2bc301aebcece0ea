package eig_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/eig/testproblems"
)

// flatnessDirect evaluates κ = Σ_{s,s'} ⟨w_s, w_s'⟩ Σ_j H_{(s,j),(s',j)}
// from the definition.
func flatnessDirect(h mat.Symmetric, w *mat.Dense) float64 {
	nr, nc := w.Dims()
	var g mat.Dense
	g.Mul(w, w.T())
	var k float64
	for s := 0; s < nr; s++ {
		for s2 := 0; s2 < nr; s2++ {
			var tr float64
			for j := 0; j < nc; j++ {
				tr += h.At(s*nc+j, s2*nc+j)
			}
			k += g.At(s, s2) * tr
		}
	}
	return k
}

func randomMatrix(r, c int, seed uint64) *mat.Dense {
	rnd := rand.New(rand.NewPCG(seed, 1))
	m := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m.Set(i, j, rnd.NormFloat64())
		}
	}
	return m
}

var flatnessShapes = []struct{ n, m int }{{4, 3}, {3, 5}, {6, 6}}

// recordingOp records the vectors it is applied to.
type recordingOp struct {
	eig.Operator
	seen [][]float64
}

func (o *recordingOp) Apply(dst, src []float64) {
	o.seen = append(o.seen, append([]float64(nil), src...))
	o.Operator.Apply(dst, src)
}

func TestRelativeFlatnessExact(t *testing.T) {
	for i, sh := range flatnessShapes {
		t.Run(fmt.Sprintf("N=%d/M=%d", sh.n, sh.m), func(t *testing.T) {
			dim := sh.n * sh.m
			h := testproblems.WithSpectrum(testproblems.Indefinite(dim, 4, -2), uint64(i))
			w := randomMatrix(sh.n, sh.m, uint64(10+i))
			want := flatnessDirect(h, w)
			for _, op := range []eig.Operator{eig.NewDense(h), testproblemsNoBlockDense{eig.NewDense(h)}} {
				got, err := eig.RelativeFlatness(op, w, nil)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got.Estimate-want) > 1e-10*(1+math.Abs(want)) || got.StdErr != 0 {
					t.Errorf("%T: κ = %v, want %v", op, got.Estimate, want)
				}
				if got.Applies != sh.m*sh.m {
					t.Errorf("applies %d, want M² = %d", got.Applies, sh.m*sh.m)
				}
			}
		})
	}
}

type testproblemsNoBlockDense struct{ d *eig.Dense }

func (o testproblemsNoBlockDense) Dim() int                 { return o.d.Dim() }
func (o testproblemsNoBlockDense) Apply(dst, src []float64) { o.d.Apply(dst, src) }

func TestRelativeFlatnessEstimatorUnbiased(t *testing.T) {
	for i, sh := range flatnessShapes {
		t.Run(fmt.Sprintf("N=%d/M=%d", sh.n, sh.m), func(t *testing.T) {
			dim := sh.n * sh.m
			h := testproblems.WithSpectrum(testproblems.Indefinite(dim, 4, -2), uint64(20+i))
			w := randomMatrix(sh.n, sh.m, uint64(30+i))
			exact := flatnessDirect(h, w)

			// Exact unbiasedness: the mean of vᵀHv with v = (Wz)ζᵀ over
			// all 2^M × 2^M sign patterns equals κ.
			if sh.m <= 5 {
				z := make([]float64, sh.m)
				zeta := make([]float64, sh.m)
				v := make([]float64, dim)
				hv := make([]float64, dim)
				var sum float64
				count := 0
				for a := 0; a < 1<<sh.m; a++ {
					for b := 0; b < 1<<sh.m; b++ {
						for j := range z {
							z[j] = float64(1 - 2*((a>>j)&1))
							zeta[j] = float64(1 - 2*((b>>j)&1))
						}
						var u mat.VecDense
						u.MulVec(w, mat.NewVecDense(sh.m, z))
						for s := 0; s < sh.n; s++ {
							for j := 0; j < sh.m; j++ {
								v[s*sh.m+j] = u.AtVec(s) * zeta[j]
							}
						}
						eig.NewDense(h).Apply(hv, v)
						sum += floats.Dot(v, hv)
						count++
					}
				}
				if got := sum / float64(count); math.Abs(got-exact) > 1e-10*(1+math.Abs(exact)) {
					t.Errorf("enumerated mean %v, κ %v", got, exact)
				}
			}

			// The implementation draws probes of exactly that form and
			// its samples are vᵀHv.
			rec := &recordingOp{Operator: eig.NewDense(h)}
			e, err := eig.RelativeFlatnessHutchinson(rec, w, eig.HutchinsonSettings{Probes: 5, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			hv := make([]float64, dim)
			for pi, v := range rec.seen {
				if !isFlatnessProbe(w, v) {
					t.Fatalf("probe %d is not of the form (Wz)ζᵀ with Rademacher z, ζ", pi)
				}
				eig.NewDense(h).Apply(hv, v)
				if got := floats.Dot(v, hv); math.Abs(got-e.Samples[pi]) > 1e-10*math.Abs(got) {
					t.Errorf("sample %d = %v, vᵀHv = %v", pi, e.Samples[pi], got)
				}
			}

			// Seeded Monte Carlo trials fall within their standard errors.
			var ests []eig.Estimate
			for seed := uint64(0); seed < 20; seed++ {
				e, err := eig.RelativeFlatnessHutchinson(eig.NewDense(h), w, eig.HutchinsonSettings{Probes: 200, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				ests = append(ests, e)
			}
			checkTrials(t, "kappa", exact, ests)
		})
	}
}

func TestRelativeFlatnessErrors(t *testing.T) {
	h := eig.NewDense(testproblems.WithSpectrum(testproblems.Spread(12, 2, 1), 1))
	if _, err := eig.RelativeFlatness(h, randomMatrix(5, 3, 1), nil); !errors.Is(err, eig.ErrDim) {
		t.Errorf("dim: %v", err)
	}
	w := randomMatrix(4, 3, 1)
	w.Set(1, 2, math.Inf(1))
	if _, err := eig.RelativeFlatnessHutchinson(h, w, eig.HutchinsonSettings{}); !errors.Is(err, eig.ErrValue) {
		t.Errorf("inf: %v", err)
	}
}

func TestAlignment(t *testing.T) {
	const n = 30
	a := testproblems.WithSpectrum(testproblems.Spread(n, 5, 0.1), 4)
	var es mat.EigenSym
	es.Factorize(a, true)
	var u mat.Dense
	es.VectorsTo(&u)
	x := make([]float64, n)
	floats.AddScaled(x, 3, mat.Col(nil, 0, &u))
	floats.AddScaled(x, 4, mat.Col(nil, 3, &u))
	prof, err := eig.AlignmentProfile(&u, x)
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= n; k++ {
		want := 1.0
		if k < 4 {
			want = 9.0 / 25
		}
		if math.Abs(prof[k-1]-want) > 1e-12 {
			t.Errorf("k=%d: %v, want %v", k, prof[k-1], want)
		}
		got, err := eig.Alignment(&u, k, x)
		if err != nil || got != prof[k-1] {
			t.Errorf("Alignment(k=%d) = %v, %v", k, got, err)
		}
	}
	if _, err := eig.Alignment(&u, 0, x); !errors.Is(err, eig.ErrSettings) {
		t.Errorf("k=0: %v", err)
	}
	if _, err := eig.Alignment(&u, 1, make([]float64, n)); !errors.Is(err, eig.ErrValue) {
		t.Errorf("zero x: %v", err)
	}
	if _, err := eig.Alignment(&u, 1, make([]float64, n-1)); !errors.Is(err, eig.ErrDim) {
		t.Errorf("short x: %v", err)
	}
}

// isFlatnessProbe reports whether v (row-major N×M) equals (Wz)ζᵀ for some
// z, ζ in {±1}^M, by taking ζ_0 = 1 and enumerating z.
func isFlatnessProbe(w *mat.Dense, v []float64) bool {
	nr, nc := w.Dims()
	z := make([]float64, nc)
	for a := 0; a < 1<<nc; a++ {
		for j := range z {
			z[j] = float64(1 - 2*((a>>j)&1))
		}
		var u mat.VecDense
		u.MulVec(w, mat.NewVecDense(nc, z))
		ok := true
		for j := 0; j < nc && ok; j++ {
			// ζ_j from the largest |u_s|.
			smax := 0
			for s := range nr {
				if math.Abs(u.AtVec(s)) > math.Abs(u.AtVec(smax)) {
					smax = s
				}
			}
			zj := v[smax*nc+j] / u.AtVec(smax)
			if math.Abs(math.Abs(zj)-1) > 1e-12 {
				ok = false
				break
			}
			zj = math.Round(zj)
			for s := 0; s < nr; s++ {
				if math.Abs(v[s*nc+j]-u.AtVec(s)*zj) > 1e-12*(1+math.Abs(v[s*nc+j])) {
					ok = false
					break
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}
