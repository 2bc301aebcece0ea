package rnn

import (
	"fmt"
	"math"
	"runtime"

	"github.com/hessrnn/hessrnn/kernels"
)

// Inference is the scratch of Network.Infer: the current and previous state
// of every batch row (and, for ALIF networks, its adaptation), O(B·N)
// memory where a Workspace holds the whole trajectory, O(T·B·N). It is
// reused across calls; after the first call with a given shape, Infer
// allocates nothing. The zero value is ready to use. An Inference is not
// safe for concurrent use.
type Inference[T kernels.Float] struct {
	bsz, n, in, out int
	alif            bool
	chunks          []inferChunk[T]
	pkWT            kernels.PackedB[T] // W_recᵀ packed, as Workspace.pkWT
	pkWInT          kernels.PackedB[T] // W_inᵀ packed, as Workspace.pkWInT
	lossAt          []bool
	nLoss           int

	// The call in progress, for the chunk runner.
	net   *Network[T]
	batch *Batch[T]
	y     []T
	jobFn func(int)
	pool  *pool
}

// inferChunk is the scratch of rows [b0, b1) of the batch: the same row
// chunks as the Workspace's, so that every product has the shape it has in
// Forward.
type inferChunk[T kernels.Float] struct {
	b0, b1   int
	r, rPrev []T // Bc·N: r^t and r^{t−1}
	psi      []T // Bc·N: ψ^t (written by the rectifier, not kept)
	h        []T // Bc·N: h^t (leaky or ALIF networks only)
	a, aPrev []T // Bc·N: a^t and a^{t−1} (ALIF networks only)
	dy       []T // Bc·Out: ∂L/∂y^t scratch of the loss
	loss     float64
	err      *ErrDiverged
	errBuf   ErrDiverged
}

// ensure sizes inf for the network and batch shape, allocating only when
// the shape changes.
func (inf *Inference[T]) ensure(net *Network[T], b *Batch[T]) {
	B, N, in, out, alif := b.Size, net.Cfg.N, net.Cfg.In, net.Cfg.Out, net.alif
	if inf.bsz == B && inf.n == N && inf.in == in && inf.out == out && inf.alif == alif && inf.chunks != nil {
		return
	}
	inf.bsz, inf.n, inf.in, inf.out, inf.alif = B, N, in, out, alif
	nc := (B + chunkRows - 1) / chunkRows
	inf.chunks = make([]inferChunk[T], nc)
	for i := range inf.chunks {
		c := &inf.chunks[i]
		c.b0, c.b1 = i*chunkRows, min((i+1)*chunkRows, B)
		bc := c.b1 - c.b0
		c.r, c.rPrev, c.psi, c.h = make([]T, bc*N), make([]T, bc*N), make([]T, bc*N), make([]T, bc*N)
		if alif {
			c.a, c.aPrev = make([]T, bc*N), make([]T, bc*N)
		}
		c.dy = make([]T, bc*out)
	}
}

// Infer runs the forward pass of Forward over b without storing the
// trajectory: it writes the readouts to y (length Steps·Size·Out,
// time-major as Batch.Y: y[(t·Size+b)·Out+o] is readout o of sequence b at
// step t+1, zero at steps where the loss is not applied, as
// Trajectory.Y) and returns the loss, L2 term included. The readouts, the
// loss and the errors (*ErrDiverged with the first step seen, a non-zero
// W_rec diagonal, a batch that does not fit) are bitwise those of Forward
// (TestInferMatchesForward): the same row chunks run the same kernels in
// the same order, and only the state of the last step is kept. Memory is
// O(B·N) instead of Forward's O(T·B·N), for evaluating large sets.
func (net *Network[T]) Infer(inf *Inference[T], b *Batch[T], y []T) (float64, error) {
	if err := net.checkBatch(b); err != nil {
		return 0, err
	}
	if err := net.checkDiag(); err != nil {
		return 0, err
	}
	if len(y) != b.Steps*b.Size*b.Out {
		return 0, fmt.Errorf("rnn: Infer: readouts have length %d, want Steps*Size*Out = %d", len(y), b.Steps*b.Size*b.Out)
	}
	inf.ensure(net, b)
	var err error
	inf.lossAt, inf.nLoss, err = net.Cfg.Loss.lossSteps(inf.lossAt, b.Steps)
	if err != nil {
		return 0, err
	}
	if inf.bsz > 1 {
		inf.pkWT.Pack(true, net.Cfg.N, net.Cfg.N, net.WRecM, net.Cfg.N)
	}
	inf.pkWInT.Pack(true, b.In, net.Cfg.N, net.WInM, b.In)
	inf.net, inf.batch, inf.y = net, b, y
	defer func() { inf.net, inf.batch, inf.y = nil, nil, nil }()
	inf.parallel(len(inf.chunks))
	loss := 0.0
	var div *ErrDiverged
	for i := range inf.chunks {
		c := &inf.chunks[i]
		loss += c.loss
		if c.err != nil && (div == nil || c.err.Step < div.Step) {
			div = c.err
		}
	}
	if div != nil {
		d := *div
		return math.NaN(), &d
	}
	loss += net.l2Loss()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, divergedAt(0, "loss", loss)
	}
	return loss, nil
}

