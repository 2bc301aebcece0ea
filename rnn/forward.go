package rnn

import (
	"fmt"
	"math"

	"github.com/hessrnn/hessrnn/kernels"
)

// checkBatch validates b against the network.
func (net *Network[T]) checkBatch(b *Batch[T]) error {
	if b == nil {
		return fmt.Errorf("rnn: nil batch")
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if b.In != net.Cfg.In || b.Out != net.Cfg.Out {
		return fmt.Errorf("rnn: batch In=%d Out=%d, network In=%d Out=%d", b.In, b.Out, net.Cfg.In, net.Cfg.Out)
	}
	if b.Size < 1 || b.Steps < 1 {
		return fmt.Errorf("rnn: batch Size=%d Steps=%d, both must be at least 1", b.Size, b.Steps)
	}
	switch net.Cfg.Loss.Kind {
	case MSE:
		if b.Y == nil {
			return fmt.Errorf("rnn: MSE loss needs batch targets Y")
		}
	case CrossEntropy:
		if b.Labels == nil {
			return fmt.Errorf("rnn: cross-entropy loss needs batch Labels")
		}
	}
	return nil
}

// Forward runs the network over the batch, stores the trajectory in ws and
// returns the loss
//
//	MSE: L = 1/(2·B·|𝒯|) Σ_b Σ_{t∈𝒯} Σ_o (y_{b,o}^t − y*_{b,o}^t)²
//	CE:  L = −(1/B) Σ_b Σ_{t∈𝒯} log softmax(y_b^t)[label_b^t]
//
// plus λ/2·(‖W_in‖² + ‖W_rec‖² + ‖W_out‖²) when Cfg.L2 = λ > 0 (paper
// §1.4), where 𝒯 is the set of loss steps of Cfg.Loss. A NaN or Inf in a
// state or the loss returns *ErrDiverged with the first step seen; a
// non-zero W_rec diagonal is an error. The batch is referenced, not copied,
// until the next Forward. After warm-up it allocates nothing (with
// GOMAXPROCS > 1, kernels.Gemm may start goroutines for large products,
// which allocates).
func (net *Network[T]) Forward(ws *Workspace[T], b *Batch[T]) (float64, error) {
	if err := net.checkBatch(b); err != nil {
		return 0, err
	}
	if err := net.checkDiag(); err != nil {
		return 0, err
	}
	ws.ensure(net, b)
	ws.haveFwd, ws.haveBwd = false, false
	var err error
	ws.lossAt, ws.nLoss, err = net.Cfg.Loss.lossSteps(ws.lossAt, b.Steps)
	if err != nil {
		return 0, err
	}
	ws.batch, ws.net = b, net
	ws.t0, ws.total = 0, b.Steps
	loss, err := net.forwardWindow(ws)
	if err != nil {
		return math.NaN(), err
	}
	loss += net.l2Loss()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, divergedAt(0, "loss", loss)
	}
	ws.loss = loss
	ws.haveFwd = true
	return loss, nil
}

