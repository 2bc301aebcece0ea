package experiment

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
)

// tinyScale is a whole-paper scale small enough for a unit test: three
// experiments on pattern generation at a tiny size, and seqMNIST without
// data (skipped, with the reason).
func tinyScale() Scale {
	return Scale{Name: "test", About: "a unit test",
		Protocol: Protocol{Mode: SelectGrid, Grid: []float64{1e-2, 1e-1}, Seeds: 1, Budget: 1},
		Items:    []Item{{"fig2", config.PatternGen, 3}, {"fig4", config.PatternGen, 3}, {"fig9", config.PatternGen, 3}, {"fig2", config.SeqMNIST, 3}},
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
	if len(items) != 4 || items[3].Skipped == "" || items[0].Skipped != "" {
		t.Fatalf("items %+v: want 3 run, seqMNIST skipped for missing data", items)
	}
	txt, err := WriteReproduction(out, sc, items, "hessrnn run paper --scale test", 0)
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, ReproductionFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"## Verdicts", "| C1 | Fig. 2–3 |", "### C1 (Fig. 2–3)", "- Paper: Bio-plausible rules", "- Command: `hessrnn run fig2 --task patterngen --seeds 3",
		"paired Wilcoxon p =", "### C3b (Fig. 4)", "### C4c (Appendix Fig. 9)", "`fig2` skipped: no MNIST data", "![C1 Pattern generation](figures/patterngen-fig2-lambda_paired.png)"} {
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
