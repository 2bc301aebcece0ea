package experiment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

// tinyScale is a whole-paper scale small enough for a unit test: three
// experiments on pattern generation at a tiny size, seqMNIST without data
// (skipped, with the reason), and Theorem 1 on fig2's runs.
func tinyScale() Scale {
	return Scale{Name: "test", About: "a unit test",
		Protocol: Protocol{Mode: SelectGrid, Grid: []float64{1e-2, 1e-1}, Seeds: 1, Budget: 1},
		Items:    []Item{{"fig2", config.PatternGen, 3}, {"fig4", config.PatternGen, 3}, {"fig9", config.PatternGen, 3}, {"fig2", config.SeqMNIST, 3}, {"theorem1", config.PatternGen, 3}},
		Adjust: func(r *config.Run) {
			t := tinyBase()
			r.Model.N, r.PatternGen, r.Train.Iterations, r.Hessian.Every = t.Model.N, t.PatternGen, t.Train.Iterations, t.Hessian.Every
		}}
}

func TestRunPaper(t *testing.T) {
	out := t.TempDir()
	sc := tinyScale()
	items, err := RunPaper(context.Background(), sc, PaperOptions{RunOptions: RunOptions{Out: out, Jobs: 2}, Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 5 || items[3].Skipped == "" || items[0].Skipped != "" || items[4].Skipped != "" {
		t.Fatalf("items %+v: want 4 run, seqMNIST skipped for missing data", items)
	}
	txt, err := WriteReproduction(out, sc, items, Invocation{Command: "hessrnn run paper --scale test"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, ReproductionFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"## Verdicts", "| C1 | Fig. 2–3 |", "### C1 (Fig. 2–3)", "- Paper: Fig. 3: \"Bio rules climb", "- Command: `hessrnn run fig2 --task patterngen --seeds 3",
		"paired Wilcoxon p =", "### C3b (Fig. 4)", "### C4c (Appendix Fig. 9)", "| fig2 | Sequential MNIST | skipped: no MNIST data", "![C1 Pattern generation](figures/patterngen-fig2-lambda_paired.png)",
		"**Partial: 4 of 5 items done**", "![C3 Pattern generation](figures/patterngen-theorem1-theorem1_ratio.png)", "![C3 Pattern generation](figures/patterngen-theorem1-theorem1.png)", "|λ_max|/bound: median", "- main — λ_max, Three-factor vs BPTT (paper: larger)", "### C1 (Fig. 2–3): not yet run", "**Verdicts.**", "**λ_max.**", "- Learning rates: BPTT η = ", "**Selections at the grid's edge.** Of the "} {
		if !strings.Contains(s, want) {
			t.Errorf("REPRODUCTION.md lacks %q", want)
		}
	}
	if !strings.Contains(txt, "C1") || !strings.Contains(txt, "patterngen") {
		t.Errorf("verdict table:\n%s", txt)
	}
	if _, err := os.Stat(filepath.Join(out, "figures", "patterngen-fig2-lambda_paired.png")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(out, config.PatternGen, SelectionFile)); err != nil {
		t.Errorf("no selection record: %v", err)
	}
	// --report-only finds the same items done from the files alone, and
	// the same verdicts; with a result removed its item is pending.
	rep, err := ReportPaper(sc, PaperOptions{RunOptions: RunOptions{Out: out}})
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range rep {
		if it.Pending != "" && i != 3 || it.Pending == "" && i == 3 || len(it.Runs) != len(items[i].Runs) {
			t.Errorf("report-only item %d %s on %s: pending %q, %d runs; the run had %d", i, it.Experiment, it.Task, it.Pending, len(it.Runs), len(items[i].Runs))
		}
	}
	txt2, err := WriteReproduction(out, sc, rep, Invocation{Command: "hessrnn run paper --scale test --report-only", ReportOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if txt2 != txt {
		t.Errorf("report-only verdicts differ:\n%s\nrun:\n%s", txt2, txt)
	}
	var victim string
	for _, r := range items[1].Runs {
		if !r.BelongsTo("fig2") {
			victim = r.ID
			break
		}
	}
	if victim == "" {
		t.Fatal("fig4 has no run of its own")
	}
	moved := filepath.Join(t.TempDir(), "moved.json")
	if err := os.Rename(filepath.Join(out, config.PatternGen, results.FileName(victim)), moved); err != nil {
		t.Fatal(err)
	}
	rep, err = ReportPaper(sc, PaperOptions{RunOptions: RunOptions{Out: out}})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("incomplete: %d of %d planned runs", len(items[1].Runs)-1, len(items[1].Runs)); !strings.HasPrefix(rep[1].Pending, want) || rep[0].Pending != "" {
		t.Errorf("with %s removed: fig4 pending %q, want %q; fig2 pending %q", victim, rep[1].Pending, want, rep[0].Pending)
	}
	if err := os.Rename(moved, filepath.Join(out, config.PatternGen, results.FileName(victim))); err != nil {
		t.Fatal(err)
	}
	// A result of other settings for the same rule and seed (an earlier
	// selection's rate) makes the item ambiguous rather than silently
	// doubling a group.
	var stale *results.Result
	for _, r := range items[1].Runs {
		if r.ID == victim {
			c := *r
			c.Config.Train.LR *= 2
			c.ID = c.Config.ID()
			stale = &c
		}
	}
	p, err := results.Write(filepath.Join(out, config.PatternGen), stale)
	if err != nil {
		t.Fatal(err)
	}
	rep, err = ReportPaper(sc, PaperOptions{RunOptions: RunOptions{Out: out}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep[1].Pending, "ambiguous: ") {
		t.Errorf("with a stale result: fig4 pending %q, want ambiguous", rep[1].Pending)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	// Resuming runs nothing new.
	again, err := RunPaper(context.Background(), sc, PaperOptions{RunOptions: RunOptions{Out: out, Jobs: 2}, Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range again[:3] {
		if it.Summary.Finished+it.Summary.Diverged != 0 {
			t.Errorf("%s: resumed run computed %s", it.Experiment, it.Summary)
		}
	}
}

func TestPaperScales(t *testing.T) {
	for _, name := range []string{"quick", "paper"} {
		sc, err := PaperScale(name)
		if err != nil {
			t.Fatal(err)
		}
		tasks := map[string]bool{}
		for _, it := range sc.Items {
			tasks[it.Task] = true
			if _, err := Lookup(it.Experiment); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if name == "paper" && it.Seeds < 10 {
				t.Errorf("paper scale: %s on %s has %d seeds, want ≥ 10", it.Experiment, it.Task, it.Seeds)
			}
		}
		if len(tasks) != 3 {
			t.Errorf("%s: tasks %v, want all three", name, tasks)
		}
		if c := PlanCount(sc); c[config.DMS][0] == 0 || c[config.DMS][1] == 0 {
			t.Errorf("%s: plan count %v", name, c)
		}
	}
	if _, err := PaperScale("huge"); err == nil {
		t.Error("unknown scale accepted")
	}
}

// TestQuickFlags checks that the flags printed with each quick-scale
// command give the scale's settings: --iters and --every the budget that
// Adjust sets, and the selection flags the scale's protocol (run's flags
// set exactly these fields; a command was also rerun by hand on the quick
// run's folder and computed nothing).
func TestQuickFlags(t *testing.T) {
	sc, err := PaperScale("quick")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range []string{config.DMS, config.PatternGen, config.SeqMNIST} {
		want := config.Default()
		want.Task = task
		sc.Adjust(&want)
		got := config.Default()
		got.Task = task
		var p Protocol
		p.Mode = SelectGrid
		fl := sc.Flags(task)
		if len(fl)%2 != 0 {
			t.Fatalf("%s: flags %v not in pairs", task, fl)
		}
		for i := 0; i < len(fl); i += 2 {
			v := fl[i+1]
			var err error
			switch fl[i] {
			case "--iters":
				got.Train.Iterations, err = strconv.Atoi(v)
			case "--every":
				got.Hessian.Every, err = strconv.Atoi(v)
			case "--lr-grid":
				p.Grid, err = ParseGrid(v)
			case "--select-seeds":
				p.Seeds, err = strconv.Atoi(v)
			case "--select-budget":
				p.Budget, err = strconv.ParseFloat(v, 64)
			default:
				t.Fatalf("%s: unexpected flag %s", task, fl[i])
			}
			if err != nil {
				t.Fatalf("%s: %s %s: %v", task, fl[i], v, err)
			}
		}
		if got.ID() != want.ID() {
			t.Errorf("%s: flags %v give another base run than the scale's Adjust", task, fl)
		}
		if fmt.Sprint(p) != fmt.Sprint(sc.Protocol) {
			t.Errorf("%s: flags give protocol %+v, the scale has %+v", task, p, sc.Protocol)
		}
	}
	if sc, _ := PaperScale("paper"); sc.Flags != nil {
		t.Error("the paper scale's commands need no flags: it is run's defaults")
	}
}
