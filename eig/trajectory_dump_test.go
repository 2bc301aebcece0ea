package eig_test

// A real seqMNIST training trajectory for the PyTorch comparison along
// training (bench/pytorch/along_training.py): the Hessian batch of every
// checkpoint of a `hessrnn run ... --save-weights` run, hessrnn's values
// at each checkpoint, and the CPU time of hessrnn's default solve chain
// (warm-started Lanczos, float64) over the trajectory.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/internal/bench/paired"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// Environment of the trajectory tests: the result JSON of the run (its
// weights are read from weights/<run ID>/ beside it), the output directory
// or file, and the MNIST directory (default: the run's seqmnist.data).
const (
	trajRunEnv  = "HESSRNN_TRAJECTORY_RUN"
	trajDumpEnv = "HESSRNN_DUMP_TRAJECTORY"
	trajTimeEnv = "HESSRNN_TIME_TRAJECTORY"
	trajDataEnv = "HESSRNN_DATA"
)

// trajRun is the part of a hessrnn result JSON the trajectory tests read.
type trajRun struct {
	ID     string `json:"id"`
	Seed   uint64 `json:"seed"`
	Config struct {
		Rule  string `json:"rule"`
		Model struct {
			N int `json:"n"`
		} `json:"model"`
		Train struct {
			BatchSize int `json:"batch_size"`
		} `json:"train"`
		Hessian struct {
			Every     int     `json:"every"`
			Method    string  `json:"method"`
			Tol       float64 `json:"tol"`
			MaxIter   int     `json:"max_iter"`
			WarmStart float64 `json:"warm_start"`
		} `json:"hessian"`
		SeqMNIST struct {
			Data               string  `json:"data"`
			TestNoise          float64 `json:"test_noise"`
			ValidationFraction float64 `json:"validation_fraction"`
			TestFraction       float64 `json:"test_fraction"`
			PixelByPixel       bool    `json:"pixel_by_pixel"`
			HessianBatch       int     `json:"hessian_batch"`
		} `json:"seqmnist"`
	} `json:"config"`
	Trajectory []struct {
		Iteration int `json:"iteration"`
		Lambda    struct {
			Value      *float64 `json:"value"`
			Iterations int      `json:"iterations"`
		} `json:"lambda_max"`
	} `json:"trajectory"`
}

// trajCheckpoint is one checkpoint of a loaded trajectory.
type trajCheckpoint struct {
	Iteration int
	Weights   string // the NPZ file
	Net       *rnn.Network[float64]
	Batch     *rnn.Batch[float64]
	// RunLambda and RunApplies are the run's λ_max and its products.
	RunLambda  float64
	RunApplies int
}

