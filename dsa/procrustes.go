package dsa

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// ProcrustesSettings configures Compare. The zero value means the defaults
// given on each field.
type ProcrustesSettings struct {
	// Starts is the number of starting points: the spectral start (the
	// eigenbases of the symmetric parts aligned, signs by greedy flips),
	// the identity, a reflection, then Haar-random orthogonal matrices of
	// alternating determinant. Default 8.
	Starts int
	// MaxIter caps the iterations of each start. Default 2000.
	MaxIter int
	// Tol stops a start when ‖Ω‖_F ≤ Tol·‖A_x‖_F‖A_y‖_F (Ω the Riemannian
	// gradient). Default 1e-11.
	Tol float64
	// Seed seeds the random starts (math/rand/v2 PCG).
	Seed uint64
}

func (s ProcrustesSettings) withDefaults() (ProcrustesSettings, error) {
	switch {
	case s.Starts < 0:
		return s, fmt.Errorf("dsa: ProcrustesSettings.Starts = %d, allowed range [1, ∞) (0 means 8)", s.Starts)
	case s.MaxIter < 0:
		return s, fmt.Errorf("dsa: ProcrustesSettings.MaxIter = %d, allowed range [1, ∞) (0 means 2000)", s.MaxIter)
	case !(s.Tol >= 0) || math.IsInf(s.Tol, 0):
		return s, fmt.Errorf("dsa: ProcrustesSettings.Tol = %v, allowed range [0, ∞) (0 means 1e-11)", s.Tol)
	}
	if s.Starts == 0 {
		s.Starts = 8
	}
	if s.MaxIter == 0 {
		s.MaxIter = 2000
	}
	if s.Tol == 0 {
		s.Tol = 1e-11
	}
	return s, nil
}

// Procrustes is the result of Compare.
type Procrustes struct {
	// C is the best orthogonal matrix found: A_x ≈ C A_y Cᵀ.
	C *mat.Dense
	// Euclidean is ‖A_x − C A_y Cᵀ‖_F.
	Euclidean float64
	// Angular is the angle in [0, π] between A_x and C A_y Cᵀ (radians);
	// NaN when either matrix is zero.
	Angular float64
	// Normalized is ‖A_x/‖A_x‖ − C A_y Cᵀ/‖A_y‖‖_F = 2 sin(Angular/2), the
	// reference implementation's "euclidean" score; NaN when either matrix
	// is zero.
	Normalized float64
	// Iterations is the total over all starts; Converged reports whether
	// the best start met Tol.
	Iterations int
	Converged  bool
}

// Compare returns the Procrustes distance over vector fields between the
// square matrices ax and ay of the same size, min over orthogonal C of
// ‖A_x − C A_y Cᵀ‖_F, with its angular form (see the package
// documentation). It errors on non-square, mismatched or non-finite input.
func Compare(ax, ay mat.Matrix, s ProcrustesSettings) (Procrustes, error) {
	s, err := s.withDefaults()
	if err != nil {
		return Procrustes{}, err
	}
	n, c := ax.Dims()
	n2, c2 := ay.Dims()
	if n != c || n2 != c2 || n != n2 || n == 0 {
		return Procrustes{}, fmt.Errorf("dsa: Compare needs two square matrices of the same size, got %d×%d and %d×%d", n, c, n2, c2)
	}
	A, B := mat.DenseCopyOf(ax), mat.DenseCopyOf(ay)
	for _, m := range []*mat.Dense{A, B} {
		for _, v := range m.RawMatrix().Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return Procrustes{}, fmt.Errorf("dsa: Compare: matrix entry %v is not finite", v)
			}
		}
	}
	na, nb := mat.Norm(A, 2), mat.Norm(B, 2)
	scale := na * nb
	rng := rand.New(rand.NewPCG(s.Seed, 0x5851f42d4c957f2d))
	pr := newProblem(A, B)
	var best Procrustes
	bestF := math.Inf(1)
	var bestC []float64
	for k := 0; k < s.Starts; k++ {
		var c []float64
		if k == 0 {
			c = pr.spectralStart()
		}
		if c == nil {
			c = startPoint(k, n, rng).RawMatrix().Data
		}
		f, it, conv := pr.descend(c, s.MaxIter, s.Tol*scale)
		best.Iterations += it
		if f < bestF {
			bestF, bestC, best.Converged = f, c, conv
		}
		if scale == 0 || f == 0 {
			break // every C is optimal, or this one is
		}
	}
	best.C = mat.NewDense(n, n, bestC)
	var R mat.Dense
	R.Mul(best.C, B)
	R.Mul(&R, best.C.T())
	var E mat.Dense
	E.Sub(A, &R)
	best.Euclidean = mat.Norm(&E, 2)
	best.Angular, best.Normalized = math.NaN(), math.NaN()
	if na > 0 && nb > 0 {
		E.Scale(1/na, A)
		E.Add(&E, scaled(&R, -1/nb))
		best.Normalized = mat.Norm(&E, 2)
		best.Angular = 2 * math.Asin(math.Min(1, best.Normalized/2))
	}
	return best, nil
}

