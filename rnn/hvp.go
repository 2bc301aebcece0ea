package rnn

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/hessrnn/hessrnn/kernels"
	"gonum.org/v1/gonum/mat"
)

// HVP computes exact Hessian-vector products H·v of the loss with respect
// to a parameter subset, at fixed weights and a fixed batch, by
// forward-over-reverse differentiation (Pearlmutter's R-operator; the
// second derivative of ReLU is taken as 0). The forward states r^t, ψ^t
// and the BPTT deltas δ^t are computed once, by NewHVP or Reset, and
// reused by every Apply: each product costs one tangent forward and one
// tangent backward pass, about twice a BPTT gradient. Memory is the stored
// trajectory, 3(T+1)·B·N elements (4 with ALIF units) plus readouts, and
// (2N+Out)·(T+2)·B elements per direction of a sub-block of at most
// MaxBlock directions (the tangent states Rr^t, Rδ^t and Re^t of every
// step, which the products onto the weights read): linear in T, bounded in
// the block size. With full storage and W_rec in the set, r^{t-1} and δ^t
// are also held packed for the micro-kernels (2·T·B·N elements), so that
// no product packs them again; the recurrent weights and the directions
// are packed once per Reset and per product (kernels.PackedB), and the
// products with ψ^t are fused into the recurrent gemms.
//
// For long sequences (HVPOptions.Checkpoint; by default when the above
// exceeds HVPAutoCheckpointBytes, e.g. pixel-by-pixel MNIST) only the
// states entering every S-th step are stored, and each product recomputes
// the forward pass of each segment of S steps twice and its deltas once:
// memory O((S + T/S)·B·N) per direction, minimal at S ≈ √T, time still
// linear in T, results bitwise those of full storage.
//
// Vectors are packed over the blocks of Set in layout order (W_in, W_rec,
// W_out, b_out), each row-major; the W_rec diagonal is part of the layout
// but masked: its entries of v are ignored and those of H·v are zero. The
// L2 term adds λ·v on the weight blocks. The result is bitwise independent
// of GOMAXPROCS.
//
// With directions V = (V_in, V, V_out, v_b), the tangent forward is
//
//	Rh^t = α_m Rh^{t-1} + (1−α_m)(V r^{t-1} + W Rr^{t-1} + V_in x^t)
//	Ra^t = ρ Ra^{t-1} + (1−ρ) Rr^{t-1},   Rr^t = ψ^t⊙(Rh^t − β⊙Ra^t)
//	Ry^t = V_out r^t + W_out Rr^t + v_b,  Re^t = ∂²L/∂y² · Ry^t
//
// and the tangent backward, with e^t = ∂L/∂y^t,
//
//	RG^t = V_outᵀ e^t + W_outᵀ Re^t + (1−α_m)(Vᵀ δ^{t+1} + Wᵀ Rδ^{t+1}) + (1−ρ) Rγ^{t+1}
//	Rδ^t = ψ^t⊙RG^t + α_m Rδ^{t+1},   Rγ^t = −β⊙ψ^t⊙RG^t + ρ Rγ^{t+1}
//	H·v: W: (1−α_m) Σ_t (Rδ^t r^{t-1}ᵀ + δ^t Rr^{t-1}ᵀ)   W_in: (1−α_m) Σ_t Rδ^t x^tᵀ
//	     W_out: Σ_t (Re^t r^tᵀ + e^t Rr^tᵀ)              b_out: Σ_t Re^t
type HVP[T kernels.Float] struct {
	net  *Network[T]
	ws   *Workspace[T]
	set  ParamSet
	opt  HVPOptions
	dim  int
	grad []T
	// batch is the whole batch; view is the batch of the current segment
	// when checkpointing.
	batch *Batch[T]
	view  Batch[T]
	// seg is the checkpoint interval S in steps (0: the whole trajectory is
	// stored), nSeg the number of segments ⌈T/S⌉, win the steps the
	// buffers hold (T or S), gBlk the steps of one reduction block.
	seg, nSeg, win, gBlk int
	// have is the segment whose forward pass the workspace holds (−1:
	// none).
	have int
	// lossAll marks the loss steps of the whole sequence (index = global
	// step), lossLoc those of the current segment (index = local step).
	lossAll, lossLoc []bool
	// Primal checkpoints: r, h (leaky or ALIF) and a (ALIF) entering
	// segment k at offset k·B·N. Tangent checkpoints: Rr, Rh, Ra entering
	// segment k at offset k·B·kb·N, in the layout of one step of rr.
	cpR, cpH, cpA    []T
	cpRr, cpRh, cpRa []T
	// readout says whether the tangent forward computes Re^t (not needed
	// in the checkpointing sweep).
	readout bool
	// kb is the number of directions of the current sub-block, kMax the
	// most a sub-block holds (memory bound), kCap the most the buffers are
	// sized for.
	kb, kMax, kCap int
	// vFull holds kb full-layout directions; acc their products.
	vFull, acc []T
	// rr and rd hold Rr^t and Rδ^t, re holds Re^t, for the local steps
	// t = 0..win+1 (slot win+1 of rd holds Rδ entering a segment from the
	// right), with the kb directions of one batch row adjacent: element
	// (t, b, d, i) is at ((t·B+b)·kb+d)·N+i (Out instead of N for re). Rows
	// of one step and chunk are thus one (bc·kb)×N matrix and one bc×(kb·N)
	// matrix, so that the recurrences and the products with the directions
	// are gemms over all directions at once.
	rr, rd, re []T
	// Stacked directions: vRecT = [V_1ᵀ … V_kbᵀ] (N×kb·N), vRec = [V_1 …
	// V_kb] (N×kb·N), vInT = [V_in,1ᵀ …] (In×kb·N), vOut = [V_out,1 …]
	// (Out×kb·N), vOutT = [V_out,1ᵀ …] (N×kb·Out).
	vRecT, vRec, vInT, vOut, vOutT []T
	// Products before they are split per direction: the W_rec terms
	// Σ Rδ rᵀ (kb·N×N) and Σ δ Rrᵀ (N×kb·N), W_in (kb·N×In), W_out
	// Σ Re rᵀ (kb·Out×N) and Σ e Rrᵀ (Out×kb·N).
	pRecV, pRecH, pIn, pOutV, pOutH []T
	items                           []hvpItem[T]
	// whole is the work item of all batch rows, which one goroutine runs
	// instead of items when the network has neither leak nor ALIF units
	// (no per-item scratch) and GOMAXPROCS is 1: fewer, larger products
	// with the same values.
	whole hvpItem[T]
	// Right operands packed once for the micro-kernels (kernels.PackedB):
	// pkWT = W_recᵀ (tangent forward) and pkW = W_rec (tangent backward)
	// at Reset, pkVRecT = vRecT and pkVRec = vRec per sub-block.
	pkWT, pkW, pkVRecT, pkVRec kernels.PackedB[T]
	// With full storage, the stored states the reductions onto W_rec read
	// are packed at Reset too: pkR[j] and pkD[j] hold, chunk by chunk as
	// gemmTN splits them, the rows of r^{t-1} and δ^t of reduction block
	// j (local steps j·gBlk+1..). nil when checkpointing.
	pkR, pkD [][]kernels.PackedB[T]
	// pRecHT is Σ Rr δᵀ (kb·N×N), the transpose of the second W_rec term,
	// when pkD is used (its product reads the packed δ as the right
	// operand); the sums are bitwise those of pRecH.
	pRecHT []T
	// unpacked makes every product read its right operand in place with
	// kernels.Gemm and apply ψ⊙ in a separate pass, as before the packed
	// operands: the reference the tests and benchmarks compare with
	// (bitwise the same results).
	unpacked bool
}

