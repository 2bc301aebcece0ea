package rules

import (
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// tbptt is BPTT truncated to a window of k steps: the loss at step τ
// backpropagates through steps τ, τ−1, …, τ−k+1 only (all paths: recurrent
// weights, leak and adaptation). For every loss step τ, from δ^{τ+1} =
// γ^{τ+1} = 0 and G^τ = W_outᵀ∂L/∂y^τ,
//
//	δ^s = ψ^s⊙G^s + α_m δ^{s+1},  γ^s = −β⊙ψ^s⊙G^s + ρ γ^{s+1}
//	G^{s-1} = (1−α_m) Wᵀ δ^s + (1−ρ) γ^s
//
// and D^s = Σ_τ δ^s_τ; then ĝ_W = (1−α_m) Σ_s D^s r^{s-1}ᵀ and
// ĝ_in = (1−α_m) Σ_s D^s x^sᵀ. The backward sweep runs once over s = T..1
// and carries the k windows τ = s, …, s+k−1 alive at step s side by side
// (slot d holds window τ = s+d), so each step is one product over all
// windows' rows instead of one per window. The cost is O(T·k) row products;
// k >= T delegates to exact BPTT.
type tbptt[T kernels.Float] struct {
	k  int
	ws rnn.Workspace[T]

	sum []T // T·B·N: D^s
	// reference selects the formulation before KeepLast and the lazy
	// clearing of sum, for tests: every step stored, sum cleared whole. Its
	// directions are bitwise those of the default (TestTBPTTKeepLastBitwise).
	reference    bool
	g, d, dPrev  []T // k·B·N: slot d at rows [d·B, (d+1)·B)
	gam, gamPrev []T
}

func (r *tbptt[T]) Kind() Kind { return TBPTT }

func (r *tbptt[T]) Direction(net *rnn.Network[T], b *rnn.Batch[T], dir []T) (float64, error) {
	// A plain, leak-free network with the loss at the last step T reads r^t
	// and ψ^t for t ≥ T−k only: the forward pass need not store the others
	// (same values; rnn.Workspace.KeepLast). Exact BPTT (k ≥ T) needs all.
	keep := 0
	if !r.reference && r.k < b.Steps && lastStepFast(net) {
		keep = r.k
	}
	r.ws.KeepLast(keep)
	loss, tr, err := forward(net, &r.ws, b, dir)
	if err != nil {
		return loss, err
	}
	if r.k >= tr.Steps {
		if err := net.Backward(&r.ws, dir); err != nil {
			return loss, err
		}
		return loss, checkFinite(dir, net.Layout)
	}
	readoutGrad(net, tr, dir)
	B, N, In, steps, K := tr.B, tr.N, tr.In, tr.Steps, r.k
	BN := B * N
	if len(r.sum) != steps*BN {
		r.sum = make([]T, steps*BN)
	}
	for _, p := range []*[]T{&r.g, &r.d, &r.dPrev, &r.gam, &r.gamPrev} {
		if len(*p) != K*BN {
			*p = make([]T, K*BN)
		}
	}
	// D^s is read for s ≥ tmin only, where tmin = max(1, t0−k+1) for the
	// first loss step t0 (the first step a window with a loss reaches):
	// those rows are cleared as the sweep reaches them, the others never
	// (at the last-step loss of seqMNIST, k rows of T).
	tfirst := steps + 1
	for t := 1; t <= steps; t++ {
		if tr.LossStep(t) {
			tfirst = max(1, t-K+1)
			break
		}
	}
	if r.reference {
		clear(r.sum)
		tfirst = steps + 1
	}
	leak := T(net.Cfg.Leak)
	rho := T(net.Cfg.Rho())
	alif := net.HasALIF()
	beta := net.Cfg.Beta
	slot := func(v []T, d int) []T { return v[d*BN : (d+1)*BN] }
	tmin := steps + 1
	// The previous step's slots [plo, phi] are valid; the others are stale.
	// Slot d of step s continues slot d−1 of step s+1 (the same window).
	plo, phi := -1, -1
	for s := steps; s >= 1; s-- {
		// The windows with a loss lie in slots [dlo, dhi]; slots in between
		// may hold windows without one (masked losses), which stay 0.
		dlo, dhi := -1, -1
		for d := 0; d < K && s+d <= steps; d++ {
			if tr.LossStep(s + d) {
				if dlo < 0 {
					dlo = d
				}
				dhi = d
			}
		}
		if s >= tfirst {
			clear(r.sum[(s-1)*BN : s*BN])
		}
		if dlo >= 0 {
			tmin = s
			psi := tr.Psi(s)
			D := r.sum[(s-1)*BN : s*BN]
			if dlo == 0 {
				mulNN(B, N, tr.Out, 1, tr.DY(s), tr.Out, net.WOutM, N, 0, slot(r.g, 0), N)
			}
			// Carried windows: slots [a, dhi] continue valid slots [a−1,
			// dhi−1] (dhi−1 <= phi: the last window with a loss was alive at
			// step s+1 too). Slots in [max(dlo, 1), a) continue windows that
			// had no loss at step s+1 and have none now: 0.
			a := max(dlo, 1, plo+1)
			if phi < 0 {
				a = dhi + 1
			}
			if dhi >= a {
				g := r.g[a*BN : (dhi+1)*BN]
				mulNN((dhi-a+1)*B, N, N, 1-leak, r.dPrev[(a-1)*BN:dhi*BN], N, net.WRecM, N, 0, g, N)
				if alif {
					kernels.Axpy(g, 1-rho, r.gamPrev[(a-1)*BN:dhi*BN])
				}
			}
			for d := dlo; d <= dhi; d++ {
				g, dd := slot(r.g, d), slot(r.d, d)
				carried := d >= a
				if d > 0 && !carried {
					clear(dd)
					if alif {
						clear(slot(r.gam, d))
					}
					continue
				}
				kernels.Mul(dd, psi, g)
				if carried && leak != 0 {
					kernels.Axpy(dd, leak, slot(r.dPrev, d-1))
				}
				if alif {
					ga := slot(r.gam, d)
					var gp []T
					if carried {
						gp = slot(r.gamPrev, d-1)
					}
					for row := 0; row < B; row++ {
						o := row * N
						for i := 0; i < N; i++ {
							k := o + i
							v := -T(beta[i]) * psi[k] * g[k]
							if gp != nil {
								v += rho * gp[k]
							}
							ga[k] = v
						}
					}
				}
				kernels.Axpy(D, 1, dd)
			}
		}
		plo, phi = dlo, dhi
		r.d, r.dPrev = r.dPrev, r.d
		r.gam, r.gamPrev = r.gamPrev, r.gam
	}
	l := net.Layout
	gW, gIn := block(dir, l, rnn.WRec), block(dir, l, rnn.WIn)
	if tmin > steps {
		clear(gW)
		clear(gIn)
	} else {
		k := (steps - tmin + 1) * B
		dd := r.sum[(tmin-1)*BN:]
		kernels.Gemm(true, false, N, N, k, 1-leak, dd, N, span(tr.R(tmin-1), k*N), N, 0, gW, N)
		kernels.Gemm(true, false, N, In, k, 1-leak, dd, N, b.X[(tmin-1)*B*In:], In, 0, gIn, In)
	}
	return loss, finish(net, dir)
}
