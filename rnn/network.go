package rnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/hessrnn/hessrnn/kernels"
)

// Block names one parameter block of a network.
type Block int

// The parameter blocks, in the order they are laid out in Network.Params.
const (
	// WIn is the N×In input weight matrix W_in (row i: unit i's input weights).
	WIn Block = iota
	// WRec is the N×N recurrent matrix W (W_ij: from unit j to unit i), with
	// a fixed zero diagonal.
	WRec
	// WOut is the Out×N readout matrix W_out.
	WOut
	// BOut is the readout bias b_out (length Out).
	BOut
	numBlocks
)

// Blocks lists every block in layout order.
var blockList = [numBlocks]Block{WIn, WRec, WOut, BOut}

// String returns the NPZ name of the block: W_in, W_rec, W_out or b_out.
func (b Block) String() string {
	switch b {
	case WIn:
		return "W_in"
	case WRec:
		return "W_rec"
	case WOut:
		return "W_out"
	case BOut:
		return "b_out"
	}
	return fmt.Sprintf("Block(%d)", int(b))
}

// ParamSet is a set of parameter blocks, for Hessian-vector products with
// respect to a subset of the parameters. The zero value means SetWRec, the
// paper's choice (§4.1).
type ParamSet uint8

// Parameter sets.
const (
	SetWIn  ParamSet = 1 << WIn
	SetWRec ParamSet = 1 << WRec
	SetWOut ParamSet = 1 << WOut
	SetBOut ParamSet = 1 << BOut
	// SetAll is every parameter.
	SetAll = SetWIn | SetWRec | SetWOut | SetBOut
)

// Has reports whether s (with the zero-value default applied) contains b.
func (s ParamSet) Has(b Block) bool { return s.orDefault()&(1<<b) != 0 }

func (s ParamSet) orDefault() ParamSet {
	if s == 0 {
		return SetWRec
	}
	return s
}

// Range is a block's position in the flat parameter vector.
type Range struct {
	// Off is the offset of the block's first element, Len its length, and
	// Rows×Cols its row-major shape.
	Off, Len, Rows, Cols int
}

// Layout gives the position of every block in the flat parameter vector:
// W_in, W_rec, W_out, b_out, one after another, each row-major.
type Layout struct {
	// Blocks is indexed by Block.
	Blocks [numBlocks]Range
	// Total is the number of parameters.
	Total int
}

// NewLayout returns the layout for the given sizes.
func NewLayout(in, n, out int) Layout {
	var l Layout
	shapes := [numBlocks][2]int{{n, in}, {n, n}, {out, n}, {out, 1}}
	off := 0
	for b, s := range shapes {
		l.Blocks[b] = Range{Off: off, Len: s[0] * s[1], Rows: s[0], Cols: s[1]}
		off += s[0] * s[1]
	}
	l.Total = off
	return l
}

// Dim returns the number of parameters in set s.
func (l Layout) Dim(s ParamSet) int {
	d := 0
	for _, b := range blockList {
		if s.Has(b) {
			d += l.Blocks[b].Len
		}
	}
	return d
}

// Gather copies the parameters of set s from the full vector full into the
// packed vector dst (blocks in layout order). It panics on wrong lengths.
func Gather[T kernels.Float](l Layout, s ParamSet, dst, full []T) {
	if len(full) != l.Total || len(dst) != l.Dim(s) {
		panic("rnn: Gather: wrong vector length")
	}
	o := 0
	for _, b := range blockList {
		if s.Has(b) {
			r := l.Blocks[b]
			copy(dst[o:o+r.Len], full[r.Off:r.Off+r.Len])
			o += r.Len
		}
	}
}

// Scatter writes the packed vector src of set s into the full vector full,
// leaving the other blocks unchanged. It panics on wrong lengths.
func Scatter[T kernels.Float](l Layout, s ParamSet, full, src []T) {
	if len(full) != l.Total || len(src) != l.Dim(s) {
		panic("rnn: Scatter: wrong vector length")
	}
	o := 0
	for _, b := range blockList {
		if s.Has(b) {
			r := l.Blocks[b]
			copy(full[r.Off:r.Off+r.Len], src[o:o+r.Len])
			o += r.Len
		}
	}
}

// Network is a rate RNN with plain and ALIF units (METHOD.md §1), generic over
// the element type. Its parameters live in one flat vector Params, laid out
// as described by Layout; WInM, WRecM, WOutM and BOutV are views into it.
//
// The model, with h^0 = r^0 = a^0 = 0 and steps t = 1..T:
//
//	h^t = α_m h^{t-1} + (1−α_m)(W r^{t-1} + W_in x^t)
//	a^t = ρ a^{t-1} + (1−ρ) r^{t-1}
//	r^t = relu(h^t − b_thr − β⊙a^t),  ψ^t = 1[h^t − b_thr − β⊙a^t > 0]
//	y^t = W_out r^t + b_out
//
// diag(W) is fixed at zero: it receives no gradient and no curvature.
type Network[T kernels.Float] struct {
	// Cfg is the validated configuration (Beta is copied).
	Cfg Config
	// Layout describes Params.
	Layout Layout
	// Params is the flat parameter vector.
	Params []T
	// WInM, WRecM, WOutM and BOutV are the blocks of Params.
	WInM, WRecM, WOutM, BOutV []T
	// beta holds β per unit in T; alif says whether any is non-zero.
	beta []T
	alif bool
}

