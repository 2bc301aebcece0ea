package experiment

import (
	"fmt"
	"math"
	"slices"
	"text/tabwriter"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/report"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
)

// Training precision (issue 15 §3): every seed of every paper rule is
// trained twice, with model.precision float32 and float64 and everything
// else identical — the seed (so the initial weights, data and noise), the
// learning rate (selected once per rule, in float64: selectionKey leaves
// the precision out) and the curvature, which is always computed in
// float64 from the (converted) weights. The report pairs the two runs of
// each seed.
//
// The agreement rule, fixed before any result was seen (METHOD.md,
// "Training precision"): for each rule and task, and for each quantity q
// of final log λ_max, final log training loss and generalisation gap, let
// d_i = q(float32, seed i) − q(float64, seed i) and s_b the between-seed
// standard deviation of q at float64. The quantity agrees when the 95%
// percentile-bootstrap interval of the mean d lies inside
// [−PrecisionMargin·s_b, +PrecisionMargin·s_b]: any systematic shift is
// smaller than half the seed-to-seed spread (an equivalence test with a
// standardised margin of 0.5). The rule agrees when all three quantities
// agree, at least PrecisionMinPairs seeds finished in both precisions and
// no seed finished in one precision only (divergence does not depend on
// the precision). Float32 may become the default only when every rule
// agrees on every task. The paired Wilcoxon p and the ratio SD(d)/s_b are
// reported beside the verdict, not part of it: SD(d)/s_b near 0 means the
// two precisions follow the same trajectory, near √2 that they end as far
// apart as two independent seeds (chaotic divergence of the trajectories,
// which by itself does not change the distribution).

// PrecisionMargin is the equivalence margin of the agreement rule, in
// units of the between-seed standard deviation at float64.
const PrecisionMargin = 0.5

// PrecisionMinPairs is the number of seeds that must finish in both
// precisions for a verdict.
const PrecisionMinPairs = 10

// Verdicts of the precision comparison.
const (
	Agree    = "agree"
	Disagree = "disagree"
)

// precisionSpec compares float32 with float64 training; its report is the
// "precision" part.
var precisionSpec = Spec{
	Name: "precision", Title: "Training precision: float32 against float64 training, paired by seed",
	Shows: "whether training in float32 (curvature in float64) changes the final λ_max, loss and gap beyond seed-to-seed variation, and the CPU time it saves: the four paper rules, each seed at both precisions with the same learning rate",
	parts: []string{"precision"},
	Seeds: PrecisionMinPairs,
	Plan:  single(precisionPlan),
}

func init() { specs = append(specs, precisionSpec) }

// precisionPlan runs the four paper rules on seeds 1..n, each seed in
// float64 and then in float32, pair after pair: an interrupted experiment
// leaves complete pairs.
func precisionPlan(b config.Run, n int) []config.Run {
	var out []config.Run
	for _, r := range perRule(b, n, config.PaperRules()...) {
		for _, p := range []string{"float64", "float32"} {
			r.Model.Precision = p
			out = append(out, r)
		}
	}
	return out
}

// Agreement is one quantity of the precision comparison of a rule: the
// paired differences d_i = q(float32) − q(float64) (q on a log scale for
// λ_max and the loss).
type Agreement struct {
	// Quantity names q ("log λ_max").
	Quantity string
	// Pairs is the number of seeds finished in both precisions.
	Pairs int
	// Mean is the mean of d, Lo and Hi its 95% bootstrap interval.
	Mean, Lo, Hi float64
	// SDDiff is the standard deviation of d and SDBetween that of q over
	// the seeds at float64.
	SDDiff, SDBetween float64
	// P is the two-sided paired Wilcoxon signed-rank p-value.
	P float64
	// Agree applies the agreement rule: [Lo, Hi] inside ±PrecisionMargin·SDBetween.
	Agree bool
}

// Standardised returns the mean shift in units of the between-seed SD
// (NaN when that is 0).
func (a Agreement) Standardised() float64 { return a.Mean / a.SDBetween }

