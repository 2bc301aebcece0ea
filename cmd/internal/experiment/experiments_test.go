package experiment

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/rules"
)

// tinyBase is a pattern-generation base small enough to run every
// experiment's plan in a test.
func tinyBase() config.Run {
	r := config.Default()
	r.Model.N = 10
	r.PatternGen.NIn, r.PatternGen.Steps, r.PatternGen.TestDraws = 4, 10, 5
	r.Train.Iterations = 30
	r.Hessian.Every = 10
	return r
}

// TestExperimentReports runs every named experiment at a tiny size and
// checks that its report has the experiment's specific figures and tables.
func TestExperimentReports(t *testing.T) {
	want := map[string]struct {
		figs   []string
		tables []string
	}{
		"default":   {[]string{"lambda", "lambda_paired", "loss", "alpha", "gap_hist", "gap_vs_lambda", "theorem1", "theorem1_ratio"}, []string{"Theorem 1", "Paired by seed", "geometric mean", "median [IQR]"}},
		"fig2":      {[]string{"gap_hist", "gap_vs_lambda", "gap_vs_lambda_within"}, []string{"within each rule", "Pitman-Morgan", "Spearman ρ", "Pearson r (log λ_max)"}},
		"fig3":      {[]string{"lambda", "loss", "alpha"}, nil},
		"fig4":      {[]string{"lambda", "alpha", "matched_ratio"}, []string{"Three-factor theory vs Three-factor", "Three-factor theory vs BPTT", "paired by seed"}},
		"fig5":      {[]string{"lambda", "lr", "gap_strip"}, []string{"Three-factor [lr decay]"}},
		"fig6":      {[]string{"gap_strip", "matched_ratio"}, []string{"Three-factor theory vs Three-factor"}},
		"fig7":      {[]string{"gamma", "spectrum"}, []string{"Power-law decay coefficient", "γ Welch p"}},
		"fig8":      {[]string{"flatness"}, []string{"Relative flatness", "κ Welch p"}},
		"fig9":      {[]string{"lambda", "trunc"}, []string{"truncation window K", "TBPTT(1)", "TBPTT(10)"}},
		"fig10":     {[]string{"alignment", "alignment_training"}, []string{"Energy fraction", "Wilcoxon"}},
		"fig11":     {[]string{"lambda", "loss", "lambda_paired"}, []string{"Three-factor [adam] (vs BPTT [adam])"}},
		"fig12":     {[]string{"gap_vs_lambda_within", "lambda", "alpha"}, []string{"within each rule", "Three-factor theory vs Three-factor"}},
		"table1":    {[]string{"lambda"}, []string{"Appendix Table 1", "BPTT [early-stopped]", "multiple of 50 iterations"}},
		"theorem1":  {[]string{"theorem1", "theorem1_ratio", "alpha"}, []string{"Theorem 1", "2/(αη)"}},
		"precision": {[]string{"lambda", "loss"}, []string{"float32 against float64, paired by seed", "BPTT [float32]", "Precision verdict"}},
		"dynamics": {[]string{"dsa_heatmap", "contraction_vs_gap_lambda", "kappa_min", "gap_hist"},
			[]string{"Do the distances separate the rules?", "DSA angular", "1 − CKA", "Contraction rate against", "optimised diagonal metric", "κ_min"}},
	}
	for _, spec := range Specs() {
		if spec.Name == "sensitivity" {
			continue // its own report: TestSensitivity
		}
		w, ok := want[spec.Name]
		if !ok {
			t.Errorf("experiment %s has no test expectations", spec.Name)
			continue
		}
		t.Run(spec.Name, func(t *testing.T) {
			dir := t.TempDir()
			env := &Env{Experiment: spec.Name}
			sum, runs, err := env.RunExperiment(context.Background(), spec, tinyBase(), 3, RunOptions{Out: dir, Jobs: 2})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Failed > 0 || len(runs) == 0 {
				t.Fatalf("summary %+v, %d results", sum, len(runs))
			}
			if _, err := WriteReport(dir, runs, spec.Report(spec.Title, "hessrnn run "+spec.Name)); err != nil {
				t.Fatal(err)
			}
			htmlPath, _, figDir := ReportFiles(dir, spec.Name)
			for _, f := range w.figs {
				for _, ext := range []string{".png", ".svg"} {
					if st, err := os.Stat(filepath.Join(figDir, "patterngen_"+f+ext)); err != nil || st.Size() < 1000 {
						t.Errorf("figure %s%s missing or tiny: %v", f, ext, err)
					}
				}
			}
			if spec.Name == "dynamics" {
				for _, f := range []string{"patterngen_dynamics.csv", "patterngen_contraction.csv", "weights-final"} {
					if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
						t.Errorf("dynamics output %s: %v", f, err)
					}
				}
			}
			html, err := os.ReadFile(htmlPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range w.tables {
				if !strings.Contains(string(html), s) {
					t.Errorf("report lacks %q", s)
				}
			}
		})
	}
}

