package experiment

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/dynamics"
	"github.com/hessrnn/hessrnn/cmd/internal/plots"
	"github.com/hessrnn/hessrnn/cmd/internal/report"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
	"github.com/hessrnn/hessrnn/dsa"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rules"
)

// The settings of the dynamics analysis, fixed before any data were seen.
//   - DSA: 4 delays at interval 1 (DMS trials have 20–36 steps, so every
//     trial keeps at least 17 embedded rows), rank 10, ridge 1e-8 (the
//     reference implementation's default λ); 8 starts of the Procrustes
//     optimisation.
//   - Probes: the test inputs of the task with the probe seed, the same for
//     every network, up to dynamicsMaxSteps steps in all (DMS: all 68 test
//     trials, 1 904 steps, which have no randomness; pattern generation:
//     the first 40 noisy test copies of the frozen input, σ drawn with the
//     probe seed). The budget keeps the cost per network alike across
//     tasks (the Jacobians of distinct ReLU masks and the Hankel SVD grow
//     with the number of steps).
//   - Permutation tests: 9999 label permutations.
var dynamicsSettings = dynamics.Settings{
	Fit:        dsa.FitSettings{NDelays: 4, Interval: 1, Rank: 10, Ridge: 1e-8},
	Procrustes: dsa.ProcrustesSettings{Starts: 8, Tol: 1e-9, Seed: 1},
	Diagonal:   dsa.DiagonalSettings{MaxIter: 500, Tol: 1e-4},
}

const (
	dynamicsProbeSeed = 1
	dynamicsMaxSteps  = 2000
	dynamicsPerms     = 9999
)

// dynRun is one finished run with its dynamics summary.
type dynRun struct {
	res   *results.Result
	label int
	sum   dynamics.Summary
}

