package rnn

import (
	"math"
	"runtime"
	"slices"
	"testing"
)

// TestDeterminismGOMAXPROCS checks that loss, gradient and HVP are bitwise
// identical for GOMAXPROCS 1 and 2 with a batch of several chunks.
func TestDeterminismGOMAXPROCS(t *testing.T) {
	// Plain networks take the single-item path at GOMAXPROCS 1 (the
	// reduction inside the backward recursion), the work items at 2; B = 100
	// has reduction blocks of 2 steps, and S = 4 checkpoints.
	plain := Config{In: 5, N: 24, Out: 4, Seed: 1, Loss: Loss{Kind: CrossEntropy}}
	plainEvery := Config{In: 5, N: 24, Out: 4, Seed: 1, Loss: Loss{Kind: MSE, Timing: EveryStep}, L2: 1e-2}
	for _, tc := range []struct {
		name string
		cfg  Config
		B    int
		opt  HVPOptions
	}{
		{"plain-ce", plain, 3*chunkRows + 5, HVPOptions{}},
		{"plain-mse-every", plainEvery, 3*chunkRows + 5, HVPOptions{}},
		{"plain-mse-every-B100", plainEvery, 100, HVPOptions{}},
		{"plain-ce-B100-checkpoint", plain, 100, HVPOptions{Checkpoint: 4}},
		{"mixed-mse", Config{In: 5, N: 24, Out: 4, Seed: 1, Leak: 0.3, Beta: MixedBeta(24, 12, 1.8), Loss: Loss{Kind: MSE, Timing: EveryStep}, L2: 1e-2}, 3*chunkRows + 5, HVPOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := randBatch[float32](tc.cfg, tc.B, 6, 3)
			run := func(procs int) (float64, []float32, []float32) {
				old := runtime.GOMAXPROCS(procs)
				defer runtime.GOMAXPROCS(old)
				net := mustNew[float32](t, tc.cfg)
				var ws Workspace[float32]
				g := make([]float32, net.NumParams())
				loss, err := net.Gradient(&ws, b, g)
				if err != nil {
					t.Fatal(err)
				}
				h, err := NewHVPWith(net, b, SetAll, nil, tc.opt)
				if err != nil {
					t.Fatal(err)
				}
				if h.Checkpoint() != max(tc.opt.Checkpoint, 0) {
					t.Fatalf("checkpoint interval %d, want %d", h.Checkpoint(), tc.opt.Checkpoint)
				}
				v := make([]float32, 2*h.Dim())
				for i := range v {
					v[i] = float32(math.Sin(float64(i)))
				}
				hv := make([]float32, len(v))
				h.ApplyBlock(hv, v, 2)
				return loss, g, hv
			}
			l1, g1, h1 := run(1)
			l2, g2, h2 := run(2)
			if l1 != l2 || !slices.Equal(g1, g2) || !slices.Equal(h1, h2) {
				t.Errorf("results differ between GOMAXPROCS 1 and 2 (loss %v vs %v)", l1, l2)
			}
		})
	}
}

// TestAllocs checks that Forward and Backward allocate nothing after
// warm-up, on one chunk and on several.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, B := range []int{1, 3 * chunkRows} {
		for _, procs := range []int{1, 2} {
			cfg := Config{In: 4, N: 16, Out: 3, Beta: MixedBeta(16, 8, 1), Leak: 0.2, Loss: Loss{Kind: CrossEntropy}}
			net := mustNew[float32](t, cfg)
			b := randBatch[float32](cfg, B, 5, 1)
			var ws Workspace[float32]
			g := make([]float32, net.NumParams())
			old := runtime.GOMAXPROCS(procs)
			if _, err := net.Gradient(&ws, b, g); err != nil {
				t.Fatal(err)
			}
			n := testing.AllocsPerRun(20, func() {
				if _, err := net.Gradient(&ws, b, g); err != nil {
					t.Fatal(err)
				}
			})
			runtime.GOMAXPROCS(old)
			if n != 0 {
				t.Errorf("B=%d GOMAXPROCS=%d: %v allocations per Forward+Backward", B, procs, n)
			}
		}
	}
	// The seqMNIST shape on one thread (with more threads, kernels.Gemm
	// splits large products over goroutines, which allocates).
	cfg := Config{In: 28, N: 128, Out: 10, Loss: Loss{Kind: CrossEntropy}}
	net := mustNew[float32](t, cfg)
	b := randBatch[float32](cfg, 256, 28, 1)
	var ws Workspace[float32]
	g := make([]float32, net.NumParams())
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	if _, err := net.Gradient(&ws, b, g); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(5, func() { net.Gradient(&ws, b, g) }); n != 0 {
		t.Errorf("seqMNIST shape: %v allocations per Forward+Backward", n)
	}
	h, err := NewHVP(net, b, 0, &ws)
	if err != nil {
		t.Fatal(err)
	}
	v, hv := make([]float32, 3*h.Dim()), make([]float32, 3*h.Dim())
	h.ApplyBlock(hv, v, 3)
	if n := testing.AllocsPerRun(3, func() { h.ApplyBlock(hv, v, 3) }); n != 0 {
		t.Errorf("seqMNIST shape: %v allocations per ApplyBlock", n)
	}
}

