package experiment

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/stats"
	"github.com/hessrnn/hessrnn/rules"
)

// Spec is a named experiment: a figure or table of the paper.
type Spec struct {
	// Name is the command-line name ("fig3").
	Name string
	// Title is the paper's figure or table and its subject.
	Title string
	// Shows says what the experiment shows.
	Shows string
	// Seeds is the default number of runs per configuration.
	Seeds int
	// Plan returns the runs of the experiment for the base run (whose Task
	// is set) and seeds 1..seeds. Experiments that depend on earlier
	// results (table1) get the results so far in done and return more =
	// true until their last phase.
	Plan func(base config.Run, seeds int, done []*results.Result) (runs []config.Run, more bool)

	// parts names the report's parts (reportParts in parts.go) beyond
	// those every report has.
	parts []string
	// finalWeights makes RunExperiment save every run's final parameters
	// in OUT/weights-final (see Env.FinalWeights).
	finalWeights bool
}

// seeded returns one copy of r per seed 1..n.
func seeded(r config.Run, n int) []config.Run {
	out := make([]config.Run, n)
	for i := range out {
		out[i] = r
		out[i].Seed = uint64(i + 1)
	}
	return out
}

// perRule returns base with each rule, for seeds 1..n.
func perRule(base config.Run, n int, kinds ...rules.Kind) []config.Run {
	var out []config.Run
	for _, k := range kinds {
		r := base
		r.Rule = k.String()
		out = append(out, seeded(r, n)...)
	}
	return out
}

// rulesPlan plans the given number of seeds of each rule on the base configuration.
func rulesPlan(kinds ...rules.Kind) func(base config.Run, seeds int) []config.Run {
	return func(base config.Run, seeds int) []config.Run { return perRule(base, seeds, kinds...) }
}

func single(f func(base config.Run, seeds int) []config.Run) func(config.Run, int, []*results.Result) ([]config.Run, bool) {
	return func(base config.Run, seeds int, _ []*results.Result) ([]config.Run, bool) {
		return f(base, seeds), false
	}
}

