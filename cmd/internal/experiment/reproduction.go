package experiment

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
)

// ReproductionFile is the name of the reproduction report.
const ReproductionFile = "REPRODUCTION.md"

// outcome is what one claim test found: lines of numbers and the verdict.
type outcome struct {
	lines   []string
	verdict string
}

// claimSpec is one claim of the paper, as data: which experiment's runs
// test it, the figure of that experiment's report that shows it, and how.
type claimSpec struct {
	id, figure, statement string
	exp, fig              string
	eval                  func(by map[string][]*results.Result, all []*results.Result) outcome
}

var bioRules = []string{"Three-factor", "RF Three-factor", "MDGL"}

// pairedClaim compares each label with its reference on f.
func pairedClaim(labels []string, ref string, q pairedQuantity, up bool) func(map[string][]*results.Result, []*results.Result) outcome {
	return func(by map[string][]*results.Result, _ []*results.Result) outcome {
		var o outcome
		var vs []string
		for _, l := range labels {
			if len(by[l]) == 0 || len(by[ref]) == 0 {
				continue
			}
			t := pairedTest(l, by[l], ref, by[ref], q, up)
			vs = append(vs, t.Verdict)
			o.lines = append(o.lines, fmt.Sprintf("%s vs %s: %s, larger in %d/%d pairs, paired Wilcoxon p = %s%s → %s",
				l, ref, fmtEffect(t), t.Larger, t.Pairs, fmtP(t.P), lostText(t.Lost), t.Verdict))
		}
		o.verdict = overall(vs)
		return o
	}
}

func lostText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d seeds without a pair: diverged or failed)", n)
}

// correlationClaim tests a Spearman correlation of y against x over the
// finished runs of the labels (nil: all), expecting the sign of want.
func correlationClaim(labels []string, x, y finalOf, want float64, name string) func(map[string][]*results.Result, []*results.Result) outcome {
	return func(by map[string][]*results.Result, all []*results.Result) outcome {
		pick := all
		if labels != nil {
			pick = nil
			for _, l := range labels {
				pick = append(pick, by[l]...)
			}
		}
		var xs, ys []float64
		for _, r := range pick {
			if r.Status.State == results.Finished && finite(x(r)) && finite(y(r)) {
				xs, ys = append(xs, float64(x(r))), append(ys, float64(y(r)))
			}
		}
		sp, err := stats.Spearman(xs, ys)
		if err != nil {
			return outcome{lines: []string{name + ": too few finished runs"}, verdict: NoData}
		}
		v := verdict(sp.R*want, sp.P, false, true)
		return outcome{lines: []string{fmt.Sprintf("%s: Spearman ρ = %.3f, p = %s (n = %d) → %s", name, sp.R, fmtP(sp.P), sp.N, v)}, verdict: v}
	}
}

// withinClaim is correlationClaim within each bio rule (Fig. 12 A–B).
func withinClaim(by map[string][]*results.Result, all []*results.Result) outcome {
	var o outcome
	var vs []string
	for _, l := range append([]string{"BPTT"}, bioRules...) {
		if len(by[l]) == 0 {
			continue
		}
		c := correlationClaim([]string{l}, lambdaOf, gapOf, 1, l)(by, all)
		o.lines = append(o.lines, c.lines...)
		vs = append(vs, c.verdict)
	}
	o.verdict = overall(vs)
	return o
}

// theoremClaim checks the bounds of Theorem 1 run by run: BPTT λ_max ≤ 2/η,
// an approximate rule's ≤ 2/(αη) with α at convergence. Reproduced when
// every run is under its bound, partly when at least half are.
func theoremClaim(by map[string][]*results.Result, _ []*results.Result) outcome {
	var o outcome
	under, n := 0, 0
	for _, l := range append([]string{"BPTT"}, bioRules...) {
		u, m := 0, 0
		for _, r := range by[l] {
			lam := float64(r.Final.LambdaMax)
			if r.Status.State != results.Finished || !finite(r.Final.LambdaMax) {
				continue
			}
			bound := 2 / finalLR(r)
			if l != "BPTT" {
				a := float64(convergedAlpha(r))
				if !(a > 0) {
					continue
				}
				bound /= a
			}
			m++
			if lam <= bound {
				u++
			}
		}
		if m == 0 {
			continue
		}
		b := "2/η"
		if l != "BPTT" {
			b = "2/(αη)"
		}
		o.lines = append(o.lines, fmt.Sprintf("%s: λ_max ≤ %s in %d/%d runs", l, b, u, m))
		under, n = under+u, n+m
	}
	switch {
	case n == 0:
		o.verdict = NoData
	case under == n:
		o.verdict = Reproduced
	case 2*under >= n:
		o.verdict = Partly
	default:
		o.verdict = NotReproduced
	}
	return o
}