// TestFloat32MatchesFloat64 compares the forward pass in both precisions.
func TestFloat32MatchesFloat64(t *testing.T) {
	for _, tc := range gradCases() {
		t.Run(tc.name, func(t *testing.T) {
			n64 := mustNew[float64](t, tc.cfg)
			n32 := Convert[float32](n64)
			b64 := randBatch[float64](tc.cfg, 8, 7, 2)
			b32 := randBatch[float32](tc.cfg, 8, 7, 2)
			var w64 Workspace[float64]
			var w32 Workspace[float32]
			l64, err := n64.Forward(&w64, b64)
			if err != nil {
				t.Fatal(err)
			}
			l32, err := n32.Forward(&w32, b32)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(l64-l32) > 1e-4*(1+math.Abs(l64)) {
				t.Errorf("loss float64 %v, float32 %v", l64, l32)
			}
			tr64, _ := w64.Trajectory()
			tr32, _ := w32.Trajectory()
			for s := 1; s <= 7; s++ {
				r64, r32 := tr64.R(s), tr32.R(s)
				scale := 0.0
				for _, v := range r64 {
					scale = max(scale, math.Abs(v))
				}
				for i := range r64 {
					if math.Abs(r64[i]-float64(r32[i])) > 1e-5*(1+scale) {
						t.Fatalf("step %d r[%d]: float64 %v, float32 %v", s, i, r64[i], r32[i])
					}
				}
			}
			back := Convert[float64](n32)
			for i, p := range back.Params {
				if p != float64(float32(n64.Params[i])) {
					t.Fatalf("round trip of parameter %d", i)
				}
			}
		})
	}
}