// gemmRight sets C = (alpha·op(A)·B + beta·C), then C ⊙ M with row i by
// row i/rep of M (leading dimension ldc) when mul is not nil, where B is
// the matrix p packs (b, leading dimension ldb): from p
// (kernels.GemmPackedMul), or from b with kernels.Gemm and a separate
// product when h.unpacked.
func (h *HVP[T]) gemmRight(p *kernels.PackedB[T], b []T, ldb int, tA bool, m int, alpha T, a []T, lda int, beta T, c []T, ldc int, mul []T, rep int) {
	if !h.unpacked {
		kernels.GemmPackedMul(tA, m, alpha, a, lda, p, beta, c, ldc, mul, ldc, rep)
		return
	}
	kernels.Gemm(tA, false, m, p.N(), p.K(), alpha, a, lda, b, ldb, beta, c, ldc)
	if mul != nil {
		mulRows(c[:m*ldc], mul, c[:m*ldc], rep, ldc)
	}
}

// HVPOptions tunes NewHVPWith; the zero value is the default of NewHVP.
type HVPOptions struct {
	// Checkpoint is the checkpoint interval S in steps. 0 (the default)
	// chooses: the whole trajectory is stored when it and the tangent
	// states of one direction fit in HVPAutoCheckpointBytes, otherwise
	// S = ⌈√T⌉. A negative value always stores the whole trajectory, and so
	// does S ≥ T. S is rounded up to a multiple of the reduction block,
	// ⌊256/B⌋ steps (1 step for B ≥ 129).
	//
	// With checkpointing only the states entering every S-th step are kept
	// (and the tangent states of the sub-block), and every product
	// recomputes the forward pass segment by segment, twice, and the BPTT
	// deltas once: memory is O((S + T/S)·B·N) per direction instead of
	// O(T·B·N), time stays linear in T, and every result (H·v, loss) is
	// bitwise identical to the one with full storage. Grad then agrees with
	// Network.Gradient to rounding (its sums run in another order).
	Checkpoint int
}

// HVPAutoCheckpointBytes is the memory above which NewHVP (HVPOptions zero
// value) checkpoints: the stored trajectory, 3(T+1)·B·N elements (4 with
// ALIF units) plus 2(T+1)·B·Out, and the (2N+Out)·(T+2)·B elements of one
// direction's tangent states.
const HVPAutoCheckpointBytes = 256 << 20

// hvpItem is one work item of the tangent passes: batch rows [b0, b1) for
// every direction of the sub-block, with its scratch.
type hvpItem[T kernels.Float] struct {
	b0, b1      int
	rh, ra      []T // Bc·kCap·N (leaky or ALIF networks)
	rgam, rgamN []T // Bc·kCap·N (ALIF)
	p           []T // Out
}

// hvpBlockBytes bounds the tangent storage of one sub-block of
// directions; ApplyBlock splits larger blocks (at least one direction per
// sub-block).
const hvpBlockBytes = 128 << 20

// hvpMaxBlock caps the directions per sub-block.
const hvpMaxBlock = 4

// NewHVP runs the forward and backward passes of net on b, keeps them in ws
// (a new workspace when nil) and returns the operator for the parameter set
// (the zero ParamSet means SetWRec), with the default HVPOptions: above
// HVPAutoCheckpointBytes it checkpoints, and ws then holds one segment of
// the trajectory. net, b and ws must not change (nor ws serve another
// Forward) while the HVP is used, except through Reset.
func NewHVP[T kernels.Float](net *Network[T], b *Batch[T], set ParamSet, ws *Workspace[T]) (*HVP[T], error) {
	return NewHVPWith(net, b, set, ws, HVPOptions{})
}

// NewHVPWith is NewHVP with options. When it checkpoints, ws holds one
// segment of the trajectory, not the whole of it (its Trajectory is then
// not available).
func NewHVPWith[T kernels.Float](net *Network[T], b *Batch[T], set ParamSet, ws *Workspace[T], opt HVPOptions) (*HVP[T], error) {
	if ws == nil {
		ws = new(Workspace[T])
	}
	h := &HVP[T]{net: net, ws: ws, set: set.orDefault(), opt: opt, grad: make([]T, net.Layout.Total)}
	h.dim = net.Layout.Dim(h.set)
	if err := h.Reset(b); err != nil {
		return nil, err
	}
	return h, nil
}

// Reset recomputes the stored forward pass and deltas (or the
// checkpoints) for batch b at the network's current weights.
func (h *HVP[T]) Reset(b *Batch[T]) error {
	h.kb, h.kCap, h.have = 0, 0, -1
	net := h.net
	if err := net.checkBatch(b); err != nil {
		return err
	}
	h.batch = b
	B, N, Out, steps := b.Size, net.Cfg.N, net.Cfg.Out, b.Steps
	var z T
	sz := int(unsafe.Sizeof(z))
	h.gBlk = reductionBlock(B)
	S := checkpointInterval(h.opt.Checkpoint, B, steps, N, Out, net.alif, sz)
	h.seg, h.win, h.nSeg = S, steps, 1
	if h.seg == 0 {
		if _, err := net.Gradient(h.ws, b, h.grad); err != nil {
			return err
		}
	} else {
		h.win, h.nSeg = h.seg, (steps+h.seg-1)/h.seg
		if err := h.resetCheckpointed(); err != nil {
			return err
		}
	}
	ws := h.ws
	// Forward keeps W_recᵀ unpacked only in the reference formulation of
	// a batch.
	transpose(ws.wT, net.WRecM, ws.n)
	h.pkWT.Pack(false, N, N, ws.wT, N)
	h.pkW.Pack(false, N, N, net.WRecM, N)
	h.packStates()
	per := (2*N + Out) * (h.win + 2) * B
	if h.seg > 0 {
		per += h.nSeg * B * N * 3
	}
	h.kMax = max(1, min(hvpMaxBlock, hvpBlockBytes/(per*sz)))
	return nil
}

// checkpointInterval returns the checkpoint interval for option opt (see
// HVPOptions.Checkpoint) and the shapes, with elements of sz bytes: 0 for
// full storage.
func checkpointInterval(opt, B, steps, N, Out int, alif bool, sz int) int {
	S := opt
	if S == 0 {
		states := 3
		if alif {
			states = 4
		}
		full := ((states*N+2*Out)*(steps+1) + (2*N+Out)*(steps+2)) * B * sz
		if full > HVPAutoCheckpointBytes {
			S = int(math.Ceil(math.Sqrt(float64(steps))))
		}
	}
	if S <= 0 {
		return 0
	}
	g := reductionBlock(B)
	S = (S + g - 1) / g * g
	if S >= steps {
		return 0
	}
	return S
}

// reductionBlock returns the steps of one reduction block of the products
// onto the weights for batch size B: ⌊tnChunk/B⌋, at least 1, so that a
// block's rows fit one fixed chunk of gemmTN. Checkpoint intervals are
// multiples of it.
func reductionBlock(B int) int { return max(1, tnChunk/B) }

