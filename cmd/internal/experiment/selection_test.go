package experiment

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

func TestChoose(t *testing.T) {
	nan := results.NaN()
	tests := []struct {
		name string
		in   []RateScore
		want float64
		note bool
	}{
		{"lowest score", []RateScore{{LR: 1e-3, Score: 0.5}, {LR: 1e-2, Score: 0.1}, {LR: 3e-2, Score: 0.2}}, 1e-2, false},
		{"diverged never chosen", []RateScore{{LR: 1e-3, Score: 0.5, Finished: 3}, {LR: 1e-2, Score: nan, Finished: 2, Diverged: 1}}, 1e-3, false},
		{"tie goes to the lower rate", []RateScore{{LR: 3e-3, Score: 0.1}, {LR: 1e-3, Score: 0.1}}, 1e-3, false},
		{"all diverged: fewest divergences, flagged", []RateScore{{LR: 1e-3, Score: nan, Diverged: 2, Finished: 1}, {LR: 1e-2, Score: nan, Diverged: 1, Finished: 2}}, 1e-2, true},
	}
	for _, tc := range tests {
		got, note := choose(tc.in)
		if float64(got) != tc.want || (note != "") != tc.note {
			t.Errorf("%s: chose %g (note %q), want %g (note %v)", tc.name, float64(got), note, tc.want, tc.note)
		}
	}
	if got := keepBest([]RateScore{{LR: 1, Score: 3}, {LR: 2, Score: 1}, {LR: 3, Score: 2}, {LR: 4, Score: nan, Diverged: 1}}, 2); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("keepBest = %v, want [2 3]", got)
	}
}

func TestSelectionKey(t *testing.T) {
	base := tinyBase()
	base.Train.LR = 0.01
	tf := base
	tf.Rule = "three-factor"
	th := base
	th.Rule = "three-factor-theory"
	decay := tf
	decay.Train.LR, decay.Train.Schedule = 0.03, "step"
	stop := base
	stop.Train.StopAtTest = 0.5
	adam := base
	adam.Train.Optimizer, adam.Train.LR = "adam", 1e-3
	kTF, _ := selectionKey(tf, base)
	kBP, _ := selectionKey(base, base)
	for _, tc := range []struct {
		name  string
		run   config.Run
		key   config.Run
		scale float64
	}{
		{"theory inherits Three-factor's rate", th, kTF, 1},
		{"lr decay starts at 3x its rule's rate", decay, kTF, 3},
		{"early-stopped BPTT is BPTT", stop, kBP, 1},
	} {
		k, s := selectionKey(tc.run, base)
		if k.Hash() != tc.key.Hash() || math.Abs(s-tc.scale) > 1e-12 {
			t.Errorf("%s: key %s scale %g, want %s scale %g", tc.name, k.Label(), s, tc.key.Label(), tc.scale)
		}
	}
	if k, s := selectionKey(adam, base); k.Hash() == kBP.Hash() || s != 1 {
		t.Errorf("adam must select its own rate at scale 1, got key %s scale %g", k.Label(), s)
	}
}

