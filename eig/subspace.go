package eig

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// SubspaceSettings configures Subspace. The zero value is the
// default of METHOD.md §4.4.
type SubspaceSettings struct {
	// Tol: stop when every |μ_i − μ_i^prev| ≤ Tol·max(1, |μ_1|), where μ
	// are the Rayleigh quotients sorted in descending order. 0 means 1e-6.
	Tol float64
	// MaxIter caps the iterations (k applications each); 0 means 500.
	MaxIter int
	// RayleighRitz, if set, rotates the block to the eigenvectors of the
	// k×k projection VᵀHV at every iteration (Rayleigh-Ritz), which makes
	// clustered eigenvalues converge at the rate |λ_{k+1}/λ_i| rather
	// than |λ_{i+1}/λ_i|. The default (false) is the paper's plain method.
	RayleighRitz bool
	// Seed seeds the Gaussian start block.
	Seed uint64
	// Recorder, if non-nil, observes each iteration.
	Recorder Recorder
}

func (s *SubspaceSettings) defaults(n, k int) (SubspaceSettings, error) {
	c := *s
	if k < 1 || k > n {
		return c, &SettingsError{Field: "k", Value: k, Allowed: "1..Dim"}
	}
	if !(c.Tol >= 0) || math.IsInf(c.Tol, 0) {
		return c, &SettingsError{Field: "SubspaceSettings.Tol", Value: c.Tol, Allowed: "finite and >= 0 (0 means 1e-6)"}
	}
	if c.Tol == 0 {
		c.Tol = 1e-6
	}
	if c.MaxIter < 0 {
		return c, &SettingsError{Field: "SubspaceSettings.MaxIter", Value: c.MaxIter, Allowed: ">= 0 (0 means 500)"}
	}
	if c.MaxIter == 0 {
		c.MaxIter = 500
	}
	return c, nil
}

// Subspace computes the k largest-magnitude eigenpairs of op by simultaneous
// (subspace) iteration with QR, the paper's generalised power method
// (METHOD.md §4.4):
//
//	V ← qr(randn(n×k))
//	repeat: Z ← HV; μ ← diag(VᵀZ); V ← qr(Z)
//
// It applies op to the k vectors with one ApplyBlock when op is a
// BlockOperator. Values are sorted by descending value, as in the paper (for
// a positive semidefinite H this is also descending magnitude); Vectors and
// Residuals follow that order. The returned vectors are the block V whose
// product Z = HV gave the returned μ, and Residuals are ‖Hv_i − μ_i v_i‖
// from that product. Reaching MaxIter sets Status to IterationLimit.
func Subspace(op Operator, k int, settings SubspaceSettings) (Result, error) {
	n := op.Dim()
	s, err := settings.defaults(n, k)
	if err != nil {
		return Result{}, err
	}
	a := newApplier(op, MethodSubspace, s.Recorder)
	rnd := newRand(s.Seed)
	// Blocks are k×n, one vector per row; the QR is of the n×k transpose.
	v := mat.NewDense(k, n, nil)
	fillNormal(rnd, v.RawMatrix().Data)
	orthRows(v)
	z := mat.NewDense(k, n, nil)
	mu := make([]float64, k)
	prev := make([]float64, k)
	status := IterationLimit
	it := 0
	for it = 1; it <= s.MaxIter; it++ {
		if err := a.applyBlock(z, v); err != nil {
			return Result{}, err
		}
		if s.RayleighRitz {
			// Rotate V and Z by the eigenvectors of P = V Zᵀ (k×k).
			var p mat.Dense
			p.Mul(v, z.T())
			ps := mat.NewSymDense(k, nil)
			for i := 0; i < k; i++ {
				for j := i; j < k; j++ {
					ps.SetSym(i, j, 0.5*(p.At(i, j)+p.At(j, i)))
				}
			}
			var es mat.EigenSym
			if !es.Factorize(ps, true) {
				return Result{}, ErrFactorize
			}
			var u mat.Dense
			es.VectorsTo(&u)
			var tmp mat.Dense
			tmp.Mul(u.T(), v)
			v.Copy(&tmp)
			tmp.Mul(u.T(), z)
			z.Copy(&tmp)
		}
		for i := 0; i < k; i++ {
			mu[i] = floats.Dot(v.RawRowView(i), z.RawRowView(i))
		}
		sorted := append([]float64(nil), mu...)
		sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
		delta := 0.0
		for i := range sorted {
			delta = math.Max(delta, math.Abs(sorted[i]-prev[i]))
		}
		copy(prev, sorted)
		if err := a.record(Progress{Iter: it, Value: sorted[0], Residual: delta}); err != nil {
			return Result{}, err
		}
		if it > 1 && delta <= s.Tol*math.Max(1, math.Abs(sorted[0])) {
			status = Converged
			break
		}
		if it == s.MaxIter {
			break
		}
		v.Copy(z)
		orthRows(v)
	}
	it = min(it, s.MaxIter)
	// Order by descending μ.
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool { return mu[idx[x]] > mu[idx[y]] })
	res := Result{
		Values:     make([]float64, k),
		Vectors:    mat.NewDense(n, k, nil),
		Residuals:  make([]float64, k),
		Status:     status,
		Iterations: it,
		Applies:    a.applies,
	}
	r := make([]float64, n)
	for j, i := range idx {
		res.Values[j] = mu[i]
		res.Vectors.SetCol(j, v.RawRowView(i))
		floats.AddScaledTo(r, z.RawRowView(i), -mu[i], v.RawRowView(i))
		res.Residuals[j] = floats.Norm(r, 2)
	}
	return res, nil
}

// orthRows replaces the rows of v (k×n, k ≤ n) by an orthonormal basis of
// their span: a thin Householder QR (LAPACK Dgeqrf and Dorgqr) of the n×k
// matrix vᵀ, whose columns become the new rows.
func orthRows(v *mat.Dense) {
	k, n := v.Dims()
	a := blas64.General{Rows: n, Cols: k, Stride: k, Data: make([]float64, n*k)}
	for i := 0; i < k; i++ {
		row := v.RawRowView(i)
		for j, x := range row {
			a.Data[j*k+i] = x
		}
	}
	tau := make([]float64, k)
	work := make([]float64, 1)
	lapack64.Geqrf(a, tau, work, -1)
	lw := int(work[0])
	lapack64.Orgqr(a, tau, work, -1)
	lw = max(lw, int(work[0]), 1)
	work = make([]float64, lw)
	lapack64.Geqrf(a, tau, work, lw)
	lapack64.Orgqr(a, tau, work, lw)
	for i := 0; i < k; i++ {
		row := v.RawRowView(i)
		for j := range row {
			row[j] = a.Data[j*k+i]
		}
	}
}
