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
// (2N+Out)·(T+1)·B elements per direction of a sub-block of at most
// MaxBlock directions (the tangent states Rr^t, Rδ^t and Re^t of every
// step, so that all weight products are gemms over all T·B rows): linear
// in T, bounded in the block size.
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
	dim  int
	grad []T
	// kb is the number of directions of the current sub-block, kMax the
	// most a sub-block holds (memory bound), kCap the most the buffers are
	// sized for.
	kb, kMax, kCap int
	// vFull holds kb full-layout directions; acc their products.
	vFull, acc []T
	// rr and rd hold Rr^t and Rδ^t, re holds Re^t, for t = 0..T, with the
	// kb directions of one batch row adjacent: element (t, b, d, i) is at
	// ((t·B+b)·kb+d)·N+i (Out instead of N for re). Rows of one step and
	// chunk are thus one (bc·kb)×N matrix, and the rows of every step one
	// (T·B)×(kb·N) matrix, so that the recurrences and the products with
	// the directions are gemms over all directions at once.
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
}

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
// (the zero ParamSet means SetWRec). net, b and ws must not change (nor ws
// serve another Forward) while the HVP is used, except through Reset.
func NewHVP[T kernels.Float](net *Network[T], b *Batch[T], set ParamSet, ws *Workspace[T]) (*HVP[T], error) {
	if ws == nil {
		ws = new(Workspace[T])
	}
	h := &HVP[T]{net: net, ws: ws, set: set.orDefault(), grad: make([]T, net.Layout.Total)}
	h.dim = net.Layout.Dim(h.set)
	if err := h.Reset(b); err != nil {
		return nil, err
	}
	return h, nil
}

