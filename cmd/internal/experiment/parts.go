package experiment

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/plots"
	"github.com/hessrnn/hessrnn/cmd/internal/report"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
	"github.com/hessrnn/hessrnn/rules"
)

// part is one piece of a report, as data: adding a figure or table is one
// value in reportParts and its name in the experiments that show it.
type part struct {
	// name is how experiments list the part (Spec.parts).
	name string
	// about says what the part shows and which figure of the paper it is.
	about string
	// every marks the parts that every report has.
	every bool
	// needs reports whether a finished run holds the data the part draws;
	// the part is drawn when at least one run of the task does. nil: any run.
	needs func(*results.Result) bool
	// draw adds the part's tables, figures and summary lines to the view.
	draw func(*view)
}

// reportParts lists every part, in the order a report shows them.
var reportParts = []part{
	{name: "summary", about: "final values per rule", every: true, draw: (*view).summary},
	{name: "bptt", about: "each rule against BPTT, unpaired and paired by seed", every: true, draw: (*view).testsVsBPTT},
	{name: "lambda", about: "λ_max along training (Fig. 3)", every: true, needs: anyCheckpoint(lambdaAt), draw: (*view).lambda},
	{name: "loss", about: "training loss along training", every: true, needs: anyCheckpoint(func(c results.Checkpoint) results.Num { return c.Loss }), draw: (*view).loss},
	{name: "alpha", about: "Eq. 6 step length α and cos along training", needs: anyCheckpoint(func(c results.Checkpoint) results.Num { return c.Alpha }), draw: (*view).alpha},
	{name: "matched", about: "Three-factor theory against Three-factor and BPTT (Fig. 4, 12 C)", needs: labelled(config.Label{Rule: rules.MatchedBPTT}), draw: (*view).matched},
	{name: "lr", about: "learning rate along training (Fig. 5)", draw: (*view).lr},
	{name: "gapstrip", about: "gap per rule as a strip plot (Fig. 5, 6)", needs: anyFinal(gapOf), draw: (*view).gapStrip},
	{name: "gap", about: "gap histograms, pooled gap vs λ_max (Fig. 2)", needs: anyFinal(gapOf), draw: (*view).gap},
	{name: "within", about: "gap vs λ_max within each rule (Fig. 12 A–B)", needs: anyFinal(gapOf), draw: (*view).within},
	{name: "trunc", about: "final λ_max against the TBPTT window K (Fig. 9)", needs: func(r *results.Result) bool { return r.Config.Kind() == rules.TBPTT }, draw: (*view).trunc},
	{name: "spectrum", about: "top-k spectrum and power-law γ (Fig. 7)", needs: anyFinal(func(r *results.Result) results.Num { return r.Final.Gamma }), draw: (*view).spectrum},
	{name: "flatness", about: "relative flatness κ (Fig. 8)", needs: anyFinal(func(r *results.Result) results.Num { return r.Final.Flatness }), draw: (*view).flatness},
	{name: "align", about: "alignment of ε and g with the top-k eigenvectors (Fig. 10)", needs: anyCheckpoint(func(c results.Checkpoint) results.Num { return c.AlignEps }), draw: (*view).align},
	{name: "table1", about: "early-stopped BPTT against Three-factor (Table 1)", needs: func(r *results.Result) bool { return r.Config.Train.StopAtTest != 0 }, draw: (*view).table1},
	{name: "theorem", about: "λ_max against 2/η and 2/(αη) (Theorem 1)", needs: func(r *results.Result) bool { return r.Config.Train.Optimizer == "sgd" }, draw: (*view).theorem},
	{name: "dynamics", about: "DSA and geometric distances between the trained networks, contraction rates vs gap and λ_max (dynamics.go; needs the final weights)", needs: anyFinal(gapOf), draw: (*view).dynamics},
	{name: "precision", about: "float32 against float64 training, paired by seed (precision.go)", needs: func(r *results.Result) bool { return r.Config.Model.Precision == "float32" }, draw: (*view).precision},
	{name: "kappa", about: "κ_min of the rule's metric along training (dynamics.go)", needs: anyCheckpoint(func(c results.Checkpoint) results.Num { return c.Cos }), draw: (*view).kappa},
}

// anyCheckpoint is a part's needs: the run has a finite f at a checkpoint.
func anyCheckpoint(f func(results.Checkpoint) results.Num) func(*results.Result) bool {
	return func(r *results.Result) bool {
		for _, c := range r.Trajectory {
			if finite(f(c)) {
				return true
			}
		}
		return false
	}
}

// anyFinal is a part's needs: the run has a finite final f.
func anyFinal(f finalOf) func(*results.Result) bool {
	return func(r *results.Result) bool { return finite(f(r)) }
}

// labelled is a part's needs: the run has this label.
func labelled(l config.Label) func(*results.Result) bool {
	return func(r *results.Result) bool { return r.Config.Label() == l }
}

// lookupPart returns the part with this name.
func lookupPart(name string) (part, bool) {
	for _, p := range reportParts {
		if p.name == name {
			return p, true
		}
	}
	return part{}, false
}

// partsOf returns the names of the parts of the named experiments'
// reports: the parts every report has and those each experiment lists;
// for an unknown experiment (a sweep), every part (each is drawn when its
// data is present).
func partsOf(experiments []string) []string {
	on := map[string]bool{}
	for _, e := range experiments {
		s, err := Lookup(e)
		if err != nil || len(s.parts) == 0 {
			for _, p := range reportParts {
				on[p.name] = true
			}
			continue
		}
		for _, p := range s.parts {
			on[p] = true
		}
	}
	var out []string
	for _, p := range reportParts {
		if p.every || on[p.name] {
			out = append(out, p.name)
		}
	}
	return out
}

// view is the analysis of one task's runs: the groups (one per label) and
// the report section, text summary and figures being built.
type view struct {
	task, title, metric, gapDef string
	groups                      []*group
	figDir                      string
	sec                         report.Section
	txt                         strings.Builder
	figs                        []string
}

func (v *view) save(p *plot.Plot, name, caption string) {
	svg, err := plots.Save(p, v.figDir, v.task+"_"+name)
	v.addFigure(svg, err, name, caption)
}

func (v *view) savePanels(g plots.Panels, name, caption string) {
	svg, err := plots.SavePanels(g, v.figDir, v.task+"_"+name)
	v.addFigure(svg, err, name, caption)
}

func (v *view) addFigure(svg []byte, err error, name, caption string) {
	name = v.task + "_" + name
	if err != nil {
		v.sec.Paragraphs = append(v.sec.Paragraphs, "Figure "+name+" failed: "+err.Error())
		return
	}
	v.figs = append(v.figs, filepath.Join(v.figDir, name+".png"), filepath.Join(v.figDir, name+".svg"))
	rel := filepath.Base(v.figDir)
	v.sec.Figures = append(v.sec.Figures, report.Figure{Caption: caption, SVG: svg, Files: []string{rel + "/" + name + ".png", rel + "/" + name + ".svg"}})
}

func (v *view) group(l config.Label) *group {
	for _, g := range v.groups {
		if g.key == l {
			return g
		}
	}
	return nil
}