// TestReportIsTheExperiments runs fig2 and then theorem1 in the same
// directory: theorem1 reuses fig2's runs (same configurations), and its
// report must still be Theorem 1's, in its own files, with fig2's intact.
func TestReportIsTheExperiments(t *testing.T) {
	dir := t.TempDir()
	reports := map[string]Analysis{}
	for _, name := range []string{"fig2", "theorem1"} {
		spec, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		env := &Env{Experiment: name}
		sum, runs, err := env.RunExperiment(context.Background(), spec, tinyBase(), 3, RunOptions{Out: dir, Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		if name == "theorem1" && (sum.Skipped != sum.Total || sum.Total != 12) {
			t.Errorf("theorem1 after fig2: %s, want its 12 runs skipped (computed by fig2)", sum)
		}
		a, err := WriteReport(dir, runs, spec.Report(spec.Title, "hessrnn run "+name))
		if err != nil {
			t.Fatal(err)
		}
		reports[name] = a
	}
	for _, c := range []struct {
		name      string
		has, lack []string
	}{
		{"fig2", []string{"gap vs λ_max", "within each rule"}, []string{"Theorem 1"}},
		{"theorem1", []string{"Theorem 1", "2/(αη)"}, []string{"within each rule", "Histogram of the generalisation gap"}},
	} {
		htmlPath, _, _ := ReportFiles(dir, c.name)
		html, err := os.ReadFile(htmlPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range c.has {
			if !strings.Contains(string(html), s) {
				t.Errorf("%s report lacks %q", c.name, s)
			}
		}
		for _, s := range c.lack {
			if strings.Contains(string(html), s) {
				t.Errorf("%s report has %q, which belongs to another experiment", c.name, s)
			}
		}
	}
	if s := reports["theorem1"].Summary; !strings.Contains(s, "Theorem 1") || strings.Contains(s, "within") {
		t.Errorf("theorem1 summary is not Theorem 1's:\n%s", s)
	}
	// The reused runs record theorem1 too, so that a report of the folder
	// (hessrnn report) finds them for theorem1; fig2's own runs stay fig2's.
	set, err := results.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]int{}
	for _, r := range set.Runs {
		for _, e := range []string{"fig2", "theorem1"} {
			if r.BelongsTo(e) {
				in[e]++
			}
		}
		if r.Experiment != "fig2" {
			t.Errorf("run %s: experiment %q, want fig2 (which computed it)", r.ID, r.Experiment)
		}
	}
	if in["fig2"] != 12 || in["theorem1"] != 12 {
		t.Errorf("runs belonging to fig2 and theorem1: %v, want 12 each", in)
	}
}

// TestPhaseCounts checks that a two-phase experiment (table1) counts each
// planned run once: the counts add up to the total.
func TestPhaseCounts(t *testing.T) {
	spec, err := Lookup("table1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := &Env{Experiment: spec.Name}
	for _, rerun := range []bool{false, true} {
		sum, runs, err := env.RunExperiment(context.Background(), spec, tinyBase(), 2, RunOptions{Out: dir, Jobs: 2})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total != 4 || len(runs) != 4 || sum.Finished+sum.Diverged+sum.Failed+sum.Skipped+sum.Interrupted != sum.Total {
			t.Errorf("rerun %v: %s with %d results, want 4 runs whose counts add up", rerun, sum, len(runs))
		}
		if rerun && sum.Skipped != 4 {
			t.Errorf("rerun: %s, want 4 skipped", sum)
		}
	}
}

// TestPartsListed checks that every experiment's parts exist and that part
// names are unique.
func TestPartsListed(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range reportParts {
		if seen[p.name] || p.draw == nil || p.about == "" {
			t.Errorf("part %q: duplicate, or no draw or about", p.name)
		}
		seen[p.name] = true
	}
	for _, s := range Specs() {
		for _, n := range s.parts {
			if !seen[n] {
				t.Errorf("experiment %s lists unknown part %q", s.Name, n)
			}
		}
	}
	if _, err := Analyze(nil, t.TempDir(), []string{"nope"}); err == nil {
		t.Error("Analyze accepted an unknown part")
	}
}

// synthetic returns finished results of rule for seeds 1..len(lambda) with
// the given final λ_max and gap (NaN λ_max: the run diverged).
func synthetic(rule string, lambda, gap []float64) []*results.Result {
	var out []*results.Result
	for i := range lambda {
		run := tinyBase()
		run.Rule, run.Seed = rule, uint64(i+1)
		r := results.New(run, "default", "generic")
		r.Metric = "mse"
		r.Status.State = results.Finished
		if math.IsNaN(lambda[i]) {
			r.Status = results.Status{State: results.Diverged, Step: 3, Reason: "test"}
		}
		r.Final.LambdaMax, r.Final.Gap = results.Num(lambda[i]), results.Num(gap[i])
		out = append(out, r)
	}
	return out
}

// TestPairedReport checks the paired statistics in a report against values
// known by hand: Three-factor's λ_max is 2 to 6 times BPTT's (geometric
// mean ratio 720^(1/5) = 3.728) and its gap 0.01 to 0.05 larger (mean
// 0.03); with all 5 pairs the exact Wilcoxon p is 2/2⁵, and with one
// Three-factor run diverged, 4 pairs remain (p = 2/2⁴) and the report says
// one pair was lost.
func TestPairedReport(t *testing.T) {
	nan := math.NaN()
	bptt := synthetic("bptt", []float64{10, 20, 30, 40, 50}, []float64{0.1, 0.2, 0.3, 0.4, 0.5})
	gaps := []float64{0.11, 0.22, 0.33, 0.44, 0.55}
	for _, c := range []struct {
		name   string
		tf     []float64
		has    []string
		hasNot []string
	}{
		{"all pairs", []float64{20, 60, 120, 200, 300},
			[]string{"Three-factor λ_max ×3.73 [", "larger in 5/5 pairs, Wilcoxon p = 0.0625", "gap +0.03 [", "30 [20, 40]", "120 [60, 200]"}, []string{"lost"}},
		{"one diverged", []float64{20, 60, nan, 200, 300},
			[]string{"larger in 4/4 pairs, Wilcoxon p = 0.1250 (1 pair lost", "(+1 diverged"}, nil},
	} {
		runs := append(append([]*results.Result(nil), bptt...), synthetic("three-factor", c.tf, gaps)...)
		a, err := Analyze(runs, t.TempDir(), []string{"summary", "bptt"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range c.has {
			if !strings.Contains(a.Summary, s) {
				t.Errorf("%s: summary lacks %q:\n%s", c.name, s, a.Summary)
			}
		}
		for _, s := range c.hasNot {
			if strings.Contains(a.Summary, s) {
				t.Errorf("%s: summary has %q:\n%s", c.name, s, a.Summary)
			}
		}
	}
}

// TestPlans checks the experiment-specific settings of the plans.
func TestPlans(t *testing.T) {
	base := tinyBase()
	plan := func(name string, done []*results.Result) ([]config.Run, bool) {
		s, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		return s.Plan(base, 2, done)
	}
	runs, _ := plan("fig5", nil)
	decayed := 0
	for _, r := range runs {
		if r.Train.Schedule == "step" {
			decayed++
			if r.Rule != "three-factor" || r.Train.LR != 3*base.Train.LR || r.Train.DecayFactor != 0.8 {
				t.Errorf("fig5 decayed run %+v", r.Train)
			}
			if r.Resolve().Train.DecayEvery != base.Train.Iterations/30 {
				t.Errorf("fig5 decays every %d", r.Resolve().Train.DecayEvery)
			}
		}
	}
	if decayed != 2 {
		t.Errorf("fig5: %d decayed runs", decayed)
	}
	runs, _ = plan("fig12", nil)
	for _, r := range runs {
		if r.Train.LR != 3*base.Train.LR {
			t.Errorf("fig12 lr %g", r.Train.LR)
		}
	}
	runs, _ = plan("fig11", nil)
	if runs[0].Train.Optimizer != "adam" || runs[0].Train.LR != 1e-3 {
		t.Errorf("fig11 %+v", runs[0].Train)
	}
	b2 := base
	b2.Train.LR = 5e-4
	s, _ := Lookup("fig11")
	if r, _ := s.Plan(b2, 1, nil); r[0].Train.LR != 5e-4 {
		t.Errorf("fig11 ignored the chosen rate: %g", r[0].Train.LR)
	}
	runs, _ = plan("fig9", nil)
	ks := map[int]bool{}
	for _, r := range runs {
		ks[r.Train.TruncK] = true
	}
	for _, k := range []int{1, 2, 4, 8, 10} {
		if !ks[k] {
			t.Errorf("fig9 lacks K = %d (has %v)", k, ks)
		}
	}
	runs, _ = plan("fig7", nil)
	if runs[0].Hessian.TopK != min(200, 10*9-1) {
		t.Errorf("fig7 top-k %d", runs[0].Hessian.TopK)
	}
	s7, _ := Lookup("fig7")
	if r, _ := s7.Plan(config.Default(), 1, nil); r[0].Hessian.TopK != 200 {
		t.Errorf("fig7 top-k at the task's default N: %d, want 200", r[0].Hessian.TopK)
	}
	// table1: phase 1 is Three-factor only; phase 2 adds BPTT stopped at
	// Three-factor's mean test metric.
	runs, more := plan("table1", nil)
	if !more || len(runs) != 2 || runs[0].Rule != "three-factor" {
		t.Fatalf("table1 phase 1: %d runs, more %v", len(runs), more)
	}
	done := []*results.Result{
		{Config: runs[0], Status: results.Status{State: results.Finished}, Final: results.Final{TestMetric: 0.2}},
		{Config: runs[1], Status: results.Status{State: results.Finished}, Final: results.Final{TestMetric: 0.4}},
	}
	runs, more = plan("table1", done)
	if more || len(runs) != 4 || runs[3].Rule != "bptt" || runs[3].Train.StopAtTest != 0.30000000000000004 && runs[3].Train.StopAtTest != 0.3 {
		t.Errorf("table1 phase 2: %d runs, more %v, last %+v", len(runs), more, runs[len(runs)-1].Train)
	}
}

func TestLabelOrder(t *testing.T) {
	l := func(k rules.Kind, K int, v config.Variant) config.Label {
		return config.Label{Rule: k, K: K, Variant: v}
	}
	adam := config.Variant{Optimizer: "adam"}
	want := []config.Label{
		l(rules.BPTT, 0, config.Variant{}), l(rules.EProp, 0, config.Variant{}), l(rules.RFLO, 0, config.Variant{}),
		l(rules.MDGL, 0, config.Variant{}), l(rules.MatchedBPTT, 0, config.Variant{}),
		l(rules.BPTT, 0, adam), // the rest by text: "BPTT [adam]" < "TBPTT(…)" < "Three-factor [lr decay]"
		l(rules.TBPTT, 2, config.Variant{}), l(rules.TBPTT, 10, config.Variant{}), l(rules.TBPTT, 20, config.Variant{}),
		l(rules.EProp, 0, config.Variant{Decay: true}),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		in := slices.Clone(want)
		rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		if got := labelOrder(in); !slices.Equal(got, want) {
			t.Fatalf("labelOrder = %v, want %v", got, want)
		}
	}
}

// TestGroupMatching: the report finds groups by typed label: the BPTT
// reference of a variant is BPTT with the same variant, else plain BPTT.
func TestGroupMatching(t *testing.T) {
	run := func(rule, opt string, stop float64) *results.Result {
		r := config.Default()
		r.Rule, r.Train.Optimizer, r.Train.StopAtTest = rule, opt, stop
		return &results.Result{Config: r, Label: r.Label().String(), Status: results.Status{State: results.Finished}}
	}
	v := &view{groups: groupsOf([]*results.Result{
		run("bptt", "sgd", 0), run("bptt", "adam", 0), run("three-factor", "adam", 0),
		run("mdgl", "momentum", 0), run("bptt", "sgd", 0.5), run("three-factor-theory", "sgd", 0),
	})}
	var labels []string
	for _, g := range v.groups {
		labels = append(labels, g.label)
	}
	if want := "BPTT,Three-factor theory,BPTT [adam],BPTT [early-stopped],MDGL [momentum],Three-factor [adam]"; strings.Join(labels, ",") != want {
		t.Errorf("groups %v, want %s", labels, want)
	}
	for _, tc := range []struct {
		of   config.Label
		want string
	}{
		{config.Label{Rule: rules.EProp, Variant: config.Variant{Optimizer: "adam"}}, "BPTT [adam]"},
		{config.Label{Rule: rules.MDGL, Variant: config.Variant{Optimizer: "momentum"}}, "BPTT"},
		{config.Label{Rule: rules.MatchedBPTT}, "BPTT"},
	} {
		if g := v.bpttFor(tc.of); g == nil || g.label != tc.want {
			t.Errorf("bpttFor(%v) = %v, want %s", tc.of, g, tc.want)
		}
	}
	if g := v.group(config.Label{Rule: rules.MatchedBPTT}); g == nil || len(g.runs) != 1 {
		t.Errorf("group(Three-factor theory) = %v", g)
	}
	if !labelled(config.Label{Rule: rules.MatchedBPTT})(v.groups[1].runs[0]) || labelled(config.Label{Rule: rules.MatchedBPTT})(v.groups[0].runs[0]) {
		t.Errorf("labelled does not match the run's typed label")
	}
}

func TestAllPositive(t *testing.T) {
	for _, c := range []struct {
		x    []float64
		want bool
	}{
		{[]float64{1, 10, 49}, true},
		{[]float64{-1, 100}, false},
		{[]float64{0, 1}, false},
		{[]float64{math.NaN(), 1}, false},
		{nil, false},
	} {
		if got := allPositive(c.x); got != c.want {
			t.Errorf("allPositive(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

func TestFmtP(t *testing.T) {
	for p, want := range map[float64]string{0: "< 1e-16", 3e-7: "3.0e-07", 0.01234: "0.0123", math.NaN(): "n/a"} {
		if got := fmtP(p); got != want {
			t.Errorf("fmtP(%g) = %q, want %q", p, got, want)
		}
	}
}
