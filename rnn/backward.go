package rnn

import (
	"fmt"

	"github.com/hessrnn/hessrnn/kernels"
)

// Backward computes the exact gradient of the loss of the last Forward on
// ws by backpropagation through time (METHOD.md §2.1) and writes it to grad
// (length NumParams, layout Layout; overwritten). With G = ∂L/∂r,
// δ = ∂L/∂h and γ = ∂L/∂a, backwards from δ^{T+1} = γ^{T+1} = 0:
//
//	G^t = W_outᵀ ∂L/∂y^t + (1−α_m) Wᵀ δ^{t+1} + (1−ρ) γ^{t+1}
//	δ^t = ψ^t⊙G^t + α_m δ^{t+1}
//	γ^t = −β⊙ψ^t⊙G^t + ρ γ^{t+1}
//	∂L/∂W = (1−α_m) Σ_t δ^t r^{t-1}ᵀ (diagonal zero)   ∂L/∂W_in = (1−α_m) Σ_t δ^t x^tᵀ
//	∂L/∂W_out = Σ_t ∂L/∂y^t r^tᵀ                      ∂L/∂b_out = Σ_t ∂L/∂y^t
//
// plus λ·W for the three weight matrices when Cfg.L2 = λ > 0. The deltas
// stay in ws (Trajectory.Delta) and are reused by the Hessian-vector
// product. The recursion runs on fixed batch chunks in parallel; the weight
// gradients are products over all T·B rows in fixed row chunks, so the
// result does not depend on GOMAXPROCS. net must be the network of the
// Forward call, with unchanged parameters. After warm-up it allocates
// nothing (see Forward for GOMAXPROCS > 1).
func (net *Network[T]) Backward(ws *Workspace[T], grad []T) error {
	if !ws.haveFwd || ws.net != net {
		return ErrNoForward
	}
	if len(grad) != net.Layout.Total {
		return fmt.Errorf("rnn: Backward: grad has length %d, want %d", len(grad), net.Layout.Total)
	}
	if ws.validFrom > 0 {
		return fmt.Errorf("rnn: Backward needs every step of the forward pass; it kept only steps %d..%d (Workspace.KeepLast(%d))", ws.validFrom, ws.steps, ws.keep)
	}
	net.backwardWindow(ws)
	ws.haveBwd = true
	net.weightGrad(ws, grad)
	return nil
}

// backwardWindow runs the BPTT recursion over the stored steps of ws
// (local steps ws.steps..1), from δ in local slot steps+1 and the chunks'
// γ^{t+1} when the window ends before the last step (zero otherwise).
// Each δ^t is bitwise the one of a Backward over the whole sequence.
func (net *Network[T]) backwardWindow(ws *Workspace[T]) {
	// The readout term W_outᵀ ∂L/∂y^t of every step, written where δ^t will
	// be, in one product over all loss steps.
	B, N, Out, steps := ws.bsz, ws.n, ws.out, ws.steps
	if B > 1 {
		// W_rec packed once for the recursion's products (GemmPacked gives
		// Gemm's bits).
		ws.pkW.Pack(false, N, N, net.WRecM, N)
	}
	ws.lazyDelta = false
	if ws.nLoss == ws.total {
		kernels.Gemm(false, false, steps*B, N, Out, 1, ws.dy[B*Out:], Out, net.WOutM, N, 0, ws.delta[B*N:], N)
	} else {
		// Without leak the recursion's product is 1·Σ (a chain from +0,
		// never −0), so adding it to a zero δ (beta = 1) and writing it
		// (beta = 0) give the same bits: δ is then not cleared, and steps
		// without a loss are written by the recursion alone (backwardRows).
		ws.lazyDelta = net.Cfg.Leak == 0 && !ws.unpacked
		if !ws.lazyDelta {
			clear(ws.delta[B*N : (steps+1)*B*N])
		}
		for t := 1; t <= steps; t++ {
			if ws.lossAt[t] {
				mm(false, false, B, N, Out, 1, rows(ws.dy, t, B, 0, B, Out), Out, net.WOutM, N, 0, rows(ws.delta, t, B, 0, B, N), N)
			}
		}
	}
	ws.parallel(opBackward, len(ws.chunks))
}

// Gradient runs Forward and Backward and returns the loss.
func (net *Network[T]) Gradient(ws *Workspace[T], b *Batch[T], grad []T) (float64, error) {
	loss, err := net.Forward(ws, b)
	if err != nil {
		return loss, err
	}
	return loss, net.Backward(ws, grad)
}

