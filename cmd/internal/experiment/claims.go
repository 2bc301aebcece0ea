package experiment

import (
	"fmt"
	"hash/fnv"
	"math"

	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
)

// Verdicts of a claim test. The rule, stated once for every claim: a
// paired comparison reproduces the paper when its effect has the paper's
// direction and the two-sided paired Wilcoxon p is below Alpha; it is
// reversed when the effect has the opposite direction with p below Alpha;
// otherwise it is not reproduced (no detectable difference). A claim over
// several rules is reproduced when every rule reproduces it, partly when
// some do, reversed when none does and some reverse it, and not
// reproduced otherwise.
const (
	Reproduced    = "reproduced"
	Partly        = "partly"
	NotReproduced = "not reproduced"
	Reversed      = "reversed"
	NoData        = "no data"
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
)

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
	g := &group{label: label, all: rs}
	for _, r := range rs {
		switch r.Status.State {
		case results.Finished:
			g.runs = append(g.runs, r)
		case results.Diverged:
			g.diverged++
		default:
			g.failed++
		}
	}
	return g
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

// overall combines the verdicts of one claim over several rules.
func overall(vs []string) string {
	n := map[string]int{}
	for _, v := range vs {
		n[v]++
	}
	switch {
	case len(vs) == 0 || n[NoData] == len(vs):
		return NoData
	case n[Reproduced] == len(vs)-n[NoData]:
		return Reproduced
	case n[Reproduced] > 0:
		return Partly
	case n[Reversed] > 0:
		return Reversed
	}
	return NotReproduced
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