// packStates packs, with full storage and W_rec in the set, the rows of
// r^{t-1} and δ^t that each reduction block's products onto W_rec read
// (see HVP.pkR), chunk by chunk as gemmTN splits them; with checkpointing
// it drops them (each segment is recomputed per product).
func (h *HVP[T]) packStates() {
	if h.seg != 0 || !h.set.Has(WRec) {
		h.pkR, h.pkD = nil, nil
		return
	}
	ws := h.ws
	B, N, steps := ws.bsz, ws.n, ws.steps
	nb := (steps + h.gBlk - 1) / h.gBlk
	h.pkR = growPacked(h.pkR, nb)
	h.pkD = growPacked(h.pkD, nb)
	for j := 0; j < nb; j++ {
		lo, hi := j*h.gBlk, min((j+1)*h.gBlk, steps)
		a := max(lo+1, 2) // r^0 = 0
		if a > hi {
			h.pkR[j], h.pkD[j] = h.pkR[j][:0], h.pkD[j][:0]
			continue
		}
		m := (hi - a + 1) * B
		nc := (m + tnChunk - 1) / tnChunk
		h.pkR[j] = growChunks(h.pkR[j], nc)
		h.pkD[j] = growChunks(h.pkD[j], nc)
		for c := 0; c < nc; c++ {
			k0 := c * tnChunk
			kc := min(tnChunk, m-k0)
			h.pkR[j][c].Pack(false, kc, N, ws.r[((a-1)*B+k0)*N:], N)
			h.pkD[j][c].Pack(false, kc, N, ws.delta[(a*B+k0)*N:], N)
		}
	}
}

// growPacked returns s with n entries, keeping the storage of those it has.
func growPacked[T kernels.Float](s [][]kernels.PackedB[T], n int) [][]kernels.PackedB[T] {
	for len(s) < n {
		s = append(s, nil)
	}
	return s[:n]
}

// growChunks returns s with n entries, keeping the storage of those it has.
func growChunks[T kernels.Float](s []kernels.PackedB[T], n int) []kernels.PackedB[T] {
	for len(s) < n {
		s = append(s, kernels.PackedB[T]{})
	}
	return s[:n]
}

// gemmTNPacked is gemmTN with B given as its packed chunks (tnChunk rows
// each): the same products in the same order, so bitwise the same sums.
func gemmTNPacked[T kernels.Float](m, k int, alpha T, a []T, lda int, chunks []kernels.PackedB[T], beta T, c []T, ldc int) {
	for i := range chunks {
		kernels.GemmPacked(true, m, alpha, a[i*tnChunk*lda:], lda, &chunks[i], beta, c, ldc)
		beta = 1
	}
}

// Checkpoint returns the checkpoint interval in steps, 0 when the whole
// trajectory is stored.
func (h *HVP[T]) Checkpoint() int { return h.seg }

// general reports whether the network has a leak or ALIF units, whose
// recursions carry h and a.
func (h *HVP[T]) general() bool { return h.net.Cfg.Leak != 0 || h.net.alif }

// resetCheckpointed runs the forward pass segment by segment, keeping the
// state entering each, then the backward pass from the last segment to the
// first, recomputing each segment's forward pass, for the loss and
// gradient.
func (h *HVP[T]) resetCheckpointed() error {
	net, ws, b := h.net, h.ws, h.batch
	if err := net.checkDiag(); err != nil {
		return err
	}
	B, N, S, steps := b.Size, net.Cfg.N, h.seg, b.Steps
	var err error
	h.lossAll, ws.nLoss, err = net.Cfg.Loss.lossSteps(h.lossAll, steps)
	if err != nil {
		return err
	}
	h.view = Batch[T]{Size: B, Steps: S, In: b.In, Out: b.Out}
	ws.ensure(net, &h.view)
	ws.haveFwd, ws.haveBwd = false, false
	ws.net, ws.total = net, steps
	if cap(h.lossLoc) < S+1 {
		h.lossLoc = make([]bool, S+1)
	}
	n := h.nSeg * B * N
	h.cpR = grow(h.cpR, n)
	if h.general() {
		h.cpH = grow(h.cpH, n)
	}
	if net.alif {
		h.cpA = grow(h.cpA, n)
	}
	for k := 0; k < h.nSeg; k++ {
		h.window(k)
		if _, err := net.forwardWindow(ws); err != nil {
			return err
		}
		h.have = k
		if k+1 < h.nSeg {
			h.moveState(k+1, ws.steps, true) // the state after the window
		}
	}
	loss := 0.0 // summed in Forward's order
	for i := range ws.chunks {
		loss += ws.chunks[i].loss
	}
	loss += net.l2Loss()
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return divergedAt(0, "loss", loss)
	}
	ws.loss = loss
	clear(h.grad)
	for k := h.nSeg - 1; k >= 0; k-- {
		h.load(k)
		net.backwardWindow(ws)
		h.gradWindow()
		h.carryDelta()
	}
	MaskDiag(blockOf(net.Layout, h.grad, WRec), N)
	net.addL2Grad(h.grad)
	return nil
}

// load makes segment k the current window and recomputes its forward
// pass unless the workspace holds it already; it gave no error before and
// gives the same values now.
func (h *HVP[T]) load(k int) {
	if h.have == k {
		return
	}
	h.window(k)
	if _, err := h.net.forwardWindow(h.ws); err != nil {
		panic("rnn: HVP: recomputed segment diverged: " + err.Error())
	}
	h.have = k
}

// carryDelta moves δ and Rδ of the first step of the current segment to
// slot S+1, where the previous segment's backward recursions read them.
func (h *HVP[T]) carryDelta() {
	ws := h.ws
	B, N, S := ws.bsz, ws.n, h.seg
	copy(ws.delta[(S+1)*B*N:(S+2)*B*N], ws.delta[B*N:2*B*N])
	if h.kb > 0 {
		kN := h.kb * N
		copy(h.rd[(S+1)*B*kN:(S+2)*B*kN], h.rd[B*kN:2*B*kN])
	}
}

// window makes segment k the current window of the workspace: steps
// k·S+1..min((k+1)·S, T), starting from the checkpointed state.
func (h *HVP[T]) window(k int) {
	ws, b := h.ws, h.batch
	B, In, Out, S := b.Size, b.In, b.Out, h.seg
	t0 := k * S
	L := min(S, b.Steps-t0)
	ws.t0, ws.steps = t0, L
	v := &h.view
	v.Steps = L
	v.X = b.X[t0*B*In : (t0+L)*B*In]
	if b.Y != nil {
		v.Y = b.Y[t0*B*Out : (t0+L)*B*Out]
	}
	if b.Labels != nil {
		v.Labels = b.Labels[t0*B : (t0+L)*B]
	}
	ws.batch = v
	ws.lossAt = h.lossLoc[:L+1]
	copy(ws.lossAt, h.lossAll[t0:t0+L+1])
	if k > 0 { // forwardWindow clears slot 0 of the first
		h.moveState(k, 0, false)
	}
}

// moveState copies the state at local step t of the window (r, a and the
// chunks' h) to the checkpoint entering segment k (save) or back.
func (h *HVP[T]) moveState(k, t int, save bool) {
	ws := h.ws
	BN := ws.bsz * ws.n
	off := k * BN
	move(save, h.cpR[off:off+BN], ws.r[t*BN:(t+1)*BN])
	if h.net.alif {
		move(save, h.cpA[off:off+BN], ws.a[t*BN:(t+1)*BN])
	}
	if h.general() {
		N := ws.n
		for i := range ws.chunks {
			c := &ws.chunks[i]
			move(save, h.cpH[off+c.b0*N:off+c.b1*N], c.h)
		}
	}
}

