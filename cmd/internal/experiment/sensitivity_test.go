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

func TestVerdict(t *testing.T) {
	tests := []struct {
		effect, p float64
		ratio, up bool
		want      string
	}{
		{2, 0.01, true, true, Reproduced},
		{0.5, 0.01, true, true, Reversed},
		{2, 0.2, true, true, NotReproduced},
		{0.1, 0.001, false, true, Reproduced},
		{-0.1, 0.001, false, true, Reversed},
		{-0.1, 0.001, false, false, Reproduced},
		{math.NaN(), 0.01, false, true, NoData},
	}
	for _, tc := range tests {
		if got := verdict(tc.effect, tc.p, tc.ratio, tc.up); got != tc.want {
			t.Errorf("verdict(%g, %g, ratio %v, up %v) = %s, want %s", tc.effect, tc.p, tc.ratio, tc.up, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{Reproduced, Reproduced}, Reproduced},
		{[]string{Reproduced, NotReproduced}, Partly},
		{[]string{Reversed, NotReproduced}, Reversed},
		{[]string{NotReproduced, NotReproduced}, NotReproduced},
		{[]string{Reproduced, NoData}, Reproduced},
		{nil, NoData},
	} {
		if got := claimVerdict(tc.in); got != tc.want {
			t.Errorf("claimVerdict(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestPairedTest(t *testing.T) {
	mk := func(seed uint64, lam float64, state results.State) *results.Result {
		return &results.Result{Seed: seed, Status: results.Status{State: state}, Final: results.Final{LambdaMax: results.Num(lam)}}
	}
	var a, b []*results.Result
	for s := uint64(1); s <= 10; s++ {
		a = append(a, mk(s, 4*float64(s), results.Finished))
		b = append(b, mk(s, float64(s), results.Finished))
	}
	a = append(a, mk(11, 1, results.Diverged))
	b = append(b, mk(11, 1, results.Finished))
	for _, ratio := range []bool{false, true} {
		// The Wilcoxon test has no p-value (as the report prints, n/a)
		// when every pair is equal, which is no difference, not no data.
		q := pairedQuantity{"lambda_max", lambdaOf, ratio}
		if eq := pairedTest("x", b, "y", b, q, true); eq.Verdict != NotReproduced || !math.IsNaN(eq.P) {
			t.Errorf("equal pairs (ratio %v): %+v, want p n/a, not reproduced", ratio, eq)
		}
	}
	pt := pairedTest("x", a, "y", b, lambdaQ, true)
	if pt.Pairs != 10 || pt.Lost != 1 || pt.Larger != 10 || math.Abs(pt.Effect-4) > 1e-9 || pt.P > 0.01 || pt.Verdict != Reproduced {
		t.Errorf("paired test %+v: want 10 pairs, 1 lost, ratio 4, p < 0.01, reproduced", pt)
	}
}

// TestSensitivity runs the DMS reconstructions at a tiny size.
func TestSensitivity(t *testing.T) {
	spec, err := Lookup("sensitivity")
	if err != nil {
		t.Fatal(err)
	}
	b := config.Default()
	b.Task = config.DMS
	b.Model.N, b.DMS.NALIF = 8, 4
	b.Train.Iterations, b.Hessian.Every = 20, 10
	dir := t.TempDir()
	env := &Env{Experiment: spec.Name}
	p := Protocol{Mode: SelectGrid, Grid: []float64{1e-2, 1e-1}, Seeds: 1, Budget: 1}
	_, runs, err := env.RunExperiment(context.Background(), spec, b, 3, RunOptions{Out: dir, Jobs: 2, Protocol: p})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2*4*3 {
		t.Fatalf("%d runs, want 2 reconstructions × 4 rules × 3 seeds", len(runs))
	}
	rows := Sensitivity(runs)
	if len(rows) != 2*3 {
		t.Fatalf("%d rows, want 2 reconstructions × 3 rules", len(rows))
	}
	sels, _ := ReadSelections(dir)
	if len(sels) != 2*4 {
		t.Errorf("%d selections, want one per reconstruction and rule (8)", len(sels))
	}
	txt, err := WriteSensitivity(dir, runs, "t", "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"train delays [8,16]", "C1 holds", "Three-factor"} {
		if !strings.Contains(txt, want) {
			t.Errorf("summary lacks %q:\n%s", want, txt)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sensitivity-report.html")); err != nil {
		t.Error(err)
	}
	// REPRODUCTION.md tallies the same counts under the verdict table.
	out := t.TempDir()
	sc := Scale{Name: "test", About: "a unit test", Items: []Item{{"sensitivity", config.DMS, 3}}}
	items := []ItemResult{{Item: sc.Items[0], Dir: dir, Runs: runs, Command: "hessrnn run sensitivity --task dms"}}
	if _, err := WriteReproduction(out, sc, items, Invocation{Command: "hessrnn run paper --scale test"}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, ReproductionFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sensitivityCounts(rows) {
		want := fmt.Sprintf("| %s | %s | 2 | %s | %s |", taskTitles[config.DMS], c.Rule, tally(c.C1Holds, c.C1Reversed, 2), tally(c.C2Holds, c.C2Reversed, 2))
		if !strings.Contains(string(md), want) {
			t.Errorf("REPRODUCTION.md lacks the tally %q:\n%s", want, md)
		}
	}
	if i, j := strings.Index(string(md), "**Over the unknowns.**"), strings.Index(string(md), "## Verdicts"); i < 0 || i < j {
		t.Errorf("no tally after the verdict table (at %d, table at %d)", i, j)
	}
	if rows := Sensitivity(nil); rows != nil {
		t.Errorf("Sensitivity(nil) = %v, want no rows", rows)
	}
	if len(Reconstructions(config.PatternGen)) != 16 || len(Reconstructions(config.SeqMNIST)) != 0 {
		t.Error("pattern generation has 16 reconstructions, seqMNIST none")
	}
}

func TestSensitivityCounts(t *testing.T) {
	row := func(rule, v1, v2 string) SensitivityRow {
		return SensitivityRow{C1: PairedTest{Rule: rule, Verdict: v1}, C2: PairedTest{Rule: rule, Verdict: v2}}
	}
	tf, md := config.RuleLabel(config.PaperRules()[1], 0), config.RuleLabel(config.PaperRules()[3], 0)
	tests := []struct {
		name string
		rows []SensitivityRow
		want []sensitivityCount
	}{
		{"none", nil, nil},
		{"one rule", []SensitivityRow{row(tf, Reproduced, Reversed), row(tf, Reversed, Reversed), row(tf, NotReproduced, NoData)},
			[]sensitivityCount{{Rule: tf, N: 3, C1Holds: 1, C1Reversed: 1, C2Reversed: 2}}},
		{"two rules in the paper's order", []SensitivityRow{row(md, Reproduced, Reproduced), row(tf, NotReproduced, Reproduced)},
			[]sensitivityCount{{Rule: tf, N: 1, C2Holds: 1}, {Rule: md, N: 1, C1Holds: 1, C2Holds: 1}}},
	}
	for _, tc := range tests {
		got := sensitivityCounts(tc.rows)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: sensitivityCounts = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
