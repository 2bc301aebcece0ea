package experiment

import (
	"cmp"
	"slices"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/rules"
)

// bpttStepCost is the cost of one training step of BPTT (and of
// Three-factor theory, which adds an e-prop direction) relative to one step
// of an approximate rule: 784.2 against 290.1 MFLOP at the seqMNIST shape
// (BENCHMARKS.md, "Whole paper: the lower bound"), 17–21 against 5.3–6.4 ms
// measured.
const bpttStepCost = 2.7

// rtrlStepCost is RTRL's step cost relative to an approximate rule's: its
// influence tensor makes a step O(N⁴) instead of O(N²·B); an order of
// magnitude above BPTT is enough to schedule its runs first.
const rtrlStepCost = 10 * bpttStepCost

// runCost estimates a run's compute time in units of one training step of
// an approximate rule: its iterations (the cap, under plateau stopping)
// times its rule's step cost. TBPTT(K) is placed linearly between an
// approximate rule (K = 1, one step of credit) and BPTT (K ≥ T). Evaluation
// and curvature are not counted; the estimate only orders runs.
func runCost(r config.Run) float64 {
	r = r.Resolve()
	it := float64(r.Train.Iterations)
	switch r.Kind() {
	case rules.BPTT, rules.MatchedBPTT:
		return it * bpttStepCost
	case rules.RTRL:
		return it * rtrlStepCost
	case rules.TBPTT:
		t := r.Steps()
		k := min(r.Train.TruncK, t)
		if t <= 1 || k >= t {
			return it * bpttStepCost
		}
		return it * (1 + (bpttStepCost-1)*float64(k-1)/float64(t-1))
	}
	return it
}

// longestFirst returns the runs ordered by decreasing runCost, runs of
// equal cost in their list order. With several jobs, a list whose long runs
// start first ends with short ones, so that fewer cores wait idle for the
// last run of a sweep (longest-processing-time-first scheduling). A run's
// result does not depend on the order.
func longestFirst(runs []config.Run) []config.Run {
	type costed struct {
		run  config.Run
		cost float64
	}
	cs := make([]costed, len(runs))
	for i, r := range runs {
		cs[i] = costed{r, runCost(r)}
	}
	slices.SortStableFunc(cs, func(a, b costed) int { return cmp.Compare(b.cost, a.cost) })
	out := make([]config.Run, len(runs))
	for i, c := range cs {
		out[i] = c.run
	}
	return out
}
