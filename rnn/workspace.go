package rnn

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hessrnn/hessrnn/kernels"
)

// chunkRows is the fixed number of batch rows per goroutine work item. The
// chunking depends only on the batch size, never on GOMAXPROCS, so results
// are bitwise identical for any number of threads.
const chunkRows = 128

// stepProjMinRows is the smallest batch whose forward pass computes the
// input projection step by step (Workspace.stepProj); smaller batches do
// it in one product over all steps, whose per-call overhead is lower.
// Results do not depend on it.
const stepProjMinRows = 64

// Workspace holds the forward trajectory and backward deltas of one batch,
// and the scratch of the forward, backward and Hessian-vector passes. It is
// reused across calls: after the first call with a given shape, Forward and
// Backward allocate nothing. The zero value is ready to use. A Workspace is
// not safe for concurrent use.
//
// Storage is time-major with one row per batch item: the state of step t
// (t = 0..T, step 0 being the zero initial state) is the B×N row-major
// matrix at offset t·B·N. Memory is O(T·B·(N + Out)).
type Workspace[T kernels.Float] struct {
	bsz, steps, n, in, out int
	alif                   bool
	// t0 is the global step of local slot 0 and total the global number of
	// steps: the stored steps are t0+1..t0+steps of a sequence of total
	// steps. A Forward stores the whole sequence (t0 = 0, total = steps);
	// a checkpointed HVP stores one segment at a time.
	t0, total int

	// r, psi, a: (T+1)·B·N; delta: (T+2)·B·N (slot T+1 holds δ entering a
	// segment from the right); y, dy: (T+1)·B·Out.
	r, psi, a, delta []T
	y, dy            []T
	// wT is W_recᵀ (N×N) of the forward pass's network, so that the
	// recurrent products r·Wᵀ of the forward and tangent forward passes are
	// untransposed gemms (the same values, summed in the same order). The
	// forward pass writes it only in the reference formulation (unpacked;
	// otherwise it packs pkWT straight from W_rec), the HVP at every Reset.
	wT []T
	// pkWT is W_recᵀ and pkW is W_rec, packed for the recurrent products
	// of the forward and backward recursions (batches only).
	pkWT, pkW kernels.PackedB[T]
	// pkWInT is W_inᵀ packed for the step-by-step input projection
	// (stepProj), once per forward pass instead of by every step's product.
	pkWInT kernels.PackedB[T]
	// stepProj: the forward pass computes the input projection step by
	// step (see forwardWindow). lazyDelta: the backward pass writes the
	// readout term only at loss steps and the recursion overwrites δ at the
	// others (see backwardWindow).
	stepProj, lazyDelta bool
	// unpacked selects the reference formulation of the training passes,
	// for tests: the input projection in one product over all steps,
	// W_rec read in place, δ cleared before the backward recursion. Its
	// results are bitwise those of the default (TestTrainingPassesBitwise).
	unpacked bool
	// keep is the KeepLast setting; validFrom is the first step whose r and
	// ψ the last forward pass stored (0: every step).
	keep, validFrom int

	// lossAt is indexed by local step; nLoss counts the loss steps of the
	// whole sequence.
	lossAt []bool
	nLoss  int

	batch  *Batch[T]
	net    *Network[T]
	chunks []chunk[T]

	haveFwd, haveBwd bool
	loss             float64

	// Parallel dispatch: the operation, its HVP, the bound chunk runner
	// and the helper pool.
	op    int
	hvp   *HVP[T]
	jobFn func(int)
	pool  *pool
}

// chunk is the per-goroutine scratch for rows [b0, b1) of the batch.
type chunk[T kernels.Float] struct {
	b0, b1 int
	h      []T // Bc·N: h^t (leaky or ALIF networks only)
	// rs and ps hold r^t (two alternating slots) and ψ^t of the steps a
	// KeepLast forward pass does not store.
	rs     [2][]T
	ps     []T
	gam    []T // Bc·N: ALIF γ^t and γ^{t+1}
	gamNxt []T
	loss   float64
	err    *ErrDiverged
	errBuf ErrDiverged
}

