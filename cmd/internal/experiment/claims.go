package experiment

import (
	"fmt"
	"math"
	"sort"

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
	// Pairs is the number of seeds where both runs finished; Lost the
	// seeds of either group without a pair (diverged or failed).
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

// pairSeeds returns f of the finished runs of a and b with equal seeds,
// in seed order, and the number of seeds of either without a pair.
func pairSeeds(a, b []*results.Result, f finalOf) (x, y []float64, lost int) {
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
	seeds := map[uint64]bool{}
	for _, r := range append(append([]*results.Result(nil), a...), b...) {
		seeds[r.Seed] = true
	}
	var order []uint64
	for s := range seeds {
		order = append(order, s)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	for _, s := range order {
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

// pairedTest tests whether rule's f exceeds ref's (up) or falls below it
// (!up), paired by seed. ratio compares on a log scale (λ_max, which spans
// orders of magnitude): the effect is the geometric-mean ratio.
func pairedTest(rule string, a, ref []*results.Result, f finalOf, ratio, up bool) PairedTest {
	x, y, lost := pairSeeds(a, ref, f)
	return pairedValues(rule, x, y, lost, ratio, up)
}

// pairedValues is pairedTest on paired values x (the rule) and y (the
// reference), with lost pairs already counted.
func pairedValues(rule string, x, y []float64, lost int, ratio, up bool) PairedTest {
	t := PairedTest{Rule: rule, Pairs: len(x), Lost: lost, Effect: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), P: math.NaN(), Verdict: NoData}
	if len(x) == 0 {
		return t
	}
	d := make([]float64, len(x))
	for i := range x {
		if x[i] > y[i] {
			t.Larger++
		}
		if ratio {
			if !(x[i] > 0 && y[i] > 0) {
				ratio = false // a non-positive λ_max: fall back to differences
				break
			}
			d[i] = math.Log(x[i] / y[i])
		} else {
			d[i] = x[i] - y[i]
		}
	}
	if !ratio {
		for i := range x {
			d[i] = x[i] - y[i]
		}
	}
	t.Effect = stats.Mean(d)
	if lo, hi, err := stats.BootstrapCI(d, stats.Mean, 0.95, 2000, uint64(len(d))); err == nil {
		t.Lo, t.Hi = lo, hi
	}
	if ratio {
		t.Effect, t.Lo, t.Hi = math.Exp(t.Effect), math.Exp(t.Lo), math.Exp(t.Hi)
	}
	if w, err := stats.WilcoxonSignedRank(x, y); err == nil {
		t.P = w.P
	} else if equalPairs(x, y) {
		t.P = 1 // every pair equal: no difference, which is data, not its absence
	}
	t.Ratio = ratio
	t.Verdict = verdict(t.Effect, t.P, ratio, up)
	return t
}

// equalPairs reports whether x[i] == y[i] for every i.
func equalPairs(x, y []float64) bool {
	for i := range x {
		if x[i] != y[i] {
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