// PrecisionRow is the comparison of one rule's float32 and float64 runs.
type PrecisionRow struct {
	Rule string
	// Finished32 and Finished64 count the finished runs of each
	// precision; OneSided counts the seeds finished in one precision only.
	Finished32, Finished64, OneSided int
	// Lambda, Loss and Gap are the three quantities of the rule.
	Lambda, Loss, Gap Agreement
	// LambdaRatio and LossRatio are the geometric-mean ratios
	// float32/float64 with their intervals and Wilcoxon tests.
	LambdaRatio, LossRatio stats.PairedRatio
	// GapDiff is the paired gap difference float32 − float64.
	GapDiff stats.PairedDifference
	// CPU is the paired ratio of CPU seconds per run float32/float64
	// (wall seconds where the CPU time was not recorded); CPU32 and CPU64
	// are the median seconds per run. The CPU time is the process's, a
	// run's own only with --jobs 1.
	CPU          stats.PairedRatio
	CPU32, CPU64 float64
	// Wall, Wall32 and Wall64 are the same for the wall seconds.
	Wall           stats.PairedRatio
	Wall32, Wall64 float64
	// Verdict is Agree or Disagree (the rule in the file comment).
	Verdict string
	// Why says which condition failed, for Disagree.
	Why string
}

// runSeconds is a run's CPU seconds, or its wall seconds where the CPU
// time was not recorded.
func runSeconds(r *results.Result) results.Num {
	if r.CPUSeconds > 0 {
		return results.Num(r.CPUSeconds)
	}
	return results.Num(r.WallSeconds)
}

func lossOf(r *results.Result) results.Num { return r.Final.Loss }

// PrecisionComparison compares the float32 and float64 runs of every
// paper rule among runs (one task), paired by seed. Rules without runs in
// both precisions are left out.
func PrecisionComparison(runs []*results.Result) []PrecisionRow {
	by := map[config.Label][]*results.Result{}
	for _, r := range withoutSelection(runs) {
		by[r.Config.Label()] = append(by[r.Config.Label()], r)
	}
	var rows []PrecisionRow
	for _, rule := range config.PaperRules() {
		l64 := config.Label{Rule: rule}
		l32 := l64
		l32.Variant.Float32 = true
		a, b := by[l32], by[l64]
		if len(a) == 0 || len(b) == 0 {
			continue
		}
		rows = append(rows, precisionRow(l64.String(), a, b))
	}
	return rows
}

// precisionRow compares the float32 runs a with the float64 runs b.
func precisionRow(rule string, a, b []*results.Result) PrecisionRow {
	row := PrecisionRow{Rule: rule, Finished32: finished(a), Finished64: finished(b)}
	fin := func(rs []*results.Result) map[uint64]bool {
		m := map[uint64]bool{}
		for _, r := range rs {
			m[r.Seed] = r.Status.State == results.Finished
		}
		return m
	}
	fa, fb := fin(a), fin(b)
	for s, ok := range fa {
		if okb, in := fb[s]; in && ok != okb {
			row.OneSided++
		}
	}
	seed := uint64(len(a) + len(b))
	x, y, _ := precisionPairs(a, b, lambdaOf)
	row.LambdaRatio, _ = stats.LogRatio(x, y, 0.95, 2000, seed)
	row.Lambda = agreement("log λ_max", logs(x), logs(y), seed)
	x, y, _ = precisionPairs(a, b, lossOf)
	row.LossRatio, _ = stats.LogRatio(x, y, 0.95, 2000, seed)
	row.Loss = agreement("log loss", logs(x), logs(y), seed)
	x, y, _ = precisionPairs(a, b, gapOf)
	row.GapDiff, _ = stats.PairedDiff(x, y, 0.95, 2000, seed)
	row.Gap = agreement("gap", x, y, seed)
	x, y, _ = precisionPairs(a, b, runSeconds)
	row.CPU, _ = stats.LogRatio(x, y, 0.95, 2000, seed)
	row.CPU32, row.CPU64 = stats.Quantile(x, 0.5), stats.Quantile(y, 0.5)
	x, y, _ = precisionPairs(a, b, func(r *results.Result) results.Num { return results.Num(r.WallSeconds) })
	row.Wall, _ = stats.LogRatio(x, y, 0.95, 2000, seed)
	row.Wall32, row.Wall64 = stats.Quantile(x, 0.5), stats.Quantile(y, 0.5)
	row.Verdict, row.Why = Agree, ""
	fail := func(why string) {
		row.Verdict = Disagree
		if row.Why != "" {
			row.Why += "; "
		}
		row.Why += why
	}
	if row.Lambda.Pairs < PrecisionMinPairs {
		fail(fmt.Sprintf("%d seeds finished in both precisions, %d needed", row.Lambda.Pairs, PrecisionMinPairs))
	}
	if row.OneSided > 0 {
		fail(fmt.Sprintf("%d seed(s) finished in one precision only", row.OneSided))
	}
	for _, q := range []Agreement{row.Lambda, row.Loss, row.Gap} {
		if !q.Agree {
			fail(q.Quantity + " shift outside ±" + fmt.Sprint(PrecisionMargin) + " between-seed SD")
		}
	}
	return row
}