// move copies s to the checkpoint cp when save, otherwise cp to s.
func move[T any](save bool, cp, s []T) {
	if save {
		copy(cp, s)
	} else {
		copy(s, cp)
	}
}

// gradWindow adds the current window's terms of the gradient to h.grad.
func (h *HVP[T]) gradWindow() {
	net, ws := h.net, h.ws
	B, N, In, Out, L, t0 := ws.bsz, ws.n, ws.in, ws.out, ws.steps, ws.t0
	l := net.Layout
	gIn, gW, gOut, gB := blockOf(l, h.grad, WIn), blockOf(l, h.grad, WRec), blockOf(l, h.grad, WOut), blockOf(l, h.grad, BOut)
	leak := T(net.Cfg.Leak)
	if a := max(1, 2-t0); a <= L { // r^0 = 0
		gemmTN(N, N, (L-a+1)*B, 1-leak, ws.delta[a*B*N:], N, ws.r[(a-1)*B*N:], N, 1, gW, N)
	}
	gemmTN(N, In, L*B, 1-leak, ws.delta[B*N:], N, ws.batch.X, In, 1, gIn, In)
	h.forLossSteps(0, L, func(t, m int) {
		gemmTN(Out, N, m, 1, ws.dy[t*B*Out:], Out, ws.r[t*B*N:], N, 1, gOut, N)
		for row := 0; row < m; row++ {
			kernels.Axpy(gB, 1, ws.dy[(t*B+row)*Out:(t*B+row+1)*Out])
		}
	})
}

// Dim returns the number of parameters in the set (the W_rec diagonal
// included).
func (h *HVP[T]) Dim() int { return h.dim }

// Set returns the parameter set.
func (h *HVP[T]) Set() ParamSet { return h.set }

// Loss returns the loss at the stored point.
func (h *HVP[T]) Loss() float64 { return h.ws.loss }

// Grad returns the full gradient at the stored point (layout Layout); it
// aliases internal storage.
func (h *HVP[T]) Grad() []T { return h.grad }

// MaxBlock returns the number of directions ApplyBlock processes together;
// larger blocks are split. The tangent storage of a sub-block,
// (2N + Out)·(W+2)·B elements per direction (W = T, or S when
// checkpointing, then plus 3·⌈T/S⌉·B·N), stays within 128 MiB unless a
// single direction needs more; up to 4 directions (larger blocks are
// slower per vector on the development machine: their tangent states fall
// out of cache).
func (h *HVP[T]) MaxBlock() int { return h.kMax }

// Apply writes H·v to dst; both have length Dim. It panics on other
// lengths.
func (h *HVP[T]) Apply(dst, v []T) { h.ApplyBlock(dst, v, 1) }

// ensureBlock sizes the buffers for kb directions; they only grow.
func (h *HVP[T]) ensureBlock(kb int) {
	h.kb = kb
	if kb <= h.kCap {
		return
	}
	h.kCap = kb
	ws := h.ws
	B, N, In, Out, steps := ws.bsz, ws.n, ws.in, ws.out, h.win
	P := h.net.Layout.Total
	h.vFull = grow(h.vFull, kb*P)
	h.acc = grow(h.acc, kb*P)
	h.rr = grow(h.rr, kb*(steps+2)*B*N)
	h.rd = grow(h.rd, kb*(steps+2)*B*N)
	h.re = grow(h.re, kb*(steps+2)*B*Out)
	if h.seg > 0 {
		n := h.nSeg * B * kb * N
		h.cpRr = grow(h.cpRr, n)
		if h.general() {
			h.cpRh = grow(h.cpRh, n)
		}
		if h.net.alif {
			h.cpRa = grow(h.cpRa, n)
		}
	}
	use := h.set.Has
	if use(WRec) {
		h.vRecT = grow(h.vRecT, kb*N*N)
		h.vRec = grow(h.vRec, kb*N*N)
		h.pRecV = grow(h.pRecV, kb*N*N)
		h.pRecH = grow(h.pRecH, kb*N*N)
		h.pRecHT = grow(h.pRecHT, kb*N*N)
	}
	if use(WIn) {
		h.vInT = grow(h.vInT, kb*N*In)
		h.pIn = grow(h.pIn, kb*N*In)
	}
	if use(WOut) {
		h.vOut = grow(h.vOut, kb*Out*N)
		h.vOutT = grow(h.vOutT, kb*Out*N)
		h.pOutV = grow(h.pOutV, kb*Out*N)
		h.pOutH = grow(h.pOutH, kb*Out*N)
	}
	h.items = h.items[:0]
	general := h.general()
	for _, c := range ws.chunks {
		it := hvpItem[T]{b0: c.b0, b1: c.b1, p: make([]T, Out)}
		n := (c.b1 - c.b0) * kb * N
		if general {
			it.rh = make([]T, n)
			it.ra = make([]T, n)
		}
		if h.net.alif {
			it.rgam = make([]T, n)
			it.rgamN = make([]T, n)
		}
		h.items = append(h.items, it)
	}
	h.whole = hvpItem[T]{b0: 0, b1: B, p: make([]T, Out)}
}

// ApplyBlock applies H to k vectors: v and dst hold k row-major vectors of
// length Dim (v[i*Dim:(i+1)*Dim] is vector i). Up to MaxBlock directions
// are processed together: their tangent recursions are single gemms with
// kb·B rows per step, every product with the directions is one gemm per
// step over all directions, and every product onto a weight block one gemm
// per reduction block over all directions. Each result is bitwise
// identical to Apply on its vector alone, with or without checkpointing.
// It panics on wrong lengths.
func (h *HVP[T]) ApplyBlock(dst, v []T, k int) {
	if k < 1 || len(v) != k*h.dim || len(dst) != k*h.dim {
		panic(fmt.Sprintf("rnn: HVP.ApplyBlock: k=%d, len(v)=%d, len(dst)=%d, Dim=%d", k, len(v), len(dst), h.dim))
	}
	for d0 := 0; d0 < k; d0 += h.kMax {
		d1 := min(k, d0+h.kMax)
		h.applySub(dst[d0*h.dim:d1*h.dim], v[d0*h.dim:d1*h.dim], d1-d0)
	}
}

