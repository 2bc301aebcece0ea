package rules

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/hessrnn/hessrnn/rnn"
)

// This file holds the test references, written from the equations of METHOD.md
// with plain loops in float64 and sharing no code with the rules: a forward
// pass, and RTRL (paper Eq. 15–17) with named terms removed.

// refTraj is the forward pass of the reference.
type refTraj struct {
	B, T, N, In, Out int
	r, psi           [][][]float64 // [t][b][i], t = 0..T
	x                [][][]float64 // [t][b][k], t = 1..T (x[0] unused)
	dy               [][][]float64 // [t][b][o]
	loss             float64
}

// refForward runs the network of METHOD.md §1 on the batch and returns the
// states and the readout errors ∂L/∂y^t with the normalisation of §1.4.
func refForward(net *rnn.Network[float64], b *rnn.Batch[float64]) *refTraj {
	c := net.Cfg
	B, T, N, In, Out := b.Size, b.Steps, c.N, c.In, c.Out
	leak, rho := c.Leak, c.Rho()
	beta := make([]float64, N)
	copy(beta, c.Beta)
	tr := &refTraj{B: B, T: T, N: N, In: In, Out: Out}
	alloc := func(w int) [][][]float64 {
		s := make([][][]float64, T+1)
		for t := range s {
			s[t] = make([][]float64, B)
			for bb := range s[t] {
				s[t][bb] = make([]float64, w)
			}
		}
		return s
	}
	tr.r, tr.psi, tr.x, tr.dy = alloc(N), alloc(N), alloc(In), alloc(Out)
	lossAt := make([]bool, T+1)
	nLoss := 0
	for t := 1; t <= T; t++ {
		switch c.Loss.Timing {
		case rnn.LastStep:
			lossAt[t] = t == T
		case rnn.EveryStep:
			lossAt[t] = true
		case rnn.MaskedSteps:
			lossAt[t] = c.Loss.StepMask[t-1]
		}
		if lossAt[t] {
			nLoss++
		}
	}
	W, Win, Wout, bout := net.WRecM, net.WInM, net.WOutM, net.BOutV
	for bb := 0; bb < B; bb++ {
		h := make([]float64, N)
		a := make([]float64, N)
		for t := 1; t <= T; t++ {
			for k := 0; k < In; k++ {
				tr.x[t][bb][k] = b.X[((t-1)*B+bb)*In+k]
			}
			rp := tr.r[t-1][bb]
			for i := 0; i < N; i++ {
				s := 0.0
				for j := 0; j < N; j++ {
					if j != i {
						s += W[i*N+j] * rp[j]
					}
				}
				for k := 0; k < In; k++ {
					s += Win[i*In+k] * tr.x[t][bb][k]
				}
				h[i] = leak*h[i] + (1-leak)*s
				a[i] = rho*a[i] + (1-rho)*rp[i]
				u := h[i] - c.BThr - beta[i]*a[i]
				if u > 0 {
					tr.r[t][bb][i], tr.psi[t][bb][i] = u, 1
				}
			}
			if !lossAt[t] {
				continue
			}
			y := make([]float64, Out)
			for o := range y {
				y[o] = bout[o]
				for j := 0; j < N; j++ {
					y[o] += Wout[o*N+j] * tr.r[t][bb][j]
				}
			}
			if c.Loss.Kind == rnn.MSE {
				sc := 1 / float64(B*nLoss)
				for o := range y {
					d := y[o] - b.Y[((t-1)*B+bb)*Out+o]
					tr.loss += sc / 2 * d * d
					tr.dy[t][bb][o] = sc * d
				}
			} else {
				lab := int(b.Labels[(t-1)*B+bb])
				m := math.Inf(-1)
				for _, v := range y {
					m = math.Max(m, v)
				}
				z := 0.0
				for _, v := range y {
					z += math.Exp(v - m)
				}
				tr.loss += (m + math.Log(z) - y[lab]) / float64(B)
				for o, v := range y {
					tr.dy[t][bb][o] = math.Exp(v-m) / z / float64(B)
				}
				tr.dy[t][bb][lab] -= 1 / float64(B)
			}
		}
	}
	return tr
}

