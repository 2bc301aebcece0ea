package experiment

import (
	"fmt"
	"hash/fnv"
	"math"

	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// Verdicts of a claim test. The rule, stated once for every claim (and in
// REPRODUCTION.md and METHOD.md):
//
// A comparison (one rule against its reference on one quantity, paired by
// seed, or one correlation) is reproduced when its effect has the paper's
// direction and its two-sided p is below Alpha; reversed when the effect
// has the opposite direction with p below Alpha; not reproduced otherwise
// (no detectable difference); no data when it has no usable pair.
//
// Each claim names its main comparisons, the ones the paper's sentence for
// that figure states (spec §6), and may have secondary ones (the figure's
// other curves, or a check the paper makes in passing). The claim's verdict
// is decided by its main comparisons alone (claimVerdict): reproduced when
// every main comparison with data is reproduced, not reproduced when none
// is reproduced or reversed, reversed when none is reproduced and at least
// one is reversed, partly when the main comparisons split (some
// reproduced, others not or reversed). Secondary comparisons are reported
// beside the verdict and never change it.
const (
	Reproduced    = "reproduced"
	Partly        = "partly"
	NotReproduced = "not reproduced"
	Reversed      = "reversed"
	NoData        = "no data"
	// NotYetRun is the verdict of a claim whose experiment has not run
	// yet (a partial or report-only run).
	NotYetRun = "not yet run"
)

// Alpha is the significance level of the verdicts.
const Alpha = 0.05

// PairedTest compares a rule with a reference (BPTT) on one quantity,
// paired by seed.
type PairedTest struct {
	Rule string
	// Pairs is the number of seeds where both runs finished with a usable
	// value; Lost the seeds of either group without one (diverged or
	// failed, or for a ratio a value that is not positive).
	Pairs, Lost int
	// NonPositive is the part of Lost lost to a finite value ≤ 0 in a
	// ratio test (no logarithm).
	NonPositive int
	// Larger is the number of pairs where the rule's value is larger.
	Larger int
	// Effect is the geometric-mean ratio rule/reference (Ratio tests) or
	// the mean difference rule − reference; Lo and Hi its 95% bootstrap CI.
	Effect, Lo, Hi float64
	// P is the two-sided paired Wilcoxon signed-rank p-value.
	P float64
	// Ratio reports that Effect is a ratio (else a difference).
	Ratio bool
	// Verdict follows the rule above, for the paper's direction.
	Verdict string
}

// pairedQuantity is a per-run final quantity compared between two groups of
// runs paired by seed.
type pairedQuantity struct {
	// name identifies the quantity in the bootstrap seed (pairSeed).
	name string
	of   finalOf
	// ratio compares on a log scale (stats.LogRatio): positive quantities
	// spanning orders of magnitude (λ_max, κ); else the paired difference
	// (stats.PairedDiff).
	ratio bool
}

var (
	lambdaQ = pairedQuantity{"lambda_max", lambdaOf, true}
	gapQ    = pairedQuantity{"gap", gapOf, false}
	kappaQ  = pairedQuantity{"kappa", kappaOf, true}
	gammaQ  = pairedQuantity{"gamma", gammaOf, false}
	// cleanGapQ is the gap measured on seqMNIST's clean test set
	// (results.Final.ExtraTests), NaN for a run without one. The spec's
	// gap (§5.1) is the noisy test set's (gapQ), the main comparison;
	// this one is a secondary comparison only (withExtraTest).
	cleanGapQ = pairedQuantity{"gap_clean", extraTestOf(task.SeqMNISTCleanTest,
		func(sc results.SetScore) results.Num { return sc.Gap }), false}
)

// hasExtraTest reports whether some run of rs has the extra test set named
// set (results.Final.ExtraTests).
func hasExtraTest(rs []*results.Result, set string) bool {
	for _, r := range rs {
		if _, ok := r.Final.ExtraTest(set); ok {
			return true
		}
	}
	return false
}

// pairSeed seeds the bootstrap of one comparison from what is compared (a
// against b on q), so that a comparison printed in several places (the
// report's tables, REPRODUCTION.md, the sensitivity report) has the same
// interval everywhere.
func pairSeed(a, b, q string) uint64 {
	h := fnv.New64a()
	for _, s := range []string{a, b, q} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// logRatioBySeed is the paired log-ratio comparison of q of a against b
// (pairedBySeed, stats.LogRatio): every report table and claim comparing
// λ_max or κ calls it.
func logRatioBySeed(a, b *group, q pairedQuantity) (x, y []float64, r stats.PairedRatio, err error) {
	x, y = pairedBySeed(a, b, q.of)
	r, err = stats.LogRatio(x, y, 0.95, 2000, pairSeed(a.label, b.label, q.name))
	return x, y, r, err
}

// diffBySeed is the paired difference of q of a against b (pairedBySeed,
// stats.PairedDiff): every report table and claim comparing the gap or
// another quantity by differences calls it.
func diffBySeed(a, b *group, q pairedQuantity) (x, y []float64, d stats.PairedDifference, err error) {
	x, y = pairedBySeed(a, b, q.of)
	d, err = stats.PairedDiff(x, y, 0.95, 2000, pairSeed(a.label, b.label, q.name))
	return x, y, d, err
}

// groupOf is the group of runs of one label.
func groupOf(label string, rs []*results.Result) *group {
	g := &group{label: label}
	for _, r := range rs {
		g.add(r)
	}
	return g
}

// add counts r into g: every run in all, finished ones in runs, the
// others as diverged or failed.
func (g *group) add(r *results.Result) {
	g.all = append(g.all, r)
	switch r.Status.State {
	case results.Finished:
		g.runs = append(g.runs, r)
	case results.Diverged:
		g.diverged++
	default:
		g.failed++
	}
}

// pairedTest tests whether rule's q exceeds ref's (up) or falls below it
// (!up), paired by seed, with the numbers the report prints for the same
// comparison (logRatioBySeed, diffBySeed). refLabel names ref's runs.
func pairedTest(rule string, a []*results.Result, refLabel string, ref []*results.Result, q pairedQuantity, up bool) PairedTest {
	ga, gb := groupOf(rule, a), groupOf(refLabel, ref)
	t := PairedTest{Rule: rule, Ratio: q.ratio, Effect: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), P: math.NaN(), Verdict: NoData}
	var x, y []float64
	if q.ratio {
		var r stats.PairedRatio
		x, y, r, _ = logRatioBySeed(ga, gb, q)
		t.Pairs, t.Lost, t.Larger, t.Effect, t.Lo, t.Hi, t.P = r.N, r.Lost, r.Larger, r.GeoMean, r.CILow, r.CIHigh, r.Wilcoxon.P
		t.NonPositive = r.NonPositive
	} else {
		var d stats.PairedDifference
		x, y, d, _ = diffBySeed(ga, gb, q)
		t.Pairs, t.Lost, t.Larger, t.Effect, t.Lo, t.Hi, t.P = d.N, d.Lost, d.Larger, d.Mean, d.CILow, d.CIHigh, d.Wilcoxon.P
	}
	t.Verdict = pairVerdict(t, x, y, up)
	return t
}

// pairedValues compares paired values x[i] and y[i] of the same run (not
// of two groups) by their differences, as pairedTest does.
func pairedValues(rule string, x, y []float64, up bool) PairedTest {
	t := PairedTest{Rule: rule, Effect: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), P: math.NaN(), Verdict: NoData}
	d, _ := stats.PairedDiff(x, y, 0.95, 2000, pairSeed(rule, "", "values"))
	t.Pairs, t.Lost, t.Larger, t.Effect, t.Lo, t.Hi, t.P = d.N, d.Lost, d.Larger, d.Mean, d.CILow, d.CIHigh, d.Wilcoxon.P
	t.Verdict = pairVerdict(t, x, y, up)
	return t
}

