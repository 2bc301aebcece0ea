package eig

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// Operator is a symmetric linear operator H on R^Dim, such as a
// Hessian-vector product. Apply sets dst = H src; len(dst) == len(src) ==
// Dim(). Apply must not modify src or retain either slice. The methods of
// this package assume H is symmetric and do not check it.
type Operator interface {
	Dim() int
	Apply(dst, src []float64)
}

// FallibleOperator is an Operator whose product can fail. When an operator
// implements it, the methods call ApplyErr instead of Apply and stop with an
// *OperatorError wrapping a non-nil error.
type FallibleOperator interface {
	Operator
	ApplyErr(dst, src []float64) error
}

// BlockOperator is an Operator that applies H to k vectors at once. src and
// dst are k×Dim with one vector per row: row i of dst = H (row i of src).
// The rnn package's HessianOperator satisfies it structurally. Subspace and
// RelativeFlatness pass whole blocks (k and M vectors); an operator whose
// memory grows with the block size should split large blocks itself (the
// rnn HVP does). A block of k vectors counts as k applications.
type BlockOperator interface {
	Operator
	ApplyBlock(dst, src *mat.Dense)
}

// FallibleBlockOperator is a BlockOperator whose block product can fail.
type FallibleBlockOperator interface {
	BlockOperator
	ApplyBlockErr(dst, src *mat.Dense) error
}

// Dense adapts a mat.Symmetric matrix to a BlockOperator, for tests and for
// small problems whose matrix is known.
type Dense struct {
	A mat.Symmetric
}

// NewDense returns a Dense operator for a.
func NewDense(a mat.Symmetric) *Dense { return &Dense{A: a} }

// Dim returns the order of the matrix.
func (d *Dense) Dim() int { return d.A.SymmetricDim() }

// Apply sets dst = A src.
func (d *Dense) Apply(dst, src []float64) {
	n := d.Dim()
	if len(dst) != n || len(src) != n {
		panic("eig: Dense.Apply: slice length does not match Dim")
	}
	mat.NewVecDense(n, dst).MulVec(d.A, mat.NewVecDense(n, src))
}

// ApplyBlock sets dst = src A, i.e. each row of dst is A times that row of
// src.
func (d *Dense) ApplyBlock(dst, src *mat.Dense) {
	dst.Mul(src, d.A)
}

// Func adapts a function to an Operator of dimension N.
type Func struct {
	N int
	F func(dst, src []float64)
}

// Dim returns N.
func (f Func) Dim() int { return f.N }

// Apply calls F(dst, src).
func (f Func) Apply(dst, src []float64) { f.F(dst, src) }

// Method names an algorithm of this package, for errors and Progress.
type Method int

// Methods.
const (
	MethodPower Method = iota + 1
	MethodLanczos
	MethodSubspace
	MethodHutchinson
	MethodSLQ
	MethodFlatness
)

// String returns the method's name.
func (m Method) String() string {
	switch m {
	case MethodPower:
		return "power"
	case MethodLanczos:
		return "lanczos"
	case MethodSubspace:
		return "subspace"
	case MethodHutchinson:
		return "hutchinson"
	case MethodSLQ:
		return "slq"
	case MethodFlatness:
		return "flatness"
	}
	return "unknown"
}

// Status reports how an iterative method terminated.
type Status int

// Statuses.
const (
	// NotTerminated is the zero Status.
	NotTerminated Status = iota
	// Converged means the stopping rule was met (or the Krylov space
	// exhausted R^Dim, making the result exact).
	Converged
	// IterationLimit means MaxIter was reached first. The result holds the
	// last estimate; this is a warning, not an error.
	IterationLimit
	// ApplyLimit means MaxApplies was reached first. The result holds the
	// last estimate; this is a warning, not an error.
	ApplyLimit
)

// String returns the status name.
func (s Status) String() string {
	switch s {
	case NotTerminated:
		return "NotTerminated"
	case Converged:
		return "Converged"
	case IterationLimit:
		return "IterationLimit"
	case ApplyLimit:
		return "ApplyLimit"
	}
	return "Status(?)"
}

// Progress is passed to a Recorder after each iteration of a method.
type Progress struct {
	Method Method
	// Iter counts iterations (power or subspace steps, Lanczos basis
	// vectors, stochastic probes).
	Iter int
	// Applies counts operator applications so far.
	Applies int
	// Value is the current leading estimate (eigenvalue, or running mean
	// for stochastic estimators).
	Value float64
	// Residual is the method's current convergence measure: the change of
	// the estimate for Power and Subspace, the largest wanted Ritz residual
	// for Lanczos (only when it was evaluated, else NaN), the standard error
	// for stochastic estimators.
	Residual float64
}

// Recorder observes the progress of a method. A non-nil error from Record
// stops the method, which returns it wrapped in a *RecorderError.
type Recorder interface {
	Record(Progress) error
}

// RecorderFunc adapts a function to a Recorder.
type RecorderFunc func(Progress) error

// Record calls f(p).
func (f RecorderFunc) Record(p Progress) error { return f(p) }

// applier applies an operator, counts applications and checks products.
type applier struct {
	op      Operator
	method  Method
	n       int
	applies int
	rec     Recorder
}

func newApplier(op Operator, m Method, rec Recorder) *applier {
	return &applier{op: op, method: m, n: op.Dim(), rec: rec}
}

func (a *applier) apply(dst, src []float64) error {
	a.applies++
	if fo, ok := a.op.(FallibleOperator); ok {
		if err := fo.ApplyErr(dst, src); err != nil {
			return &OperatorError{Method: a.method, Apply: a.applies, Err: err}
		}
	} else {
		a.op.Apply(dst, src)
	}
	return a.check(dst, a.applies)
}

func (a *applier) check(v []float64, apply int) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return &NotFiniteError{Method: a.method, Apply: apply, Index: i, Value: x}
		}
	}
	return nil
}

// applyBlock sets each row of dst to H times that row of src.
func (a *applier) applyBlock(dst, src *mat.Dense) error {
	k, _ := src.Dims()
	first := a.applies + 1
	switch bo := a.op.(type) {
	case FallibleBlockOperator:
		a.applies += k
		if err := bo.ApplyBlockErr(dst, src); err != nil {
			return &OperatorError{Method: a.method, Apply: first, Err: err}
		}
	case BlockOperator:
		a.applies += k
		bo.ApplyBlock(dst, src)
	default:
		for i := 0; i < k; i++ {
			if err := a.apply(dst.RawRowView(i), src.RawRowView(i)); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < k; i++ {
		if err := a.check(dst.RawRowView(i), first+i); err != nil {
			return err
		}
	}
	return nil
}

func (a *applier) record(p Progress) error {
	if a.rec == nil {
		return nil
	}
	p.Method = a.method
	p.Applies = a.applies
	if err := a.rec.Record(p); err != nil {
		return &RecorderError{Method: a.method, Err: err}
	}
	return nil
}
