package rules

import (
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// unitRun is a maximal run [i0, i1) of units of one kind (plain or ALIF).
type unitRun struct {
	i0, i1 int
	alif   bool
}

// synGroup is the eligibility state of one weight block (W_rec or W_in)
// restricted to one run of units: per batch item an n×m matrix.
type synGroup[T kernels.Float] struct {
	eh, ea []T // B·n·m each; ea only for ALIF runs
}

// onlineState is the scratch of the online form.
type onlineState[T kernels.Float] struct {
	runs          []unitRun
	rec, in       []synGroup[T] // one per run
	c, d, p       []T           // B·n gathered per-run vectors
	q             []T           // B·N zeros: no trace uses TraceBatch's q term
	ca, da, pa    []T
	xZero         []T // B·In zeros: x^{t-1} at t = 1
	shapeB, shapN int
	shapeIn       int
}

func (o *onlineState[T]) ensure(r *trunc[T], B, N, In int) {
	if o.shapeB == B && o.shapN == N && o.shapeIn == In && o.runs != nil {
		return
	}
	o.shapeB, o.shapN, o.shapeIn = B, N, In
	o.runs = o.runs[:0]
	for i := 0; i < N; {
		j := i
		for j < N && r.alifUnit[j] == r.alifUnit[i] {
			j++
		}
		o.runs = append(o.runs, unitRun{i, j, r.alifUnit[i]})
		i = j
	}
	o.rec = make([]synGroup[T], len(o.runs))
	o.in = make([]synGroup[T], len(o.runs))
	for k, ru := range o.runs {
		n := ru.i1 - ru.i0
		o.rec[k].eh = make([]T, B*n*N)
		o.in[k].eh = make([]T, B*n*In)
		if ru.alif {
			o.rec[k].ea = make([]T, B*n*N)
			o.in[k].ea = make([]T, B*n*In)
		}
	}
	for _, p := range []*[]T{&o.c, &o.d, &o.p, &o.q, &o.ca, &o.da, &o.pa} {
		*p = make([]T, B*N)
	}
	o.xZero = make([]T, B*In)
}

// directionOnline computes the W_rec and W_in parts with per-synapse
// eligibility traces advanced forward in time (METHOD.md §2.3–2.6): for plain
// units of e-prop and MDGL
//
//	ε_ij^t = α_m ε_ij^{t-1} + (1−α_m) v_j^t,   ĝ_ij += S_i^t ψ_i^t ε_ij^t
//
// for plain units of RFLO p_ij^t = α_m p_ij^{t-1} + (1−α_m) ψ_i^t v_j^t,
// ĝ_ij += S_i^t p_ij^t, and for ALIF units the two-variable e-prop trace
//
//	ε^{a,t} = (1−ρ)ψ^{t-1} ε^{h,t-1} + (ρ − (1−ρ)β ψ^{t-1}) ε^{a,t-1}
//	ĝ_ij += S_i^t ψ_i^t (ε_ij^{h,t} − β_i ε_ij^{a,t})
//
// with v^t = r^{t-1} for W_rec and x^t for W_in. S^t is the rule's signal;
// for MDGL it needs L^{t+1}, so a real-time implementation applies step t's
// update one step late (the trace e^t is still held then).
func (r *trunc[T]) directionOnline(net *rnn.Network[T], tr rnn.Trajectory[T], b *rnn.Batch[T], gW, gIn []T) {
	B, N, In, steps := tr.B, tr.N, tr.In, tr.Steps
	leak := T(net.Cfg.Leak)
	rho := T(net.Cfg.Rho())
	o := &r.online
	o.ensure(r, B, N, In)
	for k := range o.runs {
		clear(o.rec[k].eh)
		clear(o.in[k].eh)
		clear(o.rec[k].ea)
		clear(o.in[k].ea)
	}
	clear(gW)
	clear(gIn)
	beta := net.Cfg.Beta
	rflo := r.kind == RFLO
	lCur, lNext := r.lCur, r.lNext
	hasCur := r.learningSignal(net, tr, 1, lCur)
	for t := 1; t <= steps; t++ {
		hasNext := r.learningSignal(net, tr, t+1, lNext)
		hasS := r.signal(net, tr, t, lCur, hasCur, lNext, hasNext)
		if !hasS {
			clear(r.sig)
		}
		psi, psiPrev := tr.Psi(t), tr.Psi(t-1)
		vRec := tr.R(t - 1)
		vIn := b.X[(t-1)*B*In : t*B*In]
		vRecPrev, vInPrev := tr.R(max(t-2, 0)), o.xZero
		if t > 1 {
			vInPrev = b.X[(t-2)*B*In : (t-1)*B*In]
		}
		for k, ru := range o.runs {
			i0, i1 := ru.i0, ru.i1
			n := i1 - i0
			// Plain units at leak 0 hold no memory: skip silent steps.
			if !ru.alif && leak == 0 && !hasS {
				continue
			}
			for bb := 0; bb < B; bb++ {
				for i := i0; i < i1; i++ {
					src, dst := bb*N+i, bb*n+i-i0
					s, ps := r.sig[src], psi[src]
					o.c[dst] = leak
					if rflo && !ru.alif {
						o.d[dst], o.p[dst] = (1-leak)*ps, s
					} else {
						o.d[dst], o.p[dst] = 1-leak, s*ps
					}
					if ru.alif {
						pp := psiPrev[src]
						bi := T(beta[i])
						o.ca[dst] = rho - (1-rho)*bi*pp
						o.da[dst] = (1 - rho) * pp
						o.pa[dst] = -bi * s * ps
					}
				}
			}
			m := B * n
			c, d, p, q := o.c[:m], o.d[:m], o.p[:m], o.q[:m]
			for _, g := range []struct {
				grp      *synGroup[T]
				gm       []T
				w        int
				v, vPrev []T
			}{{&o.rec[k], gW, N, vRec, vRecPrev}, {&o.in[k], gIn, In, vIn, vInPrev}} {
				G := g.gm[i0*g.w : i1*g.w]
				if !ru.alif {
					kernels.TraceBatch(B, g.grp.eh, G, g.w, c, d, p, q, g.v)
					continue
				}
				ca, da, pa := o.ca[:m], o.da[:m], o.pa[:m]
				if leak == 0 {
					// ε^{h,t-1} = v^{t-1} exactly, so ε^a is a Trace of it,
					// and ε^{h,t} = v^t needs no storage.
					kernels.TraceBatch(B, g.grp.ea, G, g.w, ca, da, pa, q, g.vPrev)
					kernels.Gemm(true, false, n, g.w, B, 1, p, n, g.v, g.w, 1, G, g.w)
					continue
				}
				for bb := 0; bb < B; bb++ {
					for ii := 0; ii < n; ii++ {
						x := bb*n + ii
						off := x * g.w
						ea := g.grp.ea[off : off+g.w]
						kernels.Scal(ea, ca[x])
						kernels.Axpy(ea, da[x], g.grp.eh[off:off+g.w])
						kernels.Axpy(G[ii*g.w:(ii+1)*g.w], pa[x], ea)
					}
				}
				kernels.TraceBatch(B, g.grp.eh, G, g.w, c, d, p, q, g.v)
			}
		}
		lCur, lNext = lNext, lCur
		hasCur = hasNext
	}
}