// forwardWindow runs the forward pass over the stored steps of ws (local
// steps 1..ws.steps, global steps t0+1..t0+steps of ws.batch, a view of
// those steps), from the state in local slot 0 and, for leaky or ALIF
// networks, the chunks' h (both zero at t0 = 0). The chunks' losses carry
// over from the previous window when t0 > 0; it returns their sum, the
// loss of the steps 1..t0+steps, without the L2 term. Every stored value
// is bitwise the one a Forward over the whole sequence stores: the input
// projection is a product over the window's rows (or each step's rows),
// whose rows do not depend on the others (kernels.Gemm), and the recursion
// runs the same operations.
func (net *Network[T]) forwardWindow(ws *Workspace[T]) (float64, error) {
	b := ws.batch
	if ws.t0 == 0 { // r^0 = a^0 = 0 (a checkpointed HVP may have used slot 0)
		clear(ws.r[:ws.bsz*ws.n])
		if net.alif {
			clear(ws.a[:ws.bsz*ws.n])
		}
	}
	N := net.Cfg.N
	if ws.bsz > 1 {
		if ws.unpacked {
			// The reference formulation reads W_recᵀ in place.
			transpose(ws.wT, net.WRecM, N)
		} else {
			// W_recᵀ packed once, straight from W_rec, for the recurrent
			// products of every step (GemmPackedReLU and GemmPacked give
			// GemmReLU's and Gemm's bits).
			ws.pkWT.Pack(true, N, N, net.WRecM, N)
		}
	}
	// The input projection of every step, (1−α_m)·W_in x^t, written where
	// r^t will be: for large batches step by step in forwardRows, right
	// before the recurrent product reads it (from cache rather than from a
	// T·B·N matrix written in a separate pass); otherwise in one product
	// over all T·B rows. Each element is the same FMA chain either way.
	ws.stepProj = ws.bsz >= stepProjMinRows && !ws.unpacked
	if ws.stepProj {
		// W_inᵀ packed once for every step's projection (GemmPacked gives
		// Gemm's bits).
		ws.pkWInT.Pack(true, b.In, N, net.WInM, b.In)
	} else {
		TB := ws.steps * ws.bsz
		kernels.Gemm(false, true, TB, N, b.In, T(1-net.Cfg.Leak), b.X, b.In, net.WInM, b.In, 0, ws.r[ws.bsz*N:], N)
	}
	// KeepLast: a whole-sequence pass of a fast network writes the steps
	// before validFrom to the chunks' scratch.
	ws.validFrom = 0
	if ws.keep > 0 && ws.t0 == 0 && ws.steps == ws.total && net.Cfg.Leak == 0 && !net.alif && net.Cfg.BThr == 0 {
		if ws.validFrom = ws.steps - ws.keep; ws.validFrom <= 1 {
			ws.validFrom = 0 // nothing to leave out: r^0 is stored anyway
		} else {
			for i := range ws.chunks {
				c := &ws.chunks[i]
				n := (c.b1 - c.b0) * N
				c.rs[0], c.rs[1], c.ps = grow(c.rs[0], n), grow(c.rs[1], n), grow(c.ps, n)
			}
		}
	}
	ws.parallel(opForward, len(ws.chunks))
	loss := 0.0
	var div *ErrDiverged
	for i := range ws.chunks {
		c := &ws.chunks[i]
		loss += c.loss
		if c.err != nil && (div == nil || c.err.Step < div.Step) {
			div = c.err
		}
	}
	if div != nil {
		d := *div // a copy: the chunk's buffer is reused by the next pass
		return math.NaN(), &d
	}
	return loss, nil
}

// checkDiag returns an error when an entry of the W_rec diagonal is not
// zero: self-connections are masked (METHOD.md §1.1), and a non-zero diagonal
// would silently add autapses to the forward pass.
func (net *Network[T]) checkDiag() error {
	N := net.Cfg.N
	for i := 0; i < N; i++ {
		if v := net.WRecM[i*N+i]; v != 0 {
			return fmt.Errorf("rnn: W_rec[%d, %d] = %v, the diagonal must be zero (self-connections are masked; see MaskDiag)", i, i, v)
		}
	}
	return nil
}

func (net *Network[T]) l2Loss() float64 {
	lam := net.Cfg.L2
	if lam == 0 {
		return 0
	}
	s := 0.0
	for _, w := range [][]T{net.WInM, net.WRecM, net.WOutM} {
		s += float64(kernels.Dot(w, w))
	}
	return lam / 2 * s
}

