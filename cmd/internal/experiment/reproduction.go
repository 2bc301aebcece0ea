package experiment

import (
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
	"github.com/hessrnn/hessrnn/rnn/task"
	"github.com/hessrnn/hessrnn/rules"
)

// ReproductionFile is the name of the reproduction report.
const ReproductionFile = "REPRODUCTION.md"

// check is one comparison of a claim: its text (numbers with CI, p and
// pairs) and its verdict. Main checks decide the claim's verdict,
// secondary ones are reported beside it.
type check struct {
	text, verdict string
	main          bool
}

// outcome is what one claim test found: its checks and the verdict of the
// main ones (claimVerdict).
type outcome struct {
	checks  []check
	verdict string
}

// secondary counts the secondary checks with data and the reproduced ones.
func (o outcome) secondary() (reproduced, n int) {
	for _, c := range o.checks {
		if !c.main && c.verdict != NoData {
			n++
			if c.verdict == Reproduced {
				reproduced++
			}
		}
	}
	return reproduced, n
}

// evaluator computes checks of a claim from the runs of its experiment
// grouped by label (by) and all of them (all).
type evaluator func(by map[string][]*results.Result, all []*results.Result) []check

// claimSpec is one claim of the paper, as data: which experiment's runs
// test it, the figure of that experiment's report that shows it, its main
// comparisons (what the spec's sentence for the figure states; they decide
// the verdict) and its secondary ones (reported beside it).
type claimSpec struct {
	id, figure, statement string
	// mainText names the main comparisons in words.
	mainText string
	exp, fig string
	// moreFigs are figures of the same experiment shown after fig.
	moreFigs []string
	main     []evaluator
	second   []evaluator
	// note, when set and not "", is a line explaining the compared
	// quantity for these runs, printed under the main comparison.
	note func(by map[string][]*results.Result, all []*results.Result) string
}

// eval evaluates the claim: every main check, then every secondary one,
// and the verdict of the main ones.
func (c claimSpec) eval(by map[string][]*results.Result, all []*results.Result) outcome {
	var o outcome
	var vs []string
	for _, e := range c.main {
		for _, k := range e(by, all) {
			k.main = true
			o.checks = append(o.checks, k)
			vs = append(vs, k.verdict)
		}
	}
	for _, e := range c.second {
		for _, k := range e(by, all) {
			k.main = false
			o.checks = append(o.checks, k)
		}
	}
	o.verdict = claimVerdict(vs)
	return o
}

var bioRules = []string{"Three-factor", "RF Three-factor", "MDGL"}

// quantityNames names the paired quantities in the checks.
var quantityNames = map[string]string{"lambda_max": "λ_max", "gap": "gap", "gap_clean": "clean-test gap", "kappa": "κ", "gamma": "γ"}

// paired compares each label with ref on q, paired by seed; up is the
// paper's direction (label larger).
func paired(labels []string, ref string, q pairedQuantity, up bool) evaluator {
	return func(by map[string][]*results.Result, _ []*results.Result) []check {
		var out []check
		dir := "larger"
		if !up {
			dir = "smaller"
		}
		for _, l := range labels {
			if len(by[l]) == 0 || len(by[ref]) == 0 {
				continue
			}
			t := pairedTest(l, by[l], ref, by[ref], q, up)
			out = append(out, check{verdict: t.Verdict, text: fmt.Sprintf("%s, %s vs %s (paper: %s): %s, larger in %d/%d pairs, paired Wilcoxon p = %s; %s%s → %s",
				quantityNames[q.name], l, ref, dir, fmtEffect(t), t.Larger, t.Pairs, fmtP(t.P), pairsText(t), negativeText(q, by[l], by[ref]), t.Verdict)})
		}
		return out
	}
}

// withExtraTest is e on runs of which some have the extra test set named
// set (results.Final.ExtraTests), and no check at all on others: the
// clean-test comparisons exist for seqMNIST only, and the other tasks'
// claims stay as they are.
func withExtraTest(set string, e evaluator) evaluator {
	return func(by map[string][]*results.Result, all []*results.Result) []check {
		if !hasExtraTest(all, set) {
			return nil
		}
		return e(by, all)
	}
}

