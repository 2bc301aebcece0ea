package rules

import (
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
	"gonum.org/v1/gonum/stat"
)

// TestOnlineEqualsBatched compares the two forms of every approximate rule
// directly (float64, relative 1e-10) on the whole validation matrix, and
// checks that Auto gives the batched result bit for bit (it is the faster
// form at every benchmarked shape; see BenchmarkStep).
func TestOnlineEqualsBatched(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.name, func(t *testing.T) {
			net, b := testNet(c)
			for _, s := range []Settings{
				{Kind: EProp}, {Kind: RFLO, FeedbackSeed: 5}, {Kind: RFLO, Feedback: FeedbackNormalN},
				{Kind: MDGL}, {Kind: MDGL, CellTypes: []int{1, 0, 1, 2, 0, 2}},
			} {
				s.Form = Online
				on, _ := direction(t, s, net, b)
				s.Form = Batched
				ba, _ := direction(t, s, net, b)
				if e := relErr(on, ba); e > tol {
					t.Errorf("%v %v: online vs batched relative error %.3g", s.Kind, s.Feedback, e)
				}
				s.Form = Auto
				au, _ := direction(t, s, net, b)
				if !slices.Equal(au, ba) {
					t.Errorf("%v: Auto differs from Batched", s.Kind)
				}
			}
		})
	}
}

// refCellAverage is the MDGL paper's cell-type averaged weight matrix,
// written independently of cellAverage: entry (l, i), l != i, is the mean of
// W over all off-diagonal pairs with the same (type of l, type of i); the
// diagonal is 0.
func refCellAverage(w []float64, n int, types []int) []float64 {
	sum := map[[2]int]float64{}
	cnt := map[[2]int]float64{}
	for l := 0; l < n; l++ {
		for i := 0; i < n; i++ {
			if l != i {
				k := [2]int{types[l], types[i]}
				sum[k] += w[l*n+i]
				cnt[k]++
			}
		}
	}
	avg := make([]float64, n*n)
	for l := 0; l < n; l++ {
		for i := 0; i < n; i++ {
			if l != i {
				k := [2]int{types[l], types[i]}
				avg[l*n+i] = sum[k] / cnt[k]
			}
		}
	}
	return avg
}

// TestMDGLCellTypesK checks MDGL with K = 1, 2, 3 and N cell types,
// contiguous and interleaved, in both forms, against the masked RTRL whose
// one-step term uses the averaged weights.
func TestMDGLCellTypesK(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.name, func(t *testing.T) {
			net, b := testNet(c)
			N := c.cfg.N
			plain, _ := direction(t, Settings{Kind: MDGL}, net, b)
			for _, k := range []int{1, 2, 3, N} {
				for _, layout := range []string{"contiguous", "interleaved"} {
					types := ContiguousCellTypes(N, k)
					if layout == "interleaved" {
						for i := range types {
							types[i] = i % k
						}
					}
					avg := refCellAverage(net.WRecM, N, types)
					if k == 1 {
						// One type: every off-diagonal entry is the mean weight.
						m, cnt := 0.0, 0.0
						for l := 0; l < N; l++ {
							for i := 0; i < N; i++ {
								if l != i {
									m += net.WRecM[l*N+i]
									cnt++
								}
							}
						}
						if math.Abs(avg[1]-m/cnt) > 1e-15 {
							t.Fatalf("reference average %v, mean %v", avg[1], m/cnt)
						}
					}
					want := refMaskedRTRL(net, b, maskMDGL, 0, nil, avg)
					for _, f := range []Form{Online, Batched} {
						got, _ := direction(t, Settings{Kind: MDGL, Form: f, CellTypes: types}, net, b)
						if e := relErr(got, want); e > tol {
							t.Errorf("K=%d %s %v: relative error %.3g vs masked RTRL", k, layout, f, e)
						}
						if k == N && relErr(got, plain) > tol {
							t.Errorf("K=N %s %v: differs from MDGL with the true weights", layout, f)
						}
						if k == 2 && relErr(got, plain) < 1e-8 {
							t.Errorf("K=2 %s %v: averaging had no effect", layout, f)
						}
					}
				}
			}
		})
	}
}

