package rnn

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/dsa"
	"github.com/hessrnn/hessrnn/kernels"
)

// StateDim returns the dimension of the recurrent state s = (h, a_ALIF):
// the N membrane states h followed by the adaptation a_i of each ALIF unit
// (β_i > 0), in unit order. Plain units carry no adaptation state.
func (net *Network[T]) StateDim() int { return net.Cfg.N + len(net.alifUnits()) }

// alifUnits returns the indices of the ALIF units.
func (net *Network[T]) alifUnits() []int {
	var u []int
	for i, b := range net.Cfg.Beta {
		if b != 0 {
			u = append(u, i)
		}
	}
	return u
}

// StateStep applies the recurrent map of paper §1 in float64 to the state
// s = s^t (length StateDim) with the input x = x^{t+1} (length In) and
// writes s^{t+1} into dst:
//
//	r   = relu(h − b_thr − β⊙a)
//	h'  = α_m h + (1−α_m)(W r + W_in x)
//	a'  = ρ a + (1−ρ) r            (ALIF units)
//
// It is the map whose derivative StateJacobian returns (for steps t ≥ 1;
// step 1 reads r^0 = 0 and is not of this form). dst and s must not
// overlap. It panics on wrong lengths.
func (net *Network[T]) StateStep(dst, s []float64, x []T) {
	N := net.Cfg.N
	alif := net.alifUnits()
	if len(s) != N+len(alif) || len(dst) != len(s) || len(x) != net.Cfg.In {
		panic("rnn: StateStep: wrong length")
	}
	r := net.stateRates(s, alif)
	leak, rho := net.Cfg.Leak, net.Cfg.Rho()
	for i := 0; i < N; i++ {
		u := 0.0
		for j := 0; j < N; j++ {
			u += float64(net.WRecM[i*N+j]) * r[j]
		}
		for k, xk := range x {
			u += float64(net.WInM[i*net.Cfg.In+k]) * float64(xk)
		}
		dst[i] = leak*s[i] + (1-leak)*u
	}
	for k, i := range alif {
		dst[N+k] = rho*s[N+k] + (1-rho)*r[i]
	}
}

// stateRates returns r = relu(h − b_thr − β⊙a) of the state s.
func (net *Network[T]) stateRates(s []float64, alif []int) []float64 {
	N := net.Cfg.N
	r := make([]float64, N)
	for i := 0; i < N; i++ {
		r[i] = s[i] - net.Cfg.BThr
	}
	for k, i := range alif {
		r[i] -= net.Cfg.Beta[i] * s[N+k]
	}
	for i, v := range r {
		r[i] = math.Max(v, 0)
	}
	return r
}

// StateMask returns ψ = 1[h − b_thr − β⊙a > 0] of the state s (length N).
func (net *Network[T]) StateMask(s []float64) []float64 {
	r := net.stateRates(s, net.alifUnits())
	for i, v := range r {
		if v > 0 {
			r[i] = 1
		}
	}
	return r
}

// StateJacobian writes the Jacobian ∂s^{t+1}/∂s^t of StateStep, which
// depends on the state only through the ReLU mask psi = ψ^t (length N, 0 or
// 1 entries), into dst (StateDim×StateDim, row-major):
//
//	∂h'/∂h = α_m I + (1−α_m) W diag(ψ)
//	∂h'/∂a_j = −(1−α_m) β_j ψ_j W_{:,j}
//	∂a'_j/∂h_j = (1−ρ) ψ_j
//	∂a'_j/∂a_j = ρ − (1−ρ) β_j ψ_j
//
// It panics on wrong lengths.
func (net *Network[T]) StateJacobian(dst []float64, psi []T) {
	N := net.Cfg.N
	alif := net.alifUnits()
	n := N + len(alif)
	if len(dst) != n*n || len(psi) != N {
		panic("rnn: StateJacobian: wrong length")
	}
	clear(dst)
	leak, rho := net.Cfg.Leak, net.Cfg.Rho()
	for i := 0; i < N; i++ {
		row := dst[i*n : (i+1)*n]
		for j := 0; j < N; j++ {
			if psi[j] != 0 {
				row[j] = (1 - leak) * float64(net.WRecM[i*N+j]) * float64(psi[j])
			}
		}
		row[i] += leak
		for k, j := range alif {
			row[N+k] = -(1 - leak) * net.Cfg.Beta[j] * float64(psi[j]) * float64(net.WRecM[i*N+j])
		}
	}
	for k, j := range alif {
		row := dst[(N+k)*n : (N+k+1)*n]
		row[j] = (1 - rho) * float64(psi[j])
		row[N+k] = rho - (1-rho)*net.Cfg.Beta[j]*float64(psi[j])
	}
}