func (net *Network[T]) forwardRows(ws *Workspace[T], c *chunk[T]) {
	cfg := &net.Cfg
	B, N, Out := ws.bsz, ws.n, ws.out
	b0, b1 := c.b0, c.b1
	bc := b1 - b0
	leak := T(cfg.Leak)
	if ws.t0 == 0 {
		c.loss = 0
	}
	c.err = nil
	for t := 1; t <= ws.steps; t++ {
		first := ws.t0+t == 1 // global step 1: r^0 = 0, no recurrence
		rPrev := rows(ws.r, t-1, B, b0, b1, N)
		r := rows(ws.r, t, B, b0, b1, N) // holds (1−α_m) W_in x^t on entry
		psi := rows(ws.psi, t, B, b0, b1, N)
		if t < ws.validFrom { // a step KeepLast does not store (fast networks only)
			if !ws.stepProj { // the projection was written to the trajectory's slot
				copy(c.rs[t%2], r)
			}
			r, psi = c.rs[t%2], c.ps
		}
		if t-1 >= 1 && t-1 < ws.validFrom {
			rPrev = c.rs[(t-1)%2]
		}
		if ws.stepProj {
			x := ws.batch.X[((t-1)*B+b0)*ws.in : ((t-1)*B+b1)*ws.in]
			kernels.GemmPacked(false, bc, 1-leak, x, ws.in, &ws.pkWInT, 0, r, N)
		}
		var pk *kernels.PackedB[T]
		if !ws.unpacked {
			pk = &ws.pkWT
		}
		var a, aPrev []T
		if net.alif {
			a, aPrev = rows(ws.a, t, B, b0, b1, N), rows(ws.a, t-1, B, b0, b1, N)
		}
		net.stepRates(B, bc, first, ws.wT, pk, r, rPrev, psi, c.h, a, aPrev)
		if s := kernels.Dot(r, r); math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
			c.errBuf = ErrDiverged{Iter: -1, Step: ws.t0 + t, Quantity: "state", Index: -1, Value: float64(s)}
			c.err = &c.errBuf
			return
		}
		y := rows(ws.y, t, B, b0, b1, Out)
		dy := rows(ws.dy, t, B, b0, b1, Out)
		if !ws.lossAt[t] {
			clear(y)
			clear(dy)
			continue
		}
		net.readout(bc, r, y)
		c.loss += net.readoutLoss(ws, t, b0, b1, y, dy)
		if math.IsNaN(c.loss) || math.IsInf(c.loss, 0) {
			c.errBuf = ErrDiverged{Iter: -1, Step: ws.t0 + t, Quantity: "loss", Index: -1, Value: c.loss}
			c.err = &c.errBuf
			return
		}
	}
}

// readoutLoss computes the loss contribution of rows [b0, b1) at step t and
// writes ∂L/∂y into dy.
func (net *Network[T]) readoutLoss(ws *Workspace[T], t, b0, b1 int, y, dy []T) float64 {
	return readoutLossRows(net.Cfg.Loss.Kind, ws.batch, ws.bsz, ws.out, ws.nLoss, t, b0, b1, y, dy)
}

// readoutLossRows is readoutLoss for a batch of B rows and Out readouts
// with nLoss loss steps: the loss contribution of rows [b0, b1) at step t,
// with ∂L/∂y written into dy.
func readoutLossRows[T kernels.Float](kind LossKind, batch *Batch[T], B, Out, nLoss, t, b0, b1 int, y, dy []T) float64 {
	loss := 0.0
	switch kind {
	case MSE:
		scale := 1 / float64(B*nLoss)
		tgt := batch.Y[((t-1)*B+b0)*Out : ((t-1)*B+b1)*Out]
		for i := range y {
			d := y[i] - tgt[i]
			loss += float64(d) * float64(d)
			dy[i] = T(scale) * d
		}
		return loss * scale / 2
	default:
		scale := 1 / float64(B)
		labels := batch.Labels[(t-1)*B+b0 : (t-1)*B+b1]
		for row, lab := range labels {
			yr, dr := y[row*Out:(row+1)*Out], dy[row*Out:(row+1)*Out]
			m, s := expShifted(dr, yr)
			lse := float64(m) + math.Log(s)
			loss += lse - float64(yr[lab])
			inv := scale / s
			for o := range dr {
				dr[o] = T(float64(dr[o]) * inv)
			}
			dr[lab] -= T(scale)
		}
		return loss * scale
	}
}

// expShifted writes exp(y − max y) to dst and returns max y and the sum of
// the exponentials (in float64): the softmax of y is dst/s.
func expShifted[T kernels.Float](dst, y []T) (m T, s float64) {
	m = y[0]
	for _, v := range y[1:] {
		m = max(m, v)
	}
	for o, v := range y {
		e := math.Exp(float64(v - m))
		dst[o] = T(e)
		s += e
	}
	return m, s
}

