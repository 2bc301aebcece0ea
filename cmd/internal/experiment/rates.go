package experiment

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

// rateOrigin is the learning rate one rule of an item trained at and the
// selection it came from.
type rateOrigin struct {
	label string
	lr    float64
	sel   *Selection // nil: the rate was not selected (selection off)
}

// rateOrigins returns, for each rule label among runs (selection runs
// left out), the rates its runs trained at and the selection each came
// from, looked up in sels by selection key. Labels are in the paper's
// order, then by name; a label's rates in increasing order.
func rateOrigins(runs []*results.Result, sels []Selection) []rateOrigin {
	byKey := map[string]*Selection{}
	for i := range sels {
		byKey[sels[i].Key] = &sels[i]
	}
	type lk struct {
		label string
		lr    float64
	}
	seen := map[lk]bool{}
	var out []rateOrigin
	for _, r := range withoutSelection(runs) {
		k := lk{r.Label, r.Config.Train.LR}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, rateOrigin{label: r.Label, lr: r.Config.Train.LR, sel: byKey[resultSelectionKey(r)]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := paperRank(baseLabel(out[i].label)), paperRank(baseLabel(out[j].label))
		if ri != rj {
			return ri < rj
		}
		if out[i].label != out[j].label {
			return naturalLess(out[i].label, out[j].label)
		}
		return out[i].lr < out[j].lr
	})
	return out
}

// Edge kinds of a selection (edgeOf).
const (
	edgeNone     = ""
	edgeForced   = "forced"   // the smallest rate; every larger one diverged on some seed
	edgeSmallest = "smallest" // the smallest rate, a larger one scored finite but worse
	edgeLargest  = "largest"  // the largest rate
	edgeFallback = "fallback" // every rate diverged on some seed
)

// edgeOf classifies a selection's choice against its grid: a fallback
// (every rate diverged on some selection seed), the smallest rate because
// every larger one diverged, the smallest or the largest rate by score (the
// best rate may lie beyond the grid), or none of these.
func edgeOf(s *Selection) string {
	if s == nil || !finite(s.Chosen) || len(s.Rates) < 2 {
		return edgeNone
	}
	if s.Note != "" {
		return edgeFallback
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range s.Rates {
		lo, hi = math.Min(lo, r.LR), math.Max(hi, r.LR)
	}
	switch c := float64(s.Chosen); c {
	case lo:
		for _, r := range s.Rates {
			if r.LR > lo && finite(r.Score) {
				return edgeSmallest
			}
		}
		return edgeForced
	case hi:
		return edgeLargest
	}
	return edgeNone
}

// edgeText introduces the rules of each edge kind in rateLine.
var edgeText = map[string]string{
	edgeFallback: "Every rate diverged on some selection seed, so the rate with the fewest divergences was taken",
	edgeForced:   "At the grid's smallest rate because every larger rate diverged on some selection seed",
	edgeSmallest: "At the grid's smallest rate by score (the best rate may lie below the grid)",
	edgeLargest:  "At the grid's largest rate by score (the best rate may lie above the grid)",
}

// edgeOrder is the order in which rateLine lists the edge kinds.
var edgeOrder = []string{edgeFallback, edgeForced, edgeSmallest, edgeLargest}

// rateLine is the "Learning rates" line of a claim in REPRODUCTION.md: the
// rate each rule trained at and where it came from, then the selections
// whose choice sits at an edge of the grid or fell back (edgeOf), grouped.
func rateLine(origins []rateOrigin) string {
	if len(origins) == 0 {
		return ""
	}
	var parts []string
	groups := map[string][]string{}
	listed := map[string]bool{}
	for _, o := range origins {
		p := fmt.Sprintf("%s η = %.3g", o.label, o.lr)
		s := o.sel
		switch {
		case s == nil:
			p += " (not selected)"
		case !finite(s.Chosen):
			p += " (selection incomplete)"
		default:
			var from []string
			if s.Label != o.label {
				from = append(from, s.Label+"'s selection")
			}
			if f := o.lr / float64(s.Chosen); math.Abs(f-1) > 1e-9 {
				from = append(from, fmt.Sprintf("%.3g× the selected %.3g", f, float64(s.Chosen)))
			}
			if len(from) > 0 {
				p += " (" + strings.Join(from, ", ") + ")"
			}
			if e := edgeOf(s); e != edgeNone && !listed[s.Key] {
				listed[s.Key] = true
				g := s.Label
				if e == edgeFallback {
					g += fmt.Sprintf(" (%.3g diverged on %s)", float64(s.Chosen), divergedOf(s))
				}
				groups[e] = append(groups[e], g)
			}
		}
		parts = append(parts, p)
	}
	line := "Learning rates: " + strings.Join(parts, "; ") + "."
	for _, e := range edgeOrder {
		if len(groups[e]) > 0 {
			line += fmt.Sprintf(" %s: %s.", edgeText[e], strings.Join(groups[e], ", "))
		}
	}
	return line
}

// divergedOf says on how many of its selection seeds the chosen rate of s
// diverged or failed, e.g. "1 of 3 seeds".
func divergedOf(s *Selection) string {
	for _, r := range s.Rates {
		if r.LR == float64(s.Chosen) {
			return fmt.Sprintf("%d of %d seeds", r.Diverged+r.Failed, r.Diverged+r.Failed+r.Finished)
		}
	}
	return "some seeds"
}

// selectionTally counts, per edge kind (edgeOf), the selections behind a
// report's runs, each selection once; n is the number of selections.
type selectionTally struct {
	n    int
	edge map[string]int
}

// tallySelections counts the selections of sels whose key is among keys.
func tallySelections(sels []Selection, keys map[string]bool) selectionTally {
	t := selectionTally{edge: map[string]int{}}
	for i := range sels {
		if !keys[sels[i].Key] {
			continue
		}
		t.n++
		if e := edgeOf(&sels[i]); e != edgeNone {
			t.edge[e]++
		}
	}
	return t
}

// add adds u's counts to t.
func (t *selectionTally) add(u selectionTally) {
	if t.edge == nil {
		t.edge = map[string]int{}
	}
	t.n += u.n
	for k, v := range u.edge {
		t.edge[k] += v
	}
}

// selectionKeys returns the selection keys of runs (selection runs left
// out).
func selectionKeys(runs []*results.Result) map[string]bool {
	keys := map[string]bool{}
	for _, r := range withoutSelection(runs) {
		keys[resultSelectionKey(r)] = true
	}
	return keys
}

// naturalLess orders strings with their digit runs compared as numbers, so
// that TBPTT(2) comes before TBPTT(20).
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

// digitRun returns the length of the run of ASCII digits that starts s.
func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// baseLabel is a rule label without its variant suffix: "Three-factor
// [adam]" is "Three-factor".
func baseLabel(l string) string {
	if i := strings.Index(l, " ["); i > 0 {
		return l[:i]
	}
	return l
}