// precisionPairs returns f of the finished runs of a and b with equal
// seeds and a finite f, in seed order.
func precisionPairs(a, b []*results.Result, f finalOf) (x, y []float64, lost int) {
	val := func(rs []*results.Result) map[uint64]float64 {
		m := map[uint64]float64{}
		for _, r := range rs {
			if v := f(r); r.Status.State == results.Finished && finite(v) {
				m[r.Seed] = float64(v)
			}
		}
		return m
	}
	va, vb := val(a), val(b)
	seen := map[uint64]bool{}
	var seeds []uint64
	for _, r := range append(append([]*results.Result(nil), a...), b...) {
		if !seen[r.Seed] {
			seen[r.Seed] = true
			seeds = append(seeds, r.Seed)
		}
	}
	slices.Sort(seeds)
	for _, s := range seeds {
		xa, oka := va[s]
		yb, okb := vb[s]
		if oka && okb {
			x, y = append(x, xa), append(y, yb)
		} else {
			lost++
		}
	}
	return x, y, lost
}

// finished counts the finished runs of rs.
func finished(rs []*results.Result) int {
	n := 0
	for _, r := range rs {
		if r.Status.State == results.Finished {
			n++
		}
	}
	return n
}

// logs returns the natural logarithms of x (NaN for a non-positive value).
func logs(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.NaN()
		if v > 0 {
			out[i] = math.Log(v)
		}
	}
	return out
}

// agreement applies the agreement rule to paired values x (float32) and
// y (float64); pairs with a NaN are left out.
func agreement(name string, x, y []float64, seed uint64) Agreement {
	a := Agreement{Quantity: name, Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), SDDiff: math.NaN(), SDBetween: math.NaN(), P: math.NaN()}
	var d, xs, ys []float64
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			continue
		}
		xs, ys, d = append(xs, x[i]), append(ys, y[i]), append(d, x[i]-y[i])
	}
	a.Pairs = len(d)
	if a.Pairs < 2 {
		return a
	}
	a.Mean = stats.Mean(d)
	_, a.SDDiff = stats.MeanStd(d)
	_, a.SDBetween = stats.MeanStd(ys)
	if lo, hi, err := stats.BootstrapCI(d, stats.Mean, 0.95, 2000, seed); err == nil {
		a.Lo, a.Hi = lo, hi
	}
	if w, err := stats.WilcoxonSignedRank(xs, ys); err == nil {
		a.P = w.P
	} else if equalPairs(xs, ys) {
		a.P = 1
	}
	m := PrecisionMargin * a.SDBetween
	a.Agree = !math.IsNaN(a.Lo) && a.Lo >= -m && a.Hi <= m
	return a
}

// fmtAgreement formats a quantity's mean shift with its interval, in
// units of the between-seed SD, and SD(d)/s_b.
func fmtAgreement(a Agreement) string {
	if math.IsNaN(a.Mean) {
		return "n/a"
	}
	return fmt.Sprintf("%+.3g [%+.3g, %+.3g]; s_b %.3g; shift/s_b %+.2f; SD(d)/s_b %.2f", a.Mean, a.Lo, a.Hi, a.SDBetween, a.Standardised(), a.SDDiff/a.SDBetween)
}