// probeBatches returns the probe inputs for a run's task: the test batches
// of the task built with the probe seed, whole sequences up to
// dynamicsMaxSteps steps in all (at least one sequence).
func probeBatches(run config.Run) ([]*rnn.Batch[float64], error) {
	run.Seed = dynamicsProbeSeed
	tk, err := makeTask[float64](&Env{}, run)
	if err != nil {
		return nil, err
	}
	var out []*rnn.Batch[float64]
	left := dynamicsMaxSteps
	for _, set := range tk.Tests() {
		for i := 0; i < set.NumBatches(); i++ {
			b := set.Batch(i)
			rows := min(b.Size, left/b.Steps)
			if len(out) == 0 {
				rows = max(rows, 1)
			}
			if rows == 0 {
				break
			}
			if rows < b.Size {
				b = subBatch(b, rows)
			}
			out = append(out, b)
			left -= rows * b.Steps
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("task %s has no test inputs", run.Task)
	}
	return out, nil
}

// subBatch returns the first rows sequences of b.
func subBatch(b *rnn.Batch[float64], rows int) *rnn.Batch[float64] {
	s := &rnn.Batch[float64]{Size: rows, Steps: b.Steps, In: b.In, Out: b.Out, X: make([]float64, b.Steps*rows*b.In)}
	if b.Y != nil {
		s.Y = make([]float64, b.Steps*rows*b.Out)
	}
	if b.Labels != nil {
		s.Labels = make([]int32, b.Steps*rows)
	}
	for t := 0; t < b.Steps; t++ {
		copy(s.X[t*rows*b.In:(t+1)*rows*b.In], b.X[t*b.Size*b.In:])
		if b.Y != nil {
			copy(s.Y[t*rows*b.Out:(t+1)*rows*b.Out], b.Y[t*b.Size*b.Out:])
		}
		if b.Labels != nil {
			copy(s.Labels[t*rows:(t+1)*rows], b.Labels[t*b.Size:])
		}
	}
	return s
}

// loadDynamics summarises every finished run whose final weights are in
// the results directory. It returns the runs in group (rule) order, seeds
// ascending, and the IDs of runs without weights.
func (v *view) loadDynamics() ([]dynRun, []string, error) {
	dir := FinalWeightsDir(filepath.Dir(v.figDir))
	var out []dynRun
	var missing []string
	var probes []*rnn.Batch[float64]
	for gi, g := range v.groups {
		rs := append([]*results.Result(nil), g.runs...)
		sort.Slice(rs, func(i, j int) bool { return rs[i].Seed < rs[j].Seed })
		for _, r := range rs {
			path := FinalWeightsFile(dir, r.ID)
			if _, err := os.Stat(path); err != nil {
				missing = append(missing, r.ID)
				continue
			}
			net, err := rnn.LoadNPZFile[float64](path)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			if probes == nil {
				if probes, err = probeBatches(r.Config); err != nil {
					return nil, nil, err
				}
			}
			s, err := dynamics.Summarise(net, probes, dynamicsSettings)
			if err != nil {
				return nil, nil, fmt.Errorf("run %s: %w", r.ID, err)
			}
			out = append(out, dynRun{res: r, label: gi, sum: s})
		}
	}
	return out, missing, nil
}

// dynamics is the report part of the dynamics experiment.
func (v *view) dynamics() {
	runs, missing, err := v.loadDynamics()
	if err != nil {
		v.sec.Paragraphs = append(v.sec.Paragraphs, "Dynamics analysis failed: "+err.Error())
		return
	}
	if len(missing) > 0 {
		v.sec.Paragraphs = append(v.sec.Paragraphs, fmt.Sprintf("Dynamics: %d finished runs have no final weights in %s (e.g. %s) and are left out; rerun them with hessrnn run dynamics --force.",
			len(missing), FinalWeightsDir(filepath.Dir(v.figDir)), missing[0]))
	}
	if len(runs) < 4 {
		return
	}
	nGroups := 0
	for _, r := range runs {
		nGroups = max(nGroups, r.label+1)
	}
	fs := dynamicsSettings.Fit
	v.sec.Paragraphs = append(v.sec.Paragraphs, fmt.Sprintf(
		"Dynamics of the %d trained networks (package dsa; Ostrow et al. 2023). Every network is run on the same probe inputs (the task's test inputs with probe seed %d, whole sequences up to %d steps in all). "+
			"DSA fits a linear operator A (rank %d, %d delays at interval %d, ridge %g) to the delay-embedded rates and compares two networks by min over orthogonal C of ‖A_x − C A_y Cᵀ‖_F and by the angle between A_x and C A_y Cᵀ. "+
			"The geometric baselines compare the states themselves: the angular Procrustes shape distance and 1 − linear CKA. "+
			"Within vs between: mean distance of pairs of the same rule against pairs of different rules, p from %d label permutations. "+
			"Clustering: average linkage cut at k = %d clusters, adjusted Rand index (ARI) against the rules with its permutation p-value. "+
			"The distances of every pair are in <task>_dynamics.csv and the per-run rates in <task>_contraction.csv beside this report.",
		len(runs), dynamicsProbeSeed, dynamicsMaxSteps, fs.Rank, fs.NDelays, fs.Interval, fs.Ridge, dynamicsPerms, nGroups))
	labels := make([]int, len(runs))
	var models []*dsa.Model
	var states []*mat.Dense
	for i, r := range runs {
		labels[i] = r.label
		models = append(models, r.sum.Model)
		states = append(states, r.sum.States)
	}
	euc, ang, err := dynamics.DSADistances(models, dynamicsSettings.Procrustes)
	if err != nil {
		v.sec.Paragraphs = append(v.sec.Paragraphs, "DSA failed: "+err.Error())
		return
	}
	shape, cka, err := dynamics.GeometricDistances(states)
	if err != nil {
		v.sec.Paragraphs = append(v.sec.Paragraphs, "Geometric baseline failed: "+err.Error())
		return
	}
	if err := v.writeDynamicsCSV(runs, []*mat.SymDense{ang, euc, shape, cka}); err != nil {
		v.sec.Paragraphs = append(v.sec.Paragraphs, "Writing the distance table failed: "+err.Error())
	}
	t := report.Table{Caption: "Do the distances separate the rules?", Header: []string{"distance", "mean within rule", "mean between rules", "p (permutation)", "ARI (k = " + fmt.Sprint(nGroups) + ")", "ARI p (permutation)"}}
	fmt.Fprintf(&v.txt, "  dynamics (%d networks): within vs between rule, ARI of average-linkage clusters\n", len(runs))
	for i, d := range []struct {
		name string
		m    *mat.SymDense
	}{{"DSA angular (rad)", ang}, {"DSA euclidean", euc}, {"states: Procrustes shape angle (rad)", shape}, {"states: 1 − CKA", cka}} {
		s := dynamics.Separate(d.m, labels, dynamicsPerms, uint64(100+i))
		t.Rows = append(t.Rows, []string{d.name, fmt.Sprintf("%.4g", s.Within), fmt.Sprintf("%.4g", s.Between), fmtP(s.P), fmt.Sprintf("%.3f", s.ARI), fmtP(s.ARIP)})
		fmt.Fprintf(&v.txt, "    %-38s within %.4g  between %.4g  p %s  ARI %.3f  p %s\n", d.name, s.Within, s.Between, fmtP(s.P), s.ARI, fmtP(s.ARIP))
	}
	v.sec.Tables = append(v.sec.Tables, t)
	var names []string
	for _, g := range v.groups {
		names = append(names, g.label)
	}
	var panels []*plot.Plot
	for _, h := range []struct {
		title string
		m     *mat.SymDense
	}{{"DSA angular distance", ang}, {"state Procrustes shape angle", shape}} {
		if p, err := heatMap(h.title, h.m, labels, names); err == nil {
			panels = append(panels, p)
		}
	}
	if len(panels) > 0 {
		v.savePanels(plots.Panels{Plots: panels, Cols: 2, Scale: 1}, "dsa_heatmap",
			"Distance matrices between all trained networks, ordered by rule (ticks mark the first network of each rule; seeds ascending within a rule): DSA angular distance (left) and the geometric baseline (right).")
	}
	v.contraction(runs)
}

// writeDynamicsCSV writes OUT/<task>_dynamics.csv: one row per pair of
// networks with the four distances, and OUT/<task>_contraction.csv: one
// row per network with its contraction rates, gap and λ_max.
func (v *view) writeDynamicsCSV(runs []dynRun, ds []*mat.SymDense) error {
	dir := filepath.Dir(v.figDir)
	var b strings.Builder
	b.WriteString("run_a,rule_a,run_b,rule_b,dsa_angular,dsa_euclidean,shape_angle,one_minus_cka\n")
	for i := range runs {
		for j := i + 1; j < len(runs); j++ {
			fmt.Fprintf(&b, "%s,%s,%s,%s", runs[i].res.ID, v.groups[runs[i].label].label, runs[j].res.ID, v.groups[runs[j].label].label)
			for _, d := range ds {
				fmt.Fprintf(&b, ",%.17g", d.At(i, j))
			}
			b.WriteString("\n")
		}
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, v.task+"_dynamics.csv"), []byte(b.String())); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("run,rule,seed,gap,lambda_max,mu2_max,mu2_mean,muinf_max,diag_max,diag_mean,diag_lower,steps,distinct_masks,dsa_rank,dsa_residual\n")
	for _, r := range runs {
		c := r.sum.Contraction
		fmt.Fprintf(&b, "%s,%s,%d,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d,%d,%d,%.17g\n", r.res.ID, v.groups[r.label].label, r.res.Seed,
			float64(r.res.Final.Gap), float64(r.res.Final.LambdaMax), c.Mu2Max, c.Mu2Mean, c.MuInfMax, c.DiagMax, c.DiagMean, c.DiagLower,
			c.Steps, c.Distinct, r.sum.Model.Rank, r.sum.Model.Residual)
	}
	return results.WriteFileAtomic(filepath.Join(dir, v.task+"_contraction.csv"), []byte(b.String()))
}

