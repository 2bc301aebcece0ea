package experiment

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/plots"
	"github.com/hessrnn/hessrnn/cmd/internal/report"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"

	"gonum.org/v1/plot"
)

// Analysis is the outcome of analysing a set of results.
type Analysis struct {
	// Sections of the report (per task, then the run list).
	Sections []report.Section
	// Summary is a plain-text table for the terminal.
	Summary string
	// Figures lists the figure files written (PNG and SVG).
	Figures []string
}

// group is the results of one task and label.
type group struct {
	label    string
	runs     []*results.Result // finished runs
	diverged int
	failed   int
}

func (g *group) final(f func(*results.Result) results.Num) []float64 {
	var out []float64
	for _, r := range g.runs {
		out = append(out, float64(f(r)))
	}
	return out
}

var taskTitles = map[string]string{config.SeqMNIST: "Sequential MNIST", config.PatternGen: "Pattern generation", config.DMS: "Delayed match-to-sample"}

func fmtMS(x []float64) string {
	d := stats.Describe(x)
	if d.N == 0 {
		return "n/a"
	}
	if d.N == 1 {
		return fmt.Sprintf("%.4g", d.Mean)
	}
	return fmt.Sprintf("%.4g ± %.3g", d.Mean, d.Std)
}

func fmtP(p float64) string {
	if math.IsNaN(p) {
		return "n/a"
	}
	if p < 1e-4 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}

// Analyze computes the statistics, figures (written to figDir) and report
// sections of a set of results, one block per task.
func Analyze(runs []*results.Result, figDir string) (Analysis, error) {
	var a Analysis
	byTask := map[string][]*results.Result{}
	for _, r := range runs {
		byTask[r.Config.Task] = append(byTask[r.Config.Task], r)
	}
	var sum strings.Builder
	for _, tname := range config.Tasks() {
		trs := byTask[tname]
		if len(trs) == 0 {
			continue
		}
		sec, text, figs, err := analyzeTask(tname, trs, figDir)
		if err != nil {
			return a, err
		}
		a.Sections = append(a.Sections, sec...)
		a.Figures = append(a.Figures, figs...)
		sum.WriteString(text)
	}
	a.Sections = append(a.Sections, runList(runs))
	a.Summary = sum.String()
	return a, nil
}

func groupsOf(runs []*results.Result) []*group {
	m := map[string]*group{}
	for _, r := range runs {
		g, ok := m[r.Label]
		if !ok {
			g = &group{label: r.Label}
			m[r.Label] = g
		}
		switch r.Status.State {
		case results.Finished:
			g.runs = append(g.runs, r)
		case results.Diverged:
			g.diverged++
		default:
			g.failed++
		}
	}
	var labels []string
	for l := range m {
		labels = append(labels, l)
	}
	var out []*group
	for _, l := range labelOrder(labels) {
		out = append(out, m[l])
	}
	return out
}