// alignClaim compares, run by run, the mean top-k energy fraction of ε with
// that of g (Fig. 10: ε less aligned).
func alignClaim(by map[string][]*results.Result, _ []*results.Result) outcome {
	var o outcome
	var vs []string
	for _, l := range bioRules {
		var x, y []float64
		for _, r := range by[l] {
			var e, g []float64
			for _, c := range r.Trajectory {
				if finite(c.AlignEps) && finite(c.AlignG) {
					e, g = append(e, float64(c.AlignEps)), append(g, float64(c.AlignG))
				}
			}
			if r.Status.State == results.Finished && len(e) > 0 {
				x, y = append(x, stats.Mean(e)), append(y, stats.Mean(g))
			}
		}
		if len(x) == 0 {
			continue
		}
		t := pairedValues(l, x, y, false)
		vs = append(vs, t.Verdict)
		o.lines = append(o.lines, fmt.Sprintf("%s: ε fraction − g fraction %s (per run, mean over checkpoints), ε smaller in %d/%d runs, paired Wilcoxon p = %s → %s",
			l, fmtEffect(t), t.Pairs-t.Larger, t.Pairs, fmtP(t.P), t.Verdict))
	}
	o.verdict = overall(vs)
	return o
}

// twoSided reports a difference without a stated direction (Fig. 7).
func twoSided(label, ref string, q pairedQuantity, name string) func(map[string][]*results.Result, []*results.Result) outcome {
	return func(by map[string][]*results.Result, _ []*results.Result) outcome {
		t := pairedTest(label, by[label], ref, by[ref], q, true)
		v := t.Verdict
		if v == Reversed {
			v = Reproduced // either direction is a difference
		}
		return outcome{lines: []string{fmt.Sprintf("%s: %s − %s %s, paired Wilcoxon p = %s → %s", name, label, ref, fmtEffect(t), fmtP(t.P), v)}, verdict: v}
	}
}

func all(fs ...func(map[string][]*results.Result, []*results.Result) outcome) func(map[string][]*results.Result, []*results.Result) outcome {
	return func(by map[string][]*results.Result, a []*results.Result) outcome {
		var o outcome
		var vs []string
		for _, f := range fs {
			x := f(by, a)
			o.lines = append(o.lines, x.lines...)
			vs = append(vs, x.verdict)
		}
		o.verdict = overall(vs)
		return o
	}
}

var gammaOf = func(r *results.Result) results.Num { return r.Final.Gamma }
var kappaOf = func(r *results.Result) results.Num { return r.Final.Flatness }
var truncKOf = func(r *results.Result) results.Num { return results.Num(r.Config.Train.TruncK) }