// Mask modes of refMaskedRTRL.
const (
	maskNone  = iota // exact RTRL
	maskEProp        // drop the sum over m in Eq. 17 entirely
	maskMDGL         // keep one application of it (Eq. 21), not carried on
	maskTBPTT        // keep only influences of parameter uses < K steps old
)

// refMaskedRTRL returns the update direction (layout of net.Params, readout
// blocks exact, L2 added, diagonal zero) of RTRL with the named terms of
// Eq. 17 removed. The influence of θ = (W_rec, W_in) on h_l is P[l][θ] and on
// a_l is Q[l][θ]; ṙ_l = ψ_l (P_l − β_l Q_l). fb, if not nil, is the Out×N
// feedback used for the learning signal instead of W_out (RFLO). For
// maskTBPTT the tensors are split by the age d of the parameter use.
//
// wOne, if not nil, replaces W in MDGL's one-step term (cell-type averaging).
func refMaskedRTRL(net *rnn.Network[float64], b *rnn.Batch[float64], mode, K int, fb, wOne []float64) []float64 {
	tr := refForward(net, b)
	c := net.Cfg
	B, T, N, In, Out := tr.B, tr.T, tr.N, tr.In, tr.Out
	np := N*N + N*In
	leak, rho := c.Leak, c.Rho()
	beta := make([]float64, N)
	copy(beta, c.Beta)
	W := net.WRecM
	if wOne == nil {
		wOne = W
	}
	F := net.WOutM
	if fb != nil {
		F = fb
	}
	ages := 1
	if mode == maskTBPTT {
		ages = K
	}
	newT := func() [][][]float64 { // [age][l][θ]
		s := make([][][]float64, ages)
		for d := range s {
			s[d] = make([][]float64, N)
			for l := range s[d] {
				s[d][l] = make([]float64, np)
			}
		}
		return s
	}
	grad := make([]float64, np)
	for bb := 0; bb < B; bb++ {
		P, Q, Rd := newT(), newT(), newT() // Rd = ṙ of the previous step
		for t := 1; t <= T; t++ {
			Pn, Qn := newT(), newT()
			for d := 0; d < ages; d++ {
				src := d
				if mode == maskTBPTT {
					src = d - 1 // age d at t comes from age d−1 at t−1
				}
				for l := 0; l < N; l++ {
					for th := 0; th < np; th++ {
						var p, q, nl float64
						if src >= 0 {
							p = leak * P[src][l][th]
							q = rho*Q[src][l][th] + (1-rho)*Rd[src][l][th]
							if mode == maskNone || mode == maskTBPTT {
								for m := 0; m < N; m++ {
									nl += W[l*N+m] * Rd[src][m][th]
								}
							}
						}
						Pn[d][l][th] = p + (1-leak)*nl
						Qn[d][l][th] = q
					}
				}
			}
			// The immediate term enters at age 0.
			for l := 0; l < N; l++ {
				for j := 0; j < N; j++ {
					Pn[0][l][l*N+j] += (1 - leak) * tr.r[t-1][bb][j]
				}
				for k := 0; k < In; k++ {
					Pn[0][l][N*N+l*In+k] += (1 - leak) * tr.x[t][bb][k]
				}
			}
			// MDGL's one-step term from the local ṙ of the previous step.
			var oneStep [][]float64
			if mode == maskMDGL {
				oneStep = make([][]float64, N)
				for l := range oneStep {
					oneStep[l] = make([]float64, np)
					for th := 0; th < np; th++ {
						s := 0.0
						for m := 0; m < N; m++ {
							s += wOne[l*N+m] * Rd[0][m][th]
						}
						oneStep[l][th] = (1 - leak) * s
					}
				}
			}
			P, Q = Pn, Qn
			Rd = newT()
			for d := 0; d < ages; d++ {
				for l := 0; l < N; l++ {
					for th := 0; th < np; th++ {
						Rd[d][l][th] = tr.psi[t][bb][l] * (P[d][l][th] - beta[l]*Q[d][l][th])
					}
				}
			}
			// Learning signal and accumulation.
			for l := 0; l < N; l++ {
				L := 0.0
				for o := 0; o < Out; o++ {
					L += F[o*N+l] * tr.dy[t][bb][o]
				}
				if L == 0 {
					continue
				}
				for th := 0; th < np; th++ {
					s := 0.0
					for d := 0; d < ages; d++ {
						s += Rd[d][l][th]
					}
					if oneStep != nil {
						s += tr.psi[t][bb][l] * oneStep[l][th]
					}
					grad[th] += L * s
				}
			}
		}
	}
	return assembleRef(net, tr, grad)
}