func scaled(m *mat.Dense, f float64) *mat.Dense {
	var o mat.Dense
	o.Scale(f, m)
	return &o
}

// startPoint returns start k ≥ 1: I (k = 1), a reflection (k = 2), then
// Haar-random orthogonal matrices with determinant +1 for even k and −1 for
// odd k. (Start 0 is the spectral start of Compare.)
func startPoint(k, n int, rng *rand.Rand) *mat.Dense {
	C := mat.NewDense(n, n, nil)
	switch k {
	case 0, 1, 2:
		for i := 0; i < n; i++ {
			C.Set(i, i, 1)
		}
		if k == 2 {
			C.Set(0, 0, -1)
		}
		return C
	}
	G := mat.NewDense(n, n, nil)
	for i := range G.RawMatrix().Data {
		G.RawMatrix().Data[i] = rng.NormFloat64()
	}
	var qr mat.QR
	qr.Factorize(G)
	var Q, R mat.Dense
	qr.QTo(&Q)
	qr.RTo(&R)
	// Haar measure: multiply column j by sign(R_jj).
	for j := 0; j < n; j++ {
		if R.At(j, j) < 0 {
			for i := 0; i < n; i++ {
				Q.Set(i, j, -Q.At(i, j))
			}
		}
	}
	want := 1.0
	if k%2 == 1 {
		want = -1
	}
	if math.Signbit(mat.Det(&Q)) != math.Signbit(want) {
		for i := 0; i < n; i++ {
			Q.Set(i, 0, -Q.At(i, 0))
		}
	}
	return &Q
}

// problem is F(C) = ‖A − C B Cᵀ‖²_F on the orthogonal group, on raw
// row-major n×n slices (the sizes DSA uses are small, so allocation-free
// loops beat general matrix calls).
type problem struct {
	n                   int
	a, b, at, bt        []float64
	t1, t2, t3, l, r, k []float64
	lu                  []float64
	piv                 []int
}

func newProblem(A, B *mat.Dense) *problem {
	n, _ := A.Dims()
	p := &problem{n: n}
	nn := n * n
	buf := make([]float64, 11*nn)
	p.a, p.b, p.at, p.bt = buf[0:nn], buf[nn:2*nn], buf[2*nn:3*nn], buf[3*nn:4*nn]
	p.t1, p.t2, p.t3 = buf[4*nn:5*nn], buf[5*nn:6*nn], buf[6*nn:7*nn]
	p.l, p.r, p.k, p.lu = buf[7*nn:8*nn], buf[8*nn:9*nn], buf[9*nn:10*nn], buf[10*nn:11*nn]
	p.piv = make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			p.a[i*n+j], p.b[i*n+j] = A.At(i, j), B.At(i, j)
			p.at[j*n+i], p.bt[j*n+i] = A.At(i, j), B.At(i, j)
		}
	}
	return p
}