// claims lists the paper's claims in the order of REPRODUCTION.md.
var claims = []claimSpec{
	{"C1", "Fig. 2–3", "Bio-plausible rules (Three-factor, RF Three-factor, MDGL) converge to sharper minima: a larger final λ_max than BPTT.",
		"fig2", "lambda_paired", pairedClaim(bioRules, "BPTT", lambdaQ, true)},
	{"C2", "Fig. 2 A–C", "Bio-plausible rules generalise worse: a larger generalisation gap than BPTT.",
		"fig2", "gap_hist", pairedClaim(bioRules, "BPTT", gapQ, true)},
	{"C2b", "Fig. 2 D–F", "The gap correlates positively with λ_max across runs (pooled over rules).",
		"fig2", "gap_vs_lambda", correlationClaim(nil, lambdaOf, gapOf, 1, "gap vs λ_max, pooled")},
	{"C2c", "Fig. 12 A–B", "The gap correlates with λ_max within a single rule.",
		"fig2", "gap_vs_lambda_within", withinClaim},
	{"C3", "Theorem 1", "BPTT's λ_max stays below 2/η and an approximate rule's below 2/(αη).",
		"theorem1", "theorem1", theoremClaim},
	{"C3b", "Fig. 4", "BPTT with Three-factor's step length α (\"Three-factor theory\") reaches Three-factor's high curvature: larger λ_max than BPTT.",
		"fig4", "lambda", pairedClaim([]string{"Three-factor theory"}, "BPTT", lambdaQ, true)},
	{"C3c", "Appendix Fig. 6", "Step-matched BPTT generalises worse, like Three-factor: larger gap than BPTT.",
		"fig6", "gap_strip", pairedClaim([]string{"Three-factor theory"}, "BPTT", gapQ, true)},
	{"C4", "Appendix Fig. 5", "A large initial rate with decay gives Three-factor a lower λ_max and a smaller gap than a fixed rate, still worse than BPTT.",
		"fig5", "lambda", all(pairedClaim([]string{"Three-factor [lr decay]"}, "Three-factor", lambdaQ, false),
			pairedClaim([]string{"Three-factor [lr decay]"}, "Three-factor", gapQ, false),
			pairedClaim([]string{"Three-factor [lr decay]"}, "BPTT", lambdaQ, true))},
	{"C4b", "Appendix Fig. 12 C", "At 3× the learning rate, step-matched BPTT still reaches Three-factor's curvature: larger λ_max than BPTT.",
		"fig12", "lambda", pairedClaim([]string{"Three-factor", "Three-factor theory"}, "BPTT", lambdaQ, true)},
	{"C4c", "Appendix Fig. 9", "High curvature is common to temporal truncations: final λ_max falls as the window K grows.",
		"fig9", "trunc", correlationClaim(nil, truncKOf, lambdaOf, -1, "K vs λ_max over TBPTT(K) runs")},
	{"C4d", "Appendix Fig. 11", "With Adam the bio-plausible rules still end sharper than BPTT with Adam.",
		"fig11", "lambda_paired", pairedClaim([]string{"Three-factor [adam]", "RF Three-factor [adam]", "MDGL [adam]"}, "BPTT [adam]", lambdaQ, true)},
	{"C5", "Appendix Fig. 10", "The rule's error ε is less aligned with the top-10 Hessian eigenvectors than the gradient g (Assumption 1).",
		"fig10", "alignment", alignClaim},
	{"C6", "Appendix Fig. 7", "The power-law decay coefficient γ of the top Hessian spectrum differs between BPTT and Three-factor (direction not stated in the text we have).",
		"fig7", "spectrum", twoSided("Three-factor", "BPTT", gammaQ, "γ")},
	{"C6b", "Appendix Fig. 8", "Relative flatness κ agrees that BPTT sits in flatter regions: Three-factor's κ is larger.",
		"fig8", "flatness", pairedClaim([]string{"Three-factor"}, "BPTT", kappaQ, true)},
	{"C7", "Appendix Table 1", "BPTT stopped early at Three-factor's test accuracy still has a lower λ_max and a smaller gap than Three-factor.",
		"table1", "lambda", all(pairedClaim([]string{"BPTT [early-stopped]"}, "Three-factor", lambdaQ, false),
			pairedClaim([]string{"BPTT [early-stopped]"}, "Three-factor", gapQ, false))},
}

