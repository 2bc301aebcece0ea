package experiment

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

// comparable returns a result's JSON without what may differ between two
// computations of the same run: times and the continuation's origin.
func comparable(t *testing.T, r *results.Result) string {
	t.Helper()
	c := *r
	c.WallSeconds, c.CPUSeconds, c.ContinuedFrom = 0, 0, ""
	c.Trajectory = append([]results.Checkpoint(nil), r.Trajectory...)
	for i := range c.Trajectory {
		c.Trajectory[i].WallSeconds = 0
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestContinuedRunIsExact trains a run at a lower cap that saves its state,
// continues it to the full cap and checks that the result is the one of the
// full run from scratch, field for field (times aside), for the rules, both
// stopping modes, a cap off the checkpoint grid, a plateau reached before
// the lower cap, momentum, Adam, float32 training and DMS (the fixed-budget
// cases are score-only selection runs, the plateau-stopped ones full runs).
func TestContinuedRunIsExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		frac float64
		mod  func(*config.Run)
	}{
		{"bptt fixed", 1.0 / 3, func(r *config.Run) { r.Train.Stop = config.StopFixed }},
		{"three-factor fixed, cap off the grid", 0.45, func(r *config.Run) { r.Rule, r.Train.Stop = "three-factor", config.StopFixed }},
		{"rf-three-factor plateau", 1.0 / 3, func(r *config.Run) { r.Rule = "rf-three-factor" }},
		{"mdgl plateau, adam", 1.0 / 3, func(r *config.Run) { r.Rule, r.Train.Optimizer, r.Train.LR = "mdgl", "adam", 1e-3 }},
		{"bptt momentum", 1.0 / 3, func(r *config.Run) { r.Train.Optimizer, r.Train.Stop = "momentum", config.StopFixed }},
		{"bptt plateau before the lower cap", 0.75, func(r *config.Run) { r.Train.PlateauTol, r.Train.PlateauWindow = 0.5, 0.5 }},
		{"three-factor float32", 1.0 / 3, func(r *config.Run) {
			r.Rule, r.Model.Precision, r.Train.Stop = "three-factor", "float32", config.StopFixed
		}},
		{"dms mdgl", 1.0 / 3, func(r *config.Run) {
			r.Task, r.Rule, r.Model.N, r.DMS.NALIF, r.DMS.Delay, r.DMS.MaxDelay = config.DMS, "mdgl", 12, 6, 4, 6
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tiny("bptt", 0)
			key.Train.Iterations, key.Train.Stop = 60, config.StopPlateau
			tc.mod(&key)
			key = key.Resolve()
			lr := key.Train.LR
			short, full := selectionRun(key, lr, 1001, tc.frac), selectionRun(key, lr, 1001, 1)
			dir := t.TempDir()
			st := &stateStore{dir: dir, save: map[string]bool{short.ID(): true}, from: map[string]config.Run{full.ID(): short}}
			e := &Env{states: st}
			rs := e.Train(context.Background(), short, nil)
			if rs.Status.State != results.Finished {
				t.Fatalf("short run: %+v", rs.Status)
			}
			if _, err := os.Stat(filepath.Join(dir, short.ID()+".state")); err != nil {
				t.Fatalf("short run saved no state: %v", err)
			}
			cont := e.Train(context.Background(), full, nil)
			scratch := (&Env{}).Train(context.Background(), full, nil)
			if cont.ContinuedFrom != short.ID() {
				t.Fatalf("continued_from %q, want %q", cont.ContinuedFrom, short.ID())
			}
			if got, want := comparable(t, cont), comparable(t, scratch); got != want {
				t.Errorf("continued run differs from the run from scratch:\ncontinued %s\nscratch   %s", got, want)
			}
			if tc.name == "bptt plateau before the lower cap" && !(scratch.Final.Plateaued && scratch.Final.Iterations < short.Train.Iterations) {
				t.Errorf("the case needs a plateau before the lower cap %d: stopped at %d (plateau %v)", short.Train.Iterations, scratch.Final.Iterations, scratch.Final.Plateaued)
			}
		})
	}
}

// TestContinueRefused checks that a run continues only a run with the same
// settings at a lower cap, and starts from scratch when the state is missing.
func TestContinueRefused(t *testing.T) {
	key := tiny("bptt", 0)
	key.Train.Iterations = 60
	key = key.Resolve()
	full := selectionRun(key, 0.01, 1001, 1)
	other := selectionRun(key, 0.03, 1001, 1.0/3)
	longer := selectionRun(key, 0.01, 1001, 1)
	longer.Train.Iterations = 90
	dir := t.TempDir()
	for name, prev := range map[string]config.Run{"another rate": other, "a higher cap": longer} {
		st := &stateStore{dir: dir, from: map[string]config.Run{full.ID(): prev}}
		if res := (&Env{states: st}).Train(context.Background(), full, nil); res.Status.State != results.Failed {
			t.Errorf("%s: continuing was not refused: %+v", name, res.Status)
		}
	}
	st := &stateStore{dir: dir, from: map[string]config.Run{full.ID(): selectionRun(key, 0.01, 1001, 1.0/3)}}
	res := (&Env{states: st}).Train(context.Background(), full, nil)
	if res.Status.State != results.Finished || res.ContinuedFrom != "" || res.Trajectory[0].Iteration != 0 {
		t.Errorf("missing state: want a run from scratch, got %+v continued_from %q", res.Status, res.ContinuedFrom)
	}
}