// mul writes x·y into dst (n×n, dst distinct from x and y); tx and ty use
// the transposes of x and y.
func (p *problem) mul(dst, x, y []float64, tx, ty bool) {
	n := p.n
	clear(dst)
	for i := 0; i < n; i++ {
		for k := 0; k < n; k++ {
			xik := x[i*n+k]
			if tx {
				xik = x[k*n+i]
			}
			if xik == 0 {
				continue
			}
			d := dst[i*n : (i+1)*n]
			if ty {
				for j := range d {
					d[j] += xik * y[j*n+k]
				}
			} else {
				yr := y[k*n : (k+1)*n]
				for j := range d {
					d[j] += xik * yr[j]
				}
			}
		}
	}
}

// value returns F(C).
func (p *problem) value(c []float64) float64 {
	p.mul(p.t1, c, p.b, false, false)
	p.mul(p.t2, p.t1, c, false, true)
	s := 0.0
	for i, v := range p.t2 {
		d := p.a[i] - v
		s += d * d
	}
	return s
}

// skewGrad writes Ω = skew(Cᵀ G), G = ∂F/∂C = −2(A C Bᵀ + Aᵀ C B), into o.
func (p *problem) skewGrad(o, c []float64) {
	n := p.n
	p.mul(p.t1, p.a, c, false, false)
	p.mul(p.t2, p.t1, p.b, false, true)
	p.mul(p.t1, p.at, c, false, false)
	p.mul(p.t3, p.t1, p.b, false, false)
	for i := range p.t2 {
		p.t2[i] = -2 * (p.t2[i] + p.t3[i])
	}
	p.mul(p.t1, c, p.t2, true, false)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			o[i*n+j] = (p.t1[i*n+j] - p.t1[j*n+i]) / 2
		}
	}
}

// cayleyStep writes C·cay(−τΩ), cay(X) = (I − X/2)⁻¹(I + X/2), into dst.
// It reports false when I − X/2 is singular (never for skew X in exact
// arithmetic).
func (p *problem) cayleyStep(dst, c, o []float64, tau float64) bool {
	n := p.n
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			x := -tau * o[i*n+j] / 2
			p.lu[i*n+j] = -x
			p.r[i*n+j] = x
		}
		p.lu[i*n+i]++
		p.r[i*n+i]++
	}
	// LU with partial pivoting of L = I − X/2, then solve L K = R.
	lu := p.lu
	for k := 0; k < n; k++ {
		piv, best := k, math.Abs(lu[k*n+k])
		for i := k + 1; i < n; i++ {
			if v := math.Abs(lu[i*n+k]); v > best {
				piv, best = i, v
			}
		}
		if best == 0 {
			return false
		}
		p.piv[k] = piv
		if piv != k {
			for j := 0; j < n; j++ {
				lu[k*n+j], lu[piv*n+j] = lu[piv*n+j], lu[k*n+j]
				p.r[k*n+j], p.r[piv*n+j] = p.r[piv*n+j], p.r[k*n+j]
			}
		}
		for i := k + 1; i < n; i++ {
			f := lu[i*n+k] / lu[k*n+k]
			if f == 0 {
				continue
			}
			for j := k; j < n; j++ {
				lu[i*n+j] -= f * lu[k*n+j]
			}
			for j := 0; j < n; j++ {
				p.r[i*n+j] -= f * p.r[k*n+j]
			}
		}
	}
	for i := n - 1; i >= 0; i-- {
		for j := 0; j < n; j++ {
			s := p.r[i*n+j]
			for k := i + 1; k < n; k++ {
				s -= lu[i*n+k] * p.k[k*n+j]
			}
			p.k[i*n+j] = s / lu[i*n+i]
		}
	}
	p.mul(dst, c, p.k, false, false)
	return true
}

// reorthonormalise replaces c by the orthogonal factor of its polar
// decomposition, removing the drift of repeated products.
func reorthonormalise(c []float64, n int) {
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(n, n, c), mat.SVDFull) {
		return
	}
	var U, V, Q mat.Dense
	svd.UTo(&U)
	svd.VTo(&V)
	Q.Mul(&U, V.T())
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			c[i*n+j] = Q.At(i, j)
		}
	}
}

