package experiment

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/rules"
)

// TestPrecisionPlan checks that the plan pairs every rule and seed once in
// each precision, the two runs identical but for model.precision, whatever
// the base's precision, and that both share one learning-rate selection
// key, in float64.
func TestPrecisionPlan(t *testing.T) {
	for _, prec := range []string{"float64", "float32"} {
		t.Run(prec, func(t *testing.T) {
			base := tinyBase()
			base.Model.Precision = prec
			runs, more := precisionSpec.Plan(base, 3, nil)
			if more || len(runs) != 2*4*3 {
				t.Fatalf("%d runs (more %v), want 2 precisions × 4 rules × 3 seeds", len(runs), more)
			}
			type pair struct {
				rule string
				seed uint64
			}
			by := map[pair]map[string]config.Run{}
			for _, r := range runs {
				k := pair{r.Rule, r.Seed}
				if by[k] == nil {
					by[k] = map[string]config.Run{}
				}
				if _, dup := by[k][r.Model.Precision]; dup {
					t.Errorf("%v planned twice in %s", k, r.Model.Precision)
				}
				by[k][r.Model.Precision] = r
			}
			if len(by) != 4*3 {
				t.Fatalf("%d rule-seed pairs, want 12", len(by))
			}
			for k, m := range by {
				a, b := m["float32"], m["float64"]
				if a.Model.Precision != "float32" || b.Model.Precision != "float64" {
					t.Fatalf("%v: precisions %q and %q", k, a.Model.Precision, b.Model.Precision)
				}
				a.Model.Precision = b.Model.Precision
				if a.Resolve().Hash() != b.Resolve().Hash() {
					t.Errorf("%v: the float32 and float64 runs differ beyond the precision", k)
				}
				ka, _ := selectionKey(m["float32"], base)
				kb, _ := selectionKey(m["float64"], base)
				if ka.Hash() != kb.Hash() || ka.Model.Precision != "float64" {
					t.Errorf("%v: selection keys differ (%s vs %s) or are not float64 (%s)", k, ka.Hash()[:8], kb.Hash()[:8], ka.Model.Precision)
				}
			}
		})
	}
}

// precisionResults returns finished results of rule at precision for
// seeds 1..len(lambda) with the given final λ_max, loss, gap and CPU
// seconds (NaN λ_max: the run diverged).
func precisionResults(rule, prec string, lambda, loss, gap []float64, cpu float64) []*results.Result {
	var out []*results.Result
	for i := range lambda {
		run := tinyBase()
		run.Rule, run.Seed, run.Model.Precision = rule, uint64(i+1), prec
		r := results.New(run, "precision", "generic")
		r.Metric = "mse"
		r.Status.State = results.Finished
		if math.IsNaN(lambda[i]) {
			r.Status = results.Status{State: results.Diverged, Step: 3, Reason: "test"}
		}
		r.Final.LambdaMax, r.Final.Loss, r.Final.Gap = results.Num(lambda[i]), results.Num(loss[i]), results.Num(gap[i])
		r.CPUSeconds, r.WallSeconds = cpu, 2*cpu
		out = append(out, r)
	}
	return out
}

func scaled(x []float64, a, b float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = a*v + b
	}
	return out
}