// finalOf is a per-run final quantity.
type finalOf func(*results.Result) results.Num

func gapOf(r *results.Result) results.Num { return r.Final.Gap }

// lambdaOf is the final λ_max the reports use: the magnitude |λ| of the
// dominant (largest-magnitude) eigenvalue of the W_rec Hessian, averaged
// over the final Hessian batches. Spec §4.2: the paper's power iteration
// estimates ‖Hv‖, the magnitude of the dominant eigenvalue, whatever its
// sign; the recorded value (Final.LambdaMax, the mean of the per-batch
// values) keeps the sign that Lanczos found, so a run that ends at a
// negative dominant eigenvalue has a negative record and a positive
// |λ_max| here, as in the paper. NaN when a batch value is missing.
func lambdaOf(r *results.Result) results.Num {
	if lb := r.Final.LambdaBatches; lb != nil && len(lb.Values) > 0 {
		var s float64
		for _, v := range lb.Values {
			s += math.Abs(float64(v))
		}
		return results.Num(s / float64(len(lb.Values)))
	}
	return results.Num(math.Abs(float64(r.Final.LambdaMax)))
}

// lambdaAt is |λ_max| at a checkpoint of the trajectory (lambdaOf).
func lambdaAt(c results.Checkpoint) results.Num {
	return results.Num(math.Abs(float64(c.Lambda.Value)))
}

// signedNegative counts the finished runs of rs whose recorded final
// λ_max (signed) is negative: runs whose dominant eigenvalue is negative,
// reported by their magnitude (lambdaOf).
func signedNegative(rs []*results.Result) int {
	n := 0
	for _, r := range rs {
		if r.Status.State == results.Finished && float64(r.Final.LambdaMax) < 0 {
			n++
		}
	}
	return n
}

// convergedAlpha is the run's mean α over the last quarter of its
// checkpoints (at least one): the step length "at convergence" that
// Theorem 1's bound 2/(αη) uses. NaN for BPTT.
func convergedAlpha(r *results.Result) results.Num {
	var a []float64
	for _, c := range r.Trajectory {
		if finite(c.Alpha) {
			a = append(a, float64(c.Alpha))
		}
	}
	if len(a) == 0 {
		return results.NaN()
	}
	a = a[len(a)-max(1, len(a)/4):]
	return results.Num(stats.Mean(a))
}

// finalLR is the learning rate in force at the run's last checkpoint.
func finalLR(r *results.Result) float64 {
	if len(r.Trajectory) == 0 {
		return math.NaN()
	}
	return float64(r.Trajectory[len(r.Trajectory)-1].LR)
}

// ci formats the 95% bootstrap interval of the mean of x.
func ci(x []float64, seed uint64) string {
	lo, hi, err := stats.BootstrapCI(x, stats.Mean, 0.95, 2000, seed)
	if err != nil {
		return "n/a"
	}
	return fmt.Sprintf("[%.4g, %.4g]", lo, hi)
}

// compare returns Welch and Mann-Whitney p-values of x against y.
func compare(x, y []float64) (welch, mw string) {
	w, err1 := stats.Welch(x, y)
	m, err2 := stats.MannWhitney(x, y)
	welch, mw = "n/a", "n/a"
	if err1 == nil {
		welch = fmtP(w.P)
	}
	if err2 == nil {
		mw = fmtP(m.P)
	}
	return welch, mw
}

func analyzeTask(tname string, runs []*results.Result, figDir string, parts []string) ([]report.Section, string, []string, error) {
	v := &view{task: tname, title: taskTitle(tname, runs), groups: groupsOf(runs), figDir: figDir, metric: runs[0].Metric}
	v.gapDef = "train accuracy − test accuracy"
	if v.metric == "mse" {
		v.gapDef = "test MSE − train MSE"
	}
	v.sec.Heading = v.title
	v.sec.Paragraphs = append(v.sec.Paragraphs, fmt.Sprintf(
		"%d runs. Metric: %s; generalisation gap = %s (larger is worse). λ_max is the leading eigenvalue of the Hessian of the training loss with respect to W_rec at the end of training; it spans orders of magnitude, so it is summarised by the median and interquartile range [first quartile, third quartile] and compared on a log scale (ratios). Other values are mean ± std over the finished runs of each rule; the intervals are 95%% bootstrap confidence intervals.",
		len(runs), v.metric, v.gapDef))
	fmt.Fprintf(&v.txt, "%s (%d runs)\n", v.title, len(runs))
	on := map[string]bool{}
	for _, n := range parts {
		on[n] = true
	}
	for _, p := range reportParts {
		if on[p.name] && v.has(p) {
			p.draw(v)
		}
	}
	return []report.Section{v.sec}, v.txt.String(), v.figs, nil
}

// has reports whether some finished run of the view holds p's data.
func (v *view) has(p part) bool {
	if p.needs == nil {
		return true
	}
	for _, g := range v.groups {
		for _, r := range g.runs {
			if p.needs(r) {
				return true
			}
		}
	}
	return false
}

// quantity is a per-run final value of the summary table, as data: a new
// per-run quantity is one value in summaryQuantities.
type quantity struct {
	// header is the column header in the HTML report; "METRIC" stands for the
	// task's metric ("accuracy", "mse").
	header string
	// short is the column header in the terminal table; "" leaves the
	// quantity out of it.
	short string
	// of reads the quantity from a run.
	of finalOf
	// ciSeed, when not 0, adds a column with the 95% bootstrap interval
	// of the mean, resampled with seed 2·(group index) + ciSeed.
	ciSeed uint64
	// format summarises the runs' values; nil is mean ± std (fmtMS).
	format func([]float64) string
}

// summaryQuantities are the columns of the summary table, in order.
var summaryQuantities = []quantity{
	{header: "train loss", short: "final loss", of: func(r *results.Result) results.Num { return r.Final.Loss }},
	{header: "train METRIC", of: func(r *results.Result) results.Num { return r.Final.TrainMetric }},
	{header: "test METRIC", short: "test METRIC", of: func(r *results.Result) results.Num { return r.Final.TestMetric }},
	{header: "gap", short: "gap", of: gapOf, ciSeed: 1},
	{header: "λ_max median [IQR]", short: "λ_max median [IQR]", of: lambdaOf, format: fmtSpread},
	{header: "mean α", short: "mean α", of: func(r *results.Result) results.Num { return r.Final.MeanAlpha }},
	{header: "final ‖∇L‖", short: "‖∇L‖", of: func(r *results.Result) results.Num { return r.Final.GradNorm }},
}

// extraTestOf reads field of a run's score on the extra test set named set
// (results.Final.ExtraTests), NaN for a run without one: e.g. the gap on
// seqMNIST's clean test set is extraTestOf(task.SeqMNISTCleanTest,
// func(sc results.SetScore) results.Num { return sc.Gap }).
func extraTestOf(set string, field func(results.SetScore) results.Num) finalOf {
	return func(r *results.Result) results.Num {
		if sc, ok := r.Final.ExtraTest(set); ok {
			return field(sc)
		}
		return results.NaN()
	}
}