func (h *HVP[T]) applySub(dst, v []T, kb int) {
	net, ws := h.net, h.ws
	L := net.Layout
	P, N, Out := L.Total, ws.n, ws.out
	h.ensureBlock(kb)
	use := h.set.Has
	kN, kO := kb*N, kb*Out
	// The directions, full layout and stacked.
	vFull := h.vFull[:kb*P]
	clear(vFull)
	for d := 0; d < kb; d++ {
		vd := vFull[d*P : (d+1)*P]
		Scatter(L, h.set, vd, v[d*h.dim:(d+1)*h.dim])
		MaskDiag(blockOf(L, vd, WRec), N)
		if use(WRec) {
			V := h.blk(vFull, d, WRec)
			for i := 0; i < N; i++ {
				copy(h.vRec[i*kN+d*N:i*kN+(d+1)*N], V[i*N:(i+1)*N])
			}
			transposeTo(h.vRecT[d*N:], kN, V, N, N)
		}
		if use(WIn) {
			transposeTo(h.vInT[d*N:], kN, h.blk(vFull, d, WIn), N, ws.in)
		}
		if use(WOut) {
			V := h.blk(vFull, d, WOut)
			for o := 0; o < Out; o++ {
				copy(h.vOut[o*kN+d*N:o*kN+(d+1)*N], V[o*N:(o+1)*N])
			}
			transposeTo(h.vOutT[d*Out:], kO, V, Out, N)
		}
	}
	if use(WRec) {
		h.pkVRecT.Pack(false, N, kN, h.vRecT, kN)
		h.pkVRec.Pack(false, N, kN, h.vRec, kN)
	}
	acc := h.acc[:kb*P]
	clear(acc)
	for _, p := range [][]T{h.pRecV, h.pRecH, h.pRecHT, h.pIn, h.pOutV, h.pOutH} {
		clear(p)
	}
	ws.hvp = h
	if h.seg == 0 {
		h.readout = true
		h.tangentWindow()
	} else {
		h.applyCheckpointed()
	}
	ws.hvp = nil
	// Split the products per direction.
	if use(WRec) {
		if h.pkD != nil && !h.unpacked {
			h.splitProductsT(h.pRecV, h.pRecHT)
		} else {
			h.splitProducts(WRec, N, h.pRecV, h.pRecH)
		}
	}
	if use(WIn) {
		In := ws.in
		p := h.pIn[:kN*In]
		for d := 0; d < kb; d++ {
			copy(h.blk(acc, d, WIn), p[d*N*In:(d+1)*N*In])
		}
	}
	if use(WOut) {
		h.splitProducts(WOut, Out, h.pOutV, h.pOutH)
	}
	lam := T(net.Cfg.L2)
	for d := 0; d < kb; d++ {
		ai, vi := acc[d*P:(d+1)*P], vFull[d*P:(d+1)*P]
		if lam != 0 {
			for _, bl := range [...]Block{WIn, WRec, WOut} {
				kernels.Axpy(blockOf(L, ai, bl), lam, blockOf(L, vi, bl))
			}
		}
		MaskDiag(blockOf(L, ai, WRec), N)
		Gather(L, h.set, dst[d*h.dim:(d+1)*h.dim], ai)
	}
}

// splitProducts sets block bl (m rows of N) of every direction's product
// in h.acc to the sum of its two terms: pv holds them direction by
// direction (kb·m×N), ph with the directions side by side (m×kb·N).
func (h *HVP[T]) splitProducts(bl Block, m int, pv, ph []T) {
	N := h.ws.n
	kN := h.kb * N
	for d := 0; d < h.kb; d++ {
		o := h.blk(h.acc, d, bl)
		for i := 0; i < m; i++ {
			kernels.AxpyTo(o[i*N:(i+1)*N], 1, pv[(d*m+i)*N:(d*m+i+1)*N], ph[i*kN+d*N:i*kN+(d+1)*N])
		}
	}
}

// splitProductsT is splitProducts for W_rec when the second term is held
// transposed, phT = Σ Rr δᵀ (kb·N×N, direction by direction): o = pv + phTᵀ
// element by element, the sum AxpyTo forms.
func (h *HVP[T]) splitProductsT(pv, phT []T) {
	N := h.ws.n
	for d := 0; d < h.kb; d++ {
		o := h.blk(h.acc, d, WRec)
		v, t := pv[d*N*N:(d+1)*N*N], phT[d*N*N:(d+1)*N*N]
		for i := 0; i < N; i++ {
			for j := 0; j < N; j++ {
				o[i*N+j] = v[i*N+j] + t[j*N+i]
			}
		}
	}
}

// tangentWindow runs the tangent forward and backward passes over the
// current window (the whole sequence, or one segment with its entering
// tangent state restored and δ, Rδ entering from the right in slot S+1)
// and adds the window's terms of the products.
func (h *HVP[T]) tangentWindow() {
	h.tangentPass(opHVPForward)
	clear(h.rd[:h.ws.bsz*h.kb*h.ws.n])
	if !h.tangentPass(opHVPBackward) {
		h.reduce()
	}
}

// applyCheckpointed runs the tangent passes segment by segment: a forward
// sweep that recomputes each segment's forward pass (but the last) and
// runs the tangent forward pass on it, keeping the tangent state entering
// each segment,
// then a backward sweep from the last segment to the first that recomputes
// the forward pass, the deltas, and the tangent forward pass of the
// segment, and runs the tangent backward pass on it.
func (h *HVP[T]) applyCheckpointed() {
	ws := h.ws
	B, N, S := ws.bsz, ws.n, h.seg
	kN := h.kb * N
	slot := B * kN
	// The forward sweep stops before the last segment: only the states
	// entering segments are kept. The tangent state stays in rr slot 0 and
	// the items' Rh, Ra from one segment to the next.
	h.readout = false
	for k := 0; k < h.nSeg-1; k++ {
		h.load(k)
		h.tangentPass(opHVPForward)
		copy(h.rr[:slot], h.rr[S*slot:(S+1)*slot])
		h.moveTangent(k+1, true)
	}
	h.readout = true
	for k := h.nSeg - 1; k >= 0; k-- {
		h.load(k)
		h.net.backwardWindow(ws)
		if k > 0 {
			h.moveTangent(k, false)
		}
		h.tangentWindow()
		h.carryDelta()
	}
}

// tangentPass runs the tangent forward (op opHVPForward) or backward
// (opHVPBackward) recursion over the window: on the work items in parallel,
// or as the single item of all rows (see HVP.whole). Every element's
// arithmetic is the same either way.
//
// It reports whether the backward recursion has also done the reduction
// (the single item does it block by block as soon as a block's Rδ are
// final, while they are in cache: the same products in the same order as
// reduce).
func (h *HVP[T]) tangentPass(op int) bool {
	if h.general() || kernels.Threads() > 1 {
		h.ws.parallel(op, len(h.items))
		return false
	}
	if op == opHVPForward {
		h.tangentForward(-1)
	} else {
		h.tangentBackward(-1)
	}
	return true
}

// item returns work item i, or the item of all rows for i = −1.
func (h *HVP[T]) item(i int) *hvpItem[T] {
	if i < 0 {
		return &h.whole
	}
	return &h.items[i]
}

// moveTangent copies the tangent state entering the window (rr slot 0 and
// the items' Rh, Ra) to the checkpoint entering segment k (save) or back.
func (h *HVP[T]) moveTangent(k int, save bool) {
	ws := h.ws
	kN := h.kb * ws.n
	slot := ws.bsz * kN
	off := k * slot
	move(save, h.cpRr[off:off+slot], h.rr[:slot])
	for i := range h.items {
		it := &h.items[i]
		o0, o1 := off+it.b0*kN, off+it.b1*kN
		n := o1 - o0
		if h.general() {
			move(save, h.cpRh[o0:o1], it.rh[:n])
		}
		if h.net.alif {
			move(save, h.cpRa[o0:o1], it.ra[:n])
		}
	}
}

