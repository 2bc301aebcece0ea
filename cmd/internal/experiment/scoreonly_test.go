package experiment

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// writeSynthMNIST writes an MNIST-format data set of random rows×cols
// images (n training, m test; label i%10) to a new directory.
func writeSynthMNIST(t *testing.T, n, m, rows, cols int) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	idx := func(dims []uint32, data []byte) []byte {
		var b bytes.Buffer
		b.Write([]byte{0, 0, 8, byte(len(dims))})
		for _, d := range dims {
			binary.Write(&b, binary.BigEndian, d)
		}
		b.Write(data)
		return b.Bytes()
	}
	for _, f := range []struct {
		images, labels string
		n              int
	}{{task.TrainImagesName, task.TrainLabelsName, n}, {task.TestImagesName, task.TestLabelsName, m}} {
		px := make([]byte, f.n*rows*cols)
		for i := range px {
			px[i] = byte(rng.IntN(256))
		}
		lab := make([]byte, f.n)
		for i := range lab {
			lab[i] = byte(i % 10)
		}
		if err := os.WriteFile(filepath.Join(dir, f.images), idx([]uint32{uint32(f.n), uint32(rows), uint32(cols)}, px), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.labels), idx([]uint32{uint32(f.n)}, lab), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fixedBudgetRuns returns the tiny fixed-budget settings (24 iterations,
// curvature every every-th) of the tests comparing a run with a reduced
// one: pattern generation (base), seqMNIST on synthetic images written to
// t's temporary folder (sm) and DMS with 5 ALIF units (dms).
func fixedBudgetRuns(t *testing.T, every int) (base, sm, dms config.Run) {
	t.Helper()
	mnist := writeSynthMNIST(t, 700, 120, 6, 5)
	base = tinyBase()
	base.Train.Stop = config.StopFixed
	base.Train.Iterations, base.Hessian.Every = 24, every
	sm = base
	sm.Task, sm.SeqMNIST.Data, sm.SeqMNIST.Dataset = config.SeqMNIST, mnist, "other"
	sm.Train.BatchSize, sm.SeqMNIST.HessianBatch = 32, 32
	dms = base
	dms.Task, dms.DMS.NALIF = config.DMS, 5
	return base, sm, dms
}

// TestScoreOnlyExact checks that a score-only run (train.score_only: no
// curvature, no evaluation before the end) ends with bitwise the final
// losses, metrics, status and stopping iteration of the full run, on
// fixed-budget settings of every task (seqMNIST on synthetic images, with
// its validation loss, the selection criterion there), for BPTT and a
// bio-plausible rule (whose full run also computes α at every checkpoint),
// and at a rate that diverges. The selection protocol uses score-only runs
// for fixed budgets only: their criterion, and so the chosen rate, is the
// full run's.
func TestScoreOnlyExact(t *testing.T) {
	base, sm, dms := fixedBudgetRuns(t, 6)
	type tc struct {
		name string
		run  config.Run
	}
	var cases []tc
	for _, r := range []tc{{"patterngen", base}, {"dms", dms}, {"seqmnist", sm}} {
		for _, rule := range []string{"bptt", "three-factor"} {
			for _, lr := range []float64{1e-2, 30} {
				c := r
				c.run.Rule, c.run.Train.LR = rule, lr
				c.name += fmt.Sprintf("/%s/lr=%g", rule, lr)
				cases = append(cases, c)
			}
		}
	}
	var e Env
	diverged := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			full := e.Train(context.Background(), c.run, nil)
			so := c.run
			so.Train.ScoreOnly = true
			got := e.Train(context.Background(), so, nil)
			if full.Status.State == results.Failed || got.Status.State == results.Failed {
				t.Fatalf("failed: full %+v, score-only %+v", full.Status, got.Status)
			}
			if full.Status.State != got.Status.State || full.Status.Step != got.Status.Step || full.Final.Iterations != got.Final.Iterations {
				t.Fatalf("status %+v at %d, full run %+v at %d", got.Status, got.Final.Iterations, full.Status, full.Final.Iterations)
			}
			if full.Status.State == results.Diverged {
				diverged++
				if full.Status.Reason != got.Status.Reason {
					t.Errorf("divergence %q, full run %q", got.Status.Reason, full.Status.Reason)
				}
				return
			}
			same := func(name string, a, b results.Num) {
				if math.Float64bits(float64(a)) != math.Float64bits(float64(b)) {
					t.Errorf("final %s %v, full run %v", name, a, b)
				}
			}
			same("loss", got.Final.Loss, full.Final.Loss)
			same("val_loss", got.Final.ValLoss, full.Final.ValLoss)
			same("train_metric", got.Final.TrainMetric, full.Final.TrainMetric)
			same("test_metric", got.Final.TestMetric, full.Final.TestMetric)
			same("gap", got.Final.Gap, full.Final.Gap)
			if c.run.Task == config.SeqMNIST && !finite(got.Final.ValLoss) {
				t.Errorf("seqMNIST score-only run has no validation loss")
			}
			if len(got.Trajectory) != 1 || finite(got.Final.LambdaMax) || finite(got.Trajectory[0].Lambda.Value) || got.Status.Reason != ScoreOnlyNote {
				t.Errorf("score-only run: %d checkpoints, final λ %v, status %+v", len(got.Trajectory), got.Final.LambdaMax, got.Status)
			}
			if len(full.Trajectory) != c.run.Train.Iterations/c.run.Hessian.Every+1 || !finite(full.Final.LambdaMax) {
				t.Errorf("full run: %d checkpoints, final λ %v", len(full.Trajectory), full.Final.LambdaMax)
			}
		})
	}
	if diverged == 0 || diverged == len(cases) {
		t.Errorf("%d of %d cases diverged: the test needs both kinds", diverged, len(cases))
	}
}