// Reset recomputes the stored forward pass and deltas for batch b at the
// network's current weights.
func (h *HVP[T]) Reset(b *Batch[T]) error {
	h.kb, h.kCap = 0, 0
	if _, err := h.net.Gradient(h.ws, b, h.grad); err != nil {
		return err
	}
	ws := h.ws
	if ws.bsz == 1 { // Forward keeps W_recᵀ only for batches
		transpose(ws.wT, h.net.WRecM, ws.n)
	}
	var z T
	per := (2*ws.n + ws.out) * (ws.steps + 1) * ws.bsz * int(unsafe.Sizeof(z))
	h.kMax = max(1, min(hvpMaxBlock, hvpBlockBytes/per))
	return nil
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
// (2N + Out)·(T+1)·B elements per direction, stays within 128 MiB unless a
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
	B, N, In, Out, steps := ws.bsz, ws.n, ws.in, ws.out, ws.steps
	P := h.net.Layout.Total
	h.vFull = grow(h.vFull, kb*P)
	h.acc = grow(h.acc, kb*P)
	h.rr = grow(h.rr, kb*(steps+1)*B*N)
	h.rd = grow(h.rd, kb*(steps+1)*B*N)
	h.re = grow(h.re, kb*(steps+1)*B*Out)
	use := h.set.Has
	if use(WRec) {
		h.vRecT = grow(h.vRecT, kb*N*N)
		h.vRec = grow(h.vRec, kb*N*N)
		h.pRecV = grow(h.pRecV, kb*N*N)
		h.pRecH = grow(h.pRecH, kb*N*N)
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
	general := h.net.Cfg.Leak != 0 || h.net.alif
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
}

// ApplyBlock applies H to k vectors: v and dst hold k row-major vectors of
// length Dim (v[i*Dim:(i+1)*Dim] is vector i). Up to MaxBlock directions
// are processed together: their tangent recursions are single gemms with
// kb·B rows per step, and every product with the directions or onto a
// weight block is one gemm over all T·B rows and all directions. Each
// result is bitwise identical to Apply on its vector alone. It panics on
// wrong lengths.
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
	P, N, In, Out, B, steps := L.Total, ws.n, ws.in, ws.out, ws.bsz, ws.steps
	h.ensureBlock(kb)
	use := h.set.Has
	leak := T(net.Cfg.Leak)
	TB, kN, kO := steps*B, kb*N, kb*Out
	S, SO := (steps+1)*B*kN, (steps+1)*B*kO
	rr, rd, re := h.rr[:S], h.rd[:S], h.re[:SO]
	X := ws.batch.X
	// The directions, full layout and stacked.
	vFull := h.vFull[:kb*P]
	clear(vFull)
	for d := 0; d < kb; d++ {
		vd := vFull[d*P : (d+1)*P]
		Scatter(L, h.set, vd, v[d*h.dim:(d+1)*h.dim])
		MaskDiag(vd[L.Blocks[WRec].Off:], N)
		if use(WRec) {
			V := h.blk(vFull, d, WRec)
			for i := 0; i < N; i++ {
				copy(h.vRec[i*kN+d*N:i*kN+(d+1)*N], V[i*N:(i+1)*N])
			}
			transposeTo(h.vRecT[d*N:], kN, V, N, N)
		}
		if use(WIn) {
			transposeTo(h.vInT[d*N:], kN, h.blk(vFull, d, WIn), N, In)
		}
		if use(WOut) {
			V := h.blk(vFull, d, WOut)
			for o := 0; o < Out; o++ {
				copy(h.vOut[o*kN+d*N:o*kN+(d+1)*N], V[o*N:(o+1)*N])
			}
			transposeTo(h.vOutT[d*Out:], kO, V, Out, N)
		}
	}
	// Phase A: the directions' own input to the tangent recursion,
	// (1−α_m)(V_in x^t + V r^{t-1}), for all steps and directions at once.
	clear(rr[:B*kN])
	pre := rr[B*kN:]
	beta := T(0)
	if use(WIn) {
		kernels.Gemm(false, false, TB, kN, In, 1-leak, X, In, h.vInT[:In*kN], kN, 0, pre, kN)
		beta = 1
	} else {
		clear(pre[:B*kN])
	}
	switch {
	case use(WRec) && steps > 1: // r^0 = 0: steps 2..T only
		kernels.Gemm(false, false, (steps-1)*B, kN, N, 1-leak, ws.r[B*N:steps*B*N], N, h.vRecT[:N*kN], kN, beta, pre[B*kN:], kN)
	case beta == 0:
		clear(pre)
	}
	ws.hvp = h
	ws.parallel(opHVPForward, len(h.items))
	// Phase C: the inputs of the tangent backward recursion,
	// (1−α_m) Vᵀ δ^{t+1} + V_outᵀ e^t + W_outᵀ Re^t.
	clear(rd[:B*kN])
	pre = rd[B*kN:]
	if use(WRec) && steps > 1 { // δ^{T+1} = 0: steps 1..T−1 only
		kernels.Gemm(false, false, (steps-1)*B, kN, N, 1-leak, ws.delta[2*B*N:], N, h.vRec[:N*kN], kN, 0, pre, kN)
		clear(pre[(steps-1)*B*kN:])
	} else {
		clear(pre)
	}
	h.forLossSteps(func(t, m int) {
		kernels.Gemm(false, false, m*kb, N, Out, 1, re[t*B*kO:], Out, net.WOutM, N, 1, rd[t*B*kN:], N)
		if use(WOut) {
			kernels.Gemm(false, false, m, kN, Out, 1, ws.dy[t*B*Out:], Out, h.vOut[:Out*kN], kN, 1, rd[t*B*kN:], kN)
		}
	})
	ws.parallel(opHVPBackward, len(h.items))
	ws.hvp = nil
	// Phase E: the products, one gemm per term over all T·B rows and all
	// directions, then split per direction.
	acc := h.acc[:kb*P]
	clear(acc)
	if use(WRec) {
		// r^0 = Rr^0 = 0: steps 2..T only.
		pv, ph := h.pRecV[:kN*N], h.pRecH[:N*kN]
		gemmTN(kN, N, TB-B, 1-leak, rd[2*B*kN:], kN, ws.r[B*N:TB*N], N, 0, pv, N)
		gemmTN(N, kN, TB-B, 1-leak, ws.delta[2*B*N:], N, rr[B*kN:TB*kN], kN, 0, ph, kN)
		for d := 0; d < kb; d++ {
			o := h.blk(acc, d, WRec)
			for i := 0; i < N; i++ {
				kernels.AxpyTo(o[i*N:(i+1)*N], 1, pv[(d*N+i)*N:(d*N+i+1)*N], ph[i*kN+d*N:i*kN+(d+1)*N])
			}
		}
	}
	if use(WIn) {
		p := h.pIn[:kN*In]
		gemmTN(kN, In, TB, 1-leak, rd[B*kN:], kN, X, In, 0, p, In)
		for d := 0; d < kb; d++ {
			copy(h.blk(acc, d, WIn), p[d*N*In:(d+1)*N*In])
		}
	}
	if use(WOut) || use(BOut) {
		var pv, ph []T
		if use(WOut) {
			pv, ph = h.pOutV[:kO*N], h.pOutH[:Out*kN]
		}
		first := true
		h.forLossSteps(func(t, m int) {
			beta := T(1)
			if first {
				beta, first = 0, false
			}
			ret := re[t*B*kO : (t*B+m)*kO]
			if use(WOut) {
				gemmTN(kO, N, m, 1, ret, kO, ws.r[t*B*N:], N, beta, pv, N)
				gemmTN(Out, kN, m, 1, ws.dy[t*B*Out:], Out, rr[t*B*kN:], kN, beta, ph, kN)
			}
			if use(BOut) {
				for row := 0; row < m; row++ {
					for d := 0; d < kb; d++ {
						ob := h.blk(acc, d, BOut)
						kernels.Axpy(ob, 1, ret[(row*kb+d)*Out:(row*kb+d+1)*Out])
					}
				}
			}
		})
		if use(WOut) {
			for d := 0; d < kb; d++ {
				o := h.blk(acc, d, WOut)
				if first { // no loss step: the products are zero
					clear(o)
					continue
				}
				for i := 0; i < Out; i++ {
					kernels.AxpyTo(o[i*N:(i+1)*N], 1, pv[(d*Out+i)*N:(d*Out+i+1)*N], ph[i*kN+d*N:i*kN+(d+1)*N])
				}
			}
		}
	}
	lam := T(net.Cfg.L2)
	for d := 0; d < kb; d++ {
		ai, vi := acc[d*P:(d+1)*P], vFull[d*P:(d+1)*P]
		if lam != 0 {
			for _, bl := range [...]Block{WIn, WRec, WOut} {
				r := L.Blocks[bl]
				kernels.Axpy(ai[r.Off:r.Off+r.Len], lam, vi[r.Off:r.Off+r.Len])
			}
		}
		MaskDiag(ai[L.Blocks[WRec].Off:], N)
		Gather(L, h.set, dst[d*h.dim:(d+1)*h.dim], ai)
	}
}