// tangentForwardInput writes the directions' own input to the tangent
// forward recursion at local step t for the batch rows [b0, b1) of every
// direction, (1−α_m)(V_in x^t + V r^{t-1}), where Rr^t will be (zero at
// the first step of the sequence without W_in, r^0 = 0). It runs inside
// the recursion, step by step, so that its operands and result stay in
// cache; the values are those of one product over all steps.
func (h *HVP[T]) tangentForwardInput(t, b0, b1 int) {
	ws := h.ws
	use := h.set.Has
	B, N, In := ws.bsz, ws.n, ws.in
	kN := h.kb * N
	bc := b1 - b0
	leak := T(h.net.Cfg.Leak)
	x := rows(h.rr, t, B, b0, b1, kN)
	beta := T(0)
	if use(WIn) {
		kernels.Gemm(false, false, bc, kN, In, 1-leak, rows(ws.batch.X, t-1, B, b0, b1, In), In, h.vInT[:In*kN], kN, 0, x, kN)
		beta = 1
	}
	switch {
	case use(WRec) && ws.t0+t > 1:
		h.gemmRight(&h.pkVRecT, h.vRecT, kN, false, bc, 1-leak, rows(ws.r, t-1, B, b0, b1, N), N, beta, x, kN, nil, 1)
	case beta == 0:
		clear(x)
	}
}

// tangentBackwardInput writes the inputs of the tangent backward recursion
// at local step t for the batch rows [b0, b1) of every direction,
// (1−α_m) Vᵀ δ^{t+1} + V_outᵀ e^t + W_outᵀ Re^t, where Rδ^t will be; like
// tangentForwardInput it runs inside the recursion, with the values of
// one product over all steps.
func (h *HVP[T]) tangentBackwardInput(t, b0, b1 int) {
	ws, net := h.ws, h.net
	use := h.set.Has
	B, N, Out := ws.bsz, ws.n, ws.out
	kb := h.kb
	kN, kO := kb*N, kb*Out
	bc := b1 - b0
	leak := T(net.Cfg.Leak)
	g := rows(h.rd, t, B, b0, b1, kN)
	if use(WRec) && ws.t0+t < ws.total { // δ^{T+1} = 0
		h.gemmRight(&h.pkVRec, h.vRec, kN, false, bc, 1-leak, rows(ws.delta, t+1, B, b0, b1, N), N, 0, g, kN, nil, 1)
	} else {
		clear(g)
	}
	if !ws.lossAt[t] {
		return
	}
	kernels.Gemm(false, false, bc*kb, N, Out, 1, rows(h.re, t, B, b0, b1, kO), Out, net.WOutM, N, 1, g, N)
	if use(WOut) {
		kernels.Gemm(false, false, bc, kN, Out, 1, rows(ws.dy, t, B, b0, b1, Out), Out, h.vOut[:Out*kN], kN, 1, g, kN)
	}
}

// reduce adds the window's terms of the products, over blocks of gBlk
// steps aligned to the sequence, from the last block to the first (so that
// the sums run in the same order with and without checkpointing), each
// one gemm over the block's rows and all directions:
//
//	W: Σ Rδ^t r^{t-1}ᵀ, Σ δ^t Rr^{t-1}ᵀ   W_in: Σ Rδ^t x^tᵀ
//	W_out: Σ Re^t r^tᵀ, Σ e^t Rr^tᵀ       b_out: Σ Re^t
func (h *HVP[T]) reduce() {
	for hi := h.ws.steps; hi > 0; {
		lo := h.blockStart(hi)
		h.reduceBlock(lo, hi)
		hi = lo
	}
}

// blockStart returns lo for the reduction block of local steps lo+1..hi.
func (h *HVP[T]) blockStart(hi int) int {
	t0 := h.ws.t0
	return max((t0+hi-1)/h.gBlk*h.gBlk-t0, 0)
}

// reduceBlock adds the terms of the reduction block of local steps
// lo+1..hi (see reduce).
func (h *HVP[T]) reduceBlock(lo, hi int) {
	ws := h.ws
	use := h.set.Has
	B, N, In, Out, t0 := ws.bsz, ws.n, ws.in, ws.out, ws.t0
	kb := h.kb
	kN, kO := kb*N, kb*Out
	leak := T(h.net.Cfg.Leak)
	rr, rd, re := h.rr, h.rd, h.re
	out := func(t, m int) {
		ret := re[t*B*kO : (t*B+m)*kO]
		if use(WOut) {
			gemmTN(kO, N, m, 1, ret, kO, ws.r[t*B*N:], N, 1, h.pOutV[:kO*N], N)
			gemmTN(Out, kN, m, 1, ws.dy[t*B*Out:], Out, rr[t*B*kN:], kN, 1, h.pOutH[:Out*kN], kN)
		}
		if use(BOut) {
			for row := 0; row < m; row++ {
				for d := 0; d < kb; d++ {
					kernels.Axpy(h.blk(h.acc, d, BOut), 1, ret[(row*kb+d)*Out:(row*kb+d+1)*Out])
				}
			}
		}
	}
	if use(WRec) {
		if a := max(lo+1, 2-t0); a <= hi { // r^0 = Rr^0 = 0
			m := (hi - a + 1) * B
			if h.pkD != nil && !h.unpacked { // the stored states, packed at Reset
				j := lo / h.gBlk
				gemmTNPacked(kN, m, 1-leak, rd[a*B*kN:], kN, h.pkR[j], 1, h.pRecV[:kN*N], N)
				gemmTNPacked(kN, m, 1-leak, rr[(a-1)*B*kN:], kN, h.pkD[j], 1, h.pRecHT[:kN*N], N)
			} else {
				gemmTN(kN, N, m, 1-leak, rd[a*B*kN:], kN, ws.r[(a-1)*B*N:], N, 1, h.pRecV[:kN*N], N)
				gemmTN(N, kN, m, 1-leak, ws.delta[a*B*N:], N, rr[(a-1)*B*kN:], kN, 1, h.pRecH[:N*kN], kN)
			}
		}
	}
	if use(WIn) {
		gemmTN(kN, In, (hi-lo)*B, 1-leak, rd[(lo+1)*B*kN:], kN, ws.batch.X[lo*B*In:], In, 1, h.pIn[:kN*In], In)
	}
	if use(WOut) || use(BOut) {
		h.forLossSteps(lo, hi, out)
	}
}

// forLossSteps calls f(t, m) for the loss steps among the local steps
// lo+1..hi of the window: once with t = lo+1 and m = (hi−lo)·B when the
// loss reads every step (one product over all rows), otherwise once per
// loss step t with m = B.
func (h *HVP[T]) forLossSteps(lo, hi int, f func(t, m int)) {
	ws := h.ws
	if ws.nLoss == ws.total {
		f(lo+1, (hi-lo)*ws.bsz)
		return
	}
	for t := lo + 1; t <= hi; t++ {
		if ws.lossAt[t] {
			f(t, ws.bsz)
		}
	}
}

// blk returns block bl of full-layout vector d in x.
func (h *HVP[T]) blk(x []T, d int, bl Block) []T {
	P := h.net.Layout.Total
	return blockOf(h.net.Layout, x[d*P:(d+1)*P], bl)
}

