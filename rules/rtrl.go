package rules

import (
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// rtrl is exact real-time recurrent learning (paper Eq. 15–17) with the
// full influence tensors P_l,(ij) = dh_l/dθ_ij and Q_l,(ij) = da_l/dθ_ij for
// θ = (W_rec, W_in), carried forward per batch item:
//
//	ṙ^{t-1} = ψ^{t-1}⊙(P^{t-1} − β⊙Q^{t-1})                  (row-wise)
//	P^t = α_m P^{t-1} + (1−α_m)[W ṙ^{t-1} + ∂h^t/∂θ]
//	Q^t = ρ Q^{t-1} + (1−ρ) ṙ^{t-1}
//	ĝ_θ += ṙ^{tᵀ} (W_outᵀ ∂L/∂y^t)
//
// where ∂h_l^t/∂W_ij = δ_li r_j^{t-1} and ∂h_l^t/∂W^in_ik = δ_li x_k^t. It
// costs O(N²·(N+In)·N) per step and item; a reference for small networks.
type rtrl[T kernels.Float] struct {
	ws           rnn.Workspace[T]
	p, q, dr, gl []T
	acc          []T
}

func (r *rtrl[T]) Kind() Kind { return RTRL }

func (r *rtrl[T]) Direction(net *rnn.Network[T], b *rnn.Batch[T], dir []T) (float64, error) {
	loss, tr, err := forward(net, &r.ws, b, dir)
	if err != nil {
		return loss, err
	}
	readoutGrad(net, tr, dir)
	B, N, In, Out, steps := tr.B, tr.N, tr.In, tr.Out, tr.Steps
	np := N*N + N*In
	for _, p := range []*[]T{&r.p, &r.q, &r.dr} {
		if len(*p) != N*np {
			*p = make([]T, N*np)
		}
	}
	if len(r.acc) != np {
		r.acc = make([]T, np)
	}
	if len(r.gl) != N {
		r.gl = make([]T, N)
	}
	clear(r.acc)
	leak := T(net.Cfg.Leak)
	rho := T(net.Cfg.Rho())
	alif := net.HasALIF()
	beta := net.Cfg.Beta
	P, Q, dR := r.p, r.q, r.dr
	for bb := 0; bb < B; bb++ {
		clear(P)
		clear(Q)
		clear(dR)
		for t := 1; t <= steps; t++ {
			// P^t from P^{t-1} and ṙ^{t-1} (held in dR).
			kernels.Gemm(false, false, N, np, N, 1-leak, net.WRecM, N, dR, np, leak, P, np)
			rp := tr.R(t - 1)[bb*N : (bb+1)*N]
			x := b.X[((t-1)*B+bb)*In : ((t-1)*B+bb+1)*In]
			for l := 0; l < N; l++ {
				row := P[l*np : (l+1)*np]
				kernels.Axpy(row[l*N:(l+1)*N], 1-leak, rp)
				kernels.Axpy(row[N*N+l*In:N*N+(l+1)*In], 1-leak, x)
			}
			if alif {
				kernels.Scal(Q, rho)
				kernels.Axpy(Q, 1-rho, dR)
			}
			psi := tr.Psi(t)[bb*N : (bb+1)*N]
			for l := 0; l < N; l++ {
				d := dR[l*np : (l+1)*np]
				copy(d, P[l*np:(l+1)*np])
				if alif && beta[l] != 0 {
					kernels.Axpy(d, -T(beta[l]), Q[l*np:(l+1)*np])
				}
				kernels.Scal(d, psi[l])
			}
			if tr.LossStep(t) {
				dy := tr.DY(t)[bb*Out : (bb+1)*Out]
				kernels.GemvT(r.gl, 1, net.WOutM, N, dy, 0)
				kernels.GemvT(r.acc, 1, dR, np, r.gl, 1)
			}
		}
	}
	l := net.Layout
	copy(block(dir, l, rnn.WRec), r.acc[:N*N])
	copy(block(dir, l, rnn.WIn), r.acc[N*N:])
	return loss, finish(net, dir)
}