// parallel runs the chunks on the calling goroutine plus up to
// kernels.Threads()−1 persistent helpers, as Workspace.parallel does.
func (inf *Inference[T]) parallel(n int) {
	helpers := min(kernels.Threads(), n) - 1
	if helpers <= 0 {
		for i := 0; i < n; i++ {
			inf.runChunk(i)
		}
		return
	}
	if inf.jobFn == nil {
		inf.jobFn = inf.runChunk
	}
	if inf.pool == nil {
		inf.pool = &pool{}
		runtime.AddCleanup(inf, func(p *pool) { p.stop() }, inf.pool)
	}
	inf.pool.run(inf.jobFn, n, helpers)
}

// runChunk is forwardRows for chunk i with two state slots instead of the
// trajectory: each operation below is the one forwardRows runs on the same
// rows, with the same operands.
func (inf *Inference[T]) runChunk(i int) {
	net, b, c := inf.net, inf.batch, &inf.chunks[i]
	cfg := &net.Cfg
	B, N, In, Out := inf.bsz, inf.n, inf.in, inf.out
	b0, b1 := c.b0, c.b1
	bc := b1 - b0
	c.loss, c.err = 0, nil
	clear(c.rPrev) // r^0 = a^0 = 0
	if net.alif {
		clear(c.aPrev)
	}
	for t := 1; t <= b.Steps; t++ {
		first := t == 1
		r, rPrev := c.r, c.rPrev
		// (1−α_m) W_in x^t for the chunk's rows: rows of the product
		// Forward computes over all T·B rows at once (each row of a
		// kernels.Gemm product is the same whatever the other rows, and
		// GemmPacked gives Gemm's bits).
		xt := b.X[((t-1)*B+b0)*In : ((t-1)*B+b1)*In]
		kernels.GemmPacked(false, bc, T(1-cfg.Leak), xt, In, &inf.pkWInT, 0, r, N)
		var pk *kernels.PackedB[T]
		if B > 1 {
			pk = &inf.pkWT
		}
		net.stepRates(B, bc, first, nil, pk, r, rPrev, c.psi, c.h, c.a, c.aPrev)
		if net.alif {
			c.a, c.aPrev = c.aPrev, c.a
		}
		c.r, c.rPrev = rPrev, r // r^t becomes the previous state
		if s := kernels.Dot(r, r); math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			c.errBuf = ErrDiverged{Iter: -1, Step: t, Quantity: "state", Index: -1, Value: float64(s)}
			c.err = &c.errBuf
			return
		}
		y := inf.y[((t-1)*B+b0)*Out : ((t-1)*B+b1)*Out]
		if !inf.lossAt[t] {
			clear(y)
			continue
		}
		net.readout(bc, r, y)
		c.loss += readoutLossRows(cfg.Loss.Kind, b, B, Out, inf.nLoss, t, b0, b1, y, c.dy)
		if math.IsNaN(c.loss) || math.IsInf(c.loss, 0) {
			c.errBuf = ErrDiverged{Iter: -1, Step: t, Quantity: "loss", Index: -1, Value: c.loss}
			c.err = &c.errBuf
			return
		}
	}
}