// tangentForward runs the tangent forward recursion of work item i over
// the window for every direction of the sub-block:
//
//	Rh^t = α_m Rh^{t-1} + pre^t + (1−α_m) W Rr^{t-1},  Rr^t = ψ^t⊙(Rh^t − β⊙Ra^t)
//
// in place over pre^t, and the readout curvature Re^t at loss steps (when
// h.readout). The (bc·kb)×N rows of a step hold row b's kb directions one
// after another.
func (h *HVP[T]) tangentForward(i int) {
	it := h.item(i)
	net, ws := h.net, h.ws
	kb := h.kb
	B, N, Out, steps, t0 := ws.bsz, ws.n, ws.out, ws.steps, ws.t0
	kN, kO := kb*N, kb*Out
	b0, b1 := it.b0, it.b1
	bc := b1 - b0
	rr, re := h.rr, h.re
	leak, rho := T(net.Cfg.Leak), T(net.Cfg.Rho())
	general := h.general()
	n := bc * kN
	rh, ra := it.rh, it.ra
	if general {
		rh, ra = rh[:n], ra[:n]
	}
	if net.alif && t0 == 0 {
		clear(ra)
	}
	if t0 == 0 {
		clear(rows(rr, 0, B, b0, b1, kN))
	}
	for t := 1; t <= steps; t++ {
		first := t0+t == 1
		h.tangentForwardInput(t, b0, b1)
		x := rows(rr, t, B, b0, b1, kN)
		prev := rows(rr, t-1, B, b0, b1, kN)
		psi := rows(ws.psi, t, B, b0, b1, N)
		if !general {
			if first {
				mulRows(x, psi, x, kb, N)
			} else { // x = ψ⊙(x + W Rr), the product fused into the gemm
				h.gemmRight(&h.pkWT, ws.wT, N, false, bc*kb, 1, prev, N, 1, x, N, psi, kb)
			}
		} else {
			leakyDrive(rh, x, leak, first)
			if !first {
				h.gemmRight(&h.pkWT, ws.wT, N, false, bc*kb, 1-leak, prev, N, 1, rh, N, nil, 1)
			}
			if net.alif {
				for j := range ra {
					ra[j] = rho*ra[j] + (1-rho)*prev[j]
				}
				for row := 0; row < bc*kb; row++ {
					o, po := row*N, (row/kb)*N
					for j := 0; j < N; j++ {
						x[o+j] = psi[po+j] * (rh[o+j] - net.beta[j]*ra[o+j])
					}
				}
			} else {
				mulRows(x, psi, rh, kb, N)
			}
		}
		if !h.readout {
			continue
		}
		ry := rows(re, t, B, b0, b1, kO)
		if !ws.lossAt[t] {
			clear(ry)
			continue
		}
		kernels.Gemm(false, true, bc*kb, Out, N, 1, x, N, net.WOutM, N, 0, ry, Out)
		if h.set.Has(WOut) {
			kernels.Gemm(false, false, bc, kO, N, 1, rows(ws.r, t, B, b0, b1, N), N, h.vOutT[:N*kO], kO, 1, ry, kO)
		}
		if h.set.Has(BOut) {
			for row := 0; row < bc; row++ {
				for d := 0; d < kb; d++ {
					kernels.Axpy(ry[(row*kb+d)*Out:(row*kb+d+1)*Out], 1, h.blk(h.vFull, d, BOut))
				}
			}
		}
		h.readoutCurvature(ry, t, b0, b1, it.p)
	}
}

// mulRows sets dst = a⊙b row by row, where dst and a have kb rows of
// length n for each row of b.
func mulRows[T kernels.Float](dst, b, a []T, kb, n int) {
	if kb == 1 {
		kernels.Mul(dst, a, b[:len(dst)])
		return
	}
	for row := 0; row*n < len(dst); row++ {
		po := (row / kb) * n
		kernels.Mul(dst[row*n:(row+1)*n], a[row*n:(row+1)*n], b[po:po+n])
	}
}

// tangentBackward runs the tangent backward recursion of work item i over
// the window, the BPTT recursion applied to RG, in place over its
// precomputed inputs, for every direction of the sub-block, from Rδ in
// slot steps+1 and the item's Rγ when the window ends before the last
// step:
//
//	RG^t = pre^t + (1−α_m) Wᵀ Rδ^{t+1} + (1−ρ) Rγ^{t+1}
//	Rδ^t = ψ^t⊙RG^t + α_m Rδ^{t+1},  Rγ^t = −β⊙ψ^t⊙RG^t + ρ Rγ^{t+1}
func (h *HVP[T]) tangentBackward(i int) {
	it := h.item(i)
	net, ws := h.net, h.ws
	kb := h.kb
	B, N, steps, t0 := ws.bsz, ws.n, ws.steps, ws.t0
	kN := kb * N
	b0, b1 := it.b0, it.b1
	bc := b1 - b0
	rd := h.rd
	leak, rho := T(net.Cfg.Leak), T(net.Cfg.Rho())
	n := bc * kN
	rgam, rgamN := it.rgam, it.rgamN
	if net.alif {
		rgam, rgamN = rgam[:n], rgamN[:n]
		if t0+steps == ws.total {
			clear(rgamN)
		}
	}
	hi := steps // the reduction block in progress ends at local step hi
	for t := steps; t >= 1; t-- {
		h.tangentBackwardInput(t, b0, b1)
		g := rows(rd, t, B, b0, b1, kN)
		var next []T
		psi := rows(ws.psi, t, B, b0, b1, N)
		fused := false // ψ⊙ done in the gemm's epilogue
		if t0+t < ws.total {
			next = rows(rd, t+1, B, b0, b1, kN)
			if net.alif { // Rγ reads RG before the product with ψ
				h.gemmRight(&h.pkW, net.WRecM, N, false, bc*kb, 1-leak, next, N, 1, g, N, nil, 1)
			} else {
				h.gemmRight(&h.pkW, net.WRecM, N, false, bc*kb, 1-leak, next, N, 1, g, N, psi, kb)
				fused = true
			}
		}
		if net.alif {
			kernels.Axpy(g, 1-rho, rgamN)
			for row := 0; row < bc*kb; row++ {
				o, po := row*N, (row/kb)*N
				for j := 0; j < N; j++ {
					rgam[o+j] = -net.beta[j]*psi[po+j]*g[o+j] + rho*rgamN[o+j]
				}
			}
			rgam, rgamN = rgamN, rgam
		}
		if !fused {
			mulRows(g, psi, g, kb, N)
		}
		if leak != 0 && next != nil {
			kernels.Axpy(g, leak, next)
		}
		if i < 0 && t-1 == h.blockStart(hi) { // the single item reduces
			h.reduceBlock(t-1, hi)
			hi = t - 1
		}
	}
	if net.alif {
		it.rgam, it.rgamN = rgam, rgamN
	}
}

// readoutCurvature turns Ry (the rows [b0, b1) of step t, kb directions
// each) into Re = ∂²L/∂y²·Ry in place: Ry/(B·|𝒯|) for MSE, and
// (π⊙Ry − π·(πᵀRy))/B for cross-entropy with π = softmax(y^t).
func (h *HVP[T]) readoutCurvature(ry []T, t, b0, b1 int, pbuf []T) {
	ws := h.ws
	B, Out, kb := ws.bsz, ws.out, h.kb
	if h.net.Cfg.Loss.Kind == MSE {
		kernels.Scal(ry, T(1/float64(B*ws.nLoss)))
		return
	}
	y := rows(ws.y, t, B, b0, b1, Out)
	inv := T(1 / float64(B))
	for row := 0; row < b1-b0; row++ {
		_, s := expShifted(pbuf, y[row*Out:(row+1)*Out])
		kernels.Scal(pbuf, T(1/s))
		for d := 0; d < kb; d++ {
			rr := ry[(row*kb+d)*Out : (row*kb+d+1)*Out]
			dd := kernels.Dot(pbuf, rr)
			for o := range rr {
				rr[o] = inv * pbuf[o] * (rr[o] - dd)
			}
		}
	}
}