// Contraction summarises the matrix measures of the state Jacobians along
// trajectories: the contraction rate in the identity metric (μ₂ and μ∞)
// and in a diagonal metric optimised for μ∞ (package dsa). Negative values
// contract the continuous-time flow ṡ = J s; the discrete map itself
// contracts in a norm when its induced norm is below 1 (μ ≤ ‖J‖ always).
type Contraction struct {
	// Steps is the number of Jacobians (one per transition s^t → s^{t+1},
	// t = 1..T−1, per trajectory); Distinct the number of distinct ReLU
	// masks among them (J depends on the state only through the mask).
	Steps, Distinct int
	// Mu2Max and Mu2Mean are the maximum and mean over steps of μ₂(J).
	Mu2Max, Mu2Mean float64
	// MuInfMax and MuInfMean are the same for μ∞(J).
	MuInfMax, MuInfMean float64
	// DiagMax and DiagMean are the maximum and mean over steps of
	// μ∞(D J D⁻¹) for the diagonal metric D that minimises the maximum
	// (Metric.D); DiagLower is the solver's certified lower bound on that
	// minimum.
	DiagMax, DiagMean, DiagLower float64
	// Metric is the optimised diagonal metric.
	Metric dsa.DiagonalMetric
}

// ContractionOf returns the contraction rates of the state Jacobians at
// every transition t → t+1 (t = 1..T−1) of every trajectory of the forward
// passes stored in wss (each must hold a Forward of net; batches may differ
// in length). The Jacobian depends only on the ReLU mask ψ^t, so each
// distinct mask is evaluated once; the diagonal metric is one for all
// steps of all trajectories.
func ContractionOf[T kernels.Float](net *Network[T], ds dsa.DiagonalSettings, wss ...*Workspace[T]) (Contraction, error) {
	n := net.StateDim()
	N := net.Cfg.N
	type entry struct {
		mu2, muInf float64
		j          *mat.Dense
		count      int
	}
	byMask := map[string]*entry{}
	var order []string
	var key strings.Builder
	var c Contraction
	for _, ws := range wss {
		tr, err := ws.Trajectory()
		if err != nil {
			return Contraction{}, err
		}
		if ws.net != net {
			return Contraction{}, fmt.Errorf("rnn: ContractionOf: a workspace holds a forward pass of another network")
		}
		for t := 1; t < tr.Steps; t++ {
			psi := tr.Psi(t)
			for b := 0; b < tr.B; b++ {
				p := psi[b*N : (b+1)*N]
				key.Reset()
				for _, v := range p {
					if v != 0 {
						key.WriteByte('1')
					} else {
						key.WriteByte('0')
					}
				}
				k := key.String()
				e, ok := byMask[k]
				if !ok {
					J := mat.NewDense(n, n, nil)
					net.StateJacobian(J.RawMatrix().Data, p)
					e = &entry{j: J, mu2: dsa.LogNorm2(J), muInf: dsa.LogNormInf(J)}
					byMask[k] = e
					order = append(order, k)
				}
				e.count++
				c.Steps++
			}
		}
	}
	if c.Steps == 0 {
		return c, fmt.Errorf("rnn: ContractionOf needs trajectories of at least 2 steps")
	}
	c.Distinct = len(order)
	c.Mu2Max, c.MuInfMax = math.Inf(-1), math.Inf(-1)
	js := make([]mat.Matrix, 0, len(order))
	for _, k := range order {
		e := byMask[k]
		c.Mu2Max, c.MuInfMax = math.Max(c.Mu2Max, e.mu2), math.Max(c.MuInfMax, e.muInf)
		c.Mu2Mean += e.mu2 * float64(e.count)
		c.MuInfMean += e.muInf * float64(e.count)
		js = append(js, e.j)
	}
	c.Mu2Mean /= float64(c.Steps)
	c.MuInfMean /= float64(c.Steps)
	dm, err := dsa.OptimalDiagonalInf(js, ds)
	if err != nil {
		return c, err
	}
	c.Metric = dm
	c.DiagMax, c.DiagLower = dm.Rate, dm.Lower
	scaled := mat.NewDense(n, n, nil)
	for _, k := range order {
		e := byMask[k]
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				scaled.Set(i, j, dm.D[i]*e.j.At(i, j)/dm.D[j])
			}
		}
		c.DiagMean += dsa.LogNormInf(scaled) * float64(e.count)
	}
	c.DiagMean /= float64(c.Steps)
	return c, nil
}