// TestMDGLLastStep: at leak 0 with the loss at T only, MDGL is the e-prop
// outer product at T plus the one term at T−1 of METHOD.md §2.8:
// e^{T-1}_ij Σ_l W_li ψ_l^T L_l^T.
func TestMDGLLastStep(t *testing.T) {
	c := testCase{cfg: rnn.Config{In: 4, N: 7, Out: 3, Seed: 2, Loss: rnn.Loss{Kind: rnn.CrossEntropy}}, B: 5, T: 6}
	net, b := testNet(c)
	tr := refForward(net, b)
	N, In, T := c.cfg.N, c.cfg.In, c.T
	W := net.WRecM
	wantW := make([]float64, N*N)
	wantIn := make([]float64, N*In)
	for bb := 0; bb < c.B; bb++ {
		d := make([]float64, N) // ψ^T ⊙ L^T
		for i := 0; i < N; i++ {
			for o := 0; o < c.cfg.Out; o++ {
				d[i] += net.WOutM[o*N+i] * tr.dy[T][bb][o]
			}
			d[i] *= tr.psi[T][bb][i]
		}
		for i := 0; i < N; i++ {
			one := 0.0
			for l := 0; l < N; l++ {
				one += W[l*N+i] * d[l]
			}
			one *= tr.psi[T-1][bb][i]
			for j := 0; j < N; j++ {
				if j != i {
					wantW[i*N+j] += d[i]*tr.r[T-1][bb][j] + one*tr.r[T-2][bb][j]
				}
			}
			for k := 0; k < In; k++ {
				wantIn[i*In+k] += d[i]*tr.x[T][bb][k] + one*tr.x[T-1][bb][k]
			}
		}
	}
	checkForms(t, MDGL, net, b, wantW, wantIn)
}