// precision draws the float32 against float64 comparison.
func (v *view) precision() {
	var runs []*results.Result
	for _, g := range v.groups {
		runs = append(runs, g.all...)
	}
	rows := PrecisionComparison(runs)
	if len(rows) == 0 {
		return
	}
	v.sec.Paragraphs = append(v.sec.Paragraphs, fmt.Sprintf(
		"Training precision: each seed trained in float32 and in float64 at the same learning rate (curvature in float64). "+
			"For each quantity q (log final λ_max, log final training loss, gap), d = q(float32) − q(float64) per seed and s_b = SD of q over the seeds at float64. "+
			"Agreement rule (fixed in advance): the 95%% bootstrap interval of mean d lies within ±%g·s_b for all three quantities, ≥ %d seeds finished in both precisions and no seed finished in one only. "+
			"The paired Wilcoxon p and SD(d)/s_b (≈0: same trajectory; ≈√2: as far apart as independent seeds) are reported, not part of the rule. CPU time is per run (process CPU time: a run's own only with --jobs 1; with more jobs it includes the concurrent runs', and the wall time, both precisions of a seed running side by side, is the fairer speed comparison).",
		PrecisionMargin, PrecisionMinPairs))
	t := report.Table{Caption: "float32 against float64, paired by seed", Header: []string{"rule", "finished f32/f64 (one-sided)",
		"λ_max ratio f32/f64 [95% CI]", "λ_max p", "log λ_max: shift [CI]; s_b; shift/s_b; SD(d)/s_b",
		"loss ratio [95% CI]", "loss p", "log loss: shift [CI]; s_b; shift/s_b; SD(d)/s_b",
		"gap difference [95% CI]", "gap p", "gap: shift [CI]; s_b; shift/s_b; SD(d)/s_b",
		"CPU s/run f32 / f64 (ratio)", "wall s/run f32 / f64 (ratio)", "verdict"}}
	fmt.Fprintf(&v.txt, "  float32 vs float64 (paired by seed; agree = 95%% CI of the mean shift within ±%g between-seed SD for log λ_max, log loss and gap):\n", PrecisionMargin)
	tw := tabwriter.NewWriter(&v.txt, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  rule\tpairs\tλ ratio [CI]\tλ shift/s_b\tloss ratio [CI]\tloss shift/s_b\tgap diff [CI]\tgap shift/s_b\tCPU s f32/f64\twall s f32/f64\tverdict\t\n")
	ratio := func(r stats.PairedRatio) string {
		if math.IsNaN(r.GeoMean) {
			return "n/a"
		}
		return fmt.Sprintf("×%.3g [%.3g, %.3g]", r.GeoMean, r.CILow, r.CIHigh)
	}
	diff := func(d stats.PairedDifference) string {
		if math.IsNaN(d.Mean) {
			return "n/a"
		}
		return fmt.Sprintf("%+.3g [%+.3g, %+.3g]", d.Mean, d.CILow, d.CIHigh)
	}
	sh := func(a Agreement) string {
		if math.IsNaN(a.Mean) {
			return "n/a"
		}
		return fmt.Sprintf("%+.2f (%s)", a.Standardised(), map[bool]string{true: "ok", false: "out"}[a.Agree])
	}
	all := true
	for _, r := range rows {
		verdict := r.Verdict
		if r.Why != "" {
			verdict += ": " + r.Why
		}
		all = all && r.Verdict == Agree
		cpu := fmt.Sprintf("%.3g / %.3g (%s)", r.CPU32, r.CPU64, ratio(r.CPU))
		wall := fmt.Sprintf("%.3g / %.3g (%s)", r.Wall32, r.Wall64, ratio(r.Wall))
		t.Rows = append(t.Rows, []string{r.Rule, fmt.Sprintf("%d/%d (%d)", r.Finished32, r.Finished64, r.OneSided),
			ratio(r.LambdaRatio), fmtP(r.LambdaRatio.Wilcoxon.P), fmtAgreement(r.Lambda),
			ratio(r.LossRatio), fmtP(r.LossRatio.Wilcoxon.P), fmtAgreement(r.Loss),
			diff(r.GapDiff), fmtP(r.GapDiff.Wilcoxon.P), fmtAgreement(r.Gap), cpu, wall, verdict})
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Rule, r.Lambda.Pairs, ratio(r.LambdaRatio), sh(r.Lambda),
			ratio(r.LossRatio), sh(r.Loss), diff(r.GapDiff), sh(r.Gap), fmt.Sprintf("%.3g/%.3g", r.CPU32, r.CPU64), fmt.Sprintf("%.3g/%.3g", r.Wall32, r.Wall64), verdict)
	}
	tw.Flush()
	overall := "every rule agrees on this task"
	if !all {
		overall = "not every rule agrees on this task: keep float64"
	}
	fmt.Fprintf(&v.txt, "  precision verdict: %s\n", overall)
	v.sec.Paragraphs = append(v.sec.Paragraphs, "Precision verdict: "+overall+" (float32 may become the default only when every rule agrees on every task).")
	v.sec.Tables = append(v.sec.Tables, t)
}
