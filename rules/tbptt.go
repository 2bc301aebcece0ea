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
// and δ^s is added to a per-step sum D^s; then ĝ_W = (1−α_m) Σ_s D^s r^{s-1}ᵀ
// and ĝ_in = (1−α_m) Σ_s D^s x^sᵀ. The cost is O(|𝒯|·k) products; k >= T
// delegates to exact BPTT.
type tbptt[T kernels.Float] struct {
	k  int
	ws rnn.Workspace[T]

	sum          []T // T·B·N
	g, d, dn     []T // B·N
	gam, gamNext []T
}

func (r *tbptt[T]) Kind() Kind { return TBPTT }

func (r *tbptt[T]) Direction(net *rnn.Network[T], b *rnn.Batch[T], dir []T) (float64, error) {
	loss, tr, err := forward(net, &r.ws, b, dir)
	if err != nil {
		return loss, err
	}
	if r.k >= tr.Steps {
		if err := net.Backward(&r.ws, dir); err != nil {
			return loss, err
		}
		return loss, checkFinite(dir, LayoutOf(net.Layout))
	}
	readoutGrad(net, tr, dir)
	B, N, In, steps := tr.B, tr.N, tr.In, tr.Steps
	BN := B * N
	if len(r.sum) != steps*BN {
		r.sum = make([]T, steps*BN)
	}
	for _, p := range []*[]T{&r.g, &r.d, &r.dn, &r.gam, &r.gamNext} {
		if len(*p) != BN {
			*p = make([]T, BN)
		}
	}
	clear(r.sum)
	leak := T(net.Cfg.Leak)
	rho := T(net.Cfg.Rho())
	alif := net.HasALIF()
	beta := net.Cfg.Beta
	tmin := steps + 1
	for tau := 1; tau <= steps; tau++ {
		if !tr.LossStep(tau) {
			continue
		}
		lo := max(1, tau-r.k+1)
		tmin = min(tmin, lo)
		kernels.Gemm(false, false, B, N, tr.Out, 1, tr.DY(tau), tr.Out, net.WOutM, N, 0, r.g, N)
		clear(r.gamNext)
		for s := tau; s >= lo; s-- {
			psi := tr.Psi(s)
			kernels.Mul(r.d, psi, r.g)
			if s < tau && leak != 0 {
				kernels.Axpy(r.d, leak, r.dn)
			}
			if alif {
				for row := 0; row < B; row++ {
					o := row * N
					for i := 0; i < N; i++ {
						k := o + i
						r.gam[k] = -T(beta[i])*psi[k]*r.g[k] + rho*r.gamNext[k]
					}
				}
				r.gam, r.gamNext = r.gamNext, r.gam
			}
			kernels.Axpy(r.sum[(s-1)*BN:s*BN], 1, r.d)
			if s > lo {
				kernels.Gemm(false, false, B, N, N, 1-leak, r.d, N, net.WRecM, N, 0, r.g, N)
				if alif {
					kernels.Axpy(r.g, 1-rho, r.gamNext)
				}
				r.d, r.dn = r.dn, r.d
			}
		}
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