// forLossSteps calls f(t, m) for the loss steps: once with t = 1 and
// m = T·B when the loss reads every step (one product over all rows),
// otherwise once per loss step t with m = B.
func (h *HVP[T]) forLossSteps(f func(t, m int)) {
	ws := h.ws
	if ws.nLoss == ws.steps {
		f(1, ws.steps*ws.bsz)
		return
	}
	for t := 1; t <= ws.steps; t++ {
		if ws.lossAt[t] {
			f(t, ws.bsz)
		}
	}
}

// blk returns block bl of full-layout vector d in x.
func (h *HVP[T]) blk(x []T, d int, bl Block) []T {
	P := h.net.Layout.Total
	r := h.net.Layout.Blocks[bl]
	return x[d*P+r.Off : d*P+r.Off+r.Len]
}

// tangentForward runs the tangent forward recursion of work item i for
// every direction of the sub-block:
//
//	Rh^t = α_m Rh^{t-1} + pre^t + (1−α_m) W Rr^{t-1},  Rr^t = ψ^t⊙(Rh^t − β⊙Ra^t)
//
// in place over pre^t, and the readout curvature Re^t at loss steps. The
// (bc·kb)×N rows of a step hold row b's kb directions one after another.
func (h *HVP[T]) tangentForward(i int) {
	it := &h.items[i]
	net, ws := h.net, h.ws
	kb := h.kb
	B, N, Out, steps := ws.bsz, ws.n, ws.out, ws.steps
	kN, kO := kb*N, kb*Out
	S, SO := (steps+1)*B*kN, (steps+1)*B*kO
	b0, b1 := it.b0, it.b1
	bc := b1 - b0
	rr, re := h.rr[:S], h.re[:SO]
	leak, rho := T(net.Cfg.Leak), T(net.Cfg.Rho())
	general := net.Cfg.Leak != 0 || net.alif
	n := bc * kN
	rh, ra := it.rh, it.ra
	if general {
		rh, ra = rh[:n], ra[:n]
	}
	if net.alif {
		clear(ra)
	}
	for t := 1; t <= steps; t++ {
		x := rows(rr, t, B, b0, b1, kN)
		prev := rows(rr, t-1, B, b0, b1, kN)
		psi := rows(ws.psi, t, B, b0, b1, N)
		if !general {
			if t > 1 {
				kernels.Gemm(false, false, bc*kb, N, N, 1, prev, N, ws.wT, N, 1, x, N)
			}
			mulRows(x, psi, x, kb, N)
		} else {
			if t == 1 || leak == 0 {
				copy(rh, x)
			} else {
				kernels.Scal(rh, leak)
				kernels.Axpy(rh, 1, x)
			}
			if t > 1 {
				kernels.Gemm(false, false, bc*kb, N, N, 1-leak, prev, N, ws.wT, N, 1, rh, N)
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
	for row := 0; row*n < len(dst); row++ {
		po := (row / kb) * n
		kernels.Mul(dst[row*n:(row+1)*n], a[row*n:(row+1)*n], b[po:po+n])
	}
}

// tangentBackward runs the tangent backward recursion of work item i, the
// BPTT recursion applied to RG, in place over its precomputed inputs, for
// every direction of the sub-block:
//
//	RG^t = pre^t + (1−α_m) Wᵀ Rδ^{t+1} + (1−ρ) Rγ^{t+1}
//	Rδ^t = ψ^t⊙RG^t + α_m Rδ^{t+1},  Rγ^t = −β⊙ψ^t⊙RG^t + ρ Rγ^{t+1}
func (h *HVP[T]) tangentBackward(i int) {
	it := &h.items[i]
	net, ws := h.net, h.ws
	kb := h.kb
	B, N, steps := ws.bsz, ws.n, ws.steps
	kN := kb * N
	b0, b1 := it.b0, it.b1
	bc := b1 - b0
	rd := h.rd[:(steps+1)*B*kN]
	leak, rho := T(net.Cfg.Leak), T(net.Cfg.Rho())
	n := bc * kN
	rgam, rgamN := it.rgam, it.rgamN
	if net.alif {
		rgam, rgamN = rgam[:n], rgamN[:n]
		clear(rgamN)
	}
	for t := steps; t >= 1; t-- {
		g := rows(rd, t, B, b0, b1, kN)
		var next []T
		if t < steps {
			next = rows(rd, t+1, B, b0, b1, kN)
			kernels.Gemm(false, false, bc*kb, N, N, 1-leak, next, N, net.WRecM, N, 1, g, N)
		}
		psi := rows(ws.psi, t, B, b0, b1, N)
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
		mulRows(g, psi, g, kb, N)
		if leak != 0 && next != nil {
			kernels.Axpy(g, leak, next)
		}
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
		yr := y[row*Out : (row+1)*Out]
		m := yr[0]
		for _, v := range yr[1:] {
			m = max(m, v)
		}
		s := 0.0
		for o, v := range yr {
			e := math.Exp(float64(v - m))
			pbuf[o] = T(e)
			s += e
		}
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

// FDStep is the relative step of FiniteDiffHVP, ε_mach^{1/3} = 2^(−52/3) ≈
// 6.06e-6 for float64: it balances the O(ε²) truncation error of the central
// difference against its O(ε_mach/ε) rounding error.
const FDStep = 6.055454452393339e-06

// FiniteDiffHVP writes the central finite difference of the exact gradient
//
//	H·v ≈ (∇_S L(w + ε v) − ∇_S L(w − ε v)) / (2ε),   ε = FDStep·(1 + ‖w_S‖)/‖v‖
//
// to dst, where w_S are the parameters of set s (the zero ParamSet means
// SetWRec) and v is packed as for HVP (the W_rec diagonal is masked). It
// is a reference for the exact HVP, in float64 only: in float32 it returns
// ErrFloat32FD. A zero v gives a zero result. net is not modified.
func FiniteDiffHVP[T kernels.Float](net *Network[T], b *Batch[T], s ParamSet, dst, v []T) error {
	var z T
	if any(z) == any(float32(0)) {
		return ErrFloat32FD
	}
	s = s.orDefault()
	L := net.Layout
	dim := L.Dim(s)
	if len(v) != dim || len(dst) != dim {
		return fmt.Errorf("rnn: FiniteDiffHVP: len(v)=%d, len(dst)=%d, want %d", len(v), len(dst), dim)
	}
	full := make([]T, L.Total)
	Scatter(L, s, full, v)
	MaskDiag(full[L.Blocks[WRec].Off:], net.Cfg.N)
	vn := math.Sqrt(float64(kernels.Dot(full, full)))
	if vn == 0 {
		clear(dst)
		return nil
	}
	ws := make([]T, dim)
	Gather(L, s, ws, net.Params)
	wn := math.Sqrt(float64(kernels.Dot(ws, ws)))
	eps := FDStep * (1 + wn) / vn
	p := net.Clone()
	var work Workspace[T]
	gp := make([]T, L.Total)
	gm := make([]T, L.Total)
	kernels.AxpyTo(p.Params, T(eps), full, net.Params)
	if _, err := p.Gradient(&work, b, gp); err != nil {
		return err
	}
	kernels.AxpyTo(p.Params, T(-eps), full, net.Params)
	if _, err := p.Gradient(&work, b, gm); err != nil {
		return err
	}
	kernels.ScaledDiff(gp, T(1/(2*eps)), gp, gm)
	Gather(L, s, dst, gp)
	return nil
}
