package experiment

import (
	"fmt"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
)

// TestLongestFirst checks the order in which a multi-job sweep starts its
// runs: by decreasing estimated cost (iterations × the rule's step cost;
// TBPTT(K) between an approximate rule and BPTT, TBPTT(K ≥ T) as BPTT),
// runs of equal cost in list order, the input list unchanged.
func TestLongestFirst(t *testing.T) {
	run := func(rule string, k, iters int, seed uint64) config.Run {
		r := config.Default()
		r.Task = config.SeqMNIST
		r.Rule = rule
		r.Train.TruncK = k
		r.Train.Iterations = iters
		r.Seed = seed
		return r
	}
	tests := []struct {
		name string
		in   []config.Run
		want []int // indices into in
	}{
		{"empty", nil, nil},
		{"one", []config.Run{run("bptt", 0, 0, 1)}, []int{0}},
		{
			// seqMNIST defaults: 10 000 BPTT iterations, 16 000 otherwise.
			"rules at their default budgets",
			[]config.Run{
				run("three-factor", 0, 0, 1), run("bptt", 0, 0, 1), run("mdgl", 0, 0, 1),
				run("three-factor-theory", 0, 0, 1), run("rf-three-factor", 0, 0, 1),
			},
			[]int{3, 1, 0, 2, 4},
		},
		{
			"truncation windows, T = 28",
			[]config.Run{
				run("tbptt", 1, 16000, 1), run("tbptt", 2, 16000, 1), run("tbptt", 8, 16000, 1),
				run("tbptt", 28, 16000, 1), run("tbptt", 40, 16000, 1), run("three-factor", 0, 16000, 1),
			},
			// K ≥ T costs as BPTT (ties keep their order); K = 1 as an approximate rule.
			[]int{3, 4, 2, 1, 0, 5},
		},
		{
			"equal costs keep their order",
			[]config.Run{run("mdgl", 0, 100, 3), run("mdgl", 0, 100, 1), run("bptt", 0, 10, 2), run("mdgl", 0, 100, 2)},
			[]int{0, 1, 3, 2},
		},
		{
			"iterations decide within a rule",
			[]config.Run{run("bptt", 0, 100, 1), run("bptt", 0, 300, 1), run("three-factor", 0, 500, 1)},
			[]int{1, 2, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids := func(rs []config.Run) string {
				s := ""
				for _, r := range rs {
					s += fmt.Sprintf("%s/K=%d/it=%d/s%d ", r.Rule, r.Train.TruncK, r.Train.Iterations, r.Seed)
				}
				return s
			}
			before := ids(tc.in)
			got := longestFirst(tc.in)
			want := make([]config.Run, len(tc.want))
			for i, j := range tc.want {
				want[i] = tc.in[j]
			}
			if ids(got) != ids(want) {
				t.Errorf("order\n got  %s\n want %s", ids(got), ids(want))
			}
			if ids(tc.in) != before {
				t.Errorf("input reordered: %s, was %s", ids(tc.in), before)
			}
		})
	}
}