// cleanTestNote says, for runs with seqMNIST's clean test set, that the gap
// of the main comparison is the noisy test set's (spec §5.1) and gives each
// rule's test metric on the clean test set beside the noisy one; "" for
// runs without the set.
func cleanTestNote(by map[string][]*results.Result, all []*results.Result) string {
	if !hasExtraTest(all, task.SeqMNISTCleanTest) {
		return ""
	}
	clean := extraTestOf(task.SeqMNISTCleanTest, func(sc results.SetScore) results.Num { return sc.Metric })
	noisy := func(r *results.Result) results.Num { return r.Final.TestMetric }
	var parts []string
	for _, l := range append([]string{"BPTT"}, bioRules...) {
		c, n := finiteXY(by[l], clean, noisy)
		if len(c) > 0 {
			parts = append(parts, fmt.Sprintf("%s %s (noisy %s, %d runs)", l, fmtMS(c), fmtMS(n), len(c)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	m := all[0].Metric
	return fmt.Sprintf("Gap: the noisy-test gap (spec §5.1: train %s − %s on the test set with pixel noise); on the clean test set the test %s is %s (mean ± sd over finished runs); the clean-test gap is a secondary comparison below",
		m, m, m, strings.Join(parts, ", "))
}

// negativeText notes, for λ_max, the runs whose dominant eigenvalue is
// negative (compared by magnitude, lambdaOf).
func negativeText(q pairedQuantity, a, b []*results.Result) string {
	if q.name != lambdaQ.name {
		return ""
	}
	switch n := signedNegative(a) + signedNegative(b); n {
	case 0:
	case 1:
		return "; 1 run ends at a negative dominant eigenvalue, compared by its magnitude as the paper's ‖Hv‖"
	default:
		return fmt.Sprintf("; %d runs end at a negative dominant eigenvalue, compared by their magnitude as the paper's ‖Hv‖", n)
	}
	return ""
}

// variance compares the spread of q of each label with ref's on paired
// residuals (Pitman-Morgan; Fig. 2's "larger variance").
func variance(labels []string, ref string, q pairedQuantity) evaluator {
	return func(by map[string][]*results.Result, _ []*results.Result) []check {
		var out []check
		for _, l := range labels {
			if len(by[l]) == 0 || len(by[ref]) == 0 {
				continue
			}
			x, y := pairedBySeed(groupOf(l, by[l]), groupOf(ref, by[ref]), q.of)
			pm, err := stats.PitmanMorgan(x, y)
			if err != nil {
				out = append(out, check{verdict: NoData, text: fmt.Sprintf("%s variance, %s vs %s (paper: larger): n/a (%s; the test needs 3)", quantityNames[q.name], l, ref, pairs(pm.N))})
				continue
			}
			v := verdict(pm.Ratio, pm.P, true, true)
			out = append(out, check{verdict: v, text: fmt.Sprintf("%s variance, %s vs %s (paper: larger): variance ratio %.3g, Pitman-Morgan p = %s (%s) → %s",
				quantityNames[q.name], l, ref, pm.Ratio, fmtP(pm.P), pairs(pm.N), v)})
		}
		return out
	}
}

// finiteXY collects x(r), y(r) over the finished runs of pick where both
// are finite.
func finiteXY(pick []*results.Result, x, y finalOf) (xs, ys []float64) {
	for _, r := range pick {
		if r.Status.State == results.Finished && finite(x(r)) && finite(y(r)) {
			xs, ys = append(xs, float64(x(r))), append(ys, float64(y(r)))
		}
	}
	return xs, ys
}

// pickRuns is the runs of the labels (nil: all).
func pickRuns(labels []string, by map[string][]*results.Result, all []*results.Result) []*results.Result {
	if labels == nil {
		return all
	}
	var pick []*results.Result
	for _, l := range labels {
		pick = append(pick, by[l]...)
	}
	return pick
}

// correlation tests a Spearman correlation of y against x over the
// finished runs of the labels (nil: all), expecting the sign of want.
func correlation(labels []string, x, y finalOf, want float64, name string) evaluator {
	return func(by map[string][]*results.Result, all []*results.Result) []check {
		xs, ys := finiteXY(pickRuns(labels, by, all), x, y)
		sp, err := stats.Spearman(xs, ys)
		if err != nil {
			return []check{{verdict: NoData, text: fmt.Sprintf("%s: too few finished runs (%d)", name, len(xs))}}
		}
		v := verdict(sp.R*want, sp.P, false, true)
		return []check{{verdict: v, text: fmt.Sprintf("%s (paper: %s): Spearman ρ = %.3f, p = %s (n = %d runs) → %s", name, signWord(want), sp.R, fmtP(sp.P), sp.N, v)}}
	}
}

// pearsonLog is the Pearson correlation of y with log x (the spec's
// default statistic for Fig. 2 D–F, on λ_max's log scale).
func pearsonLog(labels []string, x, y finalOf, want float64, name string) evaluator {
	return func(by map[string][]*results.Result, all []*results.Result) []check {
		xs, ys := finiteXY(pickRuns(labels, by, all), x, y)
		var lx, ly []float64
		for i := range xs {
			if xs[i] > 0 {
				lx, ly = append(lx, math.Log(xs[i])), append(ly, ys[i])
			}
		}
		pc, err := stats.Pearson(lx, ly)
		if err != nil {
			return []check{{verdict: NoData, text: fmt.Sprintf("%s: too few finished runs (%d)", name, len(lx))}}
		}
		v := verdict(pc.R*want, pc.P, false, true)
		return []check{{verdict: v, text: fmt.Sprintf("%s (paper: %s): Pearson r = %.3f, p = %s (n = %d runs) → %s", name, signWord(want), pc.R, fmtP(pc.P), pc.N, v)}}
	}
}

func signWord(want float64) string {
	if want < 0 {
		return "negative"
	}
	return "positive"
}

// within is correlation within each of the labels (Fig. 12 A–B).
func within(labels []string) evaluator {
	return func(by map[string][]*results.Result, all []*results.Result) []check {
		var out []check
		for _, l := range labels {
			if len(by[l]) == 0 {
				continue
			}
			out = append(out, correlation([]string{l}, lambdaOf, gapOf, 1, "gap vs λ_max within "+l)(by, all)...)
		}
		return out
	}
}

// theoremBound is Theorem 1's bound on a run's |λ_max|: 2/η for BPTT and
// 2/(αη) for an approximate rule, with η the final rate and α the run's α
// at convergence; NaN for a rule whose α is not positive (the rule does not
// descend along g, so the theorem gives no bound).
func theoremBound(r *results.Result, bptt bool) float64 {
	b := 2 / finalLR(r)
	if bptt {
		return b
	}
	a := float64(convergedAlpha(r))
	if !(a > 0) {
		return math.NaN()
	}
	return b / a
}

// theorem checks the bounds of Theorem 1 run by run for each label: BPTT
// λ_max ≤ 2/η, an approximate rule's ≤ 2/(αη) with α at convergence.
// Reproduced for a label when every run is under its bound, not
// reproduced otherwise (the count is given, with the median and largest
// ratio |λ_max|/bound, and how many runs over it are over by more than two
// standard errors of their multi-batch λ_max, so that a run just over its
// bound reads as such).
func theorem(labels []string) evaluator {
	return func(by map[string][]*results.Result, _ []*results.Result) []check {
		var out []check
		for _, l := range labels {
			u, m, noAlpha := 0, 0, 0
			var ratios []float64
			overSE, over2SE := 0, 0 // runs over their bound with a multi-batch λ_max; of those, by > 2 SE
			for _, r := range by[l] {
				lam := float64(lambdaOf(r))
				if r.Status.State != results.Finished || math.IsNaN(lam) {
					continue
				}
				bound := theoremBound(r, l == "BPTT")
				if l != "BPTT" && math.IsNaN(bound) {
					noAlpha++
					continue
				}
				m++
				if lam <= bound {
					u++
				} else if lb := r.Final.LambdaBatches; lb != nil && lb.NBatches > 1 {
					overSE++
					if lam-bound > 2*float64(lb.SE) {
						over2SE++
					}
				}
				ratios = append(ratios, lam/bound)
			}
			if m == 0 && noAlpha == 0 {
				continue
			}
			b := "2/η"
			if l != "BPTT" {
				b = "2/(αη)"
			}
			v := NoData
			switch {
			case m > 0 && u == m:
				v = Reproduced
			case m > 0:
				v = NotReproduced
			}
			txt := fmt.Sprintf("%s: |λ_max| ≤ %s in %d/%d finished runs", l, b, u, m)
			if m > 0 {
				txt += fmt.Sprintf(" (|λ_max|/bound: median %.3g, largest %.3g", stats.MedianIQR(ratios).Median, slices.Max(ratios))
				if overSE > 0 {
					txt += fmt.Sprintf("; of the %d over it with λ_max averaged over Hessian batches, %d by more than 2 standard errors of that mean", overSE, over2SE)
				}
				txt += ")"
			}
			if noAlpha > 0 {
				txt += fmt.Sprintf(" (%d more without a positive α at convergence: no bound)", noAlpha)
			}
			out = append(out, check{verdict: v, text: txt + " → " + v})
		}
		return out
	}
}

// align compares, run by run, the mean top-k energy fraction of ε with
// that of g (Fig. 10: ε less aligned).
func align(labels []string) evaluator {
	return func(by map[string][]*results.Result, _ []*results.Result) []check {
		var out []check
		for _, l := range labels {
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
			out = append(out, check{verdict: t.Verdict, text: fmt.Sprintf("alignment, %s: ε fraction − g fraction (paper: smaller) %s (per run, mean over checkpoints), ε smaller in %d/%d runs, paired Wilcoxon p = %s; %s → %s",
				l, fmtEffect(t), t.Pairs-t.Larger, t.Pairs, fmtP(t.P), pairsText(t), t.Verdict)})
		}
		return out
	}
}

// twoSided reports a difference without a stated direction (Fig. 7):
// reproduced when p < Alpha either way.
func twoSided(label, ref string, q pairedQuantity) evaluator {
	return func(by map[string][]*results.Result, _ []*results.Result) []check {
		if len(by[label]) == 0 || len(by[ref]) == 0 {
			return nil
		}
		t := pairedTest(label, by[label], ref, by[ref], q, true)
		v := t.Verdict
		if v == Reversed {
			v = Reproduced // either direction is a difference
		}
		return []check{{verdict: v, text: fmt.Sprintf("%s, %s vs %s (paper: differs, direction not stated): %s, larger in %d/%d pairs, paired Wilcoxon p = %s; %s → %s",
			quantityNames[q.name], label, ref, fmtEffect(t), t.Larger, t.Pairs, fmtP(t.P), pairsText(t), v)}}
	}
}

// truncations compares each TBPTT(K) with K below the longest window with
// the longest one (K = T, full BPTT) on λ_max (Fig. 9: truncations converge
// to higher curvature).
func truncations(up bool) evaluator {
	return func(by map[string][]*results.Result, all []*results.Result) []check {
		maxK := 0
		labelOf := map[int]string{}
		for l, rs := range by {
			for _, r := range rs {
				if r.Config.Kind() == rules.TBPTT {
					k := r.Config.Train.TruncK
					labelOf[k] = l
					maxK = max(maxK, k)
				}
			}
		}
		if len(labelOf) < 2 {
			return nil
		}
		var ks []int
		for k := range labelOf {
			if k != maxK {
				ks = append(ks, k)
			}
		}
		sort.Ints(ks)
		var labels []string
		for _, k := range ks {
			labels = append(labels, labelOf[k])
		}
		return paired(labels, labelOf[maxK], lambdaQ, up)(by, all)
	}
}

var gammaOf = func(r *results.Result) results.Num { return r.Final.Gamma }
var kappaOf = func(r *results.Result) results.Num { return r.Final.Flatness }
var truncKOf = func(r *results.Result) results.Num { return results.Num(r.Config.Train.TruncK) }

// claims lists the paper's claims in the order of REPRODUCTION.md. Each
// claim's main comparisons are what the spec's sentence for its figure
// states (../shared/spec/paper.md §6, quoted in statement); the rest of the
// figure is secondary.
var claims = []claimSpec{
	{id: "C1", figure: "Fig. 2–3", statement: "Fig. 3: \"Bio rules climb quickly to high curvature; BPTT stays lower.\" Three-factor, RF Three-factor and MDGL end with a larger final λ_max than BPTT.",
		mainText: "final λ_max of each bio rule vs BPTT (larger)",
		exp:      "fig2", fig: "lambda_paired",
		main: []evaluator{paired(bioRules, "BPTT", lambdaQ, true)}},
	{id: "C2", figure: "Fig. 2 A–C", statement: "Fig. 2 A–C: \"Bio rules show larger mean and larger variance\" of the generalisation gap.",
		mainText: "gap of each bio rule vs BPTT (larger mean)",
		exp:      "fig2", fig: "gap_hist",
		main: []evaluator{paired(bioRules, "BPTT", gapQ, true)},
		second: []evaluator{variance(bioRules, "BPTT", gapQ),
			withExtraTest(task.SeqMNISTCleanTest, paired(bioRules, "BPTT", cleanGapQ, true))},
		note: cleanTestNote},
	{id: "C2b", figure: "Fig. 2 D–F", statement: "Fig. 2 D–F: the generalisation gap against λ_max at the end of training, pooled over rules; \"the correlation is statistically significant\" (positive).",
		mainText: "pooled Spearman ρ of gap vs λ_max (positive)",
		exp:      "fig2", fig: "gap_vs_lambda",
		main: []evaluator{correlation(nil, lambdaOf, gapOf, 1, "gap vs λ_max, pooled")},
		second: []evaluator{pearsonLog(nil, lambdaOf, gapOf, 1, "gap vs log λ_max, pooled"),
			withExtraTest(task.SeqMNISTCleanTest, correlation(nil, lambdaOf, cleanGapQ.of, 1, "clean-test gap vs λ_max, pooled"))}},
	{id: "C2c", figure: "Fig. 12 A–B", statement: "Appendix Fig. 12 A–B: gap against λ_max within a single rule across runs; \"correlation also holds\".",
		mainText: "Spearman ρ of gap vs λ_max within each rule (positive)",
		exp:      "fig2", fig: "gap_vs_lambda_within",
		main: []evaluator{within(append([]string{"BPTT"}, bioRules...))}},
	{id: "C3", figure: "Theorem 1", statement: "Theorem 1: gradient descent (BPTT) converges only where λ_max ≲ 2/η; a rule whose update is αg + ε, where λ_max ≲ 2/(αη).",
		mainText: "every run under its bound, per rule",
		exp:      "theorem1", fig: "theorem1_ratio", moreFigs: []string{"theorem1"},
		main: []evaluator{theorem(append([]string{"BPTT"}, bioRules...))}},
	{id: "C3b", figure: "Fig. 4", statement: "Fig. 4: BPTT whose update is scaled by Three-factor's α (\"Three-factor theory\") reaches Three-factor's high curvature.",
		mainText: "final λ_max of Three-factor theory vs BPTT (larger)",
		exp:      "fig4", fig: "lambda",
		main:   []evaluator{paired([]string{"Three-factor theory"}, "BPTT", lambdaQ, true)},
		second: []evaluator{paired([]string{"Three-factor"}, "BPTT", lambdaQ, true)}},
	{id: "C3c", figure: "Appendix Fig. 6", statement: "Appendix Fig. 6: \"Step-matched BPTT generalises worse, like Three-factor.\"",
		mainText: "gap of Three-factor theory vs BPTT (larger)",
		exp:      "fig6", fig: "gap_strip",
		main:   []evaluator{paired([]string{"Three-factor theory"}, "BPTT", gapQ, true)},
		second: []evaluator{paired([]string{"Three-factor"}, "BPTT", gapQ, true)}},
	{id: "C4", figure: "Appendix Fig. 5", statement: "Appendix Fig. 5: Three-factor started at 3× the rate and decayed has \"lower final λ_max and a smaller generalisation gap than with a fixed lr, but still worse than BPTT\".",
		mainText: "lr-decay vs fixed-rate Three-factor: λ_max and gap (smaller)",
		exp:      "fig5", fig: "lambda",
		main: []evaluator{paired([]string{"Three-factor [lr decay]"}, "Three-factor", lambdaQ, false),
			paired([]string{"Three-factor [lr decay]"}, "Three-factor", gapQ, false)},
		second: []evaluator{paired([]string{"Three-factor [lr decay]"}, "BPTT", lambdaQ, true),
			paired([]string{"Three-factor [lr decay]"}, "BPTT", gapQ, true)}},
	{id: "C4b", figure: "Appendix Fig. 12 C", statement: "Appendix Fig. 12 C: Fig. 4 repeated at 3× the learning rate for all rules: step-matched BPTT (\"Three-factor theory\") still reaches high curvature.",
		mainText: "final λ_max of Three-factor theory vs BPTT at 3× η (larger)",
		exp:      "fig12", fig: "lambda",
		main:   []evaluator{paired([]string{"Three-factor theory"}, "BPTT", lambdaQ, true)},
		second: []evaluator{paired([]string{"Three-factor"}, "BPTT", lambdaQ, true)}},
	{id: "C4c", figure: "Appendix Fig. 9", statement: "Appendix Fig. 9: \"High-curvature convergence is common to temporal truncations of the gradient\" (truncated BPTT, K ∈ {1, 2, 4, 8} against K = T).",
		mainText: "final λ_max of each TBPTT(K < T) vs TBPTT(T) = BPTT (larger)",
		exp:      "fig9", fig: "trunc",
		main:   []evaluator{truncations(true)},
		second: []evaluator{correlation(nil, truncKOf, lambdaOf, -1, "K vs λ_max over TBPTT(K) runs")}},
	{id: "C4d", figure: "Appendix Fig. 11", statement: "Appendix Fig. 11: Fig. 3 repeated with Adam; \"curvature trends are similar\": the bio rules end sharper than BPTT.",
		mainText: "final λ_max of each bio rule [adam] vs BPTT [adam] (larger)",
		exp:      "fig11", fig: "lambda_paired",
		main: []evaluator{paired([]string{"Three-factor [adam]", "RF Three-factor [adam]", "MDGL [adam]"}, "BPTT [adam]", lambdaQ, true)}},
	{id: "C5", figure: "Appendix Fig. 10", statement: "Appendix Fig. 10: \"ε is significantly less aligned with the leading Hessian eigenvectors than g\" (top-10, Assumption 1).",
		mainText: "top-10 energy fraction of ε vs g, per bio rule (smaller)",
		exp:      "fig10", fig: "alignment",
		main: []evaluator{align(bioRules)}},
	{id: "C6", figure: "Appendix Fig. 7", statement: "Appendix Fig. 7: the power-law decay coefficient γ of the top-200 Hessian eigenvalues, BPTT vs Three-factor (a scale-independent measure; the direction is not stated in the spec's text).",
		mainText: "γ of Three-factor vs BPTT (different, either way)",
		exp:      "fig7", fig: "spectrum",
		main: []evaluator{twoSided("Three-factor", "BPTT", gammaQ)}},
	{id: "C6b", figure: "Appendix Fig. 8", statement: "Appendix Fig. 8: relative flatness κ, BPTT vs Three-factor; \"both scale-independent measures agree that BPTT sits in flatter regions\".",
		mainText: "κ of Three-factor vs BPTT (larger)",
		exp:      "fig8", fig: "flatness",
		main: []evaluator{paired([]string{"Three-factor"}, "BPTT", kappaQ, true)}},
	{id: "C7", figure: "Appendix Table 1", statement: "Appendix Table 1: BPTT stopped early, when its test accuracy matched Three-factor's final one, compared with Three-factor on λ_max and the gap: \"the same ordering is seen\".",
		mainText: "early-stopped BPTT vs Three-factor: λ_max and gap (smaller)",
		exp:      "table1", fig: "lambda",
		main: []evaluator{paired([]string{"BPTT [early-stopped]"}, "Three-factor", lambdaQ, false),
			paired([]string{"BPTT [early-stopped]"}, "Three-factor", gapQ, false)}},
}

// Invocation describes the command that writes REPRODUCTION.md.
type Invocation struct {
	// Command is the command line, as typed.
	Command string
	// Wall is the wall time of the invocation so far.
	Wall time.Duration
	// ReportOnly says that the invocation ran nothing (run paper
	// --report-only): items without complete results are "not yet run".
	ReportOnly bool
}

// VerdictRule states the verdict rule (claimVerdict) for REPRODUCTION.md
// and METHOD.md.
const VerdictRule = "**Verdicts.** Each comparison is paired by seed (same initial weights, data order and test noise). It is *reproduced* when its effect has the paper's direction and the two-sided p is below 0.05 (paired Wilcoxon signed-rank for paired quantities, Spearman's ρ for correlations, Pitman-Morgan for variances), *reversed* when the effect has the opposite direction with p < 0.05, and *not reproduced* otherwise. " +
	"Each claim names its **main** comparisons — what the spec's sentence for that figure states — and may have **secondary** ones (the figure's other curves, checks the paper makes in passing). " +
	"**The claim's verdict is decided by its main comparisons only:** *reproduced* when every main comparison with data is reproduced; *partly* when the main comparisons split (some reproduced, others not reproduced or reversed); *reversed* when none is reproduced and at least one is reversed; *not reproduced* when none is reproduced or reversed. Secondary comparisons are listed beside the verdict and never change it. " +
	"Theorem 1's main comparison per rule is reproduced when every run is under its bound. λ_max and κ are compared as geometric-mean ratios (rule/reference, 95 % bootstrap CI), gaps and other quantities as mean differences. " +
	"Pairs lost to a diverged or failed run, or to a value ≤ 0 that has no logarithm, are counted on every line; so few pairs that even a perfect split cannot reach p < 0.05 (2/2ⁿ ≥ 0.05, n ≤ 5) are flagged."

// LambdaRule states which λ_max the reports use (lambdaOf).
const LambdaRule = "**λ_max.** The reports use |λ_max|, the magnitude of the dominant (largest-magnitude) eigenvalue of the W_rec Hessian, averaged over the final Hessian batches: spec §4.2's power iteration estimates ‖Hv‖, the magnitude of the dominant eigenvalue whatever its sign, and hessrnn's Lanczos (largest magnitude) finds the same eigenvalue with its sign, which the result files keep (`final.lambda_max`, `final.lambda_batches`). A run that ends at a negative dominant eigenvalue is compared by its magnitude, and the lines that compare λ_max say how many such runs there are."

// WriteReproduction writes OUT/REPRODUCTION.md from the items' results,
// with the figures it cites copied to OUT/figures/, and returns the
// verdict table as text. Items of sc that are not among items, or are
// pending, are listed as not yet run.
func WriteReproduction(out string, sc Scale, items []ItemResult, inv Invocation) (string, error) {
	var md strings.Builder
	figDir := filepath.Join(out, "figures")
	if err := os.MkdirAll(figDir, 0o755); err != nil {
		return "", err
	}
	type key struct{ exp, task string }
	got := map[key]ItemResult{}
	for _, it := range items {
		got[key{it.Experiment, it.Task}] = it
	}
	planned := map[key]bool{}
	var tasks []string
	seenTask := map[string]bool{}
	var notRun []string
	done := 0
	var runSeconds float64
	// The selections behind the items done, per task folder.
	sels := map[string][]Selection{}
	selKeys := map[string]map[string]bool{}
	var selDirs []string
	selectionsIn := func(dir string) []Selection {
		if s, ok := sels[dir]; ok {
			return s
		}
		s, _ := ReadSelections(dir)
		sels[dir] = s
		return s
	}
	for _, it := range sc.Items {
		k := key{it.Experiment, it.Task}
		planned[k] = true
		if !seenTask[it.Task] {
			seenTask[it.Task] = true
			tasks = append(tasks, it.Task)
		}
		ir, ok := got[k]
		switch {
		case !ok && inv.ReportOnly:
			notRun = append(notRun, fmt.Sprintf("| %s | %s | no results |", it.Experiment, taskTitles[it.Task]))
		case !ok:
			notRun = append(notRun, fmt.Sprintf("| %s | %s | not finished by this invocation yet (the items run in order: the first of these is in progress; if the command stopped, rerun it to resume) |", it.Experiment, taskTitles[it.Task]))
		case ir.Skipped != "":
			notRun = append(notRun, fmt.Sprintf("| %s | %s | skipped: %s |", it.Experiment, taskTitles[it.Task], ir.Skipped))
		case ir.Pending != "":
			notRun = append(notRun, fmt.Sprintf("| %s | %s | %s |", it.Experiment, taskTitles[it.Task], ir.Pending))
		default:
			done++
			runSeconds += ir.RunSeconds
			if selKeys[ir.Dir] == nil {
				selKeys[ir.Dir] = map[string]bool{}
				selDirs = append(selDirs, ir.Dir)
			}
			for k := range selectionKeys(ir.Runs) {
				selKeys[ir.Dir][k] = true
			}
		}
	}
	fmt.Fprintf(&md, "# Reproduction of Liu et al., NeurIPS 2022 — scale %q\n\n", sc.Name)
	if done < len(sc.Items) {
		resume := "Rerun the command to resume."
		if inv.ReportOnly {
			resume = fmt.Sprintf("`hessrnn run paper --scale %s` with this folder as `--out` computes them (it resumes from the results here).", sc.Name)
		}
		fmt.Fprintf(&md, "**Partial: %d of %d items done** (an item is one experiment on one task); the %d others are listed under *Not yet run* with the reason, and their claims are marked *not yet run*. %s\n\n", done, len(sc.Items), len(sc.Items)-done, resume)
	} else {
		fmt.Fprintf(&md, "**Complete: all %d items done** (an item is one experiment on one task).\n\n", len(sc.Items))
	}
	how := "rerunning the command resumes and regenerates this file"
	if inv.ReportOnly {
		how = fmt.Sprintf("`--report-only` ran nothing: it reports the results that `hessrnn run paper --scale %s` has computed into this folder so far", sc.Name)
	}
	fmt.Fprintf(&md, "Generated by `%s` from the results in this folder (one results folder per task; %s). Scale: %s.\n\n", inv.Command, how, sc.About)
	fmt.Fprintf(&md, "**Protocol.** %s. Rule variants inherit their rule's rate: Three-factor theory runs at Three-factor's η (Fig. 4: BPTT with α-scaled steps at the same η), the lr-decay remedy starts at 3× Three-factor's η (Fig. 5), Fig. 12 at 3× each rule's η, early-stopped BPTT at BPTT's η; TBPTT(K) and every Adam rule select their own. Pattern generation and DMS stop when the training loss and λ_max have each changed by less than 1 %% over the last 10 %% of the iterations (cap %d); seqMNIST trains the code's fixed budget. The selections are in each task's `selection.json`.\n\n", sc.Protocol.Describe(), config.PlateauCap)
	var tl selectionTally
	for _, dir := range selDirs {
		tl.add(tallySelections(selectionsIn(dir), selKeys[dir]))
	}
	if tl.n > 0 {
		fmt.Fprintf(&md, "**Selections at the grid's edge.** Of the %d learning-rate selections behind the items done (the sensitivity analysis's reconstructions included): %d chose the grid's smallest rate because every larger rate diverged on some selection seed; %d chose the smallest and %d the largest rate by score, where the best rate may lie beyond the grid; %d fell back to the rate that diverged on the fewest selection seeds, because every rate diverged on at least one. The protocol keeps the spec's grid, so these rules ran at those rates. Each claim below lists the rates its rules trained at and names these cases.\n\n",
			tl.n, tl.edge[edgeForced], tl.edge[edgeSmallest], tl.edge[edgeLargest], tl.edge[edgeFallback])
	}
	md.WriteString(VerdictRule + "\n\n" + LambdaRule + "\n\n")

	// The claims, task by task: the verdict table and the sections.
	verdicts := map[string]map[string]string{}
	var sens []string // the sensitivity tallies, one row per task and bio rule
	var body strings.Builder
	for _, t := range tasks {
		fmt.Fprintf(&body, "## %s\n\n", taskTitles[t])
		for _, c := range claims {
			k := key{c.exp, t}
			if !planned[k] {
				continue
			}
			if verdicts[c.id] == nil {
				verdicts[c.id] = map[string]string{}
			}
			it, ok := got[k]
			if !ok || it.Skipped != "" || it.Pending != "" {
				reason := "not finished by this invocation yet (the items run in order)"
				switch {
				case !ok && inv.ReportOnly:
					reason = "no results"
				case ok && it.Skipped != "":
					reason = "skipped: " + it.Skipped
				case ok && it.Pending != "":
					reason = it.Pending
				}
				cmd, note := itemCommand(sc, Item{Experiment: c.exp, Task: t, Seeds: itemSeeds(sc, k.exp, t)}, filepath.Join(out, t), "")
				if ok {
					cmd, note = it.Command, it.CommandNote
				}
				verdicts[c.id][t] = NotYetRun
				fmt.Fprintf(&body, "### %s (%s): %s\n\n- Paper: %s\n- Main comparison: %s\n- Command: %s\n- Not yet run: %s (experiment `%s`).\n\n", c.id, c.figure, NotYetRun, c.statement, c.mainText, commandText(cmd, note), reason, c.exp)
				continue
			}
			by := map[string][]*results.Result{}
			for _, r := range it.Runs {
				by[r.Label] = append(by[r.Label], r)
			}
			o := c.eval(by, it.Runs)
			verdicts[c.id][t] = o.verdict
			fmt.Fprintf(&body, "### %s (%s): %s\n\n", c.id, c.figure, o.verdict)
			fmt.Fprintf(&body, "- Paper: %s\n- Main comparison: %s\n", c.statement, c.mainText)
			if c.note != nil {
				if n := c.note(by, it.Runs); n != "" {
					fmt.Fprintf(&body, "- %s\n", n)
				}
			}
			fmt.Fprintf(&body, "- Command: %s\n", commandText(it.Command, it.CommandNote))
			if l := rateLine(rateOrigins(it.Runs, selectionsIn(it.Dir))); l != "" {
				fmt.Fprintf(&body, "- %s\n", l)
			}
			for _, k := range o.checks {
				if k.main {
					fmt.Fprintf(&body, "- main — %s\n", k.text)
				}
			}
			for _, k := range o.checks {
				if !k.main {
					fmt.Fprintf(&body, "- secondary — %s\n", k.text)
				}
			}
			fmt.Fprintf(&body, "- Verdict: **%s**, from the main comparisons%s\n", o.verdict, secondaryText(o))
			fmt.Fprintf(&body, "- Runs: %s; run time of these runs %s (summed over runs, selection runs not included)", runStates(it.Runs), fmtDur(it.RunSeconds))
			if !inv.ReportOnly {
				fmt.Fprintf(&body, ", of which this invocation computed %d in %s of wall time", it.Summary.Finished+it.Summary.Diverged+it.Summary.Failed, it.Wall.Round(time.Second))
			}
			body.WriteString("\n")
			if f := copyFigure(it.Dir, c.exp, t, c.fig, figDir); f != "" {
				fmt.Fprintf(&body, "- Figure: [figures/%s](figures/%s)\n\n![%s %s](figures/%s)\n", f, f, c.id, taskTitles[t], f)
			} else {
				fmt.Fprintf(&body, "- Figure: none (the report of `%s` has no %q figure for these runs)\n", c.exp, c.fig)
			}
			for _, name := range c.moreFigs {
				if f := copyFigure(it.Dir, c.exp, t, name, figDir); f != "" {
					fmt.Fprintf(&body, "\n- Figure: [figures/%s](figures/%s)\n\n![%s %s](figures/%s)\n", f, f, c.id, taskTitles[t], f)
				}
			}
			body.WriteString("\n")
		}
		if it, ok := got[key{"sensitivity", t}]; ok && it.Skipped == "" && it.Pending == "" && len(it.Runs) > 0 {
			txt, err := WriteSensitivity(it.Dir, it.Runs, "Sensitivity — "+t, it.Command)
			if err == nil {
				rows := Sensitivity(withoutSelection(it.Runs))
				for _, c := range sensitivityCounts(rows) {
					sens = append(sens, fmt.Sprintf("| %s | %s | %d | %s | %s |", taskTitles[t], c.Rule, c.N,
						tally(c.C1Holds, c.C1Reversed, c.N), tally(c.C2Holds, c.C2Reversed, c.N)))
				}
				fmt.Fprintf(&body, "### Sensitivity over the unknowns\n\n- Command: %s\n- Run time of its runs %s (summed over runs)\n\n```\n%s```\n\n", commandText(it.Command, it.CommandNote), fmtDur(it.RunSeconds), txt)
			}
		}
	}
	md.WriteString("## Verdicts\n\n| claim | figure | main comparison | " + strings.Join(titlesOf(tasks), " | ") + " |\n|---|---|---|" + strings.Repeat("---|", len(tasks)) + "\n")
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
		fmt.Fprintf(&md, "| %s | %s | %s |", c.id, c.figure, c.mainText)
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
	md.WriteString("\n— : not part of this scale on this task (the paper has Table 1 on seqMNIST only).\n\n")
	if len(sens) > 0 {
		md.WriteString("**Over the unknowns.** The verdicts above are for the spec's reading of each task. Where the paper leaves settings unstated, `hessrnn run sensitivity` repeats C1 and C2 — each with its own learning-rate selection — in every plausible reconstruction (listed, with each one's effect size and p-value, under *Sensitivity over the unknowns* in the task's section). In how many of them each claim is reproduced or reversed:\n\n")
		md.WriteString("| task | rule | reconstructions | C1: final λ_max larger than BPTT's | C2: gap larger than BPTT's |\n|---|---|---:|---|---|\n")
		md.WriteString(strings.Join(sens, "\n") + "\n\n")
	}
	if len(notRun) > 0 {
		fmt.Fprintf(&md, "## Not yet run (%d of %d items)\n\n| experiment | task | reason |\n|---|---|---|\n%s\n\n", len(notRun), len(sc.Items), strings.Join(notRun, "\n"))
	}
	fmt.Fprintf(&md, "**Time.** The %d items done hold %s of run time (summed over their reporting runs; the learning-rate selection runs are extra).", done, fmtDur(runSeconds))
	if inv.ReportOnly {
		md.WriteString(" This report-only invocation ran nothing.\n\n")
	} else {
		fmt.Fprintf(&md, " Wall time of this invocation: %s (runs done by an earlier invocation are reused, not recomputed).\n\n", inv.Wall.Round(time.Second))
	}
	md.WriteString(simdText(items))
	recs, err := LoadInvocations(out)
	if err != nil {
		return "", err
	}
	md.WriteString(invocationsText(recs))
	md.WriteString(body.String())
	if err := results.WriteFileAtomic(filepath.Join(out, ReproductionFile), []byte(md.String())); err != nil {
		return "", err
	}
	return txt.String(), nil
}

// simdText says at which kernel level (results.Result.SIMD) the items'
// runs were computed, counting each run once however many items share it.
// A run resumed on a machine with another level is not bit-identical to one
// computed at the first level, so a mixture is stated with its counts.
func simdText(items []ItemResult) string {
	count := map[string]int{}
	seen := map[string]bool{}
	for _, it := range items {
		for _, r := range it.Runs {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			level := r.SIMD
			if level == "" {
				level = "unrecorded"
			}
			count[level]++
		}
	}
	if len(count) == 0 {
		return ""
	}
	levels := slices.Sorted(maps.Keys(count))
	if len(levels) == 1 {
		return fmt.Sprintf("**Kernel level.** All %d runs of the items done were computed at SIMD level %s, so every number here is reproduced bit for bit by rerunning them at that level.\n\n", count[levels[0]], levels[0])
	}
	parts := make([]string, len(levels))
	for i, l := range levels {
		parts[i] = fmt.Sprintf("%s (%d runs)", l, count[l])
	}
	return fmt.Sprintf("**Kernel level.** The runs of the items done were computed at more than one SIMD level: %s. Float64 results agree across levels far below any reported digit but are not bit-identical, and a chaotic training trajectory can amplify that difference (README, \"Reproducibility across SIMD levels\"); rerunning a run reproduces it bit for bit only at its own level (`simd` in its JSON).\n\n", strings.Join(parts, ", "))
}

// tally formats a claim's count over n reconstructions.
func tally(holds, reversed, n int) string {
	return fmt.Sprintf("reproduced in %d, reversed in %d, neither in %d", holds, reversed, n-holds-reversed)
}

// commandText formats a command for markdown, with its note.
func commandText(cmd, note string) string {
	if note == "" {
		return "`" + cmd + "`"
	}
	return "`" + cmd + "` (" + note + ")"
}

// itemSeeds is the seeds of item (exp, task) in sc (0 when not planned).
func itemSeeds(sc Scale, exp, task string) int {
	for _, it := range sc.Items {
		if it.Experiment == exp && it.Task == task {
			return it.Seeds
		}
	}
	return 0
}

// secondaryText summarises the secondary checks of o (", secondary: …").
func secondaryText(o outcome) string {
	rep, n := o.secondary()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; secondary comparisons (not deciding): %d of %d reproduced", rep, n)
}

// runStates counts runs by state.
func runStates(rs []*results.Result) string {
	n := map[results.State]int{}
	for _, r := range rs {
		n[r.Status.State]++
	}
	return fmt.Sprintf("%d runs (%d finished, %d diverged, %d failed)", len(rs), n[results.Finished], n[results.Diverged], len(rs)-n[results.Finished]-n[results.Diverged])
}

// fmtDur formats seconds as a duration rounded to the second.
func fmtDur(sec float64) string {
	return time.Duration(sec * float64(time.Second)).Round(time.Second).String()
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