// refRFLO is RF Three-factor written from Eq. 19 with the §2.5 trace for
// plain units and the e-prop ALIF trace (§2.3) for ALIF units.
func refRFLO(net *rnn.Network[float64], b *rnn.Batch[float64], fb []float64) []float64 {
	tr := refForward(net, b)
	c := net.Cfg
	B, T, N, In, Out := tr.B, tr.T, tr.N, tr.In, tr.Out
	leak, rho := c.Leak, c.Rho()
	m := N + In
	grad := make([]float64, N*N+N*In)
	for bb := 0; bb < B; bb++ {
		eh := make([]float64, N*m) // ε^h or p
		ea := make([]float64, N*m)
		for t := 1; t <= T; t++ {
			v := append(append([]float64(nil), tr.r[t-1][bb]...), tr.x[t][bb]...)
			for i := 0; i < N; i++ {
				ps, pp := tr.psi[t][bb][i], tr.psi[t-1][bb][i]
				bi := 0.0
				if c.Beta != nil {
					bi = c.Beta[i]
				}
				L := 0.0
				for o := 0; o < Out; o++ {
					L += fb[o*N+i] * tr.dy[t][bb][o]
				}
				for j := 0; j < m; j++ {
					k := i*m + j
					var e float64
					if bi == 0 {
						eh[k] = leak*eh[k] + (1-leak)*ps*v[j]
						e = eh[k]
					} else {
						ea[k] = (1-rho)*pp*eh[k] + (rho-(1-rho)*bi*pp)*ea[k]
						eh[k] = leak*eh[k] + (1-leak)*v[j]
						e = ps * (eh[k] - bi*ea[k])
					}
					th := i*N + j
					if j >= N {
						th = N*N + i*In + j - N
					}
					grad[th] += L * e
				}
			}
		}
	}
	return assembleRef(net, tr, grad)
}

// assembleRef puts the (W_rec, W_in) gradient and the exact readout
// gradient into the network's layout, adds L2 and zeroes diag(W_rec).
func assembleRef(net *rnn.Network[float64], tr *refTraj, grad []float64) []float64 {
	N, In, Out := tr.N, tr.In, tr.Out
	l := net.Layout
	dir := make([]float64, net.NumParams())
	gW, gIn := block(dir, l, rnn.WRec), block(dir, l, rnn.WIn)
	gOut, gB := block(dir, l, rnn.WOut), block(dir, l, rnn.BOut)
	copy(gW, grad[:N*N])
	copy(gIn, grad[N*N:])
	for t := 1; t <= tr.T; t++ {
		for bb := 0; bb < tr.B; bb++ {
			for o := 0; o < Out; o++ {
				gB[o] += tr.dy[t][bb][o]
				for j := 0; j < N; j++ {
					gOut[o*N+j] += tr.dy[t][bb][o] * tr.r[t][bb][j]
				}
			}
		}
	}
	lam := net.Cfg.L2
	for i := range gIn {
		gIn[i] += lam * net.WInM[i]
	}
	for i := range gW {
		gW[i] += lam * net.WRecM[i]
	}
	for i := range gOut {
		gOut[i] += lam * net.WOutM[i]
	}
	for i := 0; i < N; i++ {
		gW[i*N+i] = 0
	}
	_ = In
	return dir
}

