package rules

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/rnn"
)

func TestAlignDecomposition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := make([]float64, 9)
	e := make([]float64, 9)
	for i := range g {
		g[i], e[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	// Make e orthogonal to g, then ĝ = 0.3 g + e.
	gg, eg := 0.0, 0.0
	for i := range g {
		gg += g[i] * g[i]
		eg += e[i] * g[i]
	}
	for i := range e {
		e[i] -= eg / gg * g[i]
	}
	h := make([]float64, 9)
	for i := range h {
		h[i] = 0.3*g[i] + e[i]
	}
	a := Align(h, g)
	if math.Abs(a.Alpha-0.3) > 1e-14 {
		t.Errorf("Alpha = %v, want 0.3", a.Alpha)
	}
	ng, ne, nh := math.Sqrt(gg), Norm(e), Norm(h)
	if math.Abs(a.EpsRel-ne/ng) > 1e-12 || math.Abs(a.NormRatio-nh/ng) > 1e-14 {
		t.Errorf("EpsRel %v NormRatio %v, want %v %v", a.EpsRel, a.NormRatio, ne/ng, nh/ng)
	}
	if math.Abs(a.Cos-0.3*ng/nh) > 1e-14 {
		t.Errorf("Cos = %v, want %v", a.Cos, 0.3*ng/nh)
	}
	// Per block: the overall numbers must be recovered, each block is its own
	// decomposition.
	lay := rnn.NewLayout(1, 2, 1) // blocks of 2, 4, 2 and 1 parameters
	all, per := AlignBlocks(h, g, lay)
	if !alignClose(all, a, 1e-13) {
		t.Errorf("AlignBlocks overall %+v != Align %+v", all, a)
	}
	if len(per) != 4 {
		t.Fatalf("AlignBlocks gave %d blocks, want 4", len(per))
	}
	for k, b := range []rnn.Block{rnn.WIn, rnn.WRec, rnn.WOut, rnn.BOut} {
		r := lay.Blocks[b]
		want := Align(h[r.Off:r.Off+r.Len], g[r.Off:r.Off+r.Len])
		if per[k].Block != b || !alignClose(per[k].Alignment, want, 0) {
			t.Errorf("block %v: %+v, want %+v", b, per[k], want)
		}
	}
	if z := Align([]float64{1}, []float64{0}); !math.IsNaN(z.Alpha) {
		t.Error("g = 0 should give NaN")
	}
	if k := Align([]float64{-1, 0}, []float64{1, 0}).Kappa; !math.IsInf(k, 1) {
		t.Errorf("opposite directions: Kappa = %v, want +Inf", k)
	}
}

// bestMetric builds the SPD metric of minimal condition number with M g = ĝ:
// in the plane of g and ĝ it has eigenvalues k and 1 with the eigenvector of
// k at angle φ = atan(√k) from g toward ĝ, the identity elsewhere, and an
// overall scale fixed by ‖ĝ‖.
func bestMetric(g, h []float64) *mat.SymDense {
	n := len(g)
	u := mat.NewVecDense(n, append([]float64(nil), g...))
	u.ScaleVec(1/mat.Norm(u, 2), u)
	v := mat.NewVecDense(n, append([]float64(nil), h...))
	nv := mat.Norm(v, 2)
	cos := mat.Dot(u, v) / nv
	w := mat.NewVecDense(n, nil)
	w.AddScaledVec(v, -cos*nv, u)
	w.ScaleVec(1/mat.Norm(w, 2), w)
	k := KappaFromCos(cos)
	phi := math.Atan(math.Sqrt(k))
	q1 := mat.NewVecDense(n, nil)
	q1.AddScaledVec(q1, math.Cos(phi), u)
	q1.AddScaledVec(q1, math.Sin(phi), w)
	q2 := mat.NewVecDense(n, nil)
	q2.AddScaledVec(q2, -math.Sin(phi), u)
	q2.AddScaledVec(q2, math.Cos(phi), w)
	// M' = I + (k−1) q1 q1ᵀ has eigenvalues k (q1) and 1 elsewhere.
	m := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		m.SetSym(i, i, 1)
	}
	m.SymRankOne(m, k-1, q1)
	var mu mat.VecDense
	mu.MulVec(m, u)
	scale := nv / mat.Norm(u, 2) / mat.Norm(&mu, 2) / mat.Norm(mat.NewVecDense(n, append([]float64(nil), g...)), 2)
	m.ScaleSym(scale, m)
	return m
}

func TestKappaByConstruction(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 20; trial++ {
		n := 2 + trial%5
		g, h := make([]float64, n), make([]float64, n)
		for i := range g {
			g[i] = rng.NormFloat64()
			h[i] = 0.7*g[i] + 0.5*rng.NormFloat64()
		}
		a := Align(h, g)
		if !(a.Cos > 0) {
			continue
		}
		m := bestMetric(g, h)
		var mg mat.VecDense
		mg.MulVec(m, mat.NewVecDense(n, g))
		for i := range h {
			if math.Abs(mg.AtVec(i)-h[i]) > 1e-12*Norm(h) {
				t.Fatalf("trial %d: (M g)[%d] = %v, want %v", trial, i, mg.AtVec(i), h[i])
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(m, false) {
			t.Fatal("EigenSym failed")
		}
		ev := eig.Values(nil)
		if ev[0] <= 0 {
			t.Fatalf("M not positive definite: %v", ev)
		}
		cond := ev[n-1] / ev[0]
		if math.Abs(cond-a.Kappa) > 1e-9*a.Kappa {
			t.Errorf("trial %d: cond(M) = %v, Kappa = %v", trial, cond, a.Kappa)
		}
	}
}

// TestKappaIsMinimal samples 2×2 SPD matrices and checks that none with a
// condition number below κ(θ) turns a vector by θ or more.
func TestKappaIsMinimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 20000; trial++ {
		l1, l2 := 0.1+rng.Float64()*10, 0.1+rng.Float64()*10
		th := rng.Float64() * math.Pi
		c, s := math.Cos(th), math.Sin(th)
		// M = R diag(l1,l2) Rᵀ.
		m00, m01, m11 := c*c*l1+s*s*l2, c*s*(l1-l2), s*s*l1+c*c*l2
		x, y := rng.NormFloat64(), rng.NormFloat64()
		mx, my := m00*x+m01*y, m01*x+m11*y
		cos := (x*mx + y*my) / math.Hypot(x, y) / math.Hypot(mx, my)
		cond := max(l1, l2) / min(l1, l2)
		if k := KappaFromCos(cos); cond < k*(1-1e-9) {
			t.Fatalf("cond %v < kappa %v for angle with cos %v", cond, k, cos)
		}
	}
}

func alignClose(a, b Alignment, tol float64) bool {
	x := []float64{a.Alpha, a.Cos, a.EpsRel, a.NormRatio, a.Kappa}
	y := []float64{b.Alpha, b.Cos, b.EpsRel, b.NormRatio, b.Kappa}
	for i := range x {
		if math.Abs(x[i]-y[i]) > tol*math.Abs(y[i]) {
			return false
		}
	}
	return true
}