// gridMatrix adapts a distance matrix to plotter.GridXYZ.
type gridMatrix struct{ m *mat.SymDense }

func (g gridMatrix) Dims() (c, r int)   { n := g.m.SymmetricDim(); return n, n }
func (g gridMatrix) Z(c, r int) float64 { n := g.m.SymmetricDim(); return g.m.At(n-1-r, c) }
func (g gridMatrix) X(c int) float64    { return float64(c) }
func (g gridMatrix) Y(r int) float64    { return float64(r) }

// heatMap draws d (rows top to bottom in order) with a tick at the first
// item of each label.
func heatMap(title string, d *mat.SymDense, labels []int, names []string) (*plot.Plot, error) {
	n := d.SymmetricDim()
	hi := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			hi = math.Max(hi, d.At(i, j))
		}
	}
	pal := moreland.SmoothBlueRed()
	pal.SetMin(0)
	pal.SetMax(math.Max(hi, 1e-12))
	h := plotter.NewHeatMap(gridMatrix{d}, pal.Palette(255))
	h.Min, h.Max = 0, math.Max(hi, 1e-12)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (0 to %.3g)", title, hi)
	p.Add(h)
	var xt, yt []plot.Tick
	for i, l := range labels {
		if i == 0 || labels[i-1] != l {
			xt = append(xt, plot.Tick{Value: float64(i), Label: names[l]})
			yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: names[l]})
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Tick.Label.Rotation = -0.6
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = -0.1, -0.5
	return p, nil
}