// WriteReproduction writes OUT/REPRODUCTION.md from the items' results,
// with the figures it cites copied to OUT/figures/, and returns the
// verdict table as text.
func WriteReproduction(out string, sc Scale, items []ItemResult, command string, wall time.Duration) (string, error) {
	var md strings.Builder
	figDir := filepath.Join(out, "figures")
	if err := os.MkdirAll(figDir, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(&md, "# Reproduction of Liu et al., NeurIPS 2022 — scale %q\n\n", sc.Name)
	if len(items) < len(sc.Items) {
		fmt.Fprintf(&md, "**Partial: %d of %d experiments done so far**; the command is still running or was stopped (rerun it to resume).\n\n", len(items), len(sc.Items))
	}
	fmt.Fprintf(&md, "Generated by `%s` from the results in this folder (one results folder per task; rerunning the command resumes and regenerates this file). Scale: %s.\n\n", command, sc.About)
	fmt.Fprintf(&md, "**Protocol.** %s. Rule variants inherit their rule's rate: Three-factor theory runs at Three-factor's η (Fig. 4: BPTT with α-scaled steps at the same η), the lr-decay remedy starts at 3× Three-factor's η (Fig. 5), Fig. 12 at 3× each rule's η, early-stopped BPTT at BPTT's η; TBPTT(K) and every Adam rule select their own. Pattern generation and DMS stop when the training loss and λ_max have each changed by less than 1 %% over the last 10 %% of the iterations (cap %d); seqMNIST trains the code's fixed budget. The selections are in each task's `selection.json`.\n\n", sc.Protocol.Describe(), config.PlateauCap)
	md.WriteString("**Verdicts.** A comparison is *reproduced* when its effect has the paper's direction and the two-sided paired Wilcoxon signed-rank p (pairs = runs with the same seed: same initial weights, data order and test noise) is below 0.05; *reversed* when the effect has the opposite direction with p < 0.05; *not reproduced* otherwise. λ_max and κ are compared as geometric-mean ratios (rule/reference, 95 % bootstrap CI), gaps and other quantities as mean differences; correlations by Spearman's ρ with its p. A claim over several rules is *reproduced* when every rule reproduces it, *partly* when some do, *reversed* when none does and some reverse it. Theorem 1 is *reproduced* when every run is under its bound, *partly* when at least half are. Seeds whose run diverged lose their pair; the count is given.\n\n")

	tasks := []string{}
	byTask := map[string][]ItemResult{}
	for _, it := range items {
		if _, ok := byTask[it.Task]; !ok {
			tasks = append(tasks, it.Task)
		}
		byTask[it.Task] = append(byTask[it.Task], it)
	}
	// The verdict table: claims × tasks.
	verdicts := map[string]map[string]string{}
	var body strings.Builder
	for _, t := range tasks {
		fmt.Fprintf(&body, "## %s\n\n", taskTitles[t])
		exp := map[string]ItemResult{}
		for _, it := range byTask[t] {
			exp[it.Experiment] = it
			if it.Skipped != "" {
				fmt.Fprintf(&body, "- `%s` skipped: %s\n", it.Experiment, it.Skipped)
			}
		}
		body.WriteString("\n")
		for _, c := range claims {
			it, ok := exp[c.exp]
			if !ok || it.Skipped != "" {
				continue
			}
			by := map[string][]*results.Result{}
			for _, r := range it.Runs {
				by[r.Label] = append(by[r.Label], r)
			}
			o := c.eval(by, it.Runs)
			if verdicts[c.id] == nil {
				verdicts[c.id] = map[string]string{}
			}
			verdicts[c.id][t] = o.verdict
			fmt.Fprintf(&body, "### %s (%s): %s\n\n", c.id, c.figure, o.verdict)
			fmt.Fprintf(&body, "- Paper: %s\n- Command: `%s`\n", c.statement, it.Command)
			for _, l := range o.lines {
				fmt.Fprintf(&body, "- %s\n", l)
			}
			fmt.Fprintf(&body, "- Runs: %s; wall time of this item %s, run time of its results %s\n", it.Summary, it.Wall.Round(time.Second), time.Duration(it.RunSeconds*float64(time.Second)).Round(time.Second))
			if f := copyFigure(it.Dir, c.exp, t, c.fig, figDir); f != "" {
				fmt.Fprintf(&body, "\n![%s %s](figures/%s)\n", c.id, taskTitles[t], f)
			}
			body.WriteString("\n")
		}
		if it, ok := exp["sensitivity"]; ok && it.Skipped == "" && len(it.Runs) > 0 {
			txt, err := WriteSensitivity(it.Dir, it.Runs, "Sensitivity — "+t, it.Command)
			if err == nil {
				fmt.Fprintf(&body, "### Sensitivity over the unknowns\n\n- Command: `%s`\n- Wall time of this item %s\n\n```\n%s```\n\n", it.Command, it.Wall.Round(time.Second), txt)
			}
		}
	}
	md.WriteString("## Verdicts\n\n| claim | figure | " + strings.Join(titlesOf(tasks), " | ") + " |\n|---|---|" + strings.Repeat("---|", len(tasks)) + "\n")
	var txt strings.Builder
	fmt.Fprintf(&txt, "%-5s %-18s", "claim", "figure")
	for _, t := range tasks {
		fmt.Fprintf(&txt, " %-16s", t)
	}
	txt.WriteString("\n")
	for _, c := range claims {
		if verdicts[c.id] == nil {
			continue
		}
		fmt.Fprintf(&md, "| %s | %s |", c.id, c.figure)
		fmt.Fprintf(&txt, "%-5s %-18s", c.id, c.figure)
		for _, t := range tasks {
			v := verdicts[c.id][t]
			if v == "" {
				v = "—"
			}
			fmt.Fprintf(&md, " %s |", v)
			fmt.Fprintf(&txt, " %-16s", v)
		}
		md.WriteString("\n")
		txt.WriteString("\n")
	}
	fmt.Fprintf(&md, "\nTotal wall time of this invocation: %s.\n\n", wall.Round(time.Second))
	md.WriteString(body.String())
	if err := results.WriteFileAtomic(filepath.Join(out, ReproductionFile), []byte(md.String())); err != nil {
		return "", err
	}
	return txt.String(), nil
}

func titlesOf(tasks []string) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = taskTitles[t]
	}
	return out
}

// copyFigure copies the PNG of figure name from experiment exp's report in
// dir to figDir and returns its new name ("" when absent).
func copyFigure(dir, exp, task, name, figDir string) string {
	_, _, figs := ReportFiles(dir, exp)
	b, err := os.ReadFile(filepath.Join(figs, task+"_"+name+".png"))
	if err != nil {
		return ""
	}
	dst := fmt.Sprintf("%s-%s-%s.png", task, exp, name)
	if err := results.WriteFileAtomic(filepath.Join(figDir, dst), b); err != nil {
		return ""
	}
	return dst
}
