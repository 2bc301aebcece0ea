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
// O(k·B·N + k·T·B·Out) per block of k vectors: tangent states are never
// stored over time.
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
	// vFull holds k full-layout directions; acc the reduced products.
	vFull, acc []T
}

// hvpScratch is the per-chunk tangent state of HVP for k directions
// stacked as k blocks of Bc rows.
type hvpScratch[T kernels.Float] struct {
	k               int
	rh, ra, rrP, rr []T // k·Bc·N
	rg, rd, rdN     []T
	rgam, rgamN     []T
	rey             []T // (T+1)·k·Bc·Out
	out             []T // k·P partial products
	softmax         []T // Out
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

// ApplyBlock applies H to k vectors at once: v and dst hold k row-major
// vectors of length Dim (v[i*Dim:(i+1)*Dim] is vector i). The recurrent
// products of all k directions are single gemms over k·B rows, and the
// stored trajectory is read once per block. It panics on wrong lengths.
func (h *HVP[T]) ApplyBlock(dst, v []T, k int) {
	if k < 1 || len(v) != k*h.dim || len(dst) != k*h.dim {
		panic(fmt.Sprintf("rnn: HVP.ApplyBlock: k=%d, len(v)=%d, len(dst)=%d, Dim=%d", k, len(v), len(dst), h.dim))
	}
	net, ws := h.net, h.ws
	P, N := net.Layout.Total, net.Cfg.N
	h.vFull = grow(h.vFull, k*P)
	h.acc = grow(h.acc, k*P)
	clear(h.vFull)
	for i := 0; i < k; i++ {
		vi := h.vFull[i*P : (i+1)*P]
		Scatter(net.Layout, h.set, vi, v[i*h.dim:(i+1)*h.dim])
		MaskDiag(vi[net.Layout.Blocks[WRec].Off:], N)
	}
	ws.hvp, ws.hvpK = h, k
	ws.parallel(opHVP)
	ws.hvp = nil
	clear(h.acc)
	for ci := range ws.chunks {
		kernels.Axpy(h.acc, 1, ws.chunks[ci].hv.out[:k*P])
	}
	lam := T(net.Cfg.L2)
	for i := 0; i < k; i++ {
		ai, vi := h.acc[i*P:(i+1)*P], h.vFull[i*P:(i+1)*P]
		if lam != 0 {
			for _, bl := range [...]Block{WIn, WRec, WOut} {
				r := net.Layout.Blocks[bl]
				kernels.Axpy(ai[r.Off:r.Off+r.Len], lam, vi[r.Off:r.Off+r.Len])
			}
		}
		MaskDiag(ai[net.Layout.Blocks[WRec].Off:], N)
		Gather(net.Layout, h.set, dst[i*h.dim:(i+1)*h.dim], ai)
	}
}

func (s *hvpScratch[T]) ensure(k, bc, n, out, steps, p int, alif bool) {
	sz := k * bc * n
	s.k = k
	s.rh = grow(s.rh, sz)
	s.rrP = grow(s.rrP, sz)
	s.rr = grow(s.rr, sz)
	s.rg = grow(s.rg, sz)
	s.rd = grow(s.rd, sz)
	s.rdN = grow(s.rdN, sz)
	if alif {
		s.ra = grow(s.ra, sz)
		s.rgam = grow(s.rgam, sz)
		s.rgamN = grow(s.rgamN, sz)
	}
	s.rey = grow(s.rey, (steps+1)*k*bc*out)
	s.out = grow(s.out, k*p)
	s.softmax = grow(s.softmax, out)
}

// chunkApply accumulates the chunk's share of H·v for k directions (L2
// excluded) into c.hv.out.
func (h *HVP[T]) chunkApply(c *chunk[T], k int) {
	net, ws := h.net, h.ws
	cfg := &net.Cfg
	L := net.Layout
	B, N, In, Out, steps, P := ws.bsz, ws.n, ws.in, ws.out, ws.steps, L.Total
	b0, b1 := c.b0, c.b1
	bc := b1 - b0
	kb, sz, so := k*bc, bc*N, bc*Out
	s := &c.hv
	s.ensure(k, bc, N, Out, steps, P, net.alif)
	clear(s.out[:k*P])
	leak := T(cfg.Leak)
	rho := T(cfg.Rho())
	use := func(bl Block) bool { return h.set.Has(bl) }
	blk := func(x []T, i int, bl Block) []T {
		r := L.Blocks[bl]
		return x[i*P+r.Off : i*P+r.Off+r.Len]
	}
	V, O := h.vFull, s.out
	X := ws.batch.X
	xAt := func(t int) []T { return X[((t-1)*B+b0)*In : ((t-1)*B+b1)*In] }
	alif := net.alif

	// Tangent forward.
	clear(s.rrP)
	clear(s.rh)
	if alif {
		clear(s.ra)
	}
	for t := 1; t <= steps; t++ {
		x := xAt(t)
		rPrev := rows(ws.r, t-1, B, b0, b1, N)
		r := rows(ws.r, t, B, b0, b1, N)
		psi := rows(ws.psi, t, B, b0, b1, N)
		if leak == 0 {
			clear(s.rh)
		} else {
			kernels.Scal(s.rh, leak)
		}
		for i := 0; i < k; i++ {
			rhi := s.rh[i*sz : (i+1)*sz]
			if use(WIn) {
				mm(false, true, bc, N, In, 1-leak, x, In, blk(V, i, WIn), In, 1, rhi, N)
			}
			if use(WRec) && t > 1 {
				mm(false, true, bc, N, N, 1-leak, rPrev, N, blk(V, i, WRec), N, 1, rhi, N)
			}
		}
		if t > 1 {
			mm(false, true, kb, N, N, 1-leak, s.rrP, N, net.WRecM, N, 1, s.rh, N)
		}
		if alif {
			for j := range s.ra {
				s.ra[j] = rho*s.ra[j] + (1-rho)*s.rrP[j]
			}
			for row := 0; row < kb; row++ {
				o, po := row*N, (row%bc)*N
				for j := 0; j < N; j++ {
					s.rr[o+j] = psi[po+j] * (s.rh[o+j] - net.beta[j]*s.ra[o+j])
				}
			}
		} else {
			for i := 0; i < k; i++ {
				kernels.Mul(s.rr[i*sz:(i+1)*sz], psi, s.rh[i*sz:(i+1)*sz])
			}
		}
		if use(WRec) && t > 1 {
			d := rows(ws.delta, t, B, b0, b1, N)
			for i := 0; i < k; i++ {
				mm(true, false, N, N, bc, 1-leak, d, N, s.rrP[i*sz:(i+1)*sz], N, 1, blk(O, i, WRec), N)
			}
		}
		if ws.lossAt[t] {
			ry := s.rey[t*kb*Out : (t+1)*kb*Out]
			mm(false, true, kb, Out, N, 1, s.rr, N, net.WOutM, N, 0, ry, Out)
			for i := 0; i < k; i++ {
				ryi := ry[i*so : (i+1)*so]
				if use(WOut) {
					mm(false, true, bc, Out, N, 1, r, N, blk(V, i, WOut), N, 1, ryi, Out)
				}
				if use(BOut) {
					vb := blk(V, i, BOut)
					for row := 0; row < bc; row++ {
						kernels.Axpy(ryi[row*Out:(row+1)*Out], 1, vb)
					}
				}
			}
			h.readoutCurvature(ry, t, b0, b1, k, s.softmax)
			if use(WOut) || use(BOut) {
				dy := rows(ws.dy, t, B, b0, b1, Out)
				for i := 0; i < k; i++ {
					reyi := ry[i*so : (i+1)*so]
					if use(WOut) {
						o := blk(O, i, WOut)
						mm(true, false, Out, N, bc, 1, dy, Out, s.rr[i*sz:(i+1)*sz], N, 1, o, N)
						mm(true, false, Out, N, bc, 1, reyi, Out, r, N, 1, o, N)
					}
					if use(BOut) {
						ob := blk(O, i, BOut)
						for row := 0; row < bc; row++ {
							kernels.Axpy(ob, 1, reyi[row*Out:(row+1)*Out])
						}
					}
				}
			}
		}
		s.rrP, s.rr = s.rr, s.rrP
	}

	// Tangent backward.
	for t := steps; t >= 1; t-- {
		rg := s.rg
		beta := T(0)
		if ws.lossAt[t] {
			rey := s.rey[t*kb*Out : (t+1)*kb*Out]
			mm(false, false, kb, N, Out, 1, rey, Out, net.WOutM, N, 0, rg, N)
			beta = 1
			if use(WOut) {
				dy := rows(ws.dy, t, B, b0, b1, Out)
				for i := 0; i < k; i++ {
					mm(false, false, bc, N, Out, 1, dy, Out, blk(V, i, WOut), N, 1, rg[i*sz:(i+1)*sz], N)
				}
			}
		}
		if t < steps {
			mm(false, false, kb, N, N, 1-leak, s.rdN, N, net.WRecM, N, beta, rg, N)
			beta = 1
			if use(WRec) {
				dN := rows(ws.delta, t+1, B, b0, b1, N)
				for i := 0; i < k; i++ {
					mm(false, false, bc, N, N, 1-leak, dN, N, blk(V, i, WRec), N, 1, rg[i*sz:(i+1)*sz], N)
				}
			}
			if alif {
				kernels.Axpy(rg, 1-rho, s.rgamN)
			}
		}
		if beta == 0 {
			clear(rg)
		}
		psi := rows(ws.psi, t, B, b0, b1, N)
		for i := 0; i < k; i++ {
			kernels.Mul(s.rd[i*sz:(i+1)*sz], psi, rg[i*sz:(i+1)*sz])
		}
		if leak != 0 && t < steps {
			kernels.Axpy(s.rd, leak, s.rdN)
		}
		if alif {
			if t == steps {
				clear(s.rgamN)
			}
			for row := 0; row < kb; row++ {
				o, po := row*N, (row%bc)*N
				for j := 0; j < N; j++ {
					s.rgam[o+j] = -net.beta[j]*psi[po+j]*rg[o+j] + rho*s.rgamN[o+j]
				}
			}
			s.rgam, s.rgamN = s.rgamN, s.rgam
		}
		if use(WRec) && t > 1 {
			rPrev := rows(ws.r, t-1, B, b0, b1, N)
			for i := 0; i < k; i++ {
				mm(true, false, N, N, bc, 1-leak, s.rd[i*sz:(i+1)*sz], N, rPrev, N, 1, blk(O, i, WRec), N)
			}
		}
		if use(WIn) {
			x := xAt(t)
			for i := 0; i < k; i++ {
				mm(true, false, N, In, bc, 1-leak, s.rd[i*sz:(i+1)*sz], N, x, In, 1, blk(O, i, WIn), In)
			}
		}
		s.rd, s.rdN = s.rdN, s.rd
	}
}

// readoutCurvature turns Ry (kb×Out, k blocks of the chunk's rows) into
// Re = ∂²L/∂y²·Ry in place: Ry/(B·|𝒯|) for MSE, and
// (π⊙Ry − π·(πᵀRy))/B for cross-entropy with π = softmax(y^t).
func (h *HVP[T]) readoutCurvature(ry []T, t, b0, b1, k int, pbuf []T) {
	ws := h.ws
	B, Out := ws.bsz, ws.out
	bc := b1 - b0
	if h.net.Cfg.Loss.Kind == MSE {
		kernels.Scal(ry, T(1/float64(B*ws.nLoss)))
		return
	}
	y := rows(ws.y, t, B, b0, b1, Out)
	inv := T(1 / float64(B))
	for row := 0; row < bc; row++ {
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
		for i := 0; i < k; i++ {
			rr := ry[(i*bc+row)*Out : (i*bc+row+1)*Out]
			d := kernels.Dot(pbuf, rr)
			for o := range rr {
				rr[o] = inv * pbuf[o] * (rr[o] - d)
			}
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