func analyzeTask(tname string, runs []*results.Result, figDir string) ([]report.Section, string, []string, error) {
	title := taskTitles[tname]
	groups := groupsOf(runs)
	metric := runs[0].Metric
	gapDef := "train accuracy − test accuracy"
	if metric == "mse" {
		gapDef = "test MSE − train MSE"
	}
	var figs []string
	sec := report.Section{Heading: title}
	sec.Paragraphs = append(sec.Paragraphs, fmt.Sprintf(
		"%d runs. Metric: %s; generalisation gap = %s (larger is worse). λ_max is the leading eigenvalue of the Hessian of the training loss with respect to W_rec at the end of training. Values are mean ± std over the finished runs of each rule.",
		len(runs), metric, gapDef))

	// Summary table.
	summary := report.Table{Caption: "Final values per rule", Header: []string{"rule", "finished", "diverged", "failed", "train loss", "train " + metric, "test " + metric, "gap", "λ_max", "mean α"}}
	var txt strings.Builder
	fmt.Fprintf(&txt, "%s (%d runs)\n", title, len(runs))
	tw := tabwriter.NewWriter(&txt, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  rule\tn\tfinal loss\tgap\tλ_max\t\n")
	for _, g := range groups {
		loss := g.final(func(r *results.Result) results.Num { return r.Final.Loss })
		gap := g.final(func(r *results.Result) results.Num { return r.Final.Gap })
		lam := g.final(func(r *results.Result) results.Num { return r.Final.LambdaMax })
		summary.Rows = append(summary.Rows, []string{g.label, fmt.Sprint(len(g.runs)), fmt.Sprint(g.diverged), fmt.Sprint(g.failed),
			fmtMS(loss), fmtMS(g.final(func(r *results.Result) results.Num { return r.Final.TrainMetric })),
			fmtMS(g.final(func(r *results.Result) results.Num { return r.Final.TestMetric })), fmtMS(gap), fmtMS(lam),
			fmtMS(g.final(func(r *results.Result) results.Num { return r.Final.MeanAlpha }))})
		extra := ""
		if g.diverged+g.failed > 0 {
			extra = fmt.Sprintf("(+%d diverged, %d failed)", g.diverged, g.failed)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\n", g.label, len(g.runs), fmtMS(loss), fmtMS(gap), fmtMS(lam), extra)
	}
	tw.Flush()
	txt.WriteString("\n")
	sec.Tables = append(sec.Tables, summary)

	// Tests against BPTT.
	var ref *group
	for _, g := range groups {
		if g.label == "BPTT" {
			ref = g
		}
	}
	if ref != nil && len(groups) > 1 {
		t := report.Table{Caption: "Each rule against BPTT (two-sided p-values): gap and λ_max means (Welch t-test, Mann-Whitney U), gap variance (Brown-Forsythe)",
			Header: []string{"rule", "gap Welch p", "gap Mann-Whitney p", "gap variance Brown-Forsythe p", "λ_max Welch p", "λ_max Mann-Whitney p"}}
		for _, g := range groups {
			if g == ref {
				continue
			}
			gx := g.final(func(r *results.Result) results.Num { return r.Final.Gap })
			gy := ref.final(func(r *results.Result) results.Num { return r.Final.Gap })
			lx := g.final(func(r *results.Result) results.Num { return r.Final.LambdaMax })
			ly := ref.final(func(r *results.Result) results.Num { return r.Final.LambdaMax })
			w1, _ := stats.Welch(gx, gy)
			m1, _ := stats.MannWhitney(gx, gy)
			bf, _ := stats.BrownForsythe(gx, gy)
			w2, _ := stats.Welch(lx, ly)
			m2, _ := stats.MannWhitney(lx, ly)
			t.Rows = append(t.Rows, []string{g.label, fmtP(w1.P), fmtP(m1.P), fmtP(bf.P), fmtP(w2.P), fmtP(m2.P)})
		}
		sec.Tables = append(sec.Tables, t)
	}

	save := func(p *plot.Plot, name, caption string) {
		svg, err := plots.Save(p, figDir, name)
		if err != nil {
			sec.Paragraphs = append(sec.Paragraphs, "Figure "+name+" failed: "+err.Error())
			return
		}
		figs = append(figs, filepath.Join(figDir, name+".png"), filepath.Join(figDir, name+".svg"))
		rel := filepath.Base(figDir)
		sec.Figures = append(sec.Figures, report.Figure{Caption: caption, SVG: svg, Files: []string{rel + "/" + name + ".png", rel + "/" + name + ".svg"}})
	}

	// λ_max along training (Fig. 3).
	var bands []plots.Band
	for _, g := range groups {
		if b, ok := lambdaBand(g); ok {
			bands = append(bands, b)
		}
	}
	if len(bands) > 0 {
		if p, err := plots.Bands(title+": λ_max along training", "iteration", "λ_max (W_rec Hessian)", bands, false); err == nil {
			save(p, tname+"_lambda", "λ_max along training, mean ± std over runs (Fig. 3).")
		}
	}
	if bands := metricBands(groups); len(bands) > 0 {
		if p, err := plots.Bands(title+": training loss", "iteration", "training loss", bands, false); err == nil {
			save(p, tname+"_loss", "Training loss along training, mean ± std.")
		}
	}

	// Gap histograms (Fig. 2 A–C).
	var hs []plots.Series
	for _, g := range groups {
		hs = append(hs, plots.Series{Label: g.label, Values: g.final(func(r *results.Result) results.Num { return r.Final.Gap })})
	}
	if p, err := plots.Histograms(title+": generalisation gap", "generalisation gap ("+gapDef+")", hs, 12); err == nil {
		save(p, tname+"_gap_hist", "Histogram of the generalisation gap at the end of training, one colour per rule (Fig. 2 A–C).")
	}

	// Gap vs λ_max (Fig. 2 D–F), pooled.
	var pts []plots.Point
	var xs, ys []float64
	for _, g := range groups {
		for _, r := range g.runs {
			if finite(r.Final.LambdaMax) && finite(r.Final.Gap) {
				pts = append(pts, plots.Point{Label: g.label, X: float64(r.Final.LambdaMax), Y: float64(r.Final.Gap)})
				xs = append(xs, float64(r.Final.LambdaMax))
				ys = append(ys, float64(r.Final.Gap))
			}
		}
	}
	if len(pts) > 0 {
		var fit *plots.Fit
		pe, err1 := stats.Pearson(xs, ys)
		sp, err2 := stats.Spearman(xs, ys)
		if err1 == nil {
			a, b := stats.LinearFit(xs, ys)
			fit = &plots.Fit{A: a, B: b, Text: fmt.Sprintf("Pearson r = %.3f, p = %s", pe.R, fmtP(pe.P))}
			if err2 == nil {
				fit.Text += fmt.Sprintf("; Spearman ρ = %.3f, p = %s", sp.R, fmtP(sp.P))
			}
			sec.Paragraphs = append(sec.Paragraphs, fmt.Sprintf("Gap vs λ_max pooled over rules (n = %d): %s.", pe.N, fit.Text))
			fmt.Fprintf(&txt, "  gap vs λ_max (pooled, n=%d): %s\n\n", pe.N, fit.Text)
		}
		if p, err := plots.Scatter(title+": gap vs λ_max", "λ_max at the end of training", "generalisation gap", pts, fit); err == nil {
			save(p, tname+"_gap_vs_lambda", "Generalisation gap against λ_max at the end of training, pooled over rules, with the least-squares line (Fig. 2 D–F).")
		}
	}

	// Within-rule correlations (Fig. 12 A–B).
	wt := report.Table{Caption: "Gap vs λ_max within each rule (Fig. 12 A–B)", Header: []string{"rule", "n", "Pearson r", "p", "Spearman ρ", "p"}}
	for _, g := range groups {
		x := g.final(func(r *results.Result) results.Num { return r.Final.LambdaMax })
		y := g.final(func(r *results.Result) results.Num { return r.Final.Gap })
		pe, err := stats.Pearson(x, y)
		if err != nil {
			continue
		}
		sp, _ := stats.Spearman(x, y)
		wt.Rows = append(wt.Rows, []string{g.label, fmt.Sprint(pe.N), fmt.Sprintf("%.3f", pe.R), fmtP(pe.P), fmt.Sprintf("%.3f", sp.R), fmtP(sp.P)})
	}
	if len(wt.Rows) > 0 {
		sec.Tables = append(sec.Tables, wt)
	}

	// Theorem 1 bounds.
	tt := report.Table{Caption: "Theorem 1: final λ_max against the stability bounds 2/η (BPTT) and 2/(ᾱη) (approximate rules, ᾱ the mean measured step length)",
		Header: []string{"rule", "η (final)", "mean α", "λ_max", "2/η", "2/(ᾱη)", "runs with λ_max ≤ 2/η"}}
	for _, g := range groups {
		if len(g.runs) == 0 || g.runs[0].Config.Train.Optimizer != "sgd" {
			continue
		}
		last := g.runs[0].Trajectory[len(g.runs[0].Trajectory)-1]
		eta := float64(last.LR)
		lam := g.final(func(r *results.Result) results.Num { return r.Final.LambdaMax })
		al := g.final(func(r *results.Result) results.Num { return r.Final.MeanAlpha })
		below := 0
		for _, l := range lam {
			if l <= 2/eta {
				below++
			}
		}
		ma, _ := stats.MeanStd(al)
		b2 := "—"
		if !math.IsNaN(ma) && ma > 0 {
			b2 = fmt.Sprintf("%.4g", 2/(ma*eta))
		}
		tt.Rows = append(tt.Rows, []string{g.label, fmt.Sprintf("%.4g", eta), fmtMS(al), fmtMS(lam), fmt.Sprintf("%.4g", 2/eta), b2, fmt.Sprintf("%d/%d", below, len(lam))})
	}
	if len(tt.Rows) > 0 {
		sec.Tables = append(sec.Tables, tt)
	}

	// Scale-independent measures (Fig. 7, 8).
	for _, m := range []struct {
		name, title, ylabel, caption string
		f                            func(*results.Result) results.Num
	}{
		{"gamma", "power-law coefficient γ of the top-k spectrum", "γ", "Power-law decay coefficient γ of the top-k eigenvalues, |λ_n| ∝ n^−γ (Fig. 7).", func(r *results.Result) results.Num { return r.Final.Gamma }},
		{"flatness", "relative flatness κ of W_rec", "κ", "Relative flatness κ of W_rec (Fig. 8); lower is flatter.", func(r *results.Result) results.Num { return r.Final.Flatness }},
	} {
		var ss []plots.Series
		any := false
		tb := report.Table{Caption: m.title, Header: []string{"rule", m.ylabel}}
		for _, g := range groups {
			v := g.final(m.f)
			if stats.Describe(v).N > 0 {
				any = true
				tb.Rows = append(tb.Rows, []string{g.label, fmtMS(v)})
			}
			ss = append(ss, plots.Series{Label: g.label, Values: v})
		}
		if !any {
			continue
		}
		sec.Tables = append(sec.Tables, tb)
		if p, err := plots.Strip(title+": "+m.title, m.ylabel, ss); err == nil {
			save(p, tname+"_"+m.name, m.caption)
		}
	}

	// Alignment with the top-k eigenvectors (Fig. 10).
	at := report.Table{Caption: "Energy fraction of ε and of g in the top-k Hessian eigenspace over all checkpoints and runs (Fig. 10; paired Wilcoxon signed-rank test)",
		Header: []string{"rule", "pairs", "ε fraction", "g fraction", "Wilcoxon p"}}
	var aser []plots.Series
	for _, g := range groups {
		var e, gg []float64
		for _, r := range g.runs {
			for _, c := range r.Trajectory {
				if finite(c.AlignEps) && finite(c.AlignG) {
					e = append(e, float64(c.AlignEps))
					gg = append(gg, float64(c.AlignG))
				}
			}
		}
		if len(e) == 0 {
			continue
		}
		w, _ := stats.WilcoxonSignedRank(e, gg)
		at.Rows = append(at.Rows, []string{g.label, fmt.Sprint(len(e)), fmtMS(e), fmtMS(gg), fmtP(w.P)})
		aser = append(aser, plots.Series{Label: g.label + " ε", Values: e}, plots.Series{Label: g.label + " g", Values: gg})
	}
	if len(at.Rows) > 0 {
		sec.Tables = append(sec.Tables, at)
		if p, err := plots.Strip(title+": alignment with top-k eigenvectors", "‖U_kᵀx‖²/‖x‖²", aser); err == nil {
			save(p, tname+"_alignment", "Fraction of ε and of g in the span of the top-k Hessian eigenvectors (Fig. 10).")
		}
	}
	return []report.Section{sec}, txt.String(), figs, nil
}

// lambdaBand aggregates λ_max by iteration over a group's finished runs.
func lambdaBand(g *group) (plots.Band, bool) {
	return trajBand(g, func(c results.Checkpoint) results.Num { return c.Lambda.Value })
}

func metricBands(groups []*group) []plots.Band {
	var out []plots.Band
	for _, g := range groups {
		if b, ok := trajBand(g, func(c results.Checkpoint) results.Num { return c.Loss }); ok {
			out = append(out, b)
		}
	}
	return out
}

func trajBand(g *group, f func(results.Checkpoint) results.Num) (plots.Band, bool) {
	vals := map[int][]float64{}
	for _, r := range g.runs {
		for _, c := range r.Trajectory {
			if v := f(c); finite(v) {
				vals[c.Iteration] = append(vals[c.Iteration], float64(v))
			}
		}
	}
	if len(vals) == 0 {
		return plots.Band{}, false
	}
	var its []int
	for it := range vals {
		its = append(its, it)
	}
	sort.Ints(its)
	b := plots.Band{Label: g.label}
	for _, it := range its {
		m, s := stats.MeanStd(vals[it])
		b.X = append(b.X, float64(it))
		b.Mean = append(b.Mean, m)
		b.Std = append(b.Std, s)
	}
	return b, true
}

// runList is the table of every run.
func runList(runs []*results.Result) report.Section {
	t := report.Table{Header: []string{"run", "experiment", "task", "rule", "seed", "η", "iterations", "status", "test metric", "gap", "λ_max", "time (s)"}}
	for _, r := range runs {
		st := string(r.Status.State)
		if r.Status.State == results.Diverged {
			st = fmt.Sprintf("diverged at %d: %s", r.Status.Step, r.Status.Reason)
		} else if r.Status.State == results.Failed {
			reason := r.Status.Reason
			if i := strings.IndexByte(reason, '\n'); i >= 0 {
				reason = reason[:i]
			}
			st = "failed: " + reason
		}
		t.Rows = append(t.Rows, []string{r.ID, r.Experiment, r.Config.Task, r.Label, fmt.Sprint(r.Seed), fmt.Sprintf("%g", r.Config.Train.LR),
			fmt.Sprint(r.Final.Iterations), st, num(r.Final.TestMetric), num(r.Final.Gap), num(r.Final.LambdaMax), fmt.Sprintf("%.1f", r.WallSeconds)})
	}
	return report.Section{Heading: fmt.Sprintf("All runs (%d)", len(runs)), Tables: []report.Table{t},
		Paragraphs: []string{"Each run's full record (configuration, versions, SIMD level, trajectory) is the JSON file named by its ID; results.csv has one row per run and checkpoint."}}
}

func num(v results.Num) string {
	if !finite(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.4g", float64(v))
}