// ensure sizes ws for the network and batch shape, allocating only when the
// shape grows or changes.
func (ws *Workspace[T]) ensure(net *Network[T], b *Batch[T]) {
	B, steps, N, in, out := b.Size, b.Steps, net.Cfg.N, net.Cfg.In, net.Cfg.Out
	alif := net.alif
	if ws.bsz == B && ws.steps == steps && ws.n == N && ws.in == in && ws.out == out && ws.alif == alif && ws.r != nil {
		return
	}
	ws.bsz, ws.steps, ws.n, ws.in, ws.out, ws.alif = B, steps, N, in, out, alif
	sn := (steps + 1) * B * N
	so := (steps + 1) * B * out
	ws.r = grow(ws.r, sn)
	ws.psi = grow(ws.psi, sn)
	ws.delta = grow(ws.delta, sn+B*N)
	if alif {
		ws.a = grow(ws.a, sn)
	} else {
		ws.a = nil
	}
	ws.wT = grow(ws.wT, N*N)
	ws.y = grow(ws.y, so)
	ws.dy = grow(ws.dy, so)
	// The initial state r^0 = a^0 = 0 and ψ^0 = δ^0 = 0 are never written.
	clear(ws.r[:B*N])
	clear(ws.psi[:B*N])
	clear(ws.delta[:B*N])
	if alif {
		clear(ws.a[:B*N])
	}
	clear(ws.y[:B*out])
	clear(ws.dy[:B*out])
	nc := (B + chunkRows - 1) / chunkRows
	ws.chunks = make([]chunk[T], nc)
	for i := range ws.chunks {
		c := &ws.chunks[i]
		c.b0, c.b1 = i*chunkRows, min((i+1)*chunkRows, B)
		bc := c.b1 - c.b0
		c.h = make([]T, bc*N)
		if alif {
			c.gam = make([]T, bc*N)
			c.gamNxt = make([]T, bc*N)
		}
	}
	ws.haveFwd, ws.haveBwd = false, false
}

// KeepLast makes the following forward passes on ws store the rates and
// pseudo-derivatives of only the last k steps and the state before them:
// r^t and ψ^t for t ≥ T−k (the Trajectory accessors R and Psi panic for
// the earlier steps, and Backward returns an error). The forward pass
// computes the same values, bit for bit, writing the earlier steps to a
// per-chunk scratch instead of a T·B·N trajectory: less memory traffic for
// rules that read only the last steps. It applies to networks of plain
// units without leak and threshold; others store every step. k = 0 (the
// default) stores every step; k < 0 is treated as 0.
func (ws *Workspace[T]) KeepLast(k int) { ws.keep = max(k, 0) }

// transpose writes the transpose of the n×n row-major matrix src to dst,
// in 16×16 tiles.
func transpose[T kernels.Float](dst, src []T, n int) { transposeTo(dst, n, src, n, n) }

// transposeTo writes the transpose of the r×c row-major matrix src into
// dst with row stride ldd: dst[j·ldd+i] = src[i·c+j], in 16×16 tiles.
func transposeTo[T kernels.Float](dst []T, ldd int, src []T, r, c int) {
	const tile = 16
	for i0 := 0; i0 < r; i0 += tile {
		i1 := min(i0+tile, r)
		for j0 := 0; j0 < c; j0 += tile {
			j1 := min(j0+tile, c)
			for i := i0; i < i1; i++ {
				row := src[i*c : i*c+c]
				for j := j0; j < j1; j++ {
					dst[j*ldd+i] = row[j]
				}
			}
		}
	}
}