func dot(x, y []float64) float64 {
	s := 0.0
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// descend runs Riemannian gradient descent from c (overwritten with the
// best point found) and returns F there, the iterations and whether
// ‖Ω‖_F ≤ gtol. Steps: Barzilai–Borwein trial step, Zhang–Hager
// non-monotone Armijo backtracking (η = 0.85).
func (p *problem) descend(c []float64, maxIter int, gtol float64) (float64, int, bool) {
	nn := p.n * p.n
	buf := make([]float64, 5*nn)
	o, prevO, cn, best, y := buf[:nn], buf[nn:2*nn], buf[2*nn:3*nn], buf[3*nn:4*nn], buf[4*nn:]
	f := p.value(c)
	copy(best, c)
	bestF := f
	p.skewGrad(o, c)
	ref, q := f, 1.0
	tau, havePrev := 0.0, false
	conv := false
	it := 0
	for ; it < maxIter; it++ {
		g2 := dot(o, o)
		g := math.Sqrt(g2)
		if g <= gtol || f == 0 {
			conv = true
			break
		}
		step := 1 / (g + 1e-300)
		if havePrev {
			for i := range y {
				y[i] = o[i] - prevO[i]
			}
			ss := tau * tau * dot(prevO, prevO)
			sy := -tau * dot(prevO, y)
			yy := dot(y, y)
			if sy != 0 && ss > 0 {
				if it%2 == 0 || yy == 0 {
					step = math.Abs(ss / sy)
				} else {
					step = math.Abs(sy / yy)
				}
			}
		}
		accepted := false
		var fn float64
		for bt := 0; bt < 60; bt++ {
			if p.cayleyStep(cn, c, o, step) {
				fn = p.value(cn)
				if fn <= ref-1e-4*step*g2 {
					accepted = true
					break
				}
			}
			step /= 2
		}
		if !accepted {
			break
		}
		copy(c, cn)
		if (it+1)%100 == 0 {
			reorthonormalise(c, p.n)
			fn = p.value(c)
		}
		f, tau, havePrev = fn, step, true
		if f < bestF {
			bestF = f
			copy(best, c)
		}
		qn := 0.85*q + 1
		ref = (0.85*q*ref + f) / qn
		q = qn
		copy(prevO, o)
		p.skewGrad(o, c)
	}
	if !conv {
		conv = math.Sqrt(dot(o, o)) <= gtol
	}
	copy(c, best)
	return bestF, it, conv
}

// spectralStart aligns the eigenbases of the symmetric parts, C = U_x D
// U_yᵀ, with the signs D chosen by greedy flips that decrease F. For
// A_y = Q A_x Qᵀ with distinct eigenvalues of the symmetric part this is Qᵀ
// up to the signs, which the flips usually recover.
func (p *problem) spectralStart() []float64 {
	n := p.n
	sym := func(m []float64) *mat.Dense {
		s := mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				s.SetSym(i, j, (m[i*n+j]+m[j*n+i])/2)
			}
		}
		var e mat.EigenSym
		var v mat.Dense
		if !e.Factorize(s, true) {
			return nil
		}
		e.VectorsTo(&v)
		return &v
	}
	ux, uy := sym(p.a), sym(p.b)
	if ux == nil || uy == nil {
		return nil
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = 1
	}
	c := make([]float64, n*n)
	build := func() {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for k := 0; k < n; k++ {
					s += ux.At(i, k) * d[k] * uy.At(j, k)
				}
				c[i*n+j] = s
			}
		}
	}
	build()
	f := p.value(c)
	for improved := true; improved; {
		improved = false
		for k := 0; k < n; k++ {
			d[k] = -d[k]
			build()
			if fn := p.value(c); fn < f-1e-15*math.Abs(f) {
				f, improved = fn, true
			} else {
				d[k] = -d[k]
			}
		}
	}
	build()
	return c
}

// LowerBound returns a similarity-invariant lower bound on the Procrustes
// distance of any two n×n matrices, max(|tr A_x − tr A_y|/√n,
// |‖A_x‖_F − ‖A_y‖_F|): it holds for every orthogonal C and needs no
// optimisation.
func LowerBound(ax, ay mat.Matrix) float64 {
	n, _ := ax.Dims()
	return math.Max(math.Abs(mat.Trace(ax)-mat.Trace(ay))/math.Sqrt(float64(n)),
		math.Abs(mat.Norm(ax, 2)-mat.Norm(ay, 2)))
}