// contraction reports the contraction rates per rule and their
// correlations with the gap and λ_max.
func (v *view) contraction(runs []dynRun) {
	type metric struct {
		name string
		f    func(rnn.Contraction) float64
	}
	ms := []metric{
		{"μ₂ max", func(c rnn.Contraction) float64 { return c.Mu2Max }},
		{"μ₂ mean", func(c rnn.Contraction) float64 { return c.Mu2Mean }},
		{"μ∞ max", func(c rnn.Contraction) float64 { return c.MuInfMax }},
		{"μ∞ max, optimised diagonal metric", func(c rnn.Contraction) float64 { return c.DiagMax }},
		{"μ∞ mean, optimised diagonal metric", func(c rnn.Contraction) float64 { return c.DiagMean }},
	}
	t := report.Table{Caption: "Contraction rates of the state Jacobians on the probes (mean ± std over runs; the max and mean are over steps)", Header: []string{"rule", "n"}}
	for _, m := range ms {
		t.Header = append(t.Header, m.name)
	}
	t.Header = append(t.Header, "diagonal-metric gap (rate − certified lower bound)")
	for gi, g := range v.groups {
		row := []string{g.label}
		var rs []dynRun
		for _, r := range runs {
			if r.label == gi {
				rs = append(rs, r)
			}
		}
		row = append(row, fmt.Sprint(len(rs)))
		for _, m := range ms {
			var x []float64
			for _, r := range rs {
				x = append(x, m.f(r.sum.Contraction))
			}
			row = append(row, fmtMS(x))
		}
		var gap []float64
		for _, r := range rs {
			gap = append(gap, r.sum.Contraction.DiagMax-r.sum.Contraction.DiagLower)
		}
		row = append(row, fmtMS(gap))
		t.Rows = append(t.Rows, row)
	}
	v.sec.Tables = append(v.sec.Tables, t)
	// Correlations with the gap and λ_max, pooled and within each rule,
	// for the identity metric (μ₂ max) and the optimised diagonal metric.
	ct := report.Table{Caption: "Contraction rate against the generalisation gap and λ_max (Pearson and Spearman, two-sided p)", Header: []string{"contraction", "against", "runs", "n", "Pearson r", "p", "Spearman ρ", "p"}}
	var panels []*plot.Plot
	for _, m := range []metric{ms[0], ms[3]} {
		for _, against := range []struct {
			name string
			f    func(*results.Result) results.Num
		}{{"gap", gapOf}, {"λ_max", lambdaOf}} {
			scopes := []int{-1}
			for gi := range v.groups {
				scopes = append(scopes, gi)
			}
			for _, sc := range scopes {
				var x, y []float64
				var pts []plots.Point
				for _, r := range runs {
					if sc >= 0 && r.label != sc {
						continue
					}
					xv, yv := m.f(r.sum.Contraction), float64(against.f(r.res))
					x, y = append(x, xv), append(y, yv)
					pts = append(pts, plots.Point{Label: v.groups[r.label].label, X: xv, Y: yv})
				}
				scope := "pooled"
				if sc >= 0 {
					scope = v.groups[sc].label
				}
				pe, err := stats.Pearson(x, y)
				if err != nil {
					continue
				}
				sp, _ := stats.Spearman(x, y)
				ct.Rows = append(ct.Rows, []string{m.name, against.name, scope, fmt.Sprint(pe.N), fmt.Sprintf("%.3f", pe.R), fmtP(pe.P), fmt.Sprintf("%.3f", sp.R), fmtP(sp.P)})
				if sc < 0 {
					fmt.Fprintf(&v.txt, "  %s vs %s (pooled, n=%d): Pearson r = %.3f, p = %s; Spearman ρ = %.3f, p = %s\n", m.name, against.name, pe.N, pe.R, fmtP(pe.P), sp.R, fmtP(sp.P))
					// A log axis needs every λ_max > 0: the leading
					// eigenvalue is negative where the dominant curvature
					// is negative (a saddle, before convergence).
					_, fy := finitePairs(x, y)
					logY := against.name == "λ_max" && allPositive(fy) && spansDecades(y)
					if p, err := plots.Scatter(m.name+" vs "+against.name, m.name, against.name, pts, pearsonSpearmanFit(x, y, !logY)); err == nil {
						if logY {
							plots.LogAxis(&p.Y)
							p.Y.Label.Text += " (log scale)"
						}
						panels = append(panels, p)
					}
				}
			}
		}
	}
	v.sec.Tables = append(v.sec.Tables, ct)
	if len(panels) > 0 {
		v.savePanels(plots.Panels{Plots: panels, Cols: 2}, "contraction_vs_gap_lambda",
			"Contraction rate of each trained network (identity metric μ₂ max over steps, top; optimised diagonal metric μ∞ max, bottom) against its generalisation gap (left, with the least-squares line) and λ_max (right; a log axis, without a line, when λ_max spans more than a factor 30), pooled over rules.")
	}
}