// TestScoreOnlyValidate checks that score-only runs need a fixed budget
// and no early stopping, and that only selection runs of a fixed budget
// are score-only (plateau-stopped ones keep their configuration and ID).
func TestScoreOnlyValidate(t *testing.T) {
	for _, c := range []struct {
		name   string
		edit   func(*config.Run)
		errors bool
	}{
		{"fixed", func(r *config.Run) { r.Train.Stop = config.StopFixed }, false},
		{"plateau", func(r *config.Run) { r.Train.Stop = config.StopPlateau }, true},
		{"early-stopped", func(r *config.Run) { r.Train.Stop, r.Train.StopAtTest = config.StopFixed, 0.5 }, true},
	} {
		r := tinyBase()
		c.edit(&r)
		r.Train.ScoreOnly = true
		err := r.Validate()
		if (err != nil) != c.errors || (err != nil && !strings.Contains(err.Error(), "train.score_only")) {
			t.Errorf("%s: error %v, want an error naming train.score_only: %v", c.name, err, c.errors)
		}
	}
	for _, c := range []struct {
		task string
		stop string
		want bool
	}{{config.SeqMNIST, "", true}, {config.DMS, "", false}, {config.PatternGen, "", false}, {config.DMS, config.StopFixed, true}} {
		key := config.Default()
		key.Task, key.Train.Stop = c.task, c.stop
		key, _ = selectionKey(key, key)
		r := selectionRun(key, 1e-3, SelectionSeedBase, 1)
		if r.Train.ScoreOnly != c.want {
			t.Errorf("%s stop %q: selection run score-only %v, want %v", c.task, c.stop, r.Train.ScoreOnly, c.want)
		}
		if !c.want && strings.Contains(string(r.Canonical()), "score_only") {
			t.Errorf("%s: a full selection run has score_only in its identity", c.task)
		}
	}
}

// TestEvaluationScheduleExact checks that scoring the test set at the end
// only (train.test_at = end) or the evaluation sets at every k-th
// checkpoint (train.eval_every) changes nothing but the values it leaves
// unmeasured: the final result and the λ_max trajectory are bitwise those
// of scoring everything at every checkpoint, and the skipped values are
// NaN.
func TestEvaluationScheduleExact(t *testing.T) {
	_, sm, dms := fixedBudgetRuns(t, 4)
	var e Env
	for _, task := range []config.Run{sm, dms} {
		ref := task
		ref.Train.TestAt, ref.Train.EvalEvery = config.TestAtEvery, 1
		want := e.Train(context.Background(), ref, nil)
		if want.Status.State != results.Finished {
			t.Fatalf("%s: reference run %+v", task.Task, want.Status)
		}
		for _, c := range []struct {
			name      string
			testAt    string
			evalEvery int
		}{{"test_at=end", config.TestAtEnd, 1}, {"eval_every=3", config.TestAtEvery, 3}, {"end+eval_every=4", config.TestAtEnd, 4}, {"task defaults", "", 0}} {
			r := task
			r.Train.TestAt, r.Train.EvalEvery = c.testAt, c.evalEvery
			got := e.Train(context.Background(), r, nil)
			name := task.Task + "/" + c.name
			if got.Status != want.Status || len(got.Trajectory) != len(want.Trajectory) {
				t.Fatalf("%s: status %+v with %d checkpoints, reference %+v with %d", name, got.Status, len(got.Trajectory), want.Status, len(want.Trajectory))
			}
			gf, wf := got.Final, want.Final
			gf.LambdaBatches, wf.LambdaBatches = nil, nil
			if fmt.Sprintf("%#v", gf) != fmt.Sprintf("%#v", wf) || fmt.Sprintf("%v", got.Final.LambdaBatches) != fmt.Sprintf("%v", want.Final.LambdaBatches) {
				t.Errorf("%s: final %+v, reference %+v", name, got.Final, want.Final)
			}
			// The task defaults (0, ""): seqmnist scores the evaluation
			// sets at every config.SeqMNISTEvalEvery-th checkpoint and the
			// test set at the end; dms both at every checkpoint.
			every, testAt := c.evalEvery, c.testAt
			if every == 0 {
				every, testAt = 1, config.TestAtEvery
				if task.Task == config.SeqMNIST {
					every, testAt = config.SeqMNISTEvalEvery, config.TestAtEnd
				}
			}
			for i, g := range got.Trajectory {
				w := want.Trajectory[i]
				last := i == len(got.Trajectory)-1
				scored := last || i%every == 0
				testScored := scored && (last || testAt == config.TestAtEvery)
				check := func(q string, gv, wv results.Num, measured bool) {
					ok := math.Float64bits(float64(gv)) == math.Float64bits(float64(wv))
					if !measured {
						ok = math.IsNaN(float64(gv))
					}
					if !ok {
						t.Errorf("%s: checkpoint %d (iteration %d) %s = %v, reference %v (measured: %v)", name, i, g.Iteration, q, gv, wv, measured)
					}
				}
				check("λ_max", g.Lambda.Value, w.Lambda.Value, true)
				check("alpha", g.Alpha, w.Alpha, true)
				check("loss", g.Loss, w.Loss, scored)
				check("train metric", g.TrainMetric, w.TrainMetric, scored)
				check("test metric", g.TestMetric, w.TestMetric, testScored)
				check("gap", g.Gap, w.Gap, testScored)
			}
		}
	}
}