// extraTestQuantities returns summaryQuantities with, after the test
// metric, a column for each extra test set (results.Final.ExtraTests) that a
// run of the view has, in order of first appearance ("test-clean" is "clean
// test METRIC"). A view without extra test sets gets summaryQuantities.
func (v *view) extraTestQuantities() []quantity {
	var sets []string
	for _, g := range v.groups {
		for _, r := range g.all {
			for _, sc := range r.Final.ExtraTests {
				if !slices.Contains(sets, sc.Set) {
					sets = append(sets, sc.Set)
				}
			}
		}
	}
	if len(sets) == 0 {
		return summaryQuantities
	}
	var out []quantity
	for _, q := range summaryQuantities {
		out = append(out, q)
		if q.header != "test METRIC" {
			continue
		}
		for _, set := range sets {
			name := set + " METRIC"
			if rest, ok := strings.CutPrefix(set, "test-"); ok {
				name = rest + " test METRIC"
			}
			out = append(out, quantity{header: name, short: name, of: extraTestOf(set, func(sc results.SetScore) results.Num { return sc.Metric })})
		}
	}
	return out
}

// summary is the table of final values per rule (every report): the
// summaryQuantities and the extra test sets' metrics
// (extraTestQuantities), in the HTML report and (those with a short name)
// in the terminal table.
func (v *view) summary() {
	quantities := v.extraTestQuantities()
	metric := func(h string) string { return strings.ReplaceAll(h, "METRIC", v.metric) }
	t := report.Table{Caption: "Final values per rule", Header: []string{"rule", "finished", "diverged", "failed"}}
	tw := tabwriter.NewWriter(&v.txt, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  rule\tn\t")
	for _, q := range quantities {
		t.Header = append(t.Header, metric(q.header))
		if q.ciSeed != 0 {
			t.Header = append(t.Header, metric(q.header)+" 95% CI")
		}
		if q.short != "" {
			fmt.Fprintf(tw, "%s\t", metric(q.short))
		}
	}
	fmt.Fprint(tw, "\n")
	for i, g := range v.groups {
		row := []string{g.label, fmt.Sprint(len(g.runs)), fmt.Sprint(g.diverged), fmt.Sprint(g.failed)}
		fmt.Fprintf(tw, "  %s\t%d\t", g.label, len(g.runs))
		for _, q := range quantities {
			x := g.final(q.of)
			format := fmtMS
			if q.format != nil {
				format = q.format
			}
			row = append(row, format(x))
			if q.ciSeed != 0 {
				row = append(row, ci(x, uint64(2*i)+q.ciSeed))
			}
			if q.short != "" {
				fmt.Fprintf(tw, "%s\t", format(x))
			}
		}
		t.Rows = append(t.Rows, row)
		if g.diverged+g.failed > 0 {
			fmt.Fprintf(tw, "(+%d diverged, %d failed)", g.diverged, g.failed)
		}
		fmt.Fprint(tw, "\n")
	}
	tw.Flush()
	v.sec.Tables = append(v.sec.Tables, t)
}

// testsVsBPTT compares every rule with BPTT (every report with a BPTT
// group): unpaired, and paired by seed.
func (v *view) testsVsBPTT() {
	type pair struct{ g, ref *group }
	var pairs []pair
	for _, g := range v.groups {
		if ref := v.bpttFor(g.key); ref != nil && g.key.Rule != rules.BPTT {
			pairs = append(pairs, pair{g, ref})
		}
	}
	if len(pairs) == 0 {
		return
	}
	name := func(p pair) string {
		if p.ref.key == (config.Label{Rule: rules.BPTT}) {
			return p.g.label
		}
		return p.g.label + " (vs " + p.ref.label + ")"
	}
	t := report.Table{Caption: "Each rule against BPTT, unpaired (two-sided p-values): the gap (Welch t-test, Mann-Whitney U) and λ_max (Mann-Whitney U, which compares ranks, so λ_max's scale does not matter). The paired comparison below is the primary one.",
		Header: []string{"rule", "gap Welch p", "gap Mann-Whitney p", "λ_max Mann-Whitney p"}}
	for _, p := range pairs {
		w1, m1 := compare(p.g.final(gapOf), p.ref.final(gapOf))
		_, m2 := compare(p.g.final(lambdaOf), p.ref.final(lambdaOf))
		t.Rows = append(t.Rows, []string{name(p), w1, m1, m2})
	}
	v.sec.Tables = append(v.sec.Tables, t)

	// Runs with the same seed share the initial weights, the task and the
	// test noise, so a paired comparison removes that shared variation.
	pt := report.Table{Caption: "Paired by seed (same initial weights, task and test noise), each rule against BPTT. λ_max: geometric mean of the ratio rule/BPTT with its 95% bootstrap CI and the Wilcoxon signed-rank test of the log ratios. Gap: mean difference rule − BPTT with its 95% bootstrap CI and the Wilcoxon signed-rank test. Variability of the gap: var(rule)/var(BPTT) over the pairs with the Pitman-Morgan test, in which the variation a pair shares cancels. Two-sided p-values; pairs lost are seeds where either run diverged or failed.",
		Header: []string{"rule", "pairs", "pairs lost", "λ_max ratio (geometric mean)", "95% CI", "pairs with larger λ_max", "λ_max Wilcoxon p",
			"gap difference (mean)", "95% CI", "pairs with larger gap", "gap Wilcoxon p", "gap variance ratio", "Pitman-Morgan p"}}
	var ss []plots.Series
	for _, p := range pairs {
		lx, ly, lr, err := logRatioBySeed(p.g, p.ref, lambdaQ)
		if err != nil {
			continue
		}
		gx, gy, gd, _ := diffBySeed(p.g, p.ref, gapQ)
		pm, pmErr := stats.PitmanMorgan(gx, gy)
		vr, pmp := "n/a", "n/a"
		if pmErr == nil {
			vr, pmp = fmt.Sprintf("%.3g", pm.Ratio), fmtP(pm.P)
		}
		pt.Rows = append(pt.Rows, []string{name(p), fmt.Sprint(lr.N), fmt.Sprint(lr.Lost), fmt.Sprintf("%.3g", lr.GeoMean), fmtCI(lr.CILow, lr.CIHigh),
			fmt.Sprintf("%d/%d", lr.Larger, lr.N), fmtP(lr.Wilcoxon.P),
			fmt.Sprintf("%.3g", gd.Mean), fmtCI(gd.CILow, gd.CIHigh), fmt.Sprintf("%d/%d", gd.Larger, gd.N), fmtP(gd.Wilcoxon.P), vr, pmp})
		fmt.Fprintf(&v.txt, "  paired vs %s: %s λ_max ×%.3g %s (geometric mean ratio, 95%% CI), larger in %d/%d pairs, Wilcoxon p = %s%s\n",
			p.ref.label, p.g.label, lr.GeoMean, fmtCI(lr.CILow, lr.CIHigh), lr.Larger, lr.N, fmtP(lr.Wilcoxon.P), lostNote(lr.Lost))
		fmt.Fprintf(&v.txt, "  paired vs %s: %s gap %+.3g %s (mean difference, 95%% CI), larger in %d/%d pairs, Wilcoxon p = %s; variance ratio %s (Pitman-Morgan p = %s)\n",
			p.ref.label, p.g.label, gd.Mean, fmtCI(gd.CILow, gd.CIHigh), gd.Larger, gd.N, fmtP(gd.Wilcoxon.P), vr, pmp)
		var r []float64
		for i := range lx {
			r = append(r, lx[i]/ly[i])
		}
		ss = append(ss, plots.Series{Label: p.g.label, Values: r})
	}
	if len(pt.Rows) == 0 {
		return
	}
	v.sec.Tables = append(v.sec.Tables, pt)
	if p, err := plots.LogStrip(v.title+": final λ_max relative to BPTT, same seed", "λ_max(rule) / λ_max(BPTT)", ss); err == nil {
		plots.AddHLines(p, plots.HLine{Label: "BPTT (ratio 1)", Y: 1, Color: plots.Color("BPTT")})
		v.save(p, "lambda_paired", "Final λ_max of each run divided by that of the BPTT run with the same seed (same initial weights and test noise), log axis; the tick is the median and the bar the interquartile range. Above 1 means sharper than BPTT. Seeds where either run diverged have no point.")
	}
}

// fmtCI formats a confidence interval.
func fmtCI(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "n/a"
	}
	return fmt.Sprintf("[%.3g, %.3g]", lo, hi)
}