// loadTrajectory reads the run named by HESSRNN_TRAJECTORY_RUN: its
// config, the weights of every checkpoint and the Hessian batch of each
// (task.SeqMNIST.HessianBatch of the checkpoint's index, from the run's
// seed and split, as the run drew it). It skips the test without the
// variable.
func loadTrajectory(t *testing.T) (*trajRun, []trajCheckpoint) {
	path := os.Getenv(trajRunEnv)
	if path == "" {
		t.Skipf("set %s=OUT/<run ID>.json (a seqmnist run with --save-weights)", trajRunEnv)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var run trajRun
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := run.Config
	if c.Hessian.Every < 1 || len(run.Trajectory) == 0 {
		t.Fatalf("%s: hessian.every = %d and %d checkpoints; want a seqmnist run with checkpoints", path, c.Hessian.Every, len(run.Trajectory))
	}
	// The run's seqmnist.data may be relative to where it ran.
	data := os.Getenv(trajDataEnv)
	if data == "" {
		data = c.SeqMNIST.Data
	}
	if data == "" {
		t.Fatalf("%s: config seqmnist.data is empty; set %s=dir", path, trajDataEnv)
	}
	mn, err := task.LoadMNIST(data)
	if err != nil {
		t.Fatal(err)
	}
	s := c.SeqMNIST
	tk, err := task.NewSeqMNIST[float64](mn, task.SeqMNISTConfig{Pixelwise: s.PixelByPixel, N: c.Model.N, BatchSize: c.Train.BatchSize,
		ValidationFraction: s.ValidationFraction, TestFraction: s.TestFraction, TestNoiseStd: s.TestNoise, HessianBatchSize: s.HessianBatch}, run.Seed)
	if err != nil {
		t.Fatal(err)
	}
	wdir := filepath.Join(filepath.Dir(path), "weights", run.ID)
	var cks []trajCheckpoint
	for _, p := range run.Trajectory {
		if p.Lambda.Value == nil {
			continue
		}
		if p.Iteration%c.Hessian.Every != 0 {
			t.Fatalf("%s: checkpoint at iteration %d is not a multiple of hessian.every = %d", path, p.Iteration, c.Hessian.Every)
		}
		w := filepath.Join(wdir, fmt.Sprintf("iter-%06d.npz", p.Iteration))
		net, err := rnn.LoadNPZFile[float64](w)
		if err != nil {
			t.Fatal(err)
		}
		hb, err := tk.HessianBatch(p.Iteration / c.Hessian.Every)
		if err != nil {
			t.Fatal(err)
		}
		cks = append(cks, trajCheckpoint{Iteration: p.Iteration, Weights: w, Net: net, Batch: hb,
			RunLambda: *p.Lambda.Value, RunApplies: p.Lambda.Iterations})
	}
	return &run, cks
}

// trajSolve is one checkpoint of hessrnn's default chain.
type trajSolve struct {
	Lambda  float64 `json:"lambda"`
	Applies int     `json:"applies"`
	// SetupCPUms is rnn.NewHVP (forward and BPTT pass), SolveCPUms the
	// Lanczos solve, both CPU milliseconds of the process.
	SetupCPUms float64 `json:"setup_cpu_ms"`
	SolveCPUms float64 `json:"solve_cpu_ms"`
}

// defaultChain runs hessrnn's default λ_max computation along the
// trajectory as the run does (cmd/internal/experiment checkpoint):
// eig.Leading at the run's tolerance, from eig.WarmStart of the previous
// checkpoint's eigenvector with the run's noise after the first
// checkpoint; the seed of checkpoint i is 1000+i (the run derives its
// own, so its product counts may differ by one or two). The workspace is
// reused, as in a run.
func defaultChain(t *testing.T, run *trajRun, cks []trajCheckpoint) []trajSolve {
	h := run.Config.Hessian
	if h.Method != "lanczos" {
		t.Fatalf("hessian.method = %q: the default chain is Lanczos", h.Method)
	}
	var ws rnn.Workspace[float64]
	var prev *mat.Dense
	out := make([]trajSolve, len(cks))
	for i, ck := range cks {
		c0 := paired.CPUTime()
		hvp, err := rnn.NewHVP(ck.Net, ck.Batch, rnn.SetWRec, &ws)
		if err != nil {
			t.Fatal(err)
		}
		c1 := paired.CPUTime()
		seed := uint64(1000 + i)
		set := eig.LanczosSettings{Tol: h.Tol, Seed: seed, MaxApplies: max(h.MaxIter, 64)}
		if prev != nil && h.WarmStart > 0 {
			if set.Start, err = eig.WarmStart(prev, h.WarmStart, seed); err != nil {
				t.Fatal(err)
			}
		}
		r, err := eig.Leading(hvp.Operator(), set)
		if err != nil || r.Status != eig.Converged {
			t.Fatalf("iteration %d: %v, %v", ck.Iteration, err, r.Status)
		}
		c2 := paired.CPUTime()
		prev = r.Vectors
		out[i] = trajSolve{Lambda: r.Values[0], Applies: r.Applies, SetupCPUms: ms(c1 - c0), SolveCPUms: ms(c2 - c1)}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// trajRef is one checkpoint of the manifest TestDumpSeqMNISTTrajectory
// writes.
type trajRef struct {
	Iteration int     `json:"iteration"`
	Weights   string  `json:"weights"`
	Batch     string  `json:"batch"`
	Loss      float64 `json:"loss"`
	// Lambda is λ_max (largest magnitude, signed) by Lanczos at residual
	// 1e-10·‖H‖, HVNorm ‖H·start‖ for the start vector of the batch file.
	Lambda float64 `json:"lambda"`
	HVNorm float64 `json:"hv_norm"`
	// RunLambda and RunApplies are the run's λ_max and products; Default
	// is defaultChain's checkpoint.
	RunLambda  float64   `json:"run_lambda"`
	RunApplies int       `json:"run_applies"`
	Default    trajSolve `json:"default"`
}

// TestDumpSeqMNISTTrajectory writes, when HESSRNN_TRAJECTORY_RUN and
// HESSRNN_DUMP_TRAJECTORY=dir are set, for each checkpoint i of the run:
//
//	dir/ck<iii>_batch.npz  x (T×B×In), labels (T×B, int64): the Hessian
//	                       batch; start (eig.Power's unit N×N start
//	                       vector for Seed i+1; the operator ignores its
//	                       diagonal), hv (H·start)
//
// and dir/manifest.json: {"run": the result JSON, "l2": λ of the L2 term,
// "checkpoints": [trajRef...]}. It checks that the reconstructed operator
// gives the run's λ_max (to 1e-6 relative), which confirms that the batch
// is the run's.
func TestDumpSeqMNISTTrajectory(t *testing.T) {
	dir := os.Getenv(trajDumpEnv)
	if dir == "" {
		t.Skipf("set %s=dir and %s to dump a training trajectory for bench/pytorch/along_training.py", trajDumpEnv, trajRunEnv)
	}
	run, cks := loadTrajectory(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	chain := defaultChain(t, run, cks)
	refs := make([]trajRef, len(cks))
	for i, ck := range cks {
		hvp, err := rnn.NewHVP(ck.Net, ck.Batch, rnn.SetWRec, nil)
		if err != nil {
			t.Fatal(err)
		}
		op := hvp.Operator()
		n := ck.Net.Cfg.N
		start := powerStart(t, op.Dim(), uint64(i+1))
		hv := make([]float64, op.Dim())
		op.Apply(hv, start)
		lz, err := eig.Lanczos(op, 1, eig.LanczosSettings{Which: eig.LargestMagnitude, Tol: 1e-10, Seed: 99})
		if err != nil || lz.Status != eig.Converged {
			t.Fatal(err, lz.Status)
		}
		b := ck.Batch
		labels := make([]int64, len(b.Labels))
		for j, l := range b.Labels {
			labels[j] = int64(l)
		}
		name := fmt.Sprintf("ck%03d_batch.npz", i)
		if err := writeNPZFile(filepath.Join(dir, name), []rnn.NPYArray{
			{Name: "x", Data: b.X, Shape: []int{b.Steps, b.Size, b.In}},
			{Name: "labels", Data: labels, Shape: []int{b.Steps, b.Size}},
			{Name: "start", Data: start, Shape: []int{n, n}},
			{Name: "hv", Data: hv, Shape: []int{n, n}},
		}); err != nil {
			t.Fatal(err)
		}
		w, err := filepath.Abs(ck.Weights)
		if err != nil {
			t.Fatal(err)
		}
		refs[i] = trajRef{Iteration: ck.Iteration, Weights: w, Batch: name, Loss: hvp.Loss(), Lambda: lz.Values[0],
			HVNorm: floats.Norm(hv, 2), RunLambda: ck.RunLambda, RunApplies: ck.RunApplies, Default: chain[i]}
		for _, c := range []struct {
			name string
			v    float64
		}{{"the run's", ck.RunLambda}, {"the default chain's", chain[i].Lambda}} {
			if rel := math.Abs(c.v-lz.Values[0]) / math.Abs(lz.Values[0]); !(rel <= 1e-6) {
				t.Errorf("iteration %d: λ %.12g, %s %.12g (rel %.1e): the batch or weights are not the run's", ck.Iteration, lz.Values[0], c.name, c.v, rel)
			}
		}
	}
	js, err := json.MarshalIndent(struct {
		Run         string    `json:"run"`
		L2          float64   `json:"l2"`
		Checkpoints []trajRef `json:"checkpoints"`
	}{os.Getenv(trajRunEnv), cks[0].Net.Cfg.L2, refs}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d checkpoints written to %s", run.ID, len(cks), dir)
}

// TestTimeSeqMNISTTrajectory runs, when HESSRNN_TRAJECTORY_RUN and
// HESSRNN_TIME_TRAJECTORY=file are set, hessrnn's default chain along the
// run (defaultChain) once and writes its per-checkpoint CPU times and
// products to file as JSON. Run it with GOMAXPROCS=1 on one core.
func TestTimeSeqMNISTTrajectory(t *testing.T) {
	file := os.Getenv(trajTimeEnv)
	if file == "" {
		t.Skipf("set %s=file and %s to time hessrnn's λ_max chain along a training trajectory", trajTimeEnv, trajRunEnv)
	}
	run, cks := loadTrajectory(t)
	runtime.GC()
	chain := defaultChain(t, run, cks)
	js, err := json.Marshal(chain)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