var specs = []Spec{
	{
		Name: "default", Title: "Default experiment: leading Hessian eigenvalue along training, pattern generation, plateau stopping capped at 3000 iterations",
		Shows: "BPTT vs Three-factor vs RF Three-factor vs MDGL (5 seeds), each at its own learning rate selected on a reduced budget (1 selection seed, 1000 iterations) with plateau stopping capped at 3000 iterations: does the bio-plausible rules' minimum have a larger λ_max and a larger gap? A small demonstration; `hessrnn run paper` is the reproduction",
		parts: []string{"lambda", "loss", "alpha", "gap", "theorem"},
		Seeds: 5,
		Plan:  single(rulesPlan(config.PaperRules()...)),
	},
	{
		Name: "fig2", Title: "Fig. 2: generalisation gap histograms and gap vs λ_max",
		Shows: "bio rules have a larger and more variable gap; the gap correlates with λ_max across runs (Pearson and Spearman)",
		parts: []string{"gap", "within"},
		Seeds: 20,
		Plan:  single(rulesPlan(config.PaperRules()...)),
	},
	{
		Name: "fig3", Title: "Fig. 3: λ_max along training",
		Shows: "bio rules climb quickly to high curvature; BPTT stays lower (mean ± std over seeds)",
		parts: []string{"lambda", "loss", "alpha"},
		Seeds: 5,
		Plan:  single(rulesPlan(config.PaperRules()...)),
	},
	{
		Name: "fig4", Title: "Fig. 4: step-length matched BPTT (\"Three-factor theory\")",
		Shows: "BPTT scaled by the Three-factor step length α reproduces Three-factor's high curvature",
		parts: []string{"lambda", "alpha", "matched"},
		Seeds: 5,
		Plan:  single(rulesPlan(rules.BPTT, rules.EProp, rules.MatchedBPTT)),
	},
	{
		Name: "fig5", Title: "Appendix Fig. 5: learning-rate schedule remedy",
		Shows: "Three-factor started at 3× the rate and decayed by 0.8 every total/30 iterations ends flatter and generalises better than at a fixed rate, but still worse than BPTT",
		parts: []string{"lambda", "lr", "gapstrip"},
		Seeds: 5,
		Plan: single(func(b config.Run, n int) []config.Run {
			out := perRule(b, n, rules.BPTT, rules.EProp)
			s := b
			s.Rule = rules.EProp.String()
			s.Train.LR = 3 * b.Train.LR
			s.Train.Schedule = "step"
			s.Train.DecayFactor = 0.8
			s.Train.DecayEvery = 0
			return append(out, seeded(s, n)...)
		}),
	},
	{
		Name: "fig6", Title: "Appendix Fig. 6: generalisation gap of step-matched BPTT",
		Shows: "BPTT with Three-factor's step length generalises worse, like Three-factor",
		parts: []string{"gapstrip", "matched"},
		Seeds: 5,
		Plan:  single(rulesPlan(rules.BPTT, rules.EProp, rules.MatchedBPTT)),
	},
	{
		Name: "fig7", Title: "Appendix Fig. 7: power-law decay coefficient of the top-200 Hessian spectrum",
		Shows: "a scale-independent measure: BPTT's spectrum decays differently from Three-factor's (γ of |λ_n| ∝ n^−γ)",
		parts: []string{"spectrum"},
		Seeds: 5,
		Plan: single(func(b config.Run, n int) []config.Run {
			units := b.Resolve().Model.N
			b.Hessian.TopK = min(200, units*(units-1)-1)
			return perRule(b, n, rules.BPTT, rules.EProp)
		}),
	},
	{
		Name: "fig8", Title: "Appendix Fig. 8: relative flatness",
		Shows: "relative flatness κ (Petzka et al.) of W_rec agrees that BPTT sits in flatter regions",
		parts: []string{"flatness"},
		Seeds: 5,
		Plan: single(func(b config.Run, n int) []config.Run {
			b.Hessian.Flatness = true
			return perRule(b, n, rules.BPTT, rules.EProp)
		}),
	},
	{
		Name: "fig9", Title: "Appendix Fig. 9: truncation family TBPTT(K)",
		Shows: "high-curvature convergence is common to temporal truncations of the gradient: λ_max grows as the window K shrinks",
		parts: []string{"lambda", "trunc"},
		Seeds: 5,
		Plan: single(func(b config.Run, n int) []config.Run {
			var out []config.Run
			steps := b.Resolve().Steps()
			ks := []int{1, 2, 4, 8}
			seen := map[int]bool{}
			for _, k := range append(ks, steps) {
				if k > steps || seen[k] {
					continue
				}
				seen[k] = true
				r := b
				r.Rule = rules.TBPTT.String()
				r.Train.TruncK = k
				out = append(out, seeded(r, n)...)
			}
			return out
		}),
	},
	{
		Name: "fig10", Title: "Appendix Fig. 10: alignment of ε and g with the top-10 Hessian eigenvectors (Assumption 1)",
		Shows: "the rule's error ε is significantly less aligned with the leading Hessian eigenvectors than the gradient g (paired Wilcoxon)",
		parts: []string{"align", "alpha"},
		Seeds: 5,
		Plan: single(func(b config.Run, n int) []config.Run {
			b.Hessian.AlignK = 10
			return perRule(b, n, rules.EProp, rules.RFLO, rules.MDGL)
		}),
	},
	{
		Name: "fig11", Title: "Appendix Fig. 11: λ_max along training with Adam",
		Shows: "curvature trends are similar with Adam (lr 1e-3, β = (0.9, 0.999))",
		parts: []string{"lambda", "loss"},
		Seeds: 5,
		Plan: single(func(b config.Run, n int) []config.Run {
			b.Train.Optimizer = "adam"
			if b.Train.LR == config.Default().Train.LR {
				b.Train.LR = 1e-3 // Adam's default, unless --lr or the config chose a rate
			}
			return perRule(b, n, config.PaperRules()...)
		}),
	},
	{
		Name: "fig12", Title: "Appendix Fig. 12: within-rule correlation; Fig. 4 at 3× the learning rate",
		Shows: "gap and λ_max correlate within a single rule across runs; step matching still explains the curvature at 3× the rate",
		parts: []string{"within", "gap", "lambda", "alpha", "matched"},
		Seeds: 10,
		Plan: single(func(b config.Run, n int) []config.Run {
			b.Train.LR *= 3
			return perRule(b, n, rules.BPTT, rules.EProp, rules.MatchedBPTT)
		}),
	},
	{
		Name: "table1", Title: "Appendix Table 1: early-stopped BPTT matched to Three-factor's test metric",
		Shows: "BPTT stopped when its test metric reaches Three-factor's final one still has lower λ_max and a smaller gap",
		parts: []string{"table1", "lambda"},
		Seeds: 5,
		Plan: func(b config.Run, n int, done []*results.Result) ([]config.Run, bool) {
			tf := perRule(b, n, rules.EProp)
			var tests []float64
			for _, r := range done {
				if r.Config.Kind() == rules.EProp && r.Status.State == results.Finished {
					tests = append(tests, float64(r.Final.TestMetric))
				}
			}
			if len(tests) == 0 {
				return tf, true
			}
			m, _ := stats.MeanStd(tests)
			stop := b
			stop.Rule = rules.BPTT.String()
			stop.Train.StopAtTest = m
			return append(tf, seeded(stop, n)...), false
		},
	},
	{
		Name: "dynamics", Title: "Beyond curvature: dynamical similarity (DSA), contraction and the rule's metric",
		Shows:        "whether the rules build different dynamics: DSA distances between trained networks (within vs between rule, clustering), a geometric baseline, contraction rates against the gap and λ_max, κ_min along training",
		parts:        []string{"gap", "dynamics", "kappa"},
		Seeds:        10,
		finalWeights: true,
		Plan:         single(rulesPlan(config.PaperRules()...)),
	},
	{
		Name: "theorem1", Title: "Theorem 1: λ_max at convergence against the 2/η and 2/(αη) bounds",
		Shows: "BPTT's λ_max stays below 2/η; Three-factor's can approach 2/(αη), which is larger because α < 1",
		parts: []string{"theorem", "alpha"},
		Seeds: 5,
		Plan:  single(rulesPlan(rules.BPTT, rules.EProp, rules.RFLO, rules.MDGL)),
	},
}