func TestPlateaued(t *testing.T) {
	run := tinyBase()
	run.Train.Stop = config.StopPlateau
	run = run.Resolve()
	cp := func(it int, loss, lam float64) results.Checkpoint {
		return results.Checkpoint{Iteration: it, Loss: results.Num(loss), Lambda: results.Lambda{Value: results.Num(lam)}}
	}
	flat := []results.Checkpoint{cp(0, 5, 1), cp(80, 1, 10), cp(90, 1.005, 10.02), cp(100, 1, 10)}
	tests := []struct {
		name string
		traj []results.Checkpoint
		stop string
		want bool
	}{
		{"flat over the last 10%", flat, config.StopPlateau, true},
		{"fixed stopping never plateaus", flat, config.StopFixed, false},
		{"loss still falling", []results.Checkpoint{cp(0, 5, 1), cp(90, 1.1, 10), cp(100, 1, 10)}, config.StopPlateau, false},
		{"λ_max still rising", []results.Checkpoint{cp(0, 5, 1), cp(90, 1, 9), cp(100, 1, 10)}, config.StopPlateau, false},
		{"window holds no earlier checkpoint", []results.Checkpoint{cp(0, 1, 10), cp(10, 1, 10)}, config.StopPlateau, false},
	}
	for _, tc := range tests {
		r := run
		r.Train.Stop = tc.stop
		if got := plateaued(r, tc.traj); got != tc.want {
			t.Errorf("%s: plateaued = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSelectionProtocol runs fig4 with grid selection and successive
// halving on a tiny network: the record names every rate, the reporting
// runs use the chosen rates (Three-factor theory at Three-factor's), and
// the selection seeds are disjoint from the reporting seeds.
func TestSelectionProtocol(t *testing.T) {
	spec, _ := Lookup("fig4")
	for _, mode := range []string{SelectGrid, SelectHalving} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			p := Protocol{Mode: mode, Grid: []float64{1e-3, 1e-2, 1e-1, 1, 3}, Seeds: 2, Budget: 1}
			env := &Env{Experiment: spec.Name}
			_, runs, err := env.RunExperiment(context.Background(), spec, tinyBase(), 2, RunOptions{Out: dir, Jobs: 2, Protocol: p})
			if err != nil {
				t.Fatal(err)
			}
			sels, err := ReadSelections(dir)
			if err != nil || len(sels) != 2 {
				t.Fatalf("selections %v, %v; want 2 (BPTT, Three-factor)", sels, err)
			}
			chosen := map[string]float64{}
			for _, s := range sels {
				chosen[s.Label] = float64(s.Chosen)
				if s.Note != "" || !finite(s.Chosen) {
					t.Errorf("%s: chosen %v note %q", s.Label, s.Chosen, s.Note)
				}
				for _, r := range lastRung(s.Rates) {
					if r.LR == float64(s.Chosen) && !finite(r.Score) {
						t.Errorf("%s: chose a failed rate %g", s.Label, r.LR)
					}
				}
				if mode == SelectHalving && len(s.Rates) != 5+2 {
					t.Errorf("%s: halving scored %d rates, want 5 then 2", s.Label, len(s.Rates))
				}
				// Rung 0 at a third of the budget, the survivors at the full
				// budget (tinyBase: 30 iterations); the grid at the full budget.
				for _, r := range s.Rates {
					want := 30
					if mode == SelectHalving && r.Rung == 0 {
						want = 10
					}
					if r.Iterations != want {
						t.Errorf("%s %s rung %d η %g: %d iterations, want %d", mode, s.Label, r.Rung, r.LR, r.Iterations, want)
					}
				}
			}
			for _, r := range runs {
				want := chosen[r.Label]
				if r.Label == "Three-factor theory" {
					want = chosen["Three-factor"]
				}
				if r.Config.Train.LR != want || r.Seed >= SelectionSeedBase {
					t.Errorf("%s seed %d: lr %g, want %g", r.Label, r.Seed, r.Config.Train.LR, want)
				}
			}
			sel, _ := results.LoadDir(filepath.Join(dir, "selection"))
			rung0 := map[string]*results.Result{}
			for _, r := range sel.Runs {
				if r.Seed < SelectionSeedBase || r.Experiment != SelectionExperiment {
					t.Errorf("selection run %s: seed %d, experiment %q", r.ID, r.Seed, r.Experiment)
				}
				if r.Config.Train.Iterations == 10 {
					rung0[fmt.Sprint(r.Label, r.Config.Train.LR, r.Seed)] = r
				}
			}
			// Halving's survivors continue their rung-0 runs when these
			// finished; the grid trains from scratch. The saved states
			// are gone once the selection is complete.
			continued := 0
			for _, r := range sel.Runs {
				if r.Config.Train.Iterations != 30 {
					continue
				}
				want := ""
				if p := rung0[fmt.Sprint(r.Label, r.Config.Train.LR, r.Seed)]; mode == SelectHalving && p != nil && p.Status.State == results.Finished {
					want = p.ID
				}
				if r.ContinuedFrom != want {
					t.Errorf("%s: continued_from %q, want %q", r.ID, r.ContinuedFrom, want)
				}
				if want != "" {
					continued++
				}
			}
			if mode == SelectHalving && continued == 0 {
				t.Error("no halving run continued its rung-0 run")
			}
			if _, err := os.Stat(filepath.Join(dir, "selection", "state")); !os.IsNotExist(err) {
				t.Errorf("saved training states left behind: %v", err)
			}
			a, err := WriteReport(dir, append(runs, sel.Runs...), spec.Report("t", "t"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(a.Summary, "Learning rates selected") || strings.Contains(a.Summary, "(+") && strings.Contains(a.Summary, "1001") {
				t.Errorf("summary lacks the selection or mixes in selection runs:\n%s", a.Summary)
			}
			htmlPath, _, _ := ReportFiles(dir, spec.Name)
			html, _ := os.ReadFile(htmlPath)
			if !strings.Contains(string(html), "Learning-rate selection") {
				t.Error("report.html has no selection section")
			}
		})
	}
}

// TestRungIsPrefix checks what successive halving relies on: a selection
// run at a fraction of the budget is the first part of the full-budget
// run of the same rate and seed (training does not depend on the cap at a
// constant rate, and plateau stopping looks back from the current
// iteration, not from the cap), so its score is the full run's loss at its
// cap. Each shared checkpoint must agree exactly; a cap off the checkpoint
// grid adds one checkpoint of its own, and a full run that reached its
// plateau before the short cap stops at the same iteration in both.
func TestRungIsPrefix(t *testing.T) {
	var e Env
	for _, tc := range []struct {
		name string
		rule string
		stop string
		frac float64
	}{
		{"bptt fixed, cap on the grid", "bptt", config.StopFixed, 1.0 / 3},
		{"three-factor fixed, cap off the grid", "three-factor", config.StopFixed, 0.45},
		{"rf-three-factor plateau", "rf-three-factor", config.StopPlateau, 1.0 / 3},
		{"mdgl plateau", "mdgl", config.StopPlateau, 1.0 / 3},
		{"bptt plateau reached before the short cap", "bptt", config.StopPlateau, 0.75},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := tiny(tc.rule, 0)
			key.Train.Iterations, key.Train.Stop = 60, tc.stop
			if tc.name == "bptt plateau reached before the short cap" {
				key.Train.PlateauTol, key.Train.PlateauWindow = 0.5, 0.5
			}
			key = key.Resolve()
			// Fixed-budget selection runs are score-only (one checkpoint,
			// at the end; TestScoreOnlyExact shows its values are the full
			// run's): the prefix property is checked on their full form.
			shortRun, fullRun := selectionRun(key, 0.01, 1001, tc.frac), selectionRun(key, 0.01, 1001, 1)
			if fullRun.Train.ScoreOnly != (tc.stop == config.StopFixed) {
				t.Fatalf("stop %s: selection run score-only %v", tc.stop, fullRun.Train.ScoreOnly)
			}
			shortRun.Train.ScoreOnly, fullRun.Train.ScoreOnly = false, false
			short := e.Train(context.Background(), shortRun, nil)
			full := e.Train(context.Background(), fullRun, nil)
			if short.Status.State != results.Finished || full.Status.State != results.Finished {
				t.Fatalf("short %+v, full %+v", short.Status, full.Status)
			}
			cap := short.Config.Train.Iterations
			if cap >= full.Config.Train.Iterations {
				t.Fatalf("short cap %d, full cap %d", cap, full.Config.Train.Iterations)
			}
			at := map[int]results.Checkpoint{}
			for _, c := range full.Trajectory {
				at[c.Iteration] = c
			}
			shared := 0
			for i, s := range short.Trajectory {
				f, ok := at[s.Iteration]
				if !ok {
					if s.Iteration != cap || i != len(short.Trajectory)-1 {
						t.Errorf("short checkpoint %d is neither in the full run nor the short run's cap %d", s.Iteration, cap)
					}
					continue
				}
				shared++
				if s.Loss != f.Loss || s.TrainMetric != f.TrainMetric || s.TestMetric != f.TestMetric || s.Lambda.Value != f.Lambda.Value {
					t.Errorf("iteration %d: short %+v, full %+v", s.Iteration, s, f)
				}
				if i < len(short.Trajectory)-1 && tc.rule != "bptt" && s.Alpha != f.Alpha {
					t.Errorf("iteration %d: α short %v, full %v", s.Iteration, s.Alpha, f.Alpha)
				}
			}
			if shared < 2 {
				t.Errorf("only %d shared checkpoints", shared)
			}
			if full.Final.Plateaued && full.Final.Iterations <= cap {
				if short.Final.Iterations != full.Final.Iterations || short.Final.Loss != full.Final.Loss {
					t.Errorf("full run plateaued at %d (loss %v); short stopped at %d (loss %v)", full.Final.Iterations, full.Final.Loss, short.Final.Iterations, short.Final.Loss)
				}
			} else if short.Final.Iterations != cap {
				t.Errorf("short run stopped at %d, before its cap %d, while the full run went on to %d", short.Final.Iterations, cap, full.Final.Iterations)
			}
		})
	}
}
