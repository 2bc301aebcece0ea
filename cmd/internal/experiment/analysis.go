package experiment

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/plots"
	"github.com/hessrnn/hessrnn/cmd/internal/report"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
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
	key      config.Label      // what the group's runs share
	label    string            // key.String(), for display
	runs     []*results.Result // finished runs
	all      []*results.Result // every run: finished, diverged or failed
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

// taskTitle is the title of a task's block, naming the data set the runs
// actually used: "Sequential Fashion-MNIST" for runs on Fashion-MNIST.
func taskTitle(tname string, runs []*results.Result) string {
	if tname != config.SeqMNIST {
		return taskTitles[tname]
	}
	names := map[string]bool{}
	var list []string
	for _, r := range runs {
		n := "MNIST" // results written before the data was recorded
		if r.Data != nil {
			n = r.Data.Name()
		}
		if !names[n] {
			names[n] = true
			list = append(list, n)
		}
	}
	sort.Strings(list)
	if len(list) == 1 && !strings.HasPrefix(list[0], "unrecognised") {
		return "Sequential " + list[0]
	}
	return "Sequential MNIST-format data (" + strings.Join(list, ", ") + ")"
}

// datasetsOf describes the data of the seqmnist runs: each data set with
// its directory and digest, or "" when no run used data.
func datasetsOf(runs []*results.Result) string {
	seen := map[string]bool{}
	var out []string
	for _, r := range runs {
		if r.Data == nil {
			continue
		}
		if s := r.Data.String(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

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
	if p < 1e-16 {
		// Far below any significance level; a p-value of 0 (underflow
		// of the tail) is shown the same way rather than as 0.
		return "< 1e-16"
	}
	if p < 1e-4 {
		return fmt.Sprintf("%.1e", p)
	}
	return fmt.Sprintf("%.4f", p)
}

// Analyze computes the statistics, figures (written to figDir) and report
// sections of a set of results, one block per task. parts names the report
// parts to draw (see reportParts); nil means the parts of the experiments
// the runs record.
func Analyze(runs []*results.Result, figDir string, parts []string) (Analysis, error) {
	var a Analysis
	byTask := map[string][]*results.Result{}
	for _, r := range runs {
		byTask[r.Config.Task] = append(byTask[r.Config.Task], r)
	}
	if parts == nil {
		parts = partsOf(experimentsOf(runs))
	}
	for _, n := range parts {
		if _, ok := lookupPart(n); !ok {
			return a, fmt.Errorf("experiment: unknown report part %q", n)
		}
	}
	var sum strings.Builder
	for _, tname := range config.Tasks() {
		trs := byTask[tname]
		if len(trs) == 0 {
			continue
		}
		sec, text, figs, err := analyzeTask(tname, trs, figDir, parts)
		if err != nil {
			return a, err
		}
		a.Sections = append(a.Sections, sec...)
		a.Figures = append(a.Figures, figs...)
		sum.WriteString(text)
		sum.WriteString("\n")
	}
	a.Sections = append(a.Sections, runList(runs))
	a.Summary = sum.String()
	return a, nil
}

// experimentsOf returns the experiment names the runs record, in order of
// first appearance.
func experimentsOf(runs []*results.Result) []string {
	var exps []string
	seen := map[string]bool{}
	for _, r := range runs {
		if !seen[r.Experiment] {
			seen[r.Experiment] = true
			exps = append(exps, r.Experiment)
		}
	}
	return exps
}

func groupsOf(runs []*results.Result) []*group {
	m := map[config.Label]*group{}
	for _, r := range runs {
		k := r.Config.Label()
		g, ok := m[k]
		if !ok {
			g = &group{key: k, label: k.String()}
			m[k] = g
		}
		g.add(r)
	}
	var labels []config.Label
	for l := range m {
		labels = append(labels, l)
	}
	var out []*group
	for _, l := range labelOrder(labels) {
		out = append(out, m[l])
	}
	return out
}

// lambdaBand aggregates λ_max by iteration over a group's finished runs:
// the median and interquartile range.
func lambdaBand(g *group) (plots.Band, bool) {
	return quartileBand(g, lambdaAt)
}

// quartileBand aggregates f by iteration over a group's finished runs as
// the median with the first and third quartiles as the band: the summary
// of a quantity spanning orders of magnitude, drawn on a log axis without
// clipping.
func quartileBand(g *group, f func(results.Checkpoint) results.Num) (plots.Band, bool) {
	vals := byIteration(g, f)
	if len(vals) == 0 {
		return plots.Band{}, false
	}
	b := plots.Band{Label: g.label}
	for _, it := range sortedKeys(vals) {
		s := stats.MedianIQR(vals[it])
		b.X = append(b.X, float64(it))
		b.Mean, b.Lo, b.Hi = append(b.Mean, s.Median), append(b.Lo, s.Q1), append(b.Hi, s.Q3)
	}
	return b, true
}

// byIteration collects the finite values of f at each iteration over a
// group's finished runs.
func byIteration(g *group, f func(results.Checkpoint) results.Num) map[int][]float64 {
	vals := map[int][]float64{}
	for _, r := range g.runs {
		for _, c := range r.Trajectory {
			if v := f(c); finite(v) {
				vals[c.Iteration] = append(vals[c.Iteration], float64(v))
			}
		}
	}
	return vals
}

func sortedKeys(m map[int][]float64) []int {
	var its []int
	for it := range m {
		its = append(its, it)
	}
	sort.Ints(its)
	return its
}

// trajBand aggregates f by iteration over a group's finished runs as
// mean ± std.
func trajBand(g *group, f func(results.Checkpoint) results.Num) (plots.Band, bool) {
	vals := byIteration(g, f)
	if len(vals) == 0 {
		return plots.Band{}, false
	}
	b := plots.Band{Label: g.label}
	for _, it := range sortedKeys(vals) {
		m, s := stats.MeanStd(vals[it])
		b.X = append(b.X, float64(it))
		b.Mean = append(b.Mean, m)
		b.Std = append(b.Std, s)
	}
	return b, true
}

// runList is the table of every run.
func runList(runs []*results.Result) report.Section {
	t := report.Table{Header: []string{"run", "experiment", "task", "rule", "seed", "η", "iterations", "status", "test metric", "gap", "λ_max (signed record)", "time (s)"}}
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
		Paragraphs: []string{"Each run's full record (configuration, versions, SIMD level, trajectory) is the JSON file named by its ID; the CSV export beside this report has one row per run and checkpoint."}}
}

func num(v results.Num) string {
	if !finite(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.4g", float64(v))
}
