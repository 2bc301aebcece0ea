package experiment

import (
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

// grid returns RateScores for the spec's grid with the given scores (NaN:
// diverged on one of 3 seeds).
func grid(scores ...float64) []RateScore {
	var rs []RateScore
	for i, lr := range SpecGrid() {
		r := RateScore{LR: lr, Score: results.Num(scores[i]), Finished: 3}
		if !finite(r.Score) {
			r.Finished, r.Diverged = 2, 1
		}
		rs = append(rs, r)
	}
	return rs
}

func TestEdgeOf(t *testing.T) {
	nan := float64(results.NaN())
	tests := []struct {
		name string
		sel  *Selection
		want string
	}{
		{"no selection", nil, edgeNone},
		{"incomplete", &Selection{Chosen: results.NaN(), Rates: grid(1, 2, 3, 4, 5, 6, 7)}, edgeNone},
		{"inside the grid", &Selection{Chosen: 1e-3, Rates: grid(3, 2, 1, 2, 3, nan, nan)}, edgeNone},
		{"smallest by score", &Selection{Chosen: 1e-4, Rates: grid(1, 2, 3, nan, nan, nan, nan)}, edgeSmallest},
		{"smallest because every larger rate diverged", &Selection{Chosen: 1e-4, Rates: grid(1, nan, nan, nan, nan, nan, nan)}, edgeForced},
		{"largest", &Selection{Chosen: 0.1, Rates: grid(7, 6, 5, 4, 3, 2, 1)}, edgeLargest},
		{"fallback", &Selection{Chosen: 1e-4, Note: "every rate diverged", Rates: grid(nan, nan, nan, nan, nan, nan, nan)}, edgeFallback},
	}
	for _, tc := range tests {
		if got := edgeOf(tc.sel); got != tc.want {
			t.Errorf("%s: edgeOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestRateLine(t *testing.T) {
	nan := float64(results.NaN())
	bptt := &Selection{Key: "a", Label: "BPTT", Chosen: 1e-2, Rates: grid(5, 4, 3, 2, 1, 2, nan)}
	tf := &Selection{Key: "b", Label: "Three-factor", Chosen: 1e-4, Rates: grid(1, nan, nan, nan, nan, nan, nan)}
	rf := &Selection{Key: "c", Label: "RF Three-factor", Chosen: 1e-4, Note: "every rate diverged",
		Rates: []RateScore{{LR: 1e-4, Score: results.NaN(), Finished: 2, Diverged: 1}, {LR: 1e-3, Score: results.NaN(), Finished: 1, Diverged: 2}}}
	got := rateLine([]rateOrigin{
		{label: "BPTT", lr: 0.03, sel: bptt},
		{label: "Three-factor", lr: 1e-4, sel: tf},
		{label: "Three-factor theory", lr: 1e-4, sel: tf},
		{label: "RF Three-factor", lr: 1e-4, sel: rf},
		{label: "MDGL", lr: 5e-3},
	})
	for _, want := range []string{
		"Learning rates: BPTT η = 0.03 (3× the selected 0.01); Three-factor η = 0.0001; Three-factor theory η = 0.0001 (Three-factor's selection); RF Three-factor η = 0.0001; MDGL η = 0.005 (not selected).",
		"Every rate diverged on some selection seed, so the rate with the fewest divergences was taken: RF Three-factor (0.0001 diverged on 1 of 3 seeds).",
		"At the grid's smallest rate because every larger rate diverged on some selection seed: Three-factor.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rateLine = %q\nwant it to contain %q", got, want)
		}
	}
	if strings.Count(got, "Three-factor.") != 1 || strings.Contains(got, "BPTT.") {
		t.Errorf("rateLine = %q: a selection is listed once, and only at an edge", got)
	}
	if rateLine(nil) != "" {
		t.Error("rateLine(nil) is not empty")
	}
}

func TestTallySelections(t *testing.T) {
	nan := float64(results.NaN())
	sels := []Selection{
		{Key: "a", Chosen: 1e-4, Rates: grid(1, nan, nan, nan, nan, nan, nan)},
		{Key: "b", Chosen: 1e-4, Rates: grid(1, 2, nan, nan, nan, nan, nan)},
		{Key: "c", Chosen: 1e-3, Rates: grid(3, 2, 1, 2, nan, nan, nan)},
		{Key: "d", Chosen: 1e-4, Rates: grid(1, nan, nan, nan, nan, nan, nan)}, // not behind the report
	}
	var tl selectionTally
	tl.add(tallySelections(sels, map[string]bool{"a": true, "b": true, "c": true}))
	if tl.n != 3 || tl.edge[edgeForced] != 1 || tl.edge[edgeSmallest] != 1 || tl.edge[edgeLargest] != 0 || tl.edge[edgeFallback] != 0 {
		t.Errorf("tally = %+v, want 3 selections: 1 forced, 1 smallest", tl)
	}
}

func TestNaturalLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"TBPTT(2)", "TBPTT(20)", true},
		{"TBPTT(20)", "TBPTT(4)", false},
		{"TBPTT(4)", "TBPTT(20)", true},
		{"TBPTT(08)", "TBPTT(9)", true},
		{"a", "b", true},
		{"ab", "a", false},
		{"a", "a", false},
		{"", "a", true},
	}
	for _, tc := range tests {
		if got := naturalLess(tc.a, tc.b); got != tc.want {
			t.Errorf("naturalLess(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