// testCase is one network and batch of the validation matrix.
type testCase struct {
	name string
	cfg  rnn.Config
	B, T int
}

// testCases spans plain, ALIF, mixed and interleaved units, leak 0, 0.3 and
// 0.5, MSE and CE, and last-step, every-step and masked loss timing.
func testCases() []testCase {
	const N, In, Out = 6, 3, 2
	mixed := rnn.MixedBeta(N, N/2, 1.8)
	alif := rnn.MixedBeta(N, N, 0.7)
	mask := []bool{false, true, false, false, true, true}
	var cs []testCase
	for _, u := range []struct {
		name string
		beta []float64
	}{{"plain", nil}, {"alif", alif}, {"mixed", mixed}} {
		for _, leak := range []float64{0, 0.5} {
			for _, l := range []struct {
				name string
				loss rnn.Loss
			}{
				{"mse-every", rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}},
				{"ce-last", rnn.Loss{Kind: rnn.CrossEntropy, Timing: rnn.LastStep}},
				{"mse-masked", rnn.Loss{Kind: rnn.MSE, Timing: rnn.MaskedSteps, StepMask: mask}},
			} {
				cs = append(cs, testCase{
					name: u.name + "/leak=" + fmtF(leak) + "/" + l.name,
					cfg: rnn.Config{In: In, N: N, Out: Out, Leak: leak, Beta: u.beta, TauA: 4,
						Loss: l.loss, Seed: 7, L2: 0.01},
					B: 3, T: len(mask),
				})
			}
		}
	}
	// Interleaved ALIF and plain units (several unit runs in the online
	// form), a non-zero baseline threshold, another leak and τ_a, no L2.
	inter := []float64{0.9, 0, 1.5, 0, 0, 0.4}
	for _, leak := range []float64{0, 0.3} {
		for _, l := range []struct {
			name string
			loss rnn.Loss
		}{
			{"mse-every", rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}},
			{"ce-masked", rnn.Loss{Kind: rnn.CrossEntropy, Timing: rnn.MaskedSteps, StepMask: mask}},
		} {
			cs = append(cs, testCase{
				name: "interleaved/leak=" + fmtF(leak) + "/" + l.name,
				cfg: rnn.Config{In: In, N: N, Out: Out, Leak: leak, Beta: inter, TauA: 2.5, BThr: -0.05,
					Loss: l.loss, Seed: 9},
				B: 3, T: len(mask),
			})
		}
	}
	return cs
}

func fmtF(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// testNet builds the network of c with weights scaled so that most units are
// active but not all, and a random batch for its loss.
func testNet(c testCase) (*rnn.Network[float64], *rnn.Batch[float64]) {
	net, err := rnn.New[float64](c.cfg)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(11, 13))
	// Positive inputs keep units in the active regime with a few off.
	b := &rnn.Batch[float64]{Size: c.B, Steps: c.T, In: c.cfg.In, Out: c.cfg.Out}
	b.X = make([]float64, c.T*c.B*c.cfg.In)
	for i := range b.X {
		b.X[i] = rng.Float64()*1.5 - 0.3
	}
	if c.cfg.Loss.Kind == rnn.MSE {
		b.Y = make([]float64, c.T*c.B*c.cfg.Out)
		for i := range b.Y {
			b.Y[i] = rng.NormFloat64()
		}
	} else {
		b.Labels = make([]int32, c.T*c.B)
		for i := range b.Labels {
			b.Labels[i] = int32(rng.IntN(c.cfg.Out))
		}
	}
	return net, b
}

// relErr returns ‖a − b‖/‖b‖.
func relErr(a, b []float64) float64 {
	var d, n float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		n += b[i] * b[i]
	}
	if n == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / n)
}