// pairVerdict is the verdict of a comparison of x with y; every usable pair
// equal is no difference (not reproduced), though the Wilcoxon test has no
// p-value then.
func pairVerdict(t PairedTest, x, y []float64, up bool) string {
	if t.Pairs > 0 && math.IsNaN(t.P) && equalPairs(x, y) {
		return NotReproduced
	}
	return verdict(t.Effect, t.P, t.Ratio, up)
}

// equalPairs reports whether x[i] == y[i] for every i where both are
// finite.
func equalPairs(x, y []float64) bool {
	for i := range x {
		if finite(results.Num(x[i])) && finite(results.Num(y[i])) && x[i] != y[i] {
			return false
		}
	}
	return true
}

// verdict applies the rule of the package comment to one comparison.
func verdict(effect, p float64, ratio, up bool) string {
	if math.IsNaN(effect) || math.IsNaN(p) {
		return NoData
	}
	null := 0.0
	if ratio {
		null = 1
	}
	if p >= Alpha || effect == null {
		return NotReproduced
	}
	if (effect > null) == up {
		return Reproduced
	}
	return Reversed
}

// claimVerdict is a claim's verdict from the verdicts of its main
// comparisons (the rule of the package comment): comparisons without data
// are left out; NoData when none has data.
func claimVerdict(main []string) string {
	n := map[string]int{}
	m := 0
	for _, v := range main {
		if v == NoData || v == "" {
			continue
		}
		n[v]++
		m++
	}
	switch {
	case m == 0:
		return NoData
	case n[Reproduced] == m:
		return Reproduced
	case n[Reproduced] > 0:
		return Partly
	case n[Reversed] > 0:
		return Reversed
	}
	return NotReproduced
}