// stepRates computes the rates r^t of bc rows of the step from r, which
// holds (1−α_m) W_in x^t on entry, and the previous rates rPrev (unused
// at the first step, where r^0 = 0): r = ReLU(recurrent drive) with ψ
// written to psi. The forward pass and Inference both run it, so they do
// the same operations on the same operands. bsz is the batch size, wT the
// stored W_recᵀ and pk (nil for the reference formulation) its packed
// form. h is scratch for the bc×N drive; a and aPrev are the ALIF
// adaptations of the step and the previous one (unused otherwise).
func (net *Network[T]) stepRates(bsz, bc int, first bool, wT []T, pk *kernels.PackedB[T], r, rPrev, psi, h, a, aPrev []T) {
	cfg := &net.Cfg
	N := cfg.N
	leak := T(cfg.Leak)
	if cfg.Leak == 0 && !net.alif && cfg.BThr == 0 {
		switch {
		case first:
			kernels.ReLU(r, psi, r)
		case bc == 1:
			kernels.GemvN(r, 1, net.WRecM, N, rPrev, 1)
			kernels.ReLU(r, psi, r)
		case pk == nil:
			kernels.GemmReLU(false, false, bc, N, N, 1, rPrev, N, wT, N, 1, r, N, psi)
		default:
			kernels.GemmPackedReLU(false, bc, 1, rPrev, N, pk, 1, r, N, psi)
		}
		return
	}
	rho := T(cfg.Rho())
	bthr := T(cfg.BThr)
	leakyDrive(h, r, leak, first)
	if !first {
		recurRows(bsz, bc, N, 1-leak, net.WRecM, wT, pk, rPrev, h)
	}
	if net.alif {
		// The operands resliced to the length of the result, so that the
		// loops run without bounds checks.
		omr := 1 - rho
		aPrev, rPrev := aPrev[:len(a)], rPrev[:len(a)]
		for i := range a {
			a[i] = rho*aPrev[i] + omr*rPrev[i]
		}
		for row := 0; row < bc; row++ {
			ur := r[row*N : (row+1)*N]
			hr, ar, beta := h[row*N : (row+1)*N][:len(ur)], a[row*N : (row+1)*N][:len(ur)], net.beta[:len(ur)]
			for i := range ur {
				ur[i] = hr[i] - bthr - beta[i]*ar[i]
			}
		}
	} else {
		for i := range r {
			r[i] = h[i] - bthr
		}
	}
	kernels.ReLU(r, psi, r)
}

// leakyDrive sets h = leak·h + x, the leaky integration of the drive x
// into h, or h = x at the first step (where h^0 = 0) and without leak. The
// forward pass runs it on the rates' drive, the tangent forward pass on
// the tangent's.
func leakyDrive[T kernels.Float](h, x []T, leak T, first bool) {
	if first || leak == 0 {
		copy(h, x)
		return
	}
	kernels.Scal(h, leak)
	kernels.Axpy(h, 1, x)
}

// recurRows adds alpha·x·W_recᵀ to the m×N matrix c, for m rows x of rates
// or tangent rates in a batch of bsz rows: a gemv with wRec for one row of
// a one-row batch, otherwise an untransposed gemm with the transpose, taken
// packed from pk (kernels.GemmPacked) or, when pk is nil (the reference
// formulation), read in place from wT. Both give the same bits.
func recurRows[T kernels.Float](bsz, m, N int, alpha T, wRec, wT []T, pk *kernels.PackedB[T], x, c []T) {
	if m == 1 && bsz == 1 {
		kernels.GemvN(c[:N], alpha, wRec, N, x[:N], 1)
		return
	}
	if pk != nil {
		kernels.GemmPacked(false, m, alpha, x, N, pk, 1, c, N)
		return
	}
	kernels.Gemm(false, false, m, N, N, alpha, x, N, wT, N, 1, c, N)
}

// readout sets y = r·W_outᵀ + b_out for bc rows of rates r.
func (net *Network[T]) readout(bc int, r, y []T) {
	N, Out := net.Cfg.N, net.Cfg.Out
	mm(false, true, bc, Out, N, 1, r, N, net.WOutM, N, 0, y, Out)
	for row := 0; row < bc; row++ {
		kernels.Axpy(y[row*Out:(row+1)*Out], 1, net.BOutV)
	}
}
