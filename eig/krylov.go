package eig

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// breakdownTol is the relative size ‖w‖/‖H‖ below which the Krylov space is
// taken to be invariant.
const breakdownTol = 1e-10

// krylov is a Lanczos basis with full reorthogonalisation (classical
// Gram-Schmidt applied twice). It keeps the projected matrix T = QᵀHQ
// built from the orthogonalisation coefficients, so that thick restarts and
// random restarts after a breakdown need no special bookkeeping:
//
//	H Q_m = Q_m T_m + β q_m e_{m-1}ᵀ
//
// where q_m (row m of q) is the pending unit vector and β its coupling.
type krylov struct {
	a     *applier
	n     int
	cap   int        // maximum number of processed basis vectors
	q     *mat.Dense // (cap+1)×n, rows are basis vectors
	m     int        // processed vectors: rows 0..m-1; row m is pending
	beta  float64    // coupling of the pending vector
	t     []float64  // cap×cap projected matrix, row-major
	anorm float64    // running estimate of ‖H‖: max ‖Hq_j‖
	w, c  []float64
	tmp   []float64 // orth scratch, cap+1
	rnd   *rand.Rand
	// exhausted is set when the basis spans an invariant subspace and no
	// new direction can be added: after a breakdown when stopAtBreakdown
	// is set, or when the basis spans R^n.
	exhausted       bool
	stopAtBreakdown bool
}

func newKrylov(a *applier, capacity int, start []float64, rnd *rand.Rand, stopAtBreakdown bool) *krylov {
	n := a.n
	k := &krylov{
		a: a, n: n, cap: capacity,
		q:               mat.NewDense(capacity+1, n, nil),
		t:               make([]float64, capacity*capacity),
		w:               make([]float64, n),
		c:               make([]float64, capacity+1),
		tmp:             make([]float64, capacity+1),
		rnd:             rnd,
		stopAtBreakdown: stopAtBreakdown,
	}
	q0 := k.q.RawRowView(0)
	copy(q0, start)
	normalize(q0)
	return k
}

// orth orthogonalises x against rows 0..rows-1 of q twice and stores the
// accumulated coefficients in c[:rows].
func (k *krylov) orth(x []float64, rows int) {
	clear(k.c[:rows])
	if rows == 0 {
		return
	}
	g := blas64.General{Rows: rows, Cols: k.n, Stride: k.n, Data: k.q.RawMatrix().Data}
	xv := blas64.Vector{N: k.n, Inc: 1, Data: x}
	tmp := k.tmp[:rows]
	tv := blas64.Vector{N: rows, Inc: 1, Data: tmp}
	for pass := 0; pass < 2; pass++ {
		blas64.Gemv(blas.NoTrans, 1, g, xv, 0, tv)
		blas64.Gemv(blas.Trans, -1, g, tv, 1, xv)
		floats.Add(k.c[:rows], tmp)
	}
}

// step applies H to the pending vector, extends T by one column and makes
// the next pending vector. It requires m < cap and !exhausted.
func (k *krylov) step() error {
	m := k.m
	qm := k.q.RawRowView(m)
	if err := k.a.apply(k.w, qm); err != nil {
		return err
	}
	k.anorm = math.Max(k.anorm, floats.Norm(k.w, 2))
	k.orth(k.w, m+1)
	for i := 0; i <= m; i++ {
		k.t[i*k.cap+m] = k.c[i]
		k.t[m*k.cap+i] = k.c[i]
	}
	k.m++
	beta := floats.Norm(k.w, 2)
	next := k.q.RawRowView(m + 1)
	if beta > breakdownTol*k.anorm {
		k.beta = beta
		floats.ScaleTo(next, 1/beta, k.w)
		return nil
	}
	// Invariant subspace.
	k.beta = 0
	if k.stopAtBreakdown || k.m >= k.n {
		k.exhausted = true
		return nil
	}
	for try := 0; try < 3; try++ {
		fillNormal(k.rnd, next)
		before := floats.Norm(next, 2)
		k.orth(next, k.m)
		if after := floats.Norm(next, 2); after > 1e-8*before {
			floats.Scale(1/after, next)
			return nil
		}
	}
	k.exhausted = true
	return nil
}

// ritz returns the eigenvalues (ascending) and eigenvectors of T_m.
func (k *krylov) ritz() ([]float64, *mat.Dense, error) {
	m := k.m
	ts := mat.NewSymDense(m, nil)
	for i := 0; i < m; i++ {
		for j := i; j < m; j++ {
			ts.SetSym(i, j, k.t[i*k.cap+j])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(ts, true) {
		return nil, nil, ErrFactorize
	}
	var s mat.Dense
	es.VectorsTo(&s)
	return es.Values(nil), &s, nil
}

// restart keeps the Ritz pairs with indices keep (columns of s) as the
// first len(keep) basis vectors, followed by the pending vector.
func (k *krylov) restart(theta []float64, s *mat.Dense, keep []int) {
	m, l := k.m, len(keep)
	var y mat.Dense
	y.Mul(columns(s, m, keep).T(), k.q.Slice(0, m, 0, k.n))
	pending := make([]float64, k.n)
	copy(pending, k.q.RawRowView(m))
	for i := 0; i < l; i++ {
		copy(k.q.RawRowView(i), y.RawRowView(i))
	}
	copy(k.q.RawRowView(l), pending)
	for i := range k.t {
		k.t[i] = 0
	}
	for j, idx := range keep {
		k.t[j*k.cap+j] = theta[idx]
	}
	k.m = l
}

// vectors returns Q_mᵀ S[:, idx] as an n×len(idx) matrix.
func (k *krylov) vectors(s *mat.Dense, idx []int) *mat.Dense {
	v := mat.NewDense(k.n, len(idx), nil)
	v.Mul(k.q.Slice(0, k.m, 0, k.n).T(), columns(s, k.m, idx))
	return v
}

// columns returns the first m rows of the columns idx of s as an
// m×len(idx) matrix.
func columns(s *mat.Dense, m int, idx []int) *mat.Dense {
	sk := mat.NewDense(m, len(idx), nil)
	for j, c := range idx {
		for i := 0; i < m; i++ {
			sk.Set(i, j, s.At(i, c))
		}
	}
	return sk
}