func (net *Network[T]) backwardRows(ws *Workspace[T], c *chunk[T]) {
	cfg := &net.Cfg
	B, N := ws.bsz, ws.n
	b0, b1 := c.b0, c.b1
	bc := b1 - b0
	leak := T(cfg.Leak)
	rho := T(cfg.Rho())
	if net.alif && ws.t0+ws.steps == ws.total {
		clear(c.gamNxt)
	}
	for t := ws.steps; t >= 1; t-- {
		d := rows(ws.delta, t, B, b0, b1, N) // holds W_outᵀ ∂L/∂y^t on entry (or nothing, see below)
		// With lazyDelta, d holds nothing at steps without a loss: the
		// recursion writes it (beta = 0), or it is cleared.
		have := !ws.lazyDelta || ws.lossAt[t]
		var dNext []T
		if ws.t0+t < ws.total {
			dNext = rows(ws.delta, t+1, B, b0, b1, N)
			switch {
			case bc > 1 && !ws.unpacked:
				beta := T(1)
				if !have {
					beta = 0
				}
				kernels.GemmPacked(false, bc, 1-leak, dNext, N, &ws.pkW, beta, d, N)
			default:
				if !have {
					clear(d)
				}
				mm(false, false, bc, N, N, 1-leak, dNext, N, net.WRecM, N, 1, d, N)
			}
		} else if !have {
			clear(d)
		}
		psi := rows(ws.psi, t, B, b0, b1, N)
		if net.alif {
			kernels.Axpy(d, 1-rho, c.gamNxt)
			gam, gn := c.gam, c.gamNxt
			for row := 0; row < bc; row++ {
				// Row slices of one length and β hoisted out of the loop:
				// no bounds checks, no reload of net.beta after each store.
				o := row * N
				g := gam[o : o+N]
				beta, p, dr, gnr := net.beta[:len(g)], psi[o : o+N][:len(g)], d[o : o+N][:len(g)], gn[o : o+N][:len(g)]
				for i := range g {
					g[i] = -beta[i]*p[i]*dr[i] + rho*gnr[i]
				}
			}
			c.gam, c.gamNxt = c.gamNxt, c.gam
		}
		kernels.Mul(d, psi, d) // δ^t = ψ^t⊙G^t (+ α_m δ^{t+1})
		if leak != 0 && dNext != nil {
			kernels.Axpy(d, leak, dNext)
		}
	}
}

// weightGrad forms the parameter gradient from the stored deltas.
func (net *Network[T]) weightGrad(ws *Workspace[T], grad []T) {
	B, N, In, Out, steps := ws.bsz, ws.n, ws.in, ws.out, ws.steps
	l := net.Layout
	gIn, gW, gOut, gB := blockOf(l, grad, WIn), blockOf(l, grad, WRec), blockOf(l, grad, WOut), blockOf(l, grad, BOut)
	leak := T(net.Cfg.Leak)
	TB := steps * B
	delta := ws.delta[B*N : (steps+1)*B*N]
	// r^0 = 0, so the recurrent sum starts at step 2.
	gemmTN(N, N, TB-B, 1-leak, delta[B*N:], N, ws.r[B*N:TB*N], N, 0, gW, N)
	MaskDiag(gW, N)
	gemmTN(N, In, TB, 1-leak, delta, N, ws.batch.X, In, 0, gIn, In)
	if ws.nLoss == steps {
		gemmTN(Out, N, TB, 1, ws.dy[B*Out:], Out, ws.r[B*N:], N, 0, gOut, N)
	} else {
		clear(gOut)
		for t := 1; t <= steps; t++ {
			if ws.lossAt[t] {
				mm(true, false, Out, N, B, 1, rows(ws.dy, t, B, 0, B, Out), Out, rows(ws.r, t, B, 0, B, N), N, 1, gOut, N)
			}
		}
	}
	clear(gB)
	for t := 1; t <= steps; t++ {
		if !ws.lossAt[t] {
			continue
		}
		dy := rows(ws.dy, t, B, 0, B, Out)
		for row := 0; row < B; row++ {
			kernels.Axpy(gB, 1, dy[row*Out:(row+1)*Out])
		}
	}
	net.addL2Grad(grad)
}

// addL2Grad adds the gradient λ·W of the L2 term to the weight blocks of
// grad (full layout), keeping the W_rec diagonal zero.
func (net *Network[T]) addL2Grad(grad []T) {
	lam := T(net.Cfg.L2)
	if lam == 0 {
		return
	}
	l := net.Layout
	gW := blockOf(l, grad, WRec)
	kernels.Axpy(blockOf(l, grad, WIn), lam, net.WInM)
	kernels.Axpy(gW, lam, net.WRecM)
	MaskDiag(gW, net.Cfg.N)
	kernels.Axpy(blockOf(l, grad, WOut), lam, net.WOutM)
}
