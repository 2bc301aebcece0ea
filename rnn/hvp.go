package rnn

import (
	"fmt"
	"math"

	"github.com/hessrnn/hessrnn/kernels"
)

// HVP computes exact Hessian-vector products H·v of the loss with respect
// to a parameter subset, at fixed weights and a fixed batch, by
// forward-over-reverse differentiation (Pearlmutter's R-operator, with
// ReLU” = 0). The forward states r^t, ψ^t and the BPTT deltas δ^t are
// computed once, by NewHVP or Reset, and reused by every Apply: each
// product costs one tangent forward and one tangent backward pass, about
// twice a BPTT gradient. Memory is the stored trajectory O(T·B·N) plus
// O(k·T·B·N) for a block of k vectors (the tangent states Rr^t and Rδ^t of
// every step, so that all weight products are single gemms over T·B rows).
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
	// vFull holds k full-layout directions; acc the products.
	vFull, acc []T
	// k is the block size the buffers are sized for; rr, rd hold Rr^t and
	// Rδ^t ((T+1)·B·N per direction), re holds Re^t ((T+1)·B·Out).
	k          int
	rr, rd, re []T
	items      []hvpItem[T]
}

// hvpItem is one work item of the tangent passes: direction d, batch rows
// [b0, b1), with its scratch.
type hvpItem[T kernels.Float] struct {
	d, b0, b1   int
	rh, ra      []T // Bc·N (leaky or ALIF networks)
	rgam, rgamN []T // Bc·N (ALIF)
	p           []T // Out
}

// NewHVP runs the forward and backward passes of net on b, keeps them in ws
// (a new workspace when nil) and returns the operator for the parameter set
// (the zero ParamSet means SetWRec). net and b must not change while the
// HVP is used, except through Reset.
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
	h.k = 0
	if _, err := h.net.Gradient(h.ws, b, h.grad); err != nil {
		return err
	}
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

// Apply writes H·v to dst; both have length Dim. It panics on other
// lengths.
func (h *HVP[T]) Apply(dst, v []T) { h.ApplyBlock(dst, v, 1) }

func (h *HVP[T]) ensureBlock(k int) {
	ws := h.ws
	B, N, Out, steps := ws.bsz, ws.n, ws.out, ws.steps
	P := h.net.Layout.Total
	if h.k == k && len(h.rr) == k*(steps+1)*B*N {
		return
	}
	h.k = k
	h.vFull = grow(h.vFull, k*P)
	h.acc = grow(h.acc, k*P)
	h.rr = grow(h.rr, k*(steps+1)*B*N)
	h.rd = grow(h.rd, k*(steps+1)*B*N)
	h.re = grow(h.re, k*(steps+1)*B*Out)
	h.items = h.items[:0]
	general := h.net.Cfg.Leak != 0 || h.net.alif
	for d := 0; d < k; d++ {
		for _, c := range ws.chunks {
			it := hvpItem[T]{d: d, b0: c.b0, b1: c.b1, p: make([]T, Out)}
			bc := c.b1 - c.b0
			if general {
				it.rh = make([]T, bc*N)
				it.ra = make([]T, bc*N)
			}
			if h.net.alif {
				it.rgam = make([]T, bc*N)
				it.rgamN = make([]T, bc*N)
			}
			h.items = append(h.items, it)
		}
	}
}