// fmtSpread formats the median and interquartile range of x.
func fmtSpread(x []float64) string { return stats.MedianIQR(x).String() }

// lostNote says how many pairs a paired statistic lost ("" for none).
func lostNote(lost int) string {
	switch lost {
	case 0:
		return ""
	case 1:
		return " (1 pair lost: a run diverged or failed)"
	}
	return fmt.Sprintf(" (%d pairs lost: a run diverged or failed)", lost)
}

// bpttFor returns the BPTT group to compare a label with: BPTT with the
// same variant ("BPTT [adam]" for "Three-factor [adam]") when present,
// else plain BPTT, else nil.
func (v *view) bpttFor(l config.Label) *group {
	if l.Variant != (config.Variant{}) {
		if g := v.group(config.Label{Rule: rules.BPTT, Variant: l.Variant}); g != nil {
			return g
		}
	}
	return v.group(config.Label{Rule: rules.BPTT})
}

// pairedBySeed returns f of a's and b's runs paired by seed, over every
// seed either group ran, in seed order. A seed without a finished run with
// a finite f in a group (diverged, failed or missing) is NaN there, so the
// paired statistics count it as a lost pair.
func pairedBySeed(a, b *group, f finalOf) (x, y []float64) {
	val := func(g *group) map[uint64]float64 {
		m := map[uint64]float64{}
		for _, r := range g.all {
			m[r.Seed] = math.NaN()
		}
		for _, r := range g.runs {
			if v := f(r); finite(v) {
				m[r.Seed] = float64(v)
			}
		}
		return m
	}
	va, vb := val(a), val(b)
	seen := map[uint64]bool{}
	var seeds []uint64
	for _, m := range []map[uint64]float64{va, vb} {
		for s := range m {
			if !seen[s] {
				seen[s] = true
				seeds = append(seeds, s)
			}
		}
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
	get := func(m map[uint64]float64, s uint64) float64 {
		if v, ok := m[s]; ok {
			return v
		}
		return math.NaN()
	}
	for _, s := range seeds {
		x, y = append(x, get(va, s)), append(y, get(vb, s))
	}
	return x, y
}

// bands aggregates a per-checkpoint quantity of every group.
func (v *view) bands(f func(results.Checkpoint) results.Num) []plots.Band {
	var out []plots.Band
	for _, g := range v.groups {
		if b, ok := trajBand(g, f); ok {
			out = append(out, b)
		}
	}
	return out
}

// wideRange reports whether positive band means span more than a factor 20,
// so that a log axis shows them better.
func wideRange(bands []plots.Band) bool {
	lo, hi := math.Inf(1), 0.0
	for _, b := range bands {
		for _, m := range b.Mean {
			if !(m > 0) {
				if !math.IsNaN(m) {
					return false
				}
				continue
			}
			lo, hi = math.Min(lo, m), math.Max(hi, m)
		}
	}
	return hi > 20*lo
}

// curve draws a per-checkpoint quantity f along training as figure name:
// with quartiles, the median and interquartile range per group, else the
// mean ± std; logWide puts it on a log axis when wideRange says the centres
// span a wide range.
func (v *view) curve(f func(results.Checkpoint) results.Num, name, title, ylabel, caption string, logWide, quartiles bool) {
	bands := v.bands(f)
	if quartiles {
		bands = nil
		for _, g := range v.groups {
			if b, ok := quartileBand(g, f); ok {
				bands = append(bands, b)
			}
		}
	}
	if len(bands) == 0 {
		return
	}
	if p, err := plots.Bands(v.title+": "+title, "iteration", ylabel, bands, logWide && wideRange(bands)); err == nil {
		v.save(p, name, caption)
	}
}

func (v *view) lambda() {
	v.curve(lambdaAt, "lambda", "λ_max along training", "|λ_max| (W_rec Hessian)",
		"λ_max along training, as the magnitude of the dominant eigenvalue (the paper's ‖Hv‖): median over runs, the band is the interquartile range (Fig. 3). Rules without finished runs are not shown.", true, true)
}

func (v *view) loss() {
	v.curve(func(c results.Checkpoint) results.Num { return c.Loss }, "loss", "training loss", "training data loss",
		"Training loss along training: the task's data loss on the training set (without the L2 term), median over runs, the band is the interquartile range.", true, true)
}

// alpha draws the Eq. 6 step length α and cos∠(ĝ, g) along training.
func (v *view) alpha() {
	alpha := v.bands(func(c results.Checkpoint) results.Num { return c.Alpha })
	if len(alpha) == 0 {
		return
	}
	if p, err := plots.Bands(v.title+": step length α = <ĝ,g>/|g|² (W_rec)", "iteration", "α", alpha, false); err == nil {
		plots.AddHLines(p, plots.HLine{Label: "α = 1 (exact)", Y: 1, Color: plots.Color("BPTT")})
		v.save(p, "alpha", "Relative step length α of each rule's update along the exact gradient (Eq. 6), mean ± std; Three-factor theory applies Three-factor's α to BPTT (Fig. 4 A).")
	}
	t := report.Table{Caption: "Eq. 6 decomposition ĝ = αg + ε on W_rec, over all checkpoints of all runs (mean ± std), and α at convergence (last quarter of the checkpoints)",
		Header: []string{"rule", "α", "cos∠(ĝ, g)", "‖ε‖/‖g‖", "α at convergence", "α range (min, max)"}}
	for _, g := range v.groups {
		var a, c, e []float64
		for _, r := range g.runs {
			for _, cp := range r.Trajectory {
				if finite(cp.Alpha) {
					a = append(a, float64(cp.Alpha))
					c = append(c, float64(cp.Cos))
					e = append(e, float64(cp.EpsRatio))
				}
			}
		}
		if len(a) == 0 {
			continue
		}
		d := stats.Describe(a)
		t.Rows = append(t.Rows, []string{g.label, fmtMS(a), fmtMS(c), fmtMS(e), fmtMS(g.final(convergedAlpha)), fmt.Sprintf("(%.3g, %.3g)", d.Min, d.Max)})
	}
	v.sec.Tables = append(v.sec.Tables, t)
}

// matched compares Three-factor theory (BPTT scaled by Three-factor's α)
// with Three-factor and BPTT, paired by seed (Fig. 4, Fig. 12 C).
func (v *view) matched() {
	th, tf, bp := v.group(config.Label{Rule: rules.MatchedBPTT}), v.group(config.Label{Rule: rules.EProp}), v.group(config.Label{Rule: rules.BPTT})
	if th == nil || (tf == nil && bp == nil) {
		return
	}
	t := report.Table{Caption: "Three-factor theory (BPTT with Three-factor's step length α) against Three-factor and BPTT, paired by seed (Fig. 4, Fig. 6): λ_max as the geometric mean ratio with its 95% bootstrap CI and the Wilcoxon signed-rank test of the log ratios; the gap as the mean difference with its 95% bootstrap CI and the Wilcoxon signed-rank test (two-sided). Pairs lost are seeds where either run diverged or failed.",
		Header: []string{"comparison", "pairs", "pairs lost", "λ_max ratio (geometric mean)", "95% CI", "λ_max Wilcoxon p", "gap difference (mean)", "95% CI", "gap Wilcoxon p"}}
	var ss []plots.Series
	for _, o := range []*group{tf, bp} {
		if o == nil {
			continue
		}
		lx, ly, lr, err := logRatioBySeed(th, o, lambdaQ)
		if err != nil {
			continue
		}
		_, _, gd, _ := diffBySeed(th, o, gapQ)
		t.Rows = append(t.Rows, []string{"Three-factor theory vs " + o.label, fmt.Sprint(lr.N), fmt.Sprint(lr.Lost), fmt.Sprintf("%.3g", lr.GeoMean),
			fmtCI(lr.CILow, lr.CIHigh), fmtP(lr.Wilcoxon.P), fmt.Sprintf("%.3g", gd.Mean), fmtCI(gd.CILow, gd.CIHigh), fmtP(gd.Wilcoxon.P)})
		fmt.Fprintf(&v.txt, "  Three-factor theory vs %s: λ_max ×%.3g %s (geometric mean ratio, 95%% CI), larger in %d/%d pairs, Wilcoxon p = %s%s\n",
			o.label, lr.GeoMean, fmtCI(lr.CILow, lr.CIHigh), lr.Larger, lr.N, fmtP(lr.Wilcoxon.P), lostNote(lr.Lost))
		var r []float64
		for k := range lx {
			r = append(r, lx[k]/ly[k])
		}
		ss = append(ss, plots.Series{Label: "vs " + o.label, Values: r, Color: plots.Color(o.label)})
	}
	if len(t.Rows) == 0 {
		return
	}
	v.sec.Tables = append(v.sec.Tables, t)
	if p, err := plots.LogStrip(v.title+": Three-factor theory's final λ_max, same seed", "λ_max(Three-factor theory) / λ_max(other)", ss); err == nil {
		plots.AddHLines(p, plots.HLine{Label: "ratio 1", Y: 1, Color: color.NRGBA{120, 120, 120, 255}})
		v.save(p, "matched_ratio", "Final λ_max of each Three-factor theory run divided by that of the Three-factor run and of the BPTT run with the same seed, log axis; the tick is the median and the bar the interquartile range (Fig. 4: Three-factor theory should track Three-factor, ratio near 1, and lie above BPTT).")
	}
}

// lr draws the learning rate along training (Fig. 5's schedule).
func (v *view) lr() {
	v.curve(func(c results.Checkpoint) results.Num { return c.LR }, "lr", "learning rate", "η",
		"Learning rate along training (Fig. 5: the decayed schedule starts at 3× the rate and is multiplied by 0.8 every total/30 iterations).", false, false)
}

// gapStrip draws every run's final gap per rule (Fig. 5, Fig. 6).
func (v *view) gapStrip() {
	var ss []plots.Series
	for _, g := range v.groups {
		ss = append(ss, plots.Series{Label: g.label, Values: g.final(gapOf)})
	}
	if p, err := plots.Strip(v.title+": generalisation gap", "gap ("+v.gapDef+")", ss); err == nil {
		v.save(p, "gap_strip", "Generalisation gap at the end of training, every run and mean ± std per rule (Fig. 6).")
	}
}

// gap draws the gap histograms and the pooled gap against λ_max (Fig. 2).
func (v *view) gap() {
	var hs []plots.Series
	for _, g := range v.groups {
		hs = append(hs, plots.Series{Label: g.label, Values: g.final(gapOf)})
	}
	if p, err := plots.Histograms(v.title+": generalisation gap", "generalisation gap ("+v.gapDef+")", hs, 12); err == nil {
		v.save(p, "gap_hist", "Histogram of the generalisation gap at the end of training, one colour per rule (Fig. 2 A–C).")
	}
	var pts []plots.Point
	var xs, ys []float64
	for _, g := range v.groups {
		for _, r := range g.runs {
			if lam := lambdaOf(r); finite(lam) && finite(r.Final.Gap) {
				pts = append(pts, plots.Point{Label: g.label, X: float64(lam), Y: float64(r.Final.Gap)})
				xs = append(xs, float64(lam))
				ys = append(ys, float64(r.Final.Gap))
			}
		}
	}
	if len(pts) == 0 {
		return
	}
	fit := correlationFit(xs, ys)
	if fit != nil {
		v.sec.Paragraphs = append(v.sec.Paragraphs, fmt.Sprintf("Gap vs λ_max pooled over rules (n = %d): %s. Spearman's rank correlation comes first: it does not depend on λ_max's scale and is not driven by a few extreme runs; Pearson's is on log λ_max.", len(xs), fit.Text))
		fmt.Fprintf(&v.txt, "  gap vs λ_max (pooled, n=%d): %s\n", len(xs), fit.Text)
	}
	if p, err := plots.Scatter(v.title+": gap vs λ_max", "|λ_max| at the end of training", "generalisation gap", pts, fit); err == nil {
		caption := "Generalisation gap against λ_max at the end of training, pooled over rules (Fig. 2 D–F)."
		if fit != nil && fit.LogX {
			plots.LogAxis(&p.X)
			p.X.Label.Text += " (log scale)"
			caption += " The x axis is logarithmic and the dashed line is the least-squares fit of the gap on log λ_max."
		}
		v.save(p, "gap_vs_lambda", caption)
	}
}

// allPositive reports whether every value of x is positive (and x is not
// empty), so that log x exists.
func allPositive(x []float64) bool {
	for _, v := range x {
		if !(v > 0) {
			return false
		}
	}
	return len(x) > 0
}

// correlationFit returns the correlation of the gap ys with λ_max xs:
// Spearman's ρ first, then Pearson's r and the least-squares line on
// log λ_max (on λ_max when some value is not positive); nil with fewer
// than 3 pairs.
func correlationFit(xs, ys []float64) *plots.Fit {
	xs, ys = finitePairs(xs, ys)
	sp, err := stats.Spearman(xs, ys)
	if err != nil {
		return nil
	}
	fit := &plots.Fit{A: math.NaN(), B: math.NaN(), Text: fmt.Sprintf("Spearman ρ = %.3f, p = %s", sp.R, fmtP(sp.P))}
	lx, what := xs, "λ_max"
	if allPositive(xs) {
		lx, what = make([]float64, len(xs)), "log λ_max"
		for i, x := range xs {
			lx[i] = math.Log(x)
		}
		fit.LogX = true
	}
	if pe, err := stats.Pearson(lx, ys); err == nil {
		fit.A, fit.B = stats.LinearFit(lx, ys)
		fit.Text += fmt.Sprintf("; Pearson r (%s) = %.3f, p = %s", what, pe.R, fmtP(pe.P))
	}
	return fit
}

// finitePairs returns the pairs of x and y where both are finite.
func finitePairs(x, y []float64) (a, b []float64) {
	for i := range x {
		if finite(results.Num(x[i])) && finite(results.Num(y[i])) {
			a, b = append(a, x[i]), append(b, y[i])
		}
	}
	return a, b
}

// within correlates gap and λ_max inside each rule (Fig. 12 A–B).
func (v *view) within() {
	t := report.Table{Caption: "Gap vs λ_max within each rule across runs (Fig. 12 A–B): Spearman's rank correlation, then Pearson's on log λ_max (two-sided p-values)",
		Header: []string{"rule", "n", "Spearman ρ", "p", "Pearson r (log λ_max)", "p"}}
	var panels []*plot.Plot
	for _, g := range v.groups {
		x, y := finitePairs(g.final(lambdaOf), g.final(gapOf))
		sp, err := stats.Spearman(x, y)
		if err != nil {
			continue
		}
		lx := x
		if allPositive(x) {
			lx = make([]float64, len(x))
			for i := range x {
				lx[i] = math.Log(x[i])
			}
		}
		pr, pp := "n/a", "n/a"
		if pe, err := stats.Pearson(lx, y); err == nil {
			pr, pp = fmt.Sprintf("%.3f", pe.R), fmtP(pe.P)
		}
		t.Rows = append(t.Rows, []string{g.label, fmt.Sprint(sp.N), fmt.Sprintf("%.3f", sp.R), fmtP(sp.P), pr, pp})
		var pts []plots.Point
		for i := range x {
			pts = append(pts, plots.Point{Label: g.label, X: x[i], Y: y[i]})
		}
		fit := correlationFit(x, y)
		if p, err := plots.Scatter(g.label, "λ_max", "gap", pts, fit); err == nil {
			p.Legend = plot.NewLegend()
			if fit != nil && fit.LogX {
				plots.LogAxis(&p.X)
				p.X.Label.Text += " (log scale)"
			}
			panels = append(panels, p)
		}
		fmt.Fprintf(&v.txt, "  within %s (n=%d): Spearman ρ = %.3f, p = %s; Pearson r (log λ_max) = %s, p = %s\n", g.label, sp.N, sp.R, fmtP(sp.P), pr, pp)
	}
	if len(t.Rows) == 0 {
		return
	}
	v.sec.Tables = append(v.sec.Tables, t)
	v.savePanels(plots.Panels{Plots: panels, Cols: 2}, "gap_vs_lambda_within", "Generalisation gap against λ_max within each rule, one panel per rule, log λ_max axis, with the least-squares line of the gap on log λ_max (Fig. 12 A–B).")
}

// trunc plots the final λ_max against the TBPTT window K (Fig. 9).
func (v *view) trunc() {
	type kv struct {
		k   int
		lam []float64
	}
	byK := map[int]*kv{}
	var ks, lams []float64
	for _, g := range v.groups {
		for _, r := range g.runs {
			lam := lambdaOf(r)
			if r.Config.Kind() != rules.TBPTT || !finite(lam) {
				continue
			}
			k := r.Config.Train.TruncK
			if byK[k] == nil {
				byK[k] = &kv{k: k}
			}
			byK[k].lam = append(byK[k].lam, float64(lam))
			ks = append(ks, float64(k))
			lams = append(lams, float64(lam))
		}
	}
	if len(byK) < 2 {
		return
	}
	var order []int
	for k := range byK {
		order = append(order, k)
	}
	sort.Ints(order)
	b := plots.Band{Label: "TBPTT(K)"}
	t := report.Table{Caption: "Final λ_max against the truncation window K (K = T is BPTT; K = 1 is Three-factor at α_m = 0) (Fig. 9): median [first quartile, third quartile] over runs", Header: []string{"K", "runs", "λ_max median [IQR]"}}
	for _, k := range order {
		q := stats.MedianIQR(byK[k].lam)
		b.X, b.Mean, b.Lo, b.Hi = append(b.X, float64(k)), append(b.Mean, q.Median), append(b.Lo, q.Q1), append(b.Hi, q.Q3)
		t.Rows = append(t.Rows, []string{fmt.Sprint(k), fmt.Sprint(len(byK[k].lam)), q.String()})
	}
	if sp, err := stats.Spearman(ks, lams); err == nil {
		line := fmt.Sprintf("Spearman correlation of K and final λ_max over runs: ρ = %.3f, p = %s (n = %d); negative means shorter windows end sharper.", sp.R, fmtP(sp.P), sp.N)
		v.sec.Paragraphs = append(v.sec.Paragraphs, line)
		fmt.Fprintf(&v.txt, "  K vs λ_max: Spearman ρ = %.3f, p = %s\n", sp.R, fmtP(sp.P))
	}
	v.sec.Tables = append(v.sec.Tables, t)
	if p, err := plots.ErrorLines(v.title+": λ_max against the truncation window", "truncation window K (steps)", "final λ_max", []plots.Band{b}, true, allPositive(b.Lo)); err == nil {
		v.save(p, "trunc", "Final λ_max against the TBPTT window K (Fig. 9): median over runs, the bars span the interquartile range; log axes.")
	}
}

// spectrum draws the top-k spectra and compares the power-law γ (Fig. 7).
func (v *view) spectrum() {
	var bands []plots.Band
	var ss []plots.Series
	t := report.Table{Caption: "Power-law decay coefficient γ of the top-k Hessian eigenvalues, |λ_n| ∝ n^−γ, weighted log–log fit (Fig. 7)", Header: []string{"rule", "k", "γ", "γ 95% CI"}}
	for i, g := range v.groups {
		gam := g.final(func(r *results.Result) results.Num { return r.Final.Gamma })
		if stats.Describe(gam).N == 0 {
			continue
		}
		ss = append(ss, plots.Series{Label: g.label, Values: gam})
		k := 0
		byRank := map[int][]float64{}
		for _, r := range g.runs {
			k = max(k, len(r.Final.TopK))
			for n, l := range r.Final.TopK {
				if finite(l) {
					byRank[n+1] = append(byRank[n+1], math.Abs(float64(l)))
				}
			}
		}
		t.Rows = append(t.Rows, []string{g.label, fmt.Sprint(k), fmtMS(gam), ci(gam, uint64(100+i))})
		b := plots.Band{Label: g.label}
		for n := 1; n <= k; n++ {
			if len(byRank[n]) == 0 {
				continue
			}
			q := stats.MedianIQR(byRank[n])
			b.X, b.Mean, b.Lo, b.Hi = append(b.X, float64(n)), append(b.Mean, q.Median), append(b.Lo, q.Q1), append(b.Hi, q.Q3)
		}
		bands = append(bands, b)
	}
	if len(ss) == 0 {
		return
	}
	v.comparisonRows(&t, func(r *results.Result) results.Num { return r.Final.Gamma }, "γ")
	v.sec.Tables = append(v.sec.Tables, t)
	if p, err := plots.Strip(v.title+": power-law coefficient γ", "γ", ss); err == nil {
		v.save(p, "gamma", "Power-law decay coefficient γ of the top-k eigenvalues per run, mean ± std per rule (Fig. 7).")
	}
	if p, err := plots.LogBands(v.title+": top Hessian eigenvalues", "rank n", "|λ_n|", bands, true, true); err == nil {
		v.save(p, "spectrum", "Top-k eigenvalue magnitudes of the W_rec Hessian against their rank at the end of training, median over runs with the interquartile range as the band, log–log axes (Fig. 7).")
	}
}

// comparisonRows appends, for a per-run quantity, Welch and Mann-Whitney
// p-values of each rule against BPTT as extra table rows.
func (v *view) comparisonRows(t *report.Table, f finalOf, name string) {
	ref := v.group(config.Label{Rule: rules.BPTT})
	if ref == nil {
		return
	}
	for _, g := range v.groups {
		if g == ref {
			continue
		}
		w, m := compare(g.final(f), ref.final(f))
		row := make([]string, len(t.Header))
		row[0] = fmt.Sprintf("%s vs BPTT: %s Welch p = %s, Mann-Whitney p = %s", g.label, name, w, m)
		t.Rows = append(t.Rows, row)
		fmt.Fprintf(&v.txt, "  %s: %s %s vs BPTT %s (Welch p = %s)\n", name, g.label, fmtMS(g.final(f)), fmtMS(ref.final(f)), w)
	}
}

// flatness compares the relative flatness κ of W_rec (Fig. 8).
func (v *view) flatness() {
	f := func(r *results.Result) results.Num { return r.Final.Flatness }
	var ss []plots.Series
	t := report.Table{Caption: "Relative flatness κ = Σ ⟨w_s, w_s'⟩ Tr(H_ss') of W_rec (Petzka et al.; lower is flatter) (Fig. 8)", Header: []string{"rule", "κ", "κ 95% CI"}}
	for i, g := range v.groups {
		k := g.final(f)
		if stats.Describe(k).N == 0 {
			continue
		}
		ss = append(ss, plots.Series{Label: g.label, Values: k})
		t.Rows = append(t.Rows, []string{g.label, fmtMS(k), ci(k, uint64(200+i))})
	}
	if len(ss) == 0 {
		return
	}
	v.comparisonRows(&t, f, "κ")
	v.sec.Tables = append(v.sec.Tables, t)
	if p, err := plots.Strip(v.title+": relative flatness κ of W_rec", "κ", ss); err == nil {
		v.save(p, "flatness", "Relative flatness κ of W_rec per run, mean ± std per rule (Fig. 8); lower is flatter.")
	}
}

// align compares the top-k alignment of ε and g (Fig. 10, Assumption 1).
func (v *view) align() {
	t := report.Table{Caption: "Energy fraction ‖U_kᵀx‖²/‖x‖² of ε and of g in the top-k Hessian eigenspace over all checkpoints and runs (Fig. 10; paired Wilcoxon signed-rank test, two-sided)",
		Header: []string{"rule", "pairs", "ε fraction", "g fraction", "pairs with ε < g", "Wilcoxon p"}}
	var panels []*plot.Plot
	var bands []plots.Band
	gray := color.NRGBA{120, 120, 120, 255}
	for _, g := range v.groups {
		var e, gg []float64
		less := 0
		for _, r := range g.runs {
			for _, c := range r.Trajectory {
				if finite(c.AlignEps) && finite(c.AlignG) {
					e = append(e, float64(c.AlignEps))
					gg = append(gg, float64(c.AlignG))
					if c.AlignEps < c.AlignG {
						less++
					}
				}
			}
		}
		if len(e) == 0 {
			continue
		}
		p := "n/a"
		if w, err := stats.WilcoxonSignedRank(e, gg); err == nil {
			p = fmtP(w.P)
		}
		t.Rows = append(t.Rows, []string{g.label, fmt.Sprint(len(e)), fmtMS(e), fmtMS(gg), fmt.Sprintf("%d/%d", less, len(e)), p})
		fmt.Fprintf(&v.txt, "  alignment %s: ε %s vs g %s (Wilcoxon p = %s)\n", g.label, fmtMS(e), fmtMS(gg), p)
		c := plots.Color(g.label)
		if sp, err := plots.Strip(g.label+" (Wilcoxon p = "+p+")", "|U_k^T x|²/|x|²", []plots.Series{{Label: "ε", Values: e, Color: c}, {Label: "g", Values: gg, Color: gray}}); err == nil {
			panels = append(panels, sp)
		}
		if b, ok := trajBand(g, func(c results.Checkpoint) results.Num { return c.AlignEps }); ok {
			b.Label, b.Color = g.label+" ε", c
			bands = append(bands, b)
		}
		if b, ok := trajBand(g, func(c results.Checkpoint) results.Num { return c.AlignG }); ok {
			b.Label, b.Color, b.Dashed = g.label+" g", c, true
			bands = append(bands, b)
		}
	}
	if len(t.Rows) == 0 {
		return
	}
	v.sec.Tables = append(v.sec.Tables, t)
	v.savePanels(plots.Panels{Plots: panels, Cols: min(3, len(panels))}, "alignment", "Fraction of ε (the rule's error, Eq. 6; coloured) and of the exact gradient g (grey) in the span of the top-k Hessian eigenvectors, every checkpoint of every run, one panel per rule (Fig. 10).")
	if p, err := plots.Bands(v.title+": alignment along training", "iteration", "|U_k^T x|²/|x|²  (ε solid, g dashed)", bands, false); err == nil {
		v.save(p, "alignment_training", "Top-k alignment of ε (solid) and g (dashed) along training, mean ± std over runs (Fig. 10).")
	}
}

// table1 compares Three-factor with BPTT stopped early at Three-factor's
// test metric (Appendix Table 1).
func (v *view) table1() {
	tf := v.group(config.Label{Rule: rules.EProp})
	var es *group
	for _, g := range v.groups {
		if g.key.Rule == rules.BPTT && g.key.Variant.EarlyStopped {
			es = g
		}
	}
	if tf == nil || es == nil {
		return
	}
	grid := "checkpoint"
	if len(es.runs) > 0 && es.runs[0].Config.Train.StopEvery > 0 {
		grid = fmt.Sprintf("multiple of %d iterations", es.runs[0].Config.Train.StopEvery)
	}
	t := report.Table{Caption: "Appendix Table 1: BPTT stopped at the first " + grid + " whose test " + v.metric + " reaches Three-factor's mean final test " + v.metric +
		", against Three-factor: mean ± std, λ_max as median [IQR]; the last row pairs the runs by seed (geometric mean ratio of λ_max and mean difference of the gap, 95% bootstrap CIs, Wilcoxon signed-rank p)",
		Header: []string{"rule", "runs", "stopped early", "iterations", "test " + v.metric, "λ_max", "gap"}}
	for _, g := range []*group{es, tf} {
		stopped := 0
		for _, r := range g.runs {
			if r.Final.Iterations < r.Config.Train.Iterations {
				stopped++
			}
		}
		it := g.final(func(r *results.Result) results.Num { return results.Num(r.Final.Iterations) })
		t.Rows = append(t.Rows, []string{g.label, fmt.Sprint(len(g.runs)), fmt.Sprintf("%d/%d", stopped, len(g.runs)), fmtMS(it),
			fmtMS(g.final(func(r *results.Result) results.Num { return r.Final.TestMetric })), fmtSpread(g.final(lambdaOf)), fmtMS(g.final(gapOf))})
	}
	_, _, lr, errL := logRatioBySeed(es, tf, lambdaQ)
	_, _, gd, errG := diffBySeed(es, tf, gapQ)
	lcell, gcell := "n/a", "n/a"
	if errL == nil {
		lcell = fmt.Sprintf("×%.3g %s, Wilcoxon p = %s", lr.GeoMean, fmtCI(lr.CILow, lr.CIHigh), fmtP(lr.Wilcoxon.P))
	}
	if errG == nil {
		gcell = fmt.Sprintf("%+.3g %s, Wilcoxon p = %s", gd.Mean, fmtCI(gd.CILow, gd.CIHigh), fmtP(gd.Wilcoxon.P))
	}
	t.Rows = append(t.Rows, []string{"early-stopped BPTT vs Three-factor, paired", fmt.Sprintf("%d pairs", lr.N), fmt.Sprintf("%d lost", lr.Lost), "", "", lcell, gcell})
	v.sec.Tables = append(v.sec.Tables, t)
	if len(es.runs) > 0 {
		fmt.Fprintf(&v.txt, "  Table 1: early-stopped BPTT λ_max %s, gap %s; Three-factor λ_max %s, gap %s; paired: λ_max %s, gap %s%s\n",
			fmtSpread(es.final(lambdaOf)), fmtMS(es.final(gapOf)), fmtSpread(tf.final(lambdaOf)), fmtMS(tf.final(gapOf)), lcell, gcell, lostNote(lr.Lost))
	}
}

// theorem compares λ_max with the stability bounds of Theorem 1.
func (v *view) theorem() {
	t := report.Table{Caption: "Theorem 1: final λ_max (median [IQR]) against the stability bounds 2/η (BPTT) and 2/(αη) (approximate rules; α per run at convergence, the mean over the last quarter of its checkpoints; the 2/(αη) column uses the mean α of the runs with α > 0). SGD runs only.",
		Header: []string{"rule", "η (final)", "α at convergence", "λ_max", "2/η", "2/(αη)", "λ_max·η/2", "runs with λ_max ≤ 2/η", "runs with λ_max ≤ 2/(αη)"}}
	var figs []*plot.Plot
	var toBound []plots.Series // per run, |λ_max| over its own bound
	for _, g := range v.groups {
		if len(g.runs) == 0 || g.runs[0].Config.Train.Optimizer != "sgd" {
			continue
		}
		eta := finalLR(g.runs[0])
		lam := g.final(lambdaOf)
		al := g.final(convergedAlpha)
		below, belowA := 0, 0
		var ratio, pos []float64
		for i, l := range lam {
			ratio = append(ratio, l*eta/2)
			if l <= 2/eta {
				below++
			}
			// The bound needs α > 0: with α ≤ 0 the rule does not descend
			// along g and Theorem 1 gives no bound.
			if a := al[i]; !math.IsNaN(a) && a > 0 {
				pos = append(pos, a)
				if l <= 2/(a*eta) {
					belowA++
				}
			}
		}
		own := g.final(func(r *results.Result) results.Num {
			return results.Num(float64(lambdaOf(r)) / theoremBound(r, g.label == "BPTT"))
		})
		toBound = append(toBound, plots.Series{Label: g.label, Values: own})
		nA := len(pos)
		ma := stats.Describe(pos).Mean
		b2, cA := "—", "—"
		if nA > 0 {
			b2, cA = fmt.Sprintf("%.4g", 2/(ma*eta)), fmt.Sprintf("%d/%d", belowA, nA)
			if nA < len(al) {
				cA += fmt.Sprintf(" (%d runs with α ≤ 0)", len(al)-nA)
			}
		}
		t.Rows = append(t.Rows, []string{g.label, fmt.Sprintf("%.4g", eta), fmtMS(al), fmtSpread(lam), fmt.Sprintf("%.4g", 2/eta), b2, fmtSpread(ratio),
			fmt.Sprintf("%d/%d", below, len(lam)), cA})
		fmt.Fprintf(&v.txt, "  Theorem 1 %s: λ_max %s, 2/η = %.4g, 2/(αη) = %s, λ_max·η/2 = %s\n", g.label, fmtSpread(lam), 2/eta, b2, fmtSpread(ratio))
		b, ok := lambdaBand(g)
		if !ok {
			continue
		}
		logY := allPositive(b.Mean)
		// The panel's title names the rule; the legend says what is drawn.
		b.Color, b.Label = plots.Color(g.label), "median, IQR"
		p, err := plots.Bands(g.label, "iteration", "λ_max", []plots.Band{b}, logY)
		if err != nil {
			continue
		}
		lines := []plots.HLine{{Label: "2/η", Y: 2 / eta, Color: plots.Color("BPTT")}}
		if nA > 0 {
			lines = append(lines, plots.HLine{Label: "2/(αη)", Y: 2 / (ma * eta), Color: plots.Color("Three-factor theory")})
		}
		plots.AddHLines(p, lines...)
		figs = append(figs, p)
	}
	if len(t.Rows) == 0 {
		return
	}
	v.sec.Tables = append(v.sec.Tables, t)
	v.sec.Paragraphs = append(v.sec.Paragraphs, "Theorem 1 assumes a single scalar output, a least-squares loss at the last step only and SGD on a single example; "+
		"pattern generation (one output, one example, loss at every step) comes closest, seqMNIST and DMS (cross-entropy, several outputs) are outside it. "+
		"λ_max·η/2 near 1 means the run sits at BPTT's stability edge.")
	v.savePanels(plots.Panels{Plots: figs, Cols: 2}, "theorem1", "λ_max along training per rule (median, the band is the interquartile range) with the Theorem 1 bounds 2/η (black) and 2/(αη) (blue, α at convergence).")
	if p, err := plots.LogStrip(v.title+": final |λ_max| over each run's Theorem 1 bound", "|λ_max| / bound", toBound); err == nil {
		plots.AddHLines(p, plots.HLine{Label: "bound (ratio 1)", Y: 1, Color: plots.Color("BPTT")})
		v.save(p, "theorem1_ratio", "Final |λ_max| of each run divided by its own Theorem 1 bound: 2/η for BPTT, 2/(αη) with the run's α at convergence for the approximate rules (runs with α ≤ 0 have no bound and no point); log axis, the tick is the median and the bar the interquartile range. Above 1 means over the bound.")
	}
}