func grow[T kernels.Float](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// rows returns rows [b0, b1) of the step-t matrix with width w in s.
func rows[T kernels.Float](s []T, t, bsz, b0, b1, w int) []T {
	return s[(t*bsz+b0)*w : (t*bsz+b1)*w]
}

// Operations run per chunk by parallel.
const (
	opForward = iota
	opBackward
	opHVPForward
	opHVPBackward
)

// parallel runs operation op on n work items (the batch chunks; for the
// HVP, the same chunks with every direction of the sub-block), on the calling goroutine plus up
// to kernels.Threads()−1 persistent helpers. Each item writes only its own rows
// and scratch, so the schedule does not affect the result. It allocates
// nothing once the helpers exist.
func (ws *Workspace[T]) parallel(op, n int) {
	ws.op = op
	helpers := min(kernels.Threads(), n) - 1
	if helpers <= 0 {
		for i := 0; i < n; i++ {
			ws.runItem(i)
		}
		return
	}
	if ws.jobFn == nil {
		ws.jobFn = ws.runItem
	}
	if ws.pool == nil {
		ws.pool = &pool{}
		runtime.AddCleanup(ws, func(p *pool) { p.stop() }, ws.pool)
	}
	ws.pool.run(ws.jobFn, n, helpers)
}

func (ws *Workspace[T]) runItem(i int) {
	switch ws.op {
	case opForward:
		ws.net.forwardRows(ws, &ws.chunks[i])
	case opBackward:
		ws.net.backwardRows(ws, &ws.chunks[i])
	case opHVPForward:
		ws.hvp.tangentForward(i)
	case opHVPBackward:
		ws.hvp.tangentBackward(i)
	}
}

// pool is a set of persistent helper goroutines that share the work items
// of one parallel call with the caller. Helpers reference only the pool,
// so a dropped Workspace is collected and its cleanup stops them.
type pool struct {
	mu      sync.Mutex
	start   chan struct{}
	done    chan struct{}
	helpers int
	job     func(int)
	n       int
	next    atomic.Int64
}

func (p *pool) run(job func(int), n, helpers int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.start == nil {
		p.start = make(chan struct{})
		p.done = make(chan struct{})
	}
	for p.helpers < helpers {
		go p.loop(p.start, p.done)
		p.helpers++
	}
	p.job, p.n = job, n
	p.next.Store(0)
	for i := 0; i < helpers; i++ {
		p.start <- struct{}{}
	}
	p.work()
	for i := 0; i < helpers; i++ {
		<-p.done
	}
	p.job = nil
}

func (p *pool) loop(start <-chan struct{}, done chan<- struct{}) {
	for range start {
		p.work()
		done <- struct{}{}
	}
}

func (p *pool) work() {
	for {
		i := int(p.next.Add(1) - 1)
		if i >= p.n {
			return
		}
		p.job(i)
	}
}

func (p *pool) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.start != nil {
		close(p.start)
		p.start = nil
	}
}

// tnChunk is the number of rows per product in gemmTN.
const tnChunk = 256