// ApplyBlock applies H to k vectors at once: v and dst hold k row-major
// vectors of length Dim (v[i*Dim:(i+1)*Dim] is vector i). The tangent
// recursions of all k directions share one parallel pass over the stored
// trajectory, and every product with V or onto a weight block is one gemm
// over all T·B rows. It panics on wrong lengths.
func (h *HVP[T]) ApplyBlock(dst, v []T, k int) {
	if k < 1 || len(v) != k*h.dim || len(dst) != k*h.dim {
		panic(fmt.Sprintf("rnn: HVP.ApplyBlock: k=%d, len(v)=%d, len(dst)=%d, Dim=%d", k, len(v), len(dst), h.dim))
	}
	net, ws := h.net, h.ws
	L := net.Layout
	P, N, In, Out, B, steps := L.Total, ws.n, ws.in, ws.out, ws.bsz, ws.steps
	h.ensureBlock(k)
	clear(h.vFull)
	for i := 0; i < k; i++ {
		vi := h.vFull[i*P : (i+1)*P]
		Scatter(L, h.set, vi, v[i*h.dim:(i+1)*h.dim])
		MaskDiag(vi[L.Blocks[WRec].Off:], N)
	}
	use := h.set.Has
	leak := T(net.Cfg.Leak)
	S, SO, TB := (steps+1)*B*N, (steps+1)*B*Out, steps*B
	X := ws.batch.X
	// Phase A: the direction's own input to the tangent recursion,
	// (1−α_m)(V_in x^t + V r^{t-1}), for all steps at once.
	for d := 0; d < k; d++ {
		rr := h.rr[d*S : (d+1)*S]
		clear(rr[:B*N])
		pre := rr[B*N:]
		beta := T(0)
		if use(WIn) {
			kernels.Gemm(false, true, TB, N, In, 1-leak, X, In, h.blk(h.vFull, d, WIn), In, 0, pre, N)
			beta = 1
		} else {
			clear(pre[:B*N])
		}
		switch {
		case use(WRec) && steps > 1: // r^0 = 0: steps 2..T only
			kernels.Gemm(false, true, (steps-1)*B, N, N, 1-leak, ws.r[B*N:steps*B*N], N, h.blk(h.vFull, d, WRec), N, beta, pre[B*N:], N)
		case beta == 0:
			clear(pre)
		}
	}
	ws.hvp = h
	ws.parallel(opHVPForward, len(h.items))
	// Phase C: the inputs of the tangent backward recursion,
	// (1−α_m) Vᵀ δ^{t+1} + V_outᵀ e^t + W_outᵀ Re^t, for all steps at once.
	for d := 0; d < k; d++ {
		rd := h.rd[d*S : (d+1)*S]
		re := h.re[d*SO : (d+1)*SO]
		clear(rd[:B*N])
		pre := rd[B*N:]
		if use(WRec) && steps > 1 { // δ^{T+1} = 0: steps 1..T−1 only
			kernels.Gemm(false, false, (steps-1)*B, N, N, 1-leak, ws.delta[2*B*N:], N, h.blk(h.vFull, d, WRec), N, 0, pre, N)
			clear(pre[(steps-1)*B*N:])
		} else {
			clear(pre)
		}
		for t := 1; t <= steps; t++ {
			if !ws.lossAt[t] {
				continue
			}
			m, t1 := B, t
			if ws.nLoss == steps {
				m = TB // one product over every step
			}
			mm(false, false, m, N, Out, 1, re[t1*B*Out:], Out, net.WOutM, N, 1, rd[t1*B*N:], N)
			if use(WOut) {
				mm(false, false, m, N, Out, 1, ws.dy[t1*B*Out:], Out, h.blk(h.vFull, d, WOut), N, 1, rd[t1*B*N:], N)
			}
			if ws.nLoss == steps {
				break
			}
		}
	}
	ws.parallel(opHVPBackward, len(h.items))
	ws.hvp = nil
	// Phase E: the products, one gemm per block over all T·B rows.
	clear(h.acc)
	lam := T(net.Cfg.L2)
	for d := 0; d < k; d++ {
		rr, rd, re := h.rr[d*S:(d+1)*S], h.rd[d*S:(d+1)*S], h.re[d*SO:(d+1)*SO]
		if use(WRec) {
			o := h.blk(h.acc, d, WRec)
			// r^0 = Rr^0 = 0: steps 2..T only.
			kernels.Gemm(true, false, N, N, TB-B, 1-leak, rd[2*B*N:], N, ws.r[B*N:TB*N], N, 0, o, N)
			kernels.Gemm(true, false, N, N, TB-B, 1-leak, ws.delta[2*B*N:], N, rr[B*N:TB*N], N, 1, o, N)
		}
		if use(WIn) {
			kernels.Gemm(true, false, N, In, TB, 1-leak, rd[B*N:], N, X, In, 0, h.blk(h.acc, d, WIn), In)
		}
		if use(WOut) || use(BOut) {
			o, ob := h.blk(h.acc, d, WOut), h.blk(h.acc, d, BOut)
			for t := 1; t <= steps; t++ {
				if !ws.lossAt[t] {
					continue
				}
				m := B
				if ws.nLoss == steps {
					m = TB
				}
				ret := re[t*B*Out : (t*B+m)*Out]
				if use(WOut) {
					mm(true, false, Out, N, m, 1, ret, Out, ws.r[t*B*N:], N, 1, o, N)
					mm(true, false, Out, N, m, 1, ws.dy[t*B*Out:], Out, rr[t*B*N:], N, 1, o, N)
				}
				if use(BOut) {
					for row := 0; row < m; row++ {
						kernels.Axpy(ob, 1, ret[row*Out:(row+1)*Out])
					}
				}
				if ws.nLoss == steps {
					break
				}
			}
		}
		ai, vi := h.acc[d*P:(d+1)*P], h.vFull[d*P:(d+1)*P]
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

// blk returns block bl of full-layout vector d in x.
func (h *HVP[T]) blk(x []T, d int, bl Block) []T {
	P := h.net.Layout.Total
	r := h.net.Layout.Blocks[bl]
	return x[d*P+r.Off : d*P+r.Off+r.Len]
}

// tangentForward runs the tangent forward recursion of work item i:
//
//	Rh^t = α_m Rh^{t-1} + pre^t + (1−α_m) W Rr^{t-1},  Rr^t = ψ^t⊙(Rh^t − β⊙Ra^t)
//
// in place over pre^t, and the readout curvature Re^t at loss steps.
func (h *HVP[T]) tangentForward(i int) {
	it := &h.items[i]
	net, ws := h.net, h.ws
	B, N, Out, steps := ws.bsz, ws.n, ws.out, ws.steps
	S, SO := (steps+1)*B*N, (steps+1)*B*Out
	b0, b1 := it.b0, it.b1
	bc := b1 - b0
	rr, re := h.rr[it.d*S:(it.d+1)*S], h.re[it.d*SO:(it.d+1)*SO]
	leak, rho := T(net.Cfg.Leak), T(net.Cfg.Rho())
	general := net.Cfg.Leak != 0 || net.alif
	if net.alif {
		clear(it.ra)
	}
	for t := 1; t <= steps; t++ {
		x := rows(rr, t, B, b0, b1, N)
		prev := rows(rr, t-1, B, b0, b1, N)
		psi := rows(ws.psi, t, B, b0, b1, N)
		if !general {
			if t > 1 {
				mm(false, true, bc, N, N, 1, prev, N, net.WRecM, N, 1, x, N)
			}
			kernels.Mul(x, psi, x)
		} else {
			if t == 1 || leak == 0 {
				copy(it.rh, x)
			} else {
				kernels.Scal(it.rh, leak)
				kernels.Axpy(it.rh, 1, x)
			}
			if t > 1 {
				mm(false, true, bc, N, N, 1-leak, prev, N, net.WRecM, N, 1, it.rh, N)
			}
			if net.alif {
				for j := range it.ra {
					it.ra[j] = rho*it.ra[j] + (1-rho)*prev[j]
				}
				for row := 0; row < bc; row++ {
					o := row * N
					for j := 0; j < N; j++ {
						x[o+j] = psi[o+j] * (it.rh[o+j] - net.beta[j]*it.ra[o+j])
					}
				}
			} else {
				kernels.Mul(x, psi, it.rh)
			}
		}
		ry := rows(re, t, B, b0, b1, Out)
		if !ws.lossAt[t] {
			clear(ry)
			continue
		}
		mm(false, true, bc, Out, N, 1, x, N, net.WOutM, N, 0, ry, Out)
		if h.set.Has(WOut) {
			mm(false, true, bc, Out, N, 1, rows(ws.r, t, B, b0, b1, N), N, h.blk(h.vFull, it.d, WOut), N, 1, ry, Out)
		}
		if h.set.Has(BOut) {
			vb := h.blk(h.vFull, it.d, BOut)
			for row := 0; row < bc; row++ {
				kernels.Axpy(ry[row*Out:(row+1)*Out], 1, vb)
			}
		}
		h.readoutCurvature(ry, t, b0, b1, it.p)
	}
}

// tangentBackward runs the tangent backward recursion of work item i, the
// BPTT recursion applied to RG, in place over its precomputed inputs:
//
//	RG^t = pre^t + (1−α_m) Wᵀ Rδ^{t+1} + (1−ρ) Rγ^{t+1}
//	Rδ^t = ψ^t⊙RG^t + α_m Rδ^{t+1},  Rγ^t = −β⊙ψ^t⊙RG^t + ρ Rγ^{t+1}
func (h *HVP[T]) tangentBackward(i int) {
	it := &h.items[i]
	net, ws := h.net, h.ws
	B, N, steps := ws.bsz, ws.n, ws.steps
	S := (steps + 1) * B * N
	b0, b1 := it.b0, it.b1
	bc := b1 - b0
	rd := h.rd[it.d*S : (it.d+1)*S]
	leak, rho := T(net.Cfg.Leak), T(net.Cfg.Rho())
	if net.alif {
		clear(it.rgamN)
	}
	for t := steps; t >= 1; t-- {
		g := rows(rd, t, B, b0, b1, N)
		var next []T
		if t < steps {
			next = rows(rd, t+1, B, b0, b1, N)
			mm(false, false, bc, N, N, 1-leak, next, N, net.WRecM, N, 1, g, N)
		}
		psi := rows(ws.psi, t, B, b0, b1, N)
		if net.alif {
			kernels.Axpy(g, 1-rho, it.rgamN)
			for row := 0; row < bc; row++ {
				o := row * N
				for j := 0; j < N; j++ {
					it.rgam[o+j] = -net.beta[j]*psi[o+j]*g[o+j] + rho*it.rgamN[o+j]
				}
			}
			it.rgam, it.rgamN = it.rgamN, it.rgam
		}
		kernels.Mul(g, psi, g)
		if leak != 0 && next != nil {
			kernels.Axpy(g, leak, next)
		}
	}
}

// readoutCurvature turns Ry (the rows [b0, b1) of step t) into
// Re = ∂²L/∂y²·Ry in place: Ry/(B·|𝒯|) for MSE, and
// (π⊙Ry − π·(πᵀRy))/B for cross-entropy with π = softmax(y^t).
func (h *HVP[T]) readoutCurvature(ry []T, t, b0, b1 int, pbuf []T) {
	ws := h.ws
	B, Out := ws.bsz, ws.out
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
		rr := ry[row*Out : (row+1)*Out]
		d := kernels.Dot(pbuf, rr)
		for o := range rr {
			rr[o] = inv * pbuf[o] * (rr[o] - d)
		}
	}
}

// HessianOperator adapts an HVP of either precision to the float64
// operator shape of package eig (Dim() int; Apply(dst, src []float64)),
// without importing it.
type HessianOperator[T kernels.Float] struct {
	H        *HVP[T]
	src, dst []T
}

// Operator returns the float64 adapter of h.
func (h *HVP[T]) Operator() *HessianOperator[T] { return &HessianOperator[T]{H: h} }

// Dim returns the operator dimension.
func (o *HessianOperator[T]) Dim() int { return o.H.dim }

// Apply writes H·src to dst.
func (o *HessianOperator[T]) Apply(dst, src []float64) { o.ApplyBlock(dst, src, 1) }

// ApplyBlock applies H to the k row-major vectors in src, writing dst.
func (o *HessianOperator[T]) ApplyBlock(dst, src []float64, k int) {
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

// FDStep is the relative step of FiniteDiffHVP, ε_mach^{1/3} for float64:
// it balances the O(ε²) truncation error of the central difference against
// its O(ε_mach/ε) rounding error.
var FDStep = math.Cbrt(0x1p-52)

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
