package rules

import (
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// trunc implements the rules that drop the cross-neuron terms of RTRL:
// Three-factor (e-prop), RF Three-factor (RFLO) and MDGL, in the online
// trace form and the batched masked-backward form.
type trunc[T kernels.Float] struct {
	kind  Kind
	form  Form
	fb    []T   // RFLO feedback, Out×N like W_out; nil: W_out
	types []int // MDGL cell types, nil: true W
	wbar  []T   // MDGL cell-type averaged W
	ws    rnn.Workspace[T]

	// scratch, B×N unless noted
	lCur, lNext, sig, tmp []T
	dNext, gam, u         []T
	delta                 []T // batched: T·B·N
	alifUnit              []bool
	online                onlineState[T]
}

func newTrunc[T kernels.Float](s Settings, cfg rnn.Config) *trunc[T] {
	r := &trunc[T]{kind: s.Kind, form: s.Form}
	if s.Kind == RFLO {
		r.fb = FeedbackMatrix[T](s.Feedback.Resolve(cfg.Init), s.FeedbackSeed, cfg.N, cfg.Out)
	}
	if s.Kind == MDGL && s.CellTypes != nil {
		r.types = append([]int(nil), s.CellTypes...)
		r.wbar = make([]T, cfg.N*cfg.N)
	}
	return r
}

func (r *trunc[T]) Kind() Kind { return r.kind }

// Feedback returns the feedback matrix used for the learning signal (Out×N,
// the layout of W_out): the fixed random B for RFLO, nil otherwise.
func (r *trunc[T]) Feedback() []T { return r.fb }

// SetFeedback replaces RFLO's feedback matrix (Out×N); used by tests to set
// B = W_outᵀ.
func (r *trunc[T]) setFeedback(f []T) { r.fb = f }

func (r *trunc[T]) Direction(net *rnn.Network[T], b *rnn.Batch[T], dir []T) (float64, error) {
	// The batched form of a plain, leak-free network with the loss at the
	// last step reads r^t and ψ^t of the last two steps only (and r^{T−2}):
	// the forward pass need not store the others (same values).
	keep := 0
	if r.form != Online && lastStepFast(net) {
		keep = 2
	}
	r.ws.KeepLast(keep)
	loss, tr, err := forward(net, &r.ws, b, dir)
	if err != nil {
		return loss, err
	}
	return loss, r.fromTrajectory(net, tr, b, dir)
}

// lastStepFast reports whether net is a plain, leak-free network (no ALIF
// units, no threshold) with the loss at the last step only: the networks
// whose forward pass can keep only its last steps (rnn.Workspace.KeepLast)
// for rules that read no others.
func lastStepFast[T kernels.Float](net *rnn.Network[T]) bool {
	c := &net.Cfg
	return c.Leak == 0 && !net.HasALIF() && c.BThr == 0 && c.Loss.Timing == rnn.LastStep
}

// fromTrajectory writes the rule's direction for the forward pass tr of net
// on b (which may live in another rule's workspace) to dir.
func (r *trunc[T]) fromTrajectory(net *rnn.Network[T], tr rnn.Trajectory[T], b *rnn.Batch[T], dir []T) error {
	r.prepare(net, tr)
	readoutGrad(net, tr, dir)
	l := net.Layout
	gW := block(dir, l, rnn.WRec)
	gIn := block(dir, l, rnn.WIn)
	if r.form == Online {
		r.directionOnline(net, tr, b, gW, gIn)
	} else {
		r.directionBatched(net, tr, b, gW, gIn)
	}
	return finish(net, dir)
}

func block[T kernels.Float](v []T, l rnn.Layout, b rnn.Block) []T {
	r := l.Blocks[b]
	return v[r.Off : r.Off+r.Len]
}

// span returns the n elements starting at the first element of s. The
// Trajectory accessors return one step of a time-major buffer whose later
// steps follow contiguously (rnn.Workspace's documented storage), so a run
// of steps is one matrix.
func span[T kernels.Float](s []T, n int) []T { return s[:n:n] }

func (r *trunc[T]) prepare(net *rnn.Network[T], tr rnn.Trajectory[T]) {
	BN := tr.B * tr.N
	for _, p := range []*[]T{&r.lCur, &r.lNext, &r.sig, &r.tmp, &r.dNext, &r.gam, &r.u} {
		if len(*p) != BN {
			*p = make([]T, BN)
		}
	}
	if len(r.alifUnit) != tr.N {
		r.alifUnit = make([]bool, tr.N)
	}
	for i := range r.alifUnit {
		r.alifUnit[i] = net.Cfg.Beta != nil && net.Cfg.Beta[i] != 0
	}
	if r.types != nil {
		cellAverage(r.wbar, net.WRecM, tr.N, r.types)
	}
}

// readoutGrad writes the exact gradient of W_out and b_out (without the L2
// term): Σ_t ∂L/∂y^t r^tᵀ and Σ_t ∂L/∂y^t.
func readoutGrad[T kernels.Float](net *rnn.Network[T], tr rnn.Trajectory[T], dir []T) {
	l := net.Layout
	gOut, gB := block(dir, l, rnn.WOut), block(dir, l, rnn.BOut)
	clear(gOut)
	clear(gB)
	t0, t1 := 0, 0
	for t := 1; t <= tr.Steps; t++ {
		if tr.LossStep(t) {
			if t0 == 0 {
				t0 = t
			}
			t1 = t
		}
	}
	if t0 == 0 {
		return
	}
	B, N, Out := tr.B, tr.N, tr.Out
	k := (t1 - t0 + 1) * B
	dy := span(tr.DY(t0), k*Out)
	if Out == 1 {
		kernels.GemvT(gOut, 1, span(tr.R(t0), k*N), N, dy, 0)
	} else {
		kernels.Gemm(true, false, Out, N, k, 1, dy, Out, span(tr.R(t0), k*N), N, 0, gOut, N)
	}
	for row := 0; row < k; row++ {
		kernels.Axpy(gB, 1, dy[row*Out:(row+1)*Out])
	}
}

// learningSignal writes L^t = F ∂L/∂y^t for every batch row into dst (B×N)
// with F = W_outᵀ, or the feedback matrix, and reports whether step t has a
// loss (dst is not written otherwise).
func (r *trunc[T]) learningSignal(net *rnn.Network[T], tr rnn.Trajectory[T], t int, dst []T) bool {
	if t < 1 || t > tr.Steps || !tr.LossStep(t) {
		return false
	}
	f := net.WOutM
	if r.fb != nil {
		f = r.fb
	}
	mulNN(tr.B, tr.N, tr.Out, 1, tr.DY(t), tr.Out, f, tr.N, 0, dst, tr.N)
	return true
}

// signal forms the rule's signal S^t in r.sig from L^t (lt, valid if hasT)
// and L^{t+1} (lt1, valid if hasT1): L^t for e-prop and RFLO, and for MDGL
// (Eq. 22) L^t + (1−α_m) W̃ᵀ(ψ^{t+1}⊙L^{t+1}) with W̃ the true or cell-type
// averaged weights. It reports whether S^t may be non-zero.
func (r *trunc[T]) signal(net *rnn.Network[T], tr rnn.Trajectory[T], t int, lt []T, hasT bool, lt1 []T, hasT1 bool) bool {
	s := r.sig
	if r.kind != MDGL || !hasT1 {
		if hasT {
			copy(s, lt)
		}
		return hasT
	}
	w := net.WRecM
	if r.wbar != nil {
		w = r.wbar
	}
	kernels.Mul(r.tmp, tr.Psi(t+1), lt1)
	beta := T(0)
	if hasT {
		copy(s, lt)
		beta = 1
	}
	mulNN(tr.B, tr.N, tr.N, T(1-net.Cfg.Leak), r.tmp, tr.N, w, tr.N, beta, s, tr.N)
	return true
}

// directionBatched computes the W_rec and W_in parts by the masked backward
// pass: with S^t the rule's signal,
//
//	G^t = S^t + (1−ρ) γ^{t+1}                     (ALIF units; S^t for plain ones)
//	δ^t = ψ^t⊙G^t + α_m δ^{t+1}                   (e-prop and MDGL; ALIF units of RFLO)
//	δ^t = ψ^t⊙u^t,  u^t = S^t + α_m u^{t+1}       (plain units of RFLO)
//	γ^t = −β⊙ψ^t⊙G^t + ρ γ^{t+1}
//	ĝ_W = (1−α_m) Σ_t δ^t r^{t-1}ᵀ,   ĝ_in = (1−α_m) Σ_t δ^t x^tᵀ
//
// which is the BPTT recursion of METHOD.md §2.1 without the term Wᵀδ^{t+1}, the
// adjoint of the truncated forward recursion of §2.3–2.5.
func (r *trunc[T]) directionBatched(net *rnn.Network[T], tr rnn.Trajectory[T], b *rnn.Batch[T], gW, gIn []T) {
	B, N, In, steps := tr.B, tr.N, tr.In, tr.Steps
	BN := B * N
	if len(r.delta) != steps*BN {
		r.delta = make([]T, steps*BN)
	}
	leak := T(net.Cfg.Leak)
	rho := T(net.Cfg.Rho())
	alif := net.HasALIF()
	fast := leak == 0 && !alif
	beta := net.Cfg.Beta
	rflo := r.kind == RFLO
	lCur, lNext := r.lCur, r.lNext
	hasNext := false
	carry := false // δ^{t+1}, γ^{t+1} or u^{t+1} may be non-zero
	var dn []T     // δ^{t+1}: zeros (r.dNext) at the last active step, then the previous step's slice of r.delta
	thi, tlo, skipped := 0, 0, 0
	for t := steps; t >= 1; t-- {
		hasL := r.learningSignal(net, tr, t, lCur)
		hasS := r.signal(net, tr, t, lCur, hasL, lNext, hasNext)
		lCur, lNext = lNext, lCur
		hasNext = hasL
		d := r.delta[(t-1)*BN : t*BN]
		if !hasS && !carry {
			if thi > 0 {
				skipped++
			}
			continue
		}
		if thi == 0 {
			thi = t
			clear(r.dNext)
			dn = r.dNext
			clear(r.gam)
			clear(r.u)
		}
		for ; skipped > 0; skipped-- {
			clear(r.delta[(t+skipped-1)*BN : (t+skipped)*BN])
		}
		tlo = t
		if !hasS {
			clear(r.sig)
		}
		psi := tr.Psi(t)
		if fast {
			kernels.Mul(d, psi, r.sig)
			continue
		}
		// Row slices of one length (every buffer is B·N), so that the loop
		// runs without bounds checks; the expressions are unchanged.
		omr := 1 - rho
		for row := 0; row < B; row++ {
			o := row * N
			dr := d[o : o+N]
			s, gam, u := r.sig[o : o+N][:len(dr)], r.gam[o : o+N][:len(dr)], r.u[o : o+N][:len(dr)]
			p, dnr, au := psi[o : o+N][:len(dr)], dn[o : o+N][:len(dr)], r.alifUnit[:len(dr)]
			for i := range dr {
				if au[i] {
					g := s[i] + omr*gam[i]
					bi := T(beta[i])
					dr[i] = p[i]*g + leak*dnr[i]
					gam[i] = -bi*p[i]*g + rho*gam[i]
				} else if rflo {
					u[i] = s[i] + leak*u[i]
					dr[i] = p[i] * u[i]
				} else {
					dr[i] = p[i]*s[i] + leak*dnr[i]
				}
			}
		}
		dn = d
		carry = true
	}
	if thi == 0 {
		clear(gW)
		clear(gIn)
		return
	}
	k := (thi - tlo + 1) * B
	dd := r.delta[(tlo-1)*BN : thi*BN]
	kernels.Gemm(true, false, N, N, k, 1-leak, dd, N, span(tr.R(tlo-1), k*N), N, 0, gW, N)
	kernels.Gemm(true, false, N, In, k, 1-leak, dd, N, b.X[(tlo-1)*B*In:thi*B*In], In, 0, gIn, In)
}