// HessianOperator adapts an HVP of either precision to the float64
// operator shapes of package eig, without importing it: Operator (Dim,
// Apply) and BlockOperator (ApplyBlock on k×Dim gonum matrices, one vector
// per row), so that eig's subspace iteration applies whole blocks.
type HessianOperator[T kernels.Float] struct {
	H        *HVP[T]
	src, dst []T
	buf      []float64
}

// Operator returns the float64 adapter of h.
func (h *HVP[T]) Operator() *HessianOperator[T] { return &HessianOperator[T]{H: h} }

// Dim returns the operator dimension.
func (o *HessianOperator[T]) Dim() int { return o.H.dim }

// Apply writes H·src to dst.
func (o *HessianOperator[T]) Apply(dst, src []float64) { o.apply(dst, src, 1) }

// ApplyBlock sets each row of dst to H times that row of src; both are
// k×Dim. It panics on other shapes.
func (o *HessianOperator[T]) ApplyBlock(dst, src *mat.Dense) {
	k, c := src.Dims()
	if r2, c2 := dst.Dims(); r2 != k || c2 != c || c != o.H.dim {
		panic(fmt.Sprintf("rnn: HessianOperator.ApplyBlock: src %d×%d, dst %d×%d, Dim %d", k, c, r2, c2, o.H.dim))
	}
	d := o.H.dim
	sr, dr := src.RawMatrix(), dst.RawMatrix()
	if sr.Stride == d && dr.Stride == d {
		o.apply(dr.Data[:k*d], sr.Data[:k*d], k)
		return
	}
	o.buf = growF64(o.buf, 2*k*d)
	in, out := o.buf[:k*d], o.buf[k*d:]
	for i := 0; i < k; i++ {
		copy(in[i*d:(i+1)*d], sr.Data[i*sr.Stride:i*sr.Stride+d])
	}
	o.apply(out, in, k)
	for i := 0; i < k; i++ {
		copy(dr.Data[i*dr.Stride:i*dr.Stride+d], out[i*d:(i+1)*d])
	}
}

func growF64(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// apply applies H to the k row-major vectors in src, writing dst.
func (o *HessianOperator[T]) apply(dst, src []float64, k int) {
	if d, ok := any(dst).([]T); ok {
		o.H.ApplyBlock(d, any(src).([]T), k)
		return
	}
	o.src = grow(o.src, len(src))
	o.dst = grow(o.dst, len(dst))
	for i, v := range src {
		o.src[i] = T(v)
	}
	o.H.ApplyBlock(o.dst, o.src, k)
	for i, v := range o.dst {
		dst[i] = float64(v)
	}
}

// FDStep is the relative step FiniteDiffHVP tries first, ε_mach^{1/3} =
// 2^(−52/3) ≈ 6.06e-6 for float64: it balances the O(ε²) truncation error
// of the central difference against its O(ε_mach/ε) rounding error.
const FDStep = 6.055454452393339e-06

// FDMinStep is the smallest relative step FiniteDiffHVP tries,
// ε_mach^{1/2} = 2^(−26) ≈ 1.49e-8 for float64. Below it the O(ε_mach/ε)
// rounding error of the difference exceeds the error of a one-sided
// difference at its best step, so a smaller step buys nothing.
const FDMinStep = 1.4901161193847656e-08

// fdShrink divides the step of FiniteDiffHVP at each retry.
const fdShrink = 10

// FDResult describes the step of a FiniteDiffHVP.
type FDResult struct {
	// Step is the absolute step ε of the difference returned, in units of
	// the direction v as passed (0 for a zero v).
	Step float64
	// Shrinks counts the retries: the step is FDStep·(1+‖w_S‖)/‖v‖
	// divided by 10 per retry, never below FDMinStep·(1+‖w_S‖)/‖v‖.
	Shrinks int
	// FirstFlips is the number of unit-steps whose ReLU state changed
	// between w−εv and w+εv at the first step (0 when no retry was needed).
	FirstFlips int
}

// FiniteDiffHVP writes the central finite difference of the exact gradient
//
//	H·v ≈ (∇_S L(w + ε v) − ∇_S L(w − ε v)) / (2ε),   ε = FDStep·(1 + ‖w_S‖)/‖v‖
//
// to dst, where w_S are the parameters of set s (the zero ParamSet means
// SetWRec) and v is packed as for HVP (the W_rec diagonal is masked). It
// is a reference for the exact HVP, in float64 only: in float32 it returns
// ErrFloat32FD. A zero v gives a zero result. net is not modified.
//
// The loss is smooth only between the kinks of the ReLU units (and of the
// ALIF thresholds, the same ReLU applied to h − A): a difference whose two
// points lie on different sides of a kink measures the jump of the
// gradient, not the curvature. FiniteDiffHVP therefore compares the ReLU
// state ψ of every unit at every step and batch item (T·B·N unit-steps)
// at w+εv and at w−εv. When any differs it divides ε by 10 and retries,
// down to FDMinStep·(1 + ‖w_S‖)/‖v‖; when states still differ there, it
// returns an ErrFDKink with their number and dst is not written. The
// FDResult reports the step used. Two gradients are computed per try.
func FiniteDiffHVP[T kernels.Float](net *Network[T], b *Batch[T], s ParamSet, dst, v []T) (FDResult, error) {
	var z T
	if any(z) == any(float32(0)) {
		return FDResult{}, ErrFloat32FD
	}
	s = s.orDefault()
	L := net.Layout
	dim := L.Dim(s)
	if len(v) != dim || len(dst) != dim {
		return FDResult{}, fmt.Errorf("rnn: FiniteDiffHVP: len(v)=%d, len(dst)=%d, want %d", len(v), len(dst), dim)
	}
	full := make([]T, L.Total)
	Scatter(L, s, full, v)
	MaskDiag(blockOf(L, full, WRec), net.Cfg.N)
	vn := math.Sqrt(float64(kernels.Dot(full, full)))
	if vn == 0 {
		clear(dst)
		return FDResult{}, nil
	}
	ws := make([]T, dim)
	Gather(L, s, ws, net.Params)
	wn := math.Sqrt(float64(kernels.Dot(ws, ws)))
	scale := (1 + wn) / vn
	p := net.Clone()
	var wp, wm Workspace[T]
	gp := make([]T, L.Total)
	gm := make([]T, L.Total)
	var res FDResult
	for rel := FDStep; ; rel = max(rel/fdShrink, FDMinStep) {
		eps := rel * scale
		kernels.AxpyTo(p.Params, T(eps), full, net.Params)
		if _, err := p.Gradient(&wp, b, gp); err != nil {
			return res, err
		}
		kernels.AxpyTo(p.Params, T(-eps), full, net.Params)
		if _, err := p.Gradient(&wm, b, gm); err != nil {
			return res, err
		}
		// ψ of steps 1..T; slot 0 is the zero initial state.
		flips := 0
		n := b.Size * net.Cfg.N
		for i, x := range wp.psi[n : (b.Steps+1)*n] {
			if x != wm.psi[n+i] {
				flips++
			}
		}
		if res.Shrinks == 0 {
			res.FirstFlips = flips
		}
		res.Step = eps
		if flips == 0 {
			break
		}
		if rel == FDMinStep {
			return res, ErrFDKink{Flips: flips, UnitSteps: b.Steps * n, Step: eps}
		}
		res.Shrinks++
	}
	kernels.ScaledDiff(gp, T(1/(2*res.Step)), gp, gm)
	Gather(L, s, dst, gp)
	return res, nil
}