// TestFeedbackDistributions checks the three distributions of RFLO's
// feedback matrix by their moments, the default, and that B is a pure
// function of the seed that training never changes.
func TestFeedbackDistributions(t *testing.T) {
	const n, out = 200, 50
	glorot := math.Sqrt(6.0 / (n + out))
	for _, tc := range []struct {
		d        FeedbackDist
		variance float64
		exKurt   float64 // uniform −1.2, normal 0
		bound    float64 // 0: unbounded
	}{
		{FeedbackGlorot, glorot * glorot / 3, -1.2, glorot},
		{FeedbackNormalOut, 1.0 / out, 0, 0},
		{FeedbackNormalN, 1.0 / n, 0, 0},
		{FeedbackMurray, 0.01 / n / 3, -1.2, 0.1 / math.Sqrt(n)},
	} {
		t.Run(tc.d.String(), func(t *testing.T) {
			m := FeedbackMatrix[float64](tc.d, 42, n, out)
			if len(m) != n*out {
				t.Fatalf("length %d, want %d", len(m), n*out)
			}
			mean, v := stat.MeanVariance(m, nil)
			sd := math.Sqrt(tc.variance)
			if math.Abs(mean) > 4*sd/math.Sqrt(n*out) {
				t.Errorf("mean %v, want 0 ± %v", mean, 4*sd/math.Sqrt(n*out))
			}
			if math.Abs(v/tc.variance-1) > 0.05 {
				t.Errorf("variance %v, want %v", v, tc.variance)
			}
			if k := stat.ExKurtosis(m, nil); math.Abs(k-tc.exKurt) > 0.25 {
				t.Errorf("excess kurtosis %v, want %v", k, tc.exKurt)
			}
			if tc.bound > 0 {
				lo, hi := slices.Min(m), slices.Max(m)
				if lo < -tc.bound || hi > tc.bound || hi < 0.999*tc.bound || lo > -0.999*tc.bound {
					t.Errorf("range [%v, %v], want to fill [−%v, %v]", lo, hi, tc.bound, tc.bound)
				}
			}
			if !slices.Equal(m, FeedbackMatrix[float64](tc.d, 42, n, out)) {
				t.Error("same seed, different matrix")
			}
			if slices.Equal(m, FeedbackMatrix[float64](tc.d, 43, n, out)) {
				t.Error("different seeds, same matrix")
			}
			m32 := FeedbackMatrix[float32](tc.d, 42, n, out)
			for i := range m {
				if m32[i] != float32(m[i]) {
					t.Fatalf("float32 draw [%d] = %v, want %v", i, m32[i], float32(m[i]))
				}
			}
		})
	}
	for d := FeedbackDist(0); d < numFeedback; d++ {
		if p, err := ParseFeedbackDist(d.String()); err != nil || p != d {
			t.Errorf("ParseFeedbackDist(%q) = %v, %v", d.String(), p, err)
		}
	}
	if _, err := ParseFeedbackDist("xavier"); err == nil {
		t.Error("ParseFeedbackDist accepted xavier")
	}

	// The default draws B like W_out's initialisation: Glorot under the
	// "code" scheme, Murray's under "murray"; an explicit choice stands.
	for _, tc := range []struct {
		init rnn.Init
		s    FeedbackDist
		want FeedbackDist
	}{
		{rnn.InitCode, FeedbackWOut, FeedbackGlorot},
		{rnn.InitMurray, FeedbackWOut, FeedbackMurray}, {rnn.InitMurray, FeedbackGlorot, FeedbackGlorot},
		{rnn.InitMurray, FeedbackNormalN, FeedbackNormalN},
	} {
		cfg, _ := patternTask(nil)
		cfg.Init = tc.init
		r, err := New[float64](Settings{Kind: RFLO, Feedback: tc.s, FeedbackSeed: 8}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.(*trunc[float64]).Feedback(), FeedbackMatrix[float64](tc.want, 8, cfg.N, cfg.Out)) {
			t.Errorf("init %v, feedback %v: B is not drawn from %v", tc.init, tc.s, tc.want)
		}
	}

	// B is a fixed function of FeedbackSeed and is not trained.
	cfg, b := patternTask(nil)
	net, _ := rnn.New[float64](cfg)
	r, err := New[float64](Settings{Kind: RFLO, FeedbackSeed: 8}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fb := r.(*trunc[float64]).Feedback()
	want := FeedbackMatrix[float64](FeedbackGlorot, 8, cfg.N, cfg.Out)
	if !slices.Equal(fb, want) {
		t.Fatal("feedback is not drawn from FeedbackSeed")
	}
	tr, err := NewTrainer(r, OptimizerSettings{}, Schedule{LR: 0.02}, net.NumParams())
	if err != nil {
		t.Fatal(err)
	}
	w0 := slices.Clone(net.WOutM)
	for it := 0; it < 5; it++ {
		if _, err := tr.Step(net, b); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(r.(*trunc[float64]).Feedback(), want) {
		t.Error("feedback matrix changed during training")
	}
	if slices.Equal(net.WOutM, w0) {
		t.Error("W_out did not train")
	}
}

// allocBytes returns the bytes allocated by f.
func allocBytes(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// TestMDGLMemory: building an MDGL rule and running its first Direction
// (all scratch allocated, including the network's forward workspace) never
// allocates anything of the size of B·T·N² traces, in either form, and the
// memory grows with T only like the forward states (O(T·B·N)).
func TestMDGLMemory(t *testing.T) {
	const B, N, In = 2, 128, 3
	run := func(steps int, f Form) uint64 {
		c := testCase{cfg: rnn.Config{In: In, N: N, Out: 2, Leak: 0.3, Beta: rnn.MixedBeta(N, N/2, 1),
			Seed: 1, Loss: rnn.Loss{Kind: rnn.MSE, Timing: rnn.EveryStep}}, B: B, T: steps}
		net, b := testNet(c)
		dir := make([]float64, net.NumParams())
		return allocBytes(func() {
			r, err := New[float64](Settings{Kind: MDGL, Form: f, CellTypes: ContiguousCellTypes(N, 2)}, net.Cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Direction(net, b, dir); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, f := range []Form{Online, Batched} {
		const t1, t2 = 40, 80
		a1, a2 := run(t1, f), run(t2, f)
		dense := uint64(B * t1 * N * N * 8)
		perStep := float64(a2-a1) / (t2 - t1) / (B * N * 8) // float64s per unit and step
		t.Logf("%v: T=%d %d B, T=%d %d B (B·T·N² traces: %d B); growth %.1f values per unit-step", f, t1, a1, t2, a2, dense, perStep)
		// A quarter leaves room for the race detector's bookkeeping (about
		// 1.5× the plain allocation) and still catches any B·T·N² store.
		if a1 > dense/4 {
			t.Errorf("%v: allocated %d B at T=%d, B·T·N² traces would be %d B", f, a1, t1, dense)
		}
		if perStep > 16 {
			t.Errorf("%v: memory grows by %.1f values per unit and step, want O(1) (N = %d)", f, perStep, N)
		}
	}
}

// TestMatchedTrainerAlpha: in training, step-length matched BPTT applies,
// at every iteration, exactly α_k·g with α_k the Three-factor relative step
// length over W_rec on the same batch and current weights; with a constant
// α it applies α·g.
func TestMatchedTrainerAlpha(t *testing.T) {
	for _, constant := range []float64{0, 0.3} {
		cfg, b := patternTask(rnn.MixedBeta(16, 8, 0.5))
		net, _ := rnn.New[float64](cfg)
		r, err := New[float64](Settings{Kind: MatchedBPTT, MatchedAlpha: constant}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		const lr = 0.05
		tr, err := NewTrainer(r, OptimizerSettings{}, Schedule{LR: lr}, net.NumParams())
		if err != nil {
			t.Fatal(err)
		}
		var alphas []float64
		for it := 0; it < 6; it++ {
			g, _ := direction(t, Settings{Kind: BPTT}, net, b)
			ep, _ := direction(t, Settings{Kind: EProp}, net, b)
			l := net.Layout
			want := constant
			if want == 0 {
				want = Align(block(ep, l, rnn.WRec), block(g, l, rnn.WRec)).Alpha
			}
			p0 := slices.Clone(net.Params)
			res, err := tr.Step(net, b)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.Alpha-want) > 1e-12*math.Abs(want) {
				t.Errorf("α=%v it %d: alpha %v, want %v", constant, it, res.Alpha, want)
			}
			for i := range p0 {
				if d := p0[i] - lr*want*g[i]; math.Abs(net.Params[i]-d) > 1e-14*(1+math.Abs(d)) {
					t.Fatalf("α=%v it %d: param %d = %v, want %v", constant, it, i, net.Params[i], d)
				}
			}
			alphas = append(alphas, res.Alpha)
		}
		spread := slices.Max(alphas) - slices.Min(alphas)
		if constant == 0 && spread < 1e-6 {
			t.Errorf("α_k did not change over iterations: %v", alphas)
		}
		if constant != 0 && spread != 0 {
			t.Errorf("constant α varied: %v", alphas)
		}
		t.Logf("α=%v: α_k = %.4f", constant, alphas)
	}
}

// TestTrainerDiagnostics: with Diagnose on, the reported alignment equals
// the Eq. 6 decomposition of the rule's direction against the BPTT gradient
// computed independently, overall and per block (the readout blocks, exact
// under every rule, have α = cos = 1); with it off nothing is computed.
func TestTrainerDiagnostics(t *testing.T) {
	for _, k := range []Kind{EProp, RFLO, MDGL, TBPTT} {
		cfg, b := patternTask(rnn.MixedBeta(16, 4, 0.5))
		net, _ := rnn.New[float64](cfg)
		s := Settings{Kind: k, Window: 2, FeedbackSeed: 1}
		r, _ := New[float64](s, cfg)
		tr, err := NewTrainer(r, OptimizerSettings{}, Schedule{LR: 0.02}, net.NumParams())
		if err != nil {
			t.Fatal(err)
		}
		tr.Diagnose = true
		for it := 0; it < 3; it++ {
			g, _ := direction(t, Settings{Kind: BPTT}, net, b)
			gh, _ := direction(t, s, net, b)
			all, per := AlignBlocks(gh, g, net.Layout)
			res, err := tr.Step(net, b)
			if err != nil {
				t.Fatal(err)
			}
			if !alignClose(res.Align, all, 1e-12) {
				t.Errorf("%v it %d: Align %+v, want %+v", k, it, res.Align, all)
			}
			if len(res.Blocks) != 4 {
				t.Fatalf("%v: %d blocks", k, len(res.Blocks))
			}
			for i, bl := range res.Blocks {
				if bl.Block != per[i].Block || !alignClose(bl.Alignment, per[i].Alignment, 1e-12) {
					t.Errorf("%v block %v: %+v, want %+v", k, bl.Block, bl, per[i])
				}
				if bl.Block == rnn.WOut || bl.Block == rnn.BOut {
					if math.Abs(bl.Alpha-1) > 1e-12 || math.Abs(bl.Cos-1) > 1e-12 || bl.EpsRel > 1e-6 {
						t.Errorf("%v block %v: readout not exact: %+v", k, bl.Block, bl.Alignment)
					}
				}
			}
			if all.Alpha == 1 || all.Cos >= 1-1e-9 {
				t.Errorf("%v: the approximate rule looks exact: %+v", k, all)
			}
			if math.Abs(res.DirNorm-Norm(gh)) > 1e-12*Norm(gh) {
				t.Errorf("%v: DirNorm %v, want %v", k, res.DirNorm, Norm(gh))
			}
		}
	}
	cfg, b := patternTask(nil)
	net, _ := rnn.New[float64](cfg)
	r, _ := New[float64](Settings{Kind: EProp}, cfg)
	tr, _ := NewTrainer(r, OptimizerSettings{}, Schedule{LR: 0.02}, net.NumParams())
	res, err := tr.Step(net, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Blocks != nil || res.Align != (Alignment{}) || tr.exact != nil || tr.grad != nil {
		t.Errorf("Diagnose off computed diagnostics: %+v", res)
	}
}

// TestOptimizerHyperparameters checks non-default momentum and Adam
// settings against a transcription, that clipping is off by default, and
// that clipping acts on the direction before momentum and Adam see it.
func TestOptimizerHyperparameters(t *testing.T) {
	p0 := []float64{1, -2, 0.5}
	dirs := [][]float64{{30, -40, 0}, {0.1, 0.2, -0.3}, {-5, 5, 1}}
	const lr = 0.1
	type ref func(p, d []float64, it int)
	for _, tc := range []struct {
		name string
		s    OptimizerSettings
		mk   func() ref
	}{
		{"momentum/0.5", OptimizerSettings{Kind: Momentum, Momentum: 0.5}, func() ref {
			v := make([]float64, 3)
			return func(p, d []float64, _ int) {
				for i := range p {
					v[i] = 0.5*v[i] + d[i]
					p[i] -= lr * v[i]
				}
			}
		}},
		{"adam/0.8,0.99,1e-4", OptimizerSettings{Kind: Adam, Beta1: 0.8, Beta2: 0.99, Eps: 1e-4}, func() ref {
			m, v := make([]float64, 3), make([]float64, 3)
			return func(p, d []float64, it int) {
				for i := range p {
					m[i] = 0.8*m[i] + 0.2*d[i]
					v[i] = 0.99*v[i] + 0.01*d[i]*d[i]
					mh := m[i] / (1 - math.Pow(0.8, float64(it+1)))
					vh := v[i] / (1 - math.Pow(0.99, float64(it+1)))
					p[i] -= lr * mh / (math.Sqrt(vh) + 1e-4)
				}
			}
		}},
		{"sgd/default-no-clip", OptimizerSettings{}, func() ref {
			return func(p, d []float64, _ int) {
				for i := range p {
					p[i] -= lr * d[i]
				}
			}
		}},
		{"momentum/clip=2", OptimizerSettings{Kind: Momentum, ClipNorm: 2}, func() ref {
			v := make([]float64, 3)
			return func(p, d []float64, _ int) {
				n := math.Sqrt(d[0]*d[0] + d[1]*d[1] + d[2]*d[2])
				s := min(1, 2/n)
				for i := range p {
					v[i] = 0.9*v[i] + s*d[i]
					p[i] -= lr * v[i]
				}
			}
		}},
		{"adam/clip=2", OptimizerSettings{Kind: Adam, ClipNorm: 2}, func() ref {
			m, v := make([]float64, 3), make([]float64, 3)
			return func(p, d []float64, it int) {
				n := math.Sqrt(d[0]*d[0] + d[1]*d[1] + d[2]*d[2])
				s := min(1, 2/n)
				for i := range p {
					g := s * d[i]
					m[i] = 0.9*m[i] + 0.1*g
					v[i] = 0.999*v[i] + 0.001*g*g
					mh := m[i] / (1 - math.Pow(0.9, float64(it+1)))
					vh := v[i] / (1 - math.Pow(0.999, float64(it+1)))
					p[i] -= lr * mh / (math.Sqrt(vh) + 1e-8)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := NewOptimizer[float64](tc.s, len(p0))
			if err != nil {
				t.Fatal(err)
			}
			f := tc.mk()
			p, want := slices.Clone(p0), slices.Clone(p0)
			for it, d := range dirs {
				o.Step(p, slices.Clone(d), lr)
				f(want, d, it)
			}
			for i := range p {
				if math.Abs(p[i]-want[i]) > 1e-13 {
					t.Errorf("p[%d] = %v, want %v", i, p[i], want[i])
				}
			}
		})
	}
}

// TestFig5Schedule: the Appendix Fig. 5 remedy starts at 3× the base rate
// and multiplies it by 0.8 every total/30 iterations, so a run has 30 rate
// levels; the trainer uses the schedule's rate at each iteration.
func TestFig5Schedule(t *testing.T) {
	for _, total := range []int{30, 300, 3000, 4500, 10} {
		s := Fig5Schedule(0.02, total)
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		every := max(1, total/30)
		if s.Period() != every {
			t.Errorf("total %d: period %d, want %d", total, s.Period(), every)
		}
		levels := 1
		for k := 1; k < total; k++ {
			prev, cur := s.Rate(k-1), s.Rate(k)
			switch {
			case k%every == 0:
				levels++
				if math.Abs(cur/prev-0.8) > 1e-12 {
					t.Fatalf("total %d: rate %d/%d ratio %v, want 0.8", total, k, k-1, cur/prev)
				}
			case cur != prev:
				t.Fatalf("total %d: rate changed at %d", total, k)
			}
		}
		if s.Rate(0) != 0.06 {
			t.Errorf("total %d: initial rate %v, want 0.06", total, s.Rate(0))
		}
		if want := min(total, 30); total >= 30 && levels != want {
			t.Errorf("total %d: %d rate levels, want %d", total, levels, want)
		}
	}
	// An explicit period overrides Total.
	s := Schedule{Kind: StepDecay, LR: 1, Factor: 0.5, Every: 7, Total: 3000}
	if s.Period() != 7 || s.Rate(13) != 0.5 || s.Rate(14) != 0.25 {
		t.Errorf("explicit period: %d %v %v", s.Period(), s.Rate(13), s.Rate(14))
	}

	cfg, b := patternTask(nil)
	net, _ := rnn.New[float64](cfg)
	r, _ := New[float64](Settings{Kind: EProp}, cfg)
	sched := Fig5Schedule(0.001, 60)
	tr, err := NewTrainer(r, OptimizerSettings{}, sched, net.NumParams())
	if err != nil {
		t.Fatal(err)
	}
	for it := 0; it < 7; it++ {
		res, err := tr.Step(net, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.Iter != it || res.LR != sched.Rate(it) {
			t.Errorf("iteration %d: Iter %d LR %v, want %v", it, res.Iter, res.LR, sched.Rate(it))
		}
	}
	if _, err := NewTrainer(r, OptimizerSettings{}, Schedule{Kind: StepDecay, LR: 1}, net.NumParams()); err == nil {
		t.Error("NewTrainer accepted a step schedule without Every or Total")
	}
}

// TestGOMAXPROCSInvariance: every rule's direction, and a short training
// run, are bit-identical for GOMAXPROCS 1 and 4 (float32, the benchmark
// precision, at B = 300: rnn splits the batch into chunks of 128 rows).
func TestGOMAXPROCSInvariance(t *testing.T) {
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		sh := benchShape{name: "inv", B: 300, T: 8, In: 5, N: 24, Out: 3, ce: true, leak: 0.2, nALIF: 8}
		var out [][]float32
		for _, s := range []Settings{
			{Kind: BPTT}, {Kind: TBPTT, Window: 3}, {Kind: EProp}, {Kind: EProp, Form: Online},
			{Kind: RFLO}, {Kind: RFLO, Form: Online}, {Kind: MDGL}, {Kind: MDGL, Form: Online}, {Kind: MatchedBPTT},
		} {
			net, b := benchProblem(sh)
			r, err := New[float32](s, net.Cfg)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := NewTrainer(r, OptimizerSettings{Kind: Adam}, Schedule{LR: 1e-3}, net.NumParams())
			if err != nil {
				t.Fatal(err)
			}
			tr.Diagnose = true
			for it := 0; it < 5; it++ {
				if _, err := tr.Step(net, b); err != nil {
					t.Fatal(err)
				}
			}
			out = append(out, slices.Clone(net.Params))
		}
		return out
	}
	one, four := run(1), run(4)
	for i := range one {
		if !slices.Equal(one[i], four[i]) {
			t.Errorf("setting %d: parameters after training differ between GOMAXPROCS 1 and 4", i)
		}
	}
}