// sensitivitySpec runs claims C1 and C2 over the task's reconstructions
// (see Reconstructions); its report is WriteSensitivity's.
var sensitivitySpec = Spec{
	Name: "sensitivity", Title: "Sensitivity: claims C1 and C2 over the reconstructions of what the paper leaves unknown",
	Shows: "in how many plausible reconstructions (pattern generation: N_in, L2, W_rec scale, test noise; DMS: training delays) the bio rules end sharper (C1) and generalise worse (C2) than BPTT, paired by seed, each with its own learning-rate selection",
	Seeds: 10,
	Plan:  single(sensitivityPlan),
}

func init() { specs = append(specs, sensitivitySpec) }

// Specs returns every named experiment, "default" first.
func Specs() []Spec { return append([]Spec(nil), specs...) }

// Lookup returns the experiment with the given name.
func Lookup(name string) (Spec, error) {
	for _, s := range specs {
		if s.Name == name {
			return s, nil
		}
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	return Spec{}, fmt.Errorf("unknown experiment %q (allowed: %s)", name, strings.Join(names, ", "))
}

// DefaultBase returns the base run of the default experiment: pattern
// generation at the spec's defaults (spec §5.2, §7: N = 100, N_in = 100,
// T = 50, L2 1e-2, the authors' init, full batch, SGD) with plateau
// stopping (spec §5.4) under a reduced cap of 3000 iterations and a
// checkpoint every 150, so that the whole experiment, learning-rate
// selection included (DefaultExperimentProtocol), takes well under a
// minute on 2 cores. The learning rate is not set here: the protocol
// selects it per rule.
func DefaultBase() config.Run {
	r := config.Default()
	r.Task = config.PatternGen
	r.Train.Stop = config.StopPlateau
	r.Train.Iterations = 3000
	r.Hessian.Every = 150
	return r
}

// DefaultExperimentProtocol is the selection protocol of the default
// experiment: the spec's full grid, but one selection seed and a third of
// the (already reduced) budget, to stay fast. The paper-scale protocol is
// DefaultProtocol.
func DefaultExperimentProtocol() Protocol {
	p := DefaultProtocol()
	p.Seeds = 1
	p.Budget = 1.0 / 3
	return p
}

// labelOrder orders result groups: the paper's rules and Three-factor
// theory without a variant first, in the paper's order, then TBPTT windows
// by K, then the rest alphabetically by their text.
func labelOrder(labels []config.Label) []config.Label {
	rank := func(l config.Label) (int, bool) {
		if l.Variant != (config.Variant{}) {
			return 0, false
		}
		i := slices.Index(append(config.PaperRules(), rules.MatchedBPTT), l.Rule)
		return i, i >= 0
	}
	sort.SliceStable(labels, func(i, j int) bool {
		a, b := labels[i], labels[j]
		ri, oki := rank(a)
		rj, okj := rank(b)
		switch {
		case oki && okj:
			return ri < rj
		case oki:
			return true
		case okj:
			return false
		}
		if a.Rule == rules.TBPTT && b.Rule == rules.TBPTT && a.K != b.K {
			return a.K < b.K
		}
		return a.String() < b.String()
	})
	return labels
}

// finite reports whether v is a finite number.
func finite(v results.Num) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