// pearsonSpearmanFit is the scatter annotation: both correlations, and
// the least-squares line when line is set.
func pearsonSpearmanFit(x, y []float64, line bool) *plots.Fit {
	pe, err := stats.Pearson(x, y)
	if err != nil {
		return nil
	}
	sp, _ := stats.Spearman(x, y)
	f := &plots.Fit{A: math.NaN(), B: math.NaN(), Text: fmt.Sprintf("Pearson r = %.3f, p = %s; Spearman ρ = %.3f, p = %s", pe.R, fmtP(pe.P), sp.R, fmtP(sp.P))}
	if line {
		f.A, f.B = stats.LinearFit(x, y)
	}
	return f
}

// spansDecades reports whether the positive values of y span more than a
// factor 30 (then a log axis shows them better).
func spansDecades(y []float64) bool {
	lo, hi := math.Inf(1), 0.0
	for _, v := range y {
		if v > 0 && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return hi > 30*lo
}

// kappa plots κ_min = (1 + sin θ)/(1 − sin θ) along training per rule: the
// smallest condition number of a symmetric positive-definite metric M with
// ĝ = M g (rules.KappaFromCos of the logged cos θ between the rule's W_rec
// update and the gradient). BPTT is M = I, κ = 1.
func (v *view) kappa() {
	var bands []plots.Band
	t := report.Table{Caption: "κ_min of the rule's metric over checkpoints (W_rec block)", Header: []string{"rule", "runs", "median over runs of the per-run median κ_min", "median final κ_min", "checkpoints with cos θ ≤ 0 (no SPD metric, κ = ∞)"}}
	for _, g := range v.groups {
		b, ok := quartileBand(g, func(c results.Checkpoint) results.Num {
			if !finite(c.Cos) {
				return results.NaN()
			}
			return results.Num(rules.KappaFromCos(float64(c.Cos)))
		})
		if !ok {
			continue
		}
		bands = append(bands, b)
		var med, last []float64
		inf, all := 0, 0
		for _, r := range g.runs {
			var ks []float64
			for _, c := range r.Trajectory {
				if finite(c.Cos) {
					k := rules.KappaFromCos(float64(c.Cos))
					ks = append(ks, k)
					all++
					if math.IsInf(k, 1) {
						inf++
					}
				}
			}
			if len(ks) == 0 {
				continue
			}
			last = append(last, ks[len(ks)-1])
			med = append(med, stats.MedianIQR(ks).Median)
		}
		t.Rows = append(t.Rows, []string{g.label, fmt.Sprint(len(med)), fmt.Sprintf("%.4g", stats.MedianIQR(med).Median), fmt.Sprintf("%.4g", stats.MedianIQR(last).Median),
			fmt.Sprintf("%d of %d", inf, all)})
	}
	if len(bands) == 0 {
		return
	}
	v.sec.Tables = append(v.sec.Tables, t)
	if p, err := plots.Bands("κ_min along training", "iteration", "κ_min = (1 + sin θ)/(1 − sin θ)", bands, true); err == nil {
		v.save(p, "kappa_min", "κ_min, the smallest condition number of a symmetric positive-definite metric M with rule update = M·gradient, along training (median and interquartile range over the runs with cos θ > 0 at that checkpoint; W_rec block; checkpoints with cos θ ≤ 0, where no such M exists, are left out). BPTT has κ = 1.")
	}
	var parts []string
	for _, r := range t.Rows {
		parts = append(parts, r[0]+" "+r[2])
	}
	fmt.Fprintf(&v.txt, "  κ_min (median over checkpoints): %s\n", strings.Join(parts, "; "))
}