func TestDivergence(t *testing.T) {
	cfg := Config{In: 2, N: 4, Out: 2, Loss: Loss{Kind: MSE, Timing: EveryStep}}
	net := mustNew[float64](t, cfg)
	b := randBatch[float64](cfg, 2, 6, 1)
	b.X[3*2*2] = math.NaN() // step 4 (time index 3)
	var ws Workspace[float64]
	for i := range net.WInM {
		net.WInM[i] = 1
	}
	_, err := net.Forward(&ws, b)
	d, ok := err.(*ErrDiverged)
	if !ok || d.Step != 4 || d.Quantity != "state" {
		t.Fatalf("got %v, want ErrDiverged at step 4", err)
	}
	if err := net.Backward(&ws, make([]float64, net.NumParams())); err != ErrNoForward {
		t.Errorf("Backward after a diverged forward: %v, want ErrNoForward", err)
	}
	b = randBatch[float64](cfg, 2, 6, 1)
	b.Y[0] = math.Inf(1)
	_, err = net.Forward(&ws, b)
	if d, ok := err.(*ErrDiverged); !ok || d.Quantity != "loss" || d.Step != 1 {
		t.Fatalf("got %v, want ErrDiverged loss at step 1", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{In: 1, N: 2, Out: 1}
	for _, tc := range []struct {
		name  string
		edit  func(c *Config)
		field string
	}{
		{"in", func(c *Config) { c.In = 0 }, "Config.In"},
		{"n", func(c *Config) { c.N = -1 }, "Config.N"},
		{"out", func(c *Config) { c.Out = 0 }, "Config.Out"},
		{"leak", func(c *Config) { c.Leak = 1 }, "Config.Leak"},
		{"leak-nan", func(c *Config) { c.Leak = math.NaN() }, "Config.Leak"},
		{"tau", func(c *Config) { c.TauA = -1 }, "Config.TauA"},
		{"bthr", func(c *Config) { c.BThr = math.Inf(1) }, "Config.BThr"},
		{"l2", func(c *Config) { c.L2 = -1 }, "Config.L2"},
		{"beta-len", func(c *Config) { c.Beta = []float64{1} }, "Config.Beta"},
		{"beta-neg", func(c *Config) { c.Beta = []float64{0, -1} }, "Config.Beta[1]"},
		{"init", func(c *Config) { c.Init = 2 }, "Config.Init"},
		{"init-neg", func(c *Config) { c.Init = -1 }, "Config.Init"},
		{"kind", func(c *Config) { c.Loss.Kind = 7 }, "Config.Loss.Kind"},
		{"timing", func(c *Config) { c.Loss.Timing = 7 }, "Config.Loss.Timing"},
		{"mask-empty", func(c *Config) { c.Loss = Loss{Timing: MaskedSteps, StepMask: []bool{false, false}} }, "Config.Loss.StepMask"},
		{"tau-inf", func(c *Config) { c.TauA = math.Inf(1) }, "Config.TauA"},
		{"beta-nan", func(c *Config) { c.Beta = []float64{math.NaN(), 0} }, "Config.Beta[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !contains(err.Error(), tc.field) || !(contains(err.Error(), "allowed") || contains(err.Error(), "want") || contains(err.Error(), "must")) {
				t.Fatalf("error %v, want one naming %s", err, tc.field)
			}
			if _, err := New[float64](c); err == nil {
				t.Fatalf("New accepted an invalid config")
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestInitSchemes checks the initial distributions' scale, the zero
// diagonal, the zero bias and seed reproducibility.
func TestInitSchemes(t *testing.T) {
	for _, tc := range []struct {
		init          Init
		wrecStd, wout float64 // expected W_rec std and W_out max bound
	}{
		{InitCode, math.Sqrt(2.0 / 200), math.Sqrt(6.0 / 210)},
		{InitMurray, 1.5 / math.Sqrt(200), 0.1 / math.Sqrt(200)},
	} {
		cfg := Config{In: 20, N: 200, Out: 10, Init: tc.init, Seed: 5}
		a, b := mustNew[float64](t, cfg), mustNew[float64](t, cfg)
		if !slices.Equal(a.Params, b.Params) {
			t.Fatalf("%s: same seed gives different parameters", tc.init)
		}
		cfg.Seed = 6
		if c := mustNew[float64](t, cfg); slices.Equal(a.Params, c.Params) {
			t.Fatalf("%s: different seeds give equal parameters", tc.init)
		}
		ss := 0.0
		for i, w := range a.WRecM {
			if i/200 == i%200 && w != 0 {
				t.Fatalf("diagonal not zero")
			}
			ss += w * w
		}
		std := math.Sqrt(ss / (200*200 - 200))
		if math.Abs(std-tc.wrecStd) > 0.03*tc.wrecStd {
			t.Errorf("%s: W_rec std %v, want %v", tc.init, std, tc.wrecStd)
		}
		for _, w := range a.WOutM {
			if math.Abs(w) > tc.wout {
				t.Errorf("%s: W_out entry %v beyond %v", tc.init, w, tc.wout)
			}
		}
		// W_in: N(0, 2/In) for the code scheme, 0.1·(U[0,1) − 1) for Murray's.
		var sum, sq, lo, hi float64 = 0, 0, math.Inf(1), math.Inf(-1)
		for _, w := range a.WInM {
			sum += w
			sq += w * w
			lo, hi = min(lo, w), max(hi, w)
		}
		n := float64(len(a.WInM))
		mean, rms := sum/n, math.Sqrt(sq/n)
		switch tc.init {
		case InitCode:
			if want := math.Sqrt(2.0 / 20); math.Abs(rms-want) > 0.05*want || math.Abs(mean) > 0.05*want {
				t.Errorf("code: W_in mean %v rms %v, want 0 and %v", mean, rms, want)
			}
		case InitMurray:
			if lo < -0.1 || hi >= 0 || math.Abs(mean+0.05) > 0.003 {
				t.Errorf("murray: W_in in [%v, %v] with mean %v, want [-0.1, 0) and -0.05", lo, hi, mean)
			}
		}
		for _, w := range a.BOutV {
			if w != 0 {
				t.Errorf("b_out not zero")
			}
		}
	}
}

// TestConfigDefaults checks that the zero value of every optional field
// means the documented default: "code" initialisation, τ_a = 30, plain
// units, no leak, MSE at the last step, no L2.
func TestConfigDefaults(t *testing.T) {
	zero := Config{In: 3, N: 7, Out: 2, Seed: 9}
	explicit := Config{In: 3, N: 7, Out: 2, Seed: 9, Init: InitCode, TauA: DefaultTauA, Beta: make([]float64, 7),
		Loss: Loss{Kind: MSE, Timing: LastStep}}
	if got, want := zero.Rho(), math.Exp(-1.0/30); got != want {
		t.Errorf("Rho() = %v, want exp(-1/30) = %v", got, want)
	}
	if zero.HasALIF() || mustNew[float64](t, zero).HasALIF() {
		t.Errorf("zero Beta gives ALIF units")
	}
	a, b := mustNew[float64](t, zero), mustNew[float64](t, explicit)
	if !slices.Equal(a.Params, b.Params) {
		t.Fatalf("zero-value Init differs from InitCode")
	}
	batch := randBatch[float64](zero, 4, 5, 1)
	la, lb := lossAt(t, a, batch), lossAt(t, b, batch)
	if la != lb {
		t.Errorf("zero-value config loss %v, explicit defaults %v", la, lb)
	}
	// MSE at the last step only, no L2: the loss is ½·mean_b ‖y^T − y*^T‖².
	var ws Workspace[float64]
	if _, err := a.Forward(&ws, batch); err != nil {
		t.Fatal(err)
	}
	tr, _ := ws.Trajectory()
	want := 0.0
	for bi := 0; bi < 4; bi++ {
		for o := 0; o < 2; o++ {
			d := tr.Y(5)[bi*2+o] - batch.Y[(4*4+bi)*2+o]
			want += d * d / 8
		}
	}
	if math.Abs(la-want) > 1e-14*(1+want) {
		t.Errorf("default loss %v, ½·mean over the batch at the last step %v", la, want)
	}
	for s := 1; s < 5; s++ {
		if tr.LossStep(s) {
			t.Errorf("default loss applied at step %d < T", s)
		}
	}
}

// TestDiagonalMasked checks that a non-zero W_rec diagonal is refused
// rather than silently used as autapses, and that diagonal entries of a
// valid network do not influence the loss through any path.
func TestDiagonalMasked(t *testing.T) {
	cfg := Config{In: 2, N: 4, Out: 2, Seed: 3, Beta: MixedBeta(4, 2, 1)}
	net := mustNew[float64](t, cfg)
	b := randBatch[float64](cfg, 3, 5, 2)
	var ws Workspace[float64]
	if _, err := net.Forward(&ws, b); err != nil {
		t.Fatal(err)
	}
	net.WRecM[2*4+2] = 0.5
	_, err := net.Forward(&ws, b)
	if err == nil || !contains(err.Error(), "W_rec[2, 2]") {
		t.Fatalf("non-zero diagonal: error %v, want one naming W_rec[2, 2]", err)
	}
	if _, err := NewHVP(net, b, 0, nil); err == nil {
		t.Fatalf("NewHVP accepted a non-zero diagonal")
	}
	MaskDiag(net.WRecM, 4)
	if _, err := net.Forward(&ws, b); err != nil {
		t.Fatalf("after MaskDiag: %v", err)
	}
}

// TestHVPAllocs checks that Apply and ApplyBlock allocate nothing after
// warm-up.
func TestHVPAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, run := range []struct {
		procs int
		cfg   Config
	}{
		{1, Config{In: 4, N: 16, Out: 3, Beta: MixedBeta(16, 8, 1), Leak: 0.2, Loss: Loss{Kind: CrossEntropy}}},
		{2, Config{In: 4, N: 16, Out: 3, Beta: MixedBeta(16, 8, 1), Leak: 0.2, Loss: Loss{Kind: CrossEntropy}}},
		{1, Config{In: 4, N: 16, Out: 3, Loss: Loss{Kind: MSE, Timing: EveryStep}}}, // single item
	} {
		procs, cfg := run.procs, run.cfg
		net := mustNew[float64](t, cfg)
		b := randBatch[float64](cfg, 2*chunkRows+1, 5, 1)
		old := runtime.GOMAXPROCS(procs)
		h, err := NewHVP(net, b, SetAll, nil)
		if err != nil {
			t.Fatal(err)
		}
		v := randVec(3*h.Dim(), 1)
		dst := make([]float64, len(v))
		h.ApplyBlock(dst, v, 3)
		h.Apply(dst[:h.Dim()], v[:h.Dim()])
		n1 := testing.AllocsPerRun(5, func() { h.Apply(dst[:h.Dim()], v[:h.Dim()]) })
		n3 := testing.AllocsPerRun(5, func() {
			h.ApplyBlock(dst, v, 3)
			h.Apply(dst[:h.Dim()], v[:h.Dim()])
		})
		runtime.GOMAXPROCS(old)
		if n1 != 0 || n3 != 0 {
			t.Errorf("GOMAXPROCS=%d: %v allocations per Apply, %v per ApplyBlock(k=3)+Apply", procs, n1, n3)
		}
	}
}