// minWilcoxonP is the smallest two-sided p-value the exact Wilcoxon
// signed-rank test can give with n pairs (all pairs one way): 2/2ⁿ.
func minWilcoxonP(n int) float64 { return 2 / math.Pow(2, float64(n)) }

// pairsText says how many pairs a paired comparison used and lost, and
// why, and whether so few pairs can reach p < Alpha at all.
func pairsText(t PairedTest) string {
	s := pairs(t.Pairs)
	switch {
	case t.Lost == 0:
		s += ", none lost"
	case t.NonPositive == 0:
		s += fmt.Sprintf(", %d lost (a run diverged or failed)", t.Lost)
	case t.NonPositive == t.Lost:
		s += fmt.Sprintf(", %d lost (a value ≤ 0 on a log scale)", t.Lost)
	default:
		s += fmt.Sprintf(", %d lost (%d a run diverged or failed, %d a value ≤ 0 on a log scale)", t.Lost, t.Lost-t.NonPositive, t.NonPositive)
	}
	if t.Pairs > 0 && minWilcoxonP(t.Pairs) >= Alpha {
		s += fmt.Sprintf("; %s cannot reach p < %g (smallest p %.3g)", pairs(t.Pairs), Alpha, minWilcoxonP(t.Pairs))
	}
	return s
}

// pairs is "1 pair" or "n pairs".
func pairs(n int) string {
	if n == 1 {
		return "1 pair"
	}
	return fmt.Sprintf("%d pairs", n)
}

// fmtEffect formats an effect with its CI.
func fmtEffect(t PairedTest) string {
	if math.IsNaN(t.Effect) {
		return "n/a"
	}
	ci := "[CI n/a]"
	if !math.IsNaN(t.Lo) && !math.IsNaN(t.Hi) {
		ci = fmt.Sprintf("[%.3g, %.3g]", t.Lo, t.Hi)
		if !t.Ratio {
			ci = fmt.Sprintf("[%+.3g, %+.3g]", t.Lo, t.Hi)
		}
	}
	if t.Ratio {
		return fmt.Sprintf("×%.3g %s", t.Effect, ci)
	}
	return fmt.Sprintf("%+.3g %s", t.Effect, ci)
}