// TestPrecisionComparison checks the statistics and the agreement rule
// against values known by hand. λ_max at float64 is 10, 20, …, 100 (SD of
// its log 0.73302, sample SD), the loss 0.1, …, 1 and the gap 0.01, …, 0.1 (SD
// 0.03028, so the gap margin is 0.01514).
func TestPrecisionComparison(t *testing.T) {
	lam := []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	loss := scaled(lam, 0.01, 0)
	gap := scaled(lam, 0.001, 0)
	nan := math.NaN()
	for _, c := range []struct {
		name              string
		lam32, loss32     []float64
		gap32             []float64
		n                 int // seeds used (first n)
		lamRatio, gapDiff float64
		agree             [3]bool // λ, loss, gap
		verdict, why      string
	}{
		{"identical", lam, loss, gap, 10, 1, 0, [3]bool{true, true, true}, Agree, ""},
		{"λ doubled", scaled(lam, 2, 0), loss, gap, 10, 2, 0, [3]bool{false, true, true}, Disagree, "log λ_max shift"},
		{"gap shifted within margin", lam, loss, scaled(gap, 1, 0.01), 10, 1, 0.01, [3]bool{true, true, true}, Agree, ""},
		{"gap shifted beyond margin", lam, loss, scaled(gap, 1, 0.02), 10, 1, 0.02, [3]bool{true, true, false}, Disagree, "gap shift"},
		{"loss ×1.5", lam, scaled(loss, 1.5, 0), gap, 10, 1, 0, [3]bool{true, false, true}, Disagree, "log loss shift"},
		{"too few seeds", lam, loss, gap, 5, 1, 0, [3]bool{true, true, true}, Disagree, "5 seeds finished in both precisions, 10 needed"},
		{"one-sided divergence", append([]float64{nan}, lam[1:]...), loss, gap, 10, 1, 0, [3]bool{true, true, true}, Disagree, "1 seed(s) finished in one precision only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			runs := append(precisionResults("bptt", "float64", lam[:c.n], loss[:c.n], gap[:c.n], 10),
				precisionResults("bptt", "float32", c.lam32[:c.n], c.loss32[:c.n], c.gap32[:c.n], 5)...)
			rows := PrecisionComparison(runs)
			if len(rows) != 1 || rows[0].Rule != "BPTT" {
				t.Fatalf("rows %+v, want one for BPTT", rows)
			}
			r := rows[0]
			if math.Abs(r.LambdaRatio.GeoMean-c.lamRatio) > 1e-12 || math.Abs(r.GapDiff.Mean-c.gapDiff) > 1e-12 {
				t.Errorf("λ ratio %g (want %g), gap difference %g (want %g)", r.LambdaRatio.GeoMean, c.lamRatio, r.GapDiff.Mean, c.gapDiff)
			}
			if c.n == 10 && c.why == "" && math.Abs(r.Lambda.SDBetween-0.73302) > 1e-4 {
				t.Errorf("between-seed SD of log λ_max %g, want 0.73302 (sample SD)", r.Lambda.SDBetween)
			}
			if got := [3]bool{r.Lambda.Agree, r.Loss.Agree, r.Gap.Agree}; got != c.agree {
				t.Errorf("agreement %v, want %v (λ %+v, gap %+v)", got, c.agree, r.Lambda, r.Gap)
			}
			if r.Verdict != c.verdict || !strings.Contains(r.Why, c.why) {
				t.Errorf("verdict %q (%s), want %q (%s)", r.Verdict, r.Why, c.verdict, c.why)
			}
			if math.Abs(r.CPU.GeoMean-0.5) > 1e-12 || r.CPU32 != 5 || r.CPU64 != 10 {
				t.Errorf("CPU ratio %g, medians %g/%g; want 0.5, 5/10", r.CPU.GeoMean, r.CPU32, r.CPU64)
			}
			if math.Abs(r.Wall.GeoMean-0.5) > 1e-12 || r.Wall32 != 10 || r.Wall64 != 20 {
				t.Errorf("wall ratio %g, medians %g/%g; want 0.5, 10/20", r.Wall.GeoMean, r.Wall32, r.Wall64)
			}
		})
	}
}

// TestPrecisionRun runs the experiment at a tiny size with a two-rate
// selection: one selection per rule (not per precision), both precisions
// of a rule at the same rate, and a report with the comparison.
func TestPrecisionRun(t *testing.T) {
	spec, err := Lookup("precision")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := &Env{Experiment: spec.Name}
	p := Protocol{Mode: SelectGrid, Grid: []float64{1e-2, 3e-2}, Seeds: 1, Budget: 1}
	_, runs, err := env.RunExperiment(context.Background(), spec, tinyBase(), 2, RunOptions{Out: dir, Jobs: 2, Protocol: p})
	if err != nil {
		t.Fatal(err)
	}
	runs = withoutSelection(runs)
	if len(runs) != 2*4*2 {
		t.Fatalf("%d runs, want 2 precisions × 4 rules × 2 seeds", len(runs))
	}
	sels, _ := ReadSelections(dir)
	if len(sels) != 4 {
		t.Errorf("%d selections, want one per rule (4)", len(sels))
	}
	lr := map[rules.Kind]map[float64]bool{}
	for _, r := range runs {
		k := r.Config.Kind()
		if lr[k] == nil {
			lr[k] = map[float64]bool{}
		}
		lr[k][r.Config.Train.LR] = true
		if r.Status.State == results.Finished && !(r.CPUSeconds > 0) {
			t.Errorf("%s: CPU seconds %g", r.ID, r.CPUSeconds)
		}
	}
	for k, m := range lr {
		if len(m) != 1 {
			t.Errorf("%v trained at rates %v, want one", k, m)
		}
	}
	rows := PrecisionComparison(runs)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	for _, r := range rows {
		if r.Lambda.Pairs+r.OneSided > 2 || r.Verdict != Disagree || !strings.Contains(r.Why, "10 needed") {
			t.Errorf("%s: %d pairs, verdict %s (%s); two seeds cannot decide", r.Rule, r.Lambda.Pairs, r.Verdict, r.Why)
		}
	}
	a, err := WriteReport(dir, runs, spec.Report(spec.Title, "hessrnn run precision"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"float32 vs float64", "BPTT [float32]", "precision verdict: not every rule agrees"} {
		if !strings.Contains(a.Summary, s) {
			t.Errorf("summary lacks %q:\n%s", s, a.Summary)
		}
	}
	htmlPath, _, _ := ReportFiles(dir, spec.Name)
	html, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"float32 against float64, paired by seed", "Agreement rule (fixed in advance)"} {
		if !strings.Contains(string(html), s) {
			t.Errorf("report lacks %q", s)
		}
	}
}