// gemmTN sets C = alpha·Aᵀ·B + beta·C for the k×m matrix A and the k×n
// matrix B: a sum of outer products over k rows (batch items and steps).
// It runs kernels.Gemm on fixed chunks of tnChunk rows, accumulating in
// order, so that the operands of one product stay in cache when k is T·B
// (about 1.5 times faster than one product at k = 6912 on the development
// machine). Every element is summed in the same fixed order for any m and
// n.
func gemmTN[T kernels.Float](m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if k <= tnChunk {
		kernels.Gemm(true, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	for k0 := 0; k0 < k; k0 += tnChunk {
		kernels.Gemm(true, false, m, n, min(tnChunk, k-k0), alpha, a[k0*lda:], lda, b[k0*ldb:], ldb, beta, c, ldc)
		beta = 1
	}
}

// mm is kernels.Gemm with single-row products routed to the gemv kernels.
func mm[T kernels.Float](tA, tB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 1 && !tA && k > 0 && n > 0 {
		if tB {
			kernels.GemvN(c[:n], alpha, b, ldb, a[:k], beta)
		} else {
			kernels.GemvT(c[:n], alpha, b, ldb, a[:k], beta)
		}
		return
	}
	if k == 1 && tA && !tB && beta == 1 && lda == m && ldb == n && ldc == n {
		kernels.Ger(c, ldc, alpha, a[:m], b[:n])
		return
	}
	kernels.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Trajectory is a read-only view of the forward pass (and, after Backward,
// the BPTT deltas) stored in a Workspace, for learning rules that build on
// it (e-prop, RFLO, MDGL, RTRL). Every per-step matrix is B×N (or B×Out)
// row-major, one row per batch item, and aliases the workspace: it is valid
// until the next call that uses the workspace, and must not be modified.
type Trajectory[T kernels.Float] struct {
	// B, Steps, N, In and Out are the shapes; Steps is T.
	B, Steps, N, In, Out int
	ws                   *Workspace[T]
}

// Trajectory returns the view of the last forward pass, or ErrNoForward.
func (ws *Workspace[T]) Trajectory() (Trajectory[T], error) {
	if !ws.haveFwd {
		return Trajectory[T]{}, ErrNoForward
	}
	return Trajectory[T]{B: ws.bsz, Steps: ws.steps, N: ws.n, In: ws.in, Out: ws.out, ws: ws}, nil
}

// step returns step t (0..T) of s, which holds B×w per step.
func (tr Trajectory[T]) step(s []T, t, w int) []T {
	if t < 0 || t > tr.Steps {
		panic("rnn: Trajectory step out of range [0, Steps]")
	}
	return s[t*tr.B*w : (t+1)*tr.B*w]
}

func (tr Trajectory[T]) state(s []T, t int) []T { return tr.step(s, t, tr.N) }

// R returns the rates r^t for t = 0..T (r^0 = 0). After a forward pass
// with Workspace.KeepLast it panics for the steps not kept.
func (tr Trajectory[T]) R(t int) []T { return tr.kept(tr.ws.r, t) }

// Psi returns ψ^t = 1[h^t − A^t > 0] for t = 1..T (ψ^0 = 0), the
// pseudo-derivative of every unit, plain or ALIF. After a forward pass
// with Workspace.KeepLast it panics for the steps not kept.
func (tr Trajectory[T]) Psi(t int) []T { return tr.kept(tr.ws.psi, t) }

// kept is state for the steps the forward pass stored.
func (tr Trajectory[T]) kept(s []T, t int) []T {
	if t >= 1 && t < tr.ws.validFrom {
		panic("rnn: Trajectory step not kept by the forward pass (Workspace.KeepLast)")
	}
	return tr.state(s, t)
}

// A returns the adaptation a^t for t = 0..T (a^0 = 0), or nil when the
// network has no ALIF units (a is then identically 0).
func (tr Trajectory[T]) A(t int) []T {
	if tr.ws.a == nil {
		return nil
	}
	return tr.state(tr.ws.a, t)
}

// Delta returns the BPTT delta δ^t = ∂L/∂h^t (METHOD.md §2.1) for t = 1..T,
// after Backward; before it, ErrNoForward-like zero state is not reported
// and the contents are undefined. HasDelta says whether it is valid.
func (tr Trajectory[T]) Delta(t int) []T { return tr.state(tr.ws.delta, t) }

// HasDelta reports whether Backward has run on this forward pass.
func (tr Trajectory[T]) HasDelta() bool { return tr.ws.haveBwd }

func (tr Trajectory[T]) readout(s []T, t int) []T { return tr.step(s, t, tr.Out) }

// Y returns the readout y^t = W_out r^t + b_out at steps where the loss is
// applied (LossStep(t)); at other steps it holds zeros.
func (tr Trajectory[T]) Y(t int) []T { return tr.readout(tr.ws.y, t) }

// DY returns ∂L/∂y^t, the immediate readout error with the loss
// normalisation folded in: (y − y*)/(B·|𝒯|) for MSE and (softmax(y) − π*)/B
// for cross-entropy at loss steps, zero elsewhere (METHOD.md §2, L2 excluded).
func (tr Trajectory[T]) DY(t int) []T { return tr.readout(tr.ws.dy, t) }

// LossStep reports whether the loss is applied at step t (1..T).
func (tr Trajectory[T]) LossStep(t int) bool { return tr.ws.lossAt[t] }

// X returns the inputs x^t of step t = 1..T as a B×In matrix (step t reads
// the batch's time index t−1).
func (tr Trajectory[T]) X(t int) []T {
	if t < 1 || t > tr.Steps {
		panic("rnn: Trajectory input step out of range [1, Steps]")
	}
	return tr.ws.batch.X[(t-1)*tr.B*tr.In : t*tr.B*tr.In]
}

// Loss returns the loss of the forward pass, L2 term included.
func (tr Trajectory[T]) Loss() float64 { return tr.ws.loss }
