package testproblems

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Problem is a symmetric matrix with a known spectrum.
type Problem struct {
	// Name describes the spectrum, for subtest names.
	Name string
	// Values holds the eigenvalues in descending order.
	Values []float64
	// A = Q diag(Values) Qᵀ.
	A *mat.SymDense
}

// Orthogonal returns an n×n Haar-distributed random orthogonal matrix: the Q
// of a QR factorisation of a standard normal matrix, with its columns' signs
// fixed so that R has a positive diagonal.
func Orthogonal(n int, seed uint64) *mat.Dense {
	r := rand.New(rand.NewPCG(seed, 0x7465737470726f62))
	g := mat.NewDense(n, n, nil)
	raw := g.RawMatrix().Data
	for i := range raw {
		raw[i] = r.NormFloat64()
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, rr mat.Dense
	qr.QTo(&q)
	qr.RTo(&rr)
	for j := 0; j < n; j++ {
		if rr.At(j, j) < 0 {
			for i := 0; i < n; i++ {
				q.Set(i, j, -q.At(i, j))
			}
		}
	}
	return &q
}

// WithSpectrum returns Q diag(values) Qᵀ for a random orthogonal Q drawn
// from seed. The result is exactly symmetric.
func WithSpectrum(values []float64, seed uint64) *mat.SymDense {
	n := len(values)
	q := Orthogonal(n, seed)
	qd := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			qd.Set(i, j, q.At(i, j)*values[j])
		}
	}
	var full mat.Dense
	full.Mul(qd, q.T())
	a := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			a.SetSym(i, j, 0.5*(full.At(i, j)+full.At(j, i)))
		}
	}
	return a
}

// NewProblem returns the Problem with the given name and eigenvalues.
func NewProblem(name string, values []float64, seed uint64) Problem {
	v := append([]float64(nil), values...)
	sort.Sort(sort.Reverse(sort.Float64Slice(v)))
	return Problem{Name: name, Values: v, A: WithSpectrum(v, seed)}
}

// Spread returns n eigenvalues spaced geometrically from hi down to lo > 0.
func Spread(n int, hi, lo float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		if n == 1 {
			v[i] = hi
			continue
		}
		v[i] = hi * math.Pow(lo/hi, float64(i)/float64(n-1))
	}
	return v
}

// Indefinite returns n eigenvalues spaced linearly from hi down to lo < 0,
// so that hi is the dominant eigenvalue when hi > |lo|.
func Indefinite(n int, hi, lo float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		if n == 1 {
			v[i] = hi
			continue
		}
		v[i] = hi + (lo-hi)*float64(i)/float64(n-1)
	}
	return v
}

// Clustered returns n eigenvalues in clusters of c, with the cluster
// centres spaced linearly from 10 down to 1 and the members of a cluster
// spread over width times the centre spacing (0 < width < 1 gives tight,
// distinct clusters that every method can resolve).
func Clustered(n, c int, width float64) []float64 {
	nc := (n + c - 1) / c
	spacing := 9.0
	if nc > 1 {
		spacing = 9 / float64(nc-1)
	}
	v := make([]float64, n)
	for i := range v {
		cl := i / c
		v[i] = 10 - spacing*float64(cl) + width*spacing*float64(i%c)/float64(c)
	}
	return v
}

// PowerLaw returns λ_n = scale·n^{−gamma}, n = 1..len.
func PowerLaw(n int, gamma, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * math.Pow(float64(i+1), -gamma)
	}
	return v
}

// NegativeDominant returns n eigenvalues in [lo, hi] with lo < 0 and
// |lo| > hi, so the dominant eigenvalue is negative.
func NegativeDominant(n int, hi, lo float64) []float64 {
	v := Indefinite(n, hi, lo)
	return v
}

// Standard returns the table of named problems of order n used by the eig
// tests: definite spread, indefinite, clustered, negative-dominant and
// power-law spectra.
func Standard(n int, seed uint64) []Problem {
	return []Problem{
		NewProblem("definite-spread", Spread(n, 10, 1e-3), seed),
		NewProblem("indefinite", Indefinite(n, 5, -3), seed+1),
		NewProblem("clustered", Clustered(n, 4, 1e-2), seed+2),
		NewProblem("negative-dominant", NegativeDominant(n, 2, -6), seed+3),
		NewProblem("power-law", PowerLaw(n, 1, 4), seed+4),
	}
}

// Diagonal is the operator diag(d) with eigenvalues d; it satisfies
// eig.Operator and eig.BlockOperator for any dimension.
type Diagonal []float64

// Dim returns len(d).
func (d Diagonal) Dim() int { return len(d) }

// Apply sets dst_i = d_i·src_i.
func (d Diagonal) Apply(dst, src []float64) {
	if len(dst) != len(d) || len(src) != len(d) {
		panic("testproblems: Diagonal.Apply: slice length does not match Dim")
	}
	for i, x := range d {
		dst[i] = x * src[i]
	}
}

// ApplyBlock applies d to each row of src.
func (d Diagonal) ApplyBlock(dst, src *mat.Dense) {
	k, _ := src.Dims()
	for i := 0; i < k; i++ {
		d.Apply(dst.RawRowView(i), src.RawRowView(i))
	}
}