// New validates cfg and returns a network initialised from cfg.Seed with
// the scheme cfg.Init.
func New[T kernels.Float](cfg Config) (*Network[T], error) {
	n, err := newEmpty[T](cfg)
	if err != nil {
		return nil, err
	}
	n.initialise()
	return n, nil
}

// newEmpty validates cfg and allocates a network with zero parameters.
func newEmpty[T kernels.Float](cfg Config) (*Network[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Beta = slices.Clone(cfg.Beta)
	cfg.Loss.StepMask = slices.Clone(cfg.Loss.StepMask)
	l := NewLayout(cfg.In, cfg.N, cfg.Out)
	net := &Network[T]{Cfg: cfg, Layout: l, Params: make([]T, l.Total)}
	net.bind()
	return net, nil
}

func (net *Network[T]) bind() {
	net.WInM = net.Block(WIn)
	net.WRecM = net.Block(WRec)
	net.WOutM = net.Block(WOut)
	net.BOutV = net.Block(BOut)
	net.beta = make([]T, net.Cfg.N)
	net.alif = false
	for i, b := range net.Cfg.Beta {
		net.beta[i] = T(b)
		if b != 0 {
			net.alif = true
		}
	}
}

// Block returns the view of block b in Params.
func (net *Network[T]) Block(b Block) []T { return blockOf(net.Layout, net.Params, b) }

// blockOf returns the view of block b in the full-layout vector x.
func blockOf[T any](l Layout, x []T, b Block) []T {
	r := l.Blocks[b]
	return x[r.Off : r.Off+r.Len : r.Off+r.Len]
}

// NumParams returns the length of Params.
func (net *Network[T]) NumParams() int { return net.Layout.Total }

// HasALIF reports whether any unit is an ALIF unit.
func (net *Network[T]) HasALIF() bool { return net.alif }

// Clone returns a deep copy.
func (net *Network[T]) Clone() *Network[T] {
	c := &Network[T]{Cfg: net.Cfg, Layout: net.Layout, Params: slices.Clone(net.Params)}
	c.Cfg.Beta = slices.Clone(net.Cfg.Beta)
	c.Cfg.Loss.StepMask = slices.Clone(net.Cfg.Loss.StepMask)
	c.bind()
	return c
}

// Convert returns a copy of net with element type U (float32 ↔ float64).
// Converting float64 to float32 rounds each parameter to nearest.
func Convert[U, T kernels.Float](net *Network[T]) *Network[U] {
	c := &Network[U]{Cfg: net.Cfg, Layout: net.Layout, Params: make([]U, len(net.Params))}
	c.Cfg.Beta = slices.Clone(net.Cfg.Beta)
	c.Cfg.Loss.StepMask = slices.Clone(net.Cfg.Loss.StepMask)
	for i, p := range net.Params {
		c.Params[i] = U(p)
	}
	c.bind()
	return c
}

// MaskDiag sets the diagonal of the N×N matrix w to zero.
func MaskDiag[T kernels.Float](w []T, n int) {
	for i := 0; i < n; i++ {
		w[i*n+i] = 0
	}
}

// Stream numbers of the PCG generator per block (the seed is the first
// PCG word, the stream the second).
const (
	streamWIn  = 0x9e3779b97f4a7c15
	streamWRec = 0xbf58476d1ce4e5b9
	streamWOut = 0x94d049bb133111eb
)

func (net *Network[T]) initialise() {
	c := &net.Cfg
	rin := rand.New(rand.NewPCG(c.Seed, streamWIn))
	rrec := rand.New(rand.NewPCG(c.Seed, streamWRec))
	rout := rand.New(rand.NewPCG(c.Seed, streamWOut))
	switch c.Init {
	case InitMurray:
		for i := range net.WInM {
			net.WInM[i] = T(0.1 * (rin.Float64() - 1))
		}
		s := 1.5 / math.Sqrt(float64(c.N))
		for i := range net.WRecM {
			net.WRecM[i] = T(s * rrec.NormFloat64())
		}
	default:
		s := 1 / math.Sqrt(float64(c.In)/2)
		for i := range net.WInM {
			net.WInM[i] = T(s * rin.NormFloat64())
		}
		s = 1 / math.Sqrt(float64(c.N)/2)
		for i := range net.WRecM {
			net.WRecM[i] = T(s * rrec.NormFloat64())
		}
	}
	DrawWOut(net.WOutM, c.Init, c.N, c.Out, rout)
	clear(net.BOutV)
	MaskDiag(net.WRecM, c.N)
}

// DrawWOut fills w, an out×n row-major matrix, with draws from rng as W_out
// is initialised under scheme init (Config.Init): 0.1·U(−1,1)/√n for
// InitMurray, Glorot-uniform U(−√(6/(n+out)), +√(6/(n+out))) otherwise.
// Entries are drawn in order, one uniform variate each.
func DrawWOut[T kernels.Float](w []T, init Init, n, out int, rng *rand.Rand) {
	s := math.Sqrt(6 / float64(n+out))
	if init == InitMurray {
		s = 0.1 / math.Sqrt(float64(n))
	}
	for i := range w {
		w[i] = T(s * (2*rng.Float64() - 1))
	}
}
