package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/report"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/rules"
)

// Learning-rate selection (the paper's protocol, spec §5.4): before an
// experiment's runs, each rule's learning rate is chosen from a grid by
// its training loss (validation loss for seqMNIST) on selection seeds that
// are disjoint from the reporting seeds, and the experiment then runs at
// the selected rates. Selection runs are ordinary runs (experiment
// "select", stored in OUT/selection/), so they resume like any other, and
// the choice is recomputed from them and written to OUT/selection.json.

// Selection modes accepted in Protocol.Mode.
const (
	SelectOff     = "off"     // run at the configured rate
	SelectGrid    = "grid"    // every rate at the full budget
	SelectHalving = "halving" // successive halving: a third survives each rung
)

// SelectionExperiment is the experiment name recorded in selection runs.
const SelectionExperiment = "select"

// SelectionSeedBase is the first selection seed. Reporting seeds are
// 1..n with n < SelectionSeedBase, so the two sets never meet.
const SelectionSeedBase = 1001

// SpecGrid returns the learning-rate grid of spec §5.4 (§7 #8).
func SpecGrid() []float64 { return []float64{1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1} }

// Protocol configures learning-rate selection. The zero value selects
// nothing (Mode "" is off).
type Protocol struct {
	// Mode is off, grid or halving.
	Mode string
	// Grid is the candidate rates (default SpecGrid).
	Grid []float64
	// Seeds is the number of selection seeds, SelectionSeedBase onwards (default 3).
	Seeds int
	// Budget scales the iteration count (the cap with plateau stopping)
	// of the selection runs relative to the reporting runs (default 1).
	Budget float64
}

// DefaultProtocol is the protocol of the paper: the spec's grid, every
// rate at the full budget, 3 selection seeds.
func DefaultProtocol() Protocol {
	return Protocol{Mode: SelectGrid, Grid: SpecGrid(), Seeds: 3, Budget: 1}
}

// ParseGrid parses a comma-separated list of positive rates.
func ParseGrid(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(v > 0 && v <= 100) {
			return nil, fmt.Errorf("--lr-grid %q: %q is not a rate in (0, 100]", s, f)
		}
		out = append(out, v)
	}
	sort.Float64s(out)
	return out, nil
}

// Validate checks the protocol's fields.
func (p Protocol) Validate() error {
	switch p.Mode {
	case "", SelectOff:
		return nil
	case SelectGrid, SelectHalving:
	default:
		return fmt.Errorf("--select %q: allowed values %s, %s, %s", p.Mode, SelectGrid, SelectHalving, SelectOff)
	}
	if len(p.Grid) == 0 {
		return errors.New("--lr-grid: no rates")
	}
	if p.Seeds < 1 || p.Seeds > 100 {
		return fmt.Errorf("--select-seeds %d: allowed range [1, 100]", p.Seeds)
	}
	if !(p.Budget > 0 && p.Budget <= 1) {
		return fmt.Errorf("--select-budget %g: allowed range (0, 1]", p.Budget)
	}
	return nil
}

func (p Protocol) on() bool { return p.Mode == SelectGrid || p.Mode == SelectHalving }

// Describe says in one line what the protocol does.
func (p Protocol) Describe() string {
	if !p.on() {
		return "no learning-rate selection: every run at the configured rate"
	}
	g := make([]string, len(p.Grid))
	for i, v := range p.Grid {
		g[i] = fmt.Sprintf("%g", v)
	}
	s := fmt.Sprintf("learning rate per rule from {%s} on %d selection seed(s) (%d..), by the final training loss (seqMNIST: validation loss); diverged rates are never chosen",
		strings.Join(g, ", "), p.Seeds, SelectionSeedBase)
	if p.Budget < 1 {
		s += fmt.Sprintf("; selection runs at %.3g of the reporting budget", p.Budget)
	}
	if p.Mode == SelectHalving {
		s += "; successive halving (each rung keeps the best third, budget ×3 per rung; a later rung continues the earlier rung's runs)"
	}
	return s
}

// RateScore is the outcome of one candidate rate.
type RateScore struct {
	LR float64 `json:"lr"`
	// Rung is the successive-halving rung (0 for the full grid) and
	// Iterations the iteration cap of its runs.
	Rung       int `json:"rung"`
	Iterations int `json:"iterations"`
	// Score is the mean criterion over the seeds (NaN unless all finished).
	Score    results.Num `json:"score"`
	Finished int         `json:"finished"`
	Diverged int         `json:"diverged"`
	Failed   int         `json:"failed"`
}

// Selection is the learning-rate choice for one selection key (a rule
// with its training settings).
type Selection struct {
	// Key identifies the selection: the hash of the key run.
	Key   string `json:"key"`
	Label string `json:"label"`
	Task  string `json:"task"`
	// Criterion is "training loss" or "validation loss".
	Criterion string      `json:"criterion"`
	Mode      string      `json:"mode"`
	Seeds     []uint64    `json:"seeds"`
	Rates     []RateScore `json:"rates"`
	// Chosen is the selected rate; NaN when the selection is incomplete.
	Chosen results.Num `json:"chosen"`
	// Note explains a fallback (every rate diverged on some seed).
	Note string `json:"note,omitempty"`
	// Runs is the number of selection runs behind the choice.
	Runs int `json:"runs"`
}

// selectionKey returns the run whose rate r's rate is derived from, and
// the factor between them (the test conditions are left out, since they do
// not change training): Three-factor theory takes Three-factor's rate
// (Fig. 4: "the same η"), the lr-decay remedy starts at a multiple of the
// rule's own rate (Fig. 5: 3×), early-stopped BPTT is BPTT (Table 1), and
// a rate the plan scaled (Fig. 12: 3×) scales the selected one. Settings
// that do not change training (curvature extras) are left out of the key,
// and so is the training precision: a float32 run takes the rate selected
// in float64 (the default precision), so that float32 and float64 runs of
// one rule train at the same rate.
func selectionKey(r, base config.Run) (config.Run, float64) {
	r = r.Resolve()
	scale := 1.0
	if r.Train.Optimizer == base.Train.Optimizer && base.Train.LR > 0 {
		scale = r.Train.LR / base.Train.LR
	}
	k := r
	k.Seed, k.Train.LR = 0, 0
	if k.Kind() == rules.MatchedBPTT {
		k.Rule = rules.EProp.String()
	}
	d := config.Default()
	k.Train.AlphaMode, k.Train.Alpha = d.Train.AlphaMode, d.Train.Alpha
	k.Train.Schedule, k.Train.DecayFactor, k.Train.DecayEvery = d.Train.Schedule, d.Train.DecayFactor, 0
	k.Train.StopAtTest, k.Train.StopEvery = 0, 0
	// When the evaluation sets are scored does not change training.
	k.Train.TestAt, k.Train.EvalEvery = "", 0
	k.Hessian.TopK, k.Hessian.AlignK, k.Hessian.Flatness = 0, 0, false
	// The rate is selected once, in float64, for both training precisions
	// (the precision experiment compares them at the same rate).
	k.Model.Precision = d.Model.Precision
	// Test conditions do not change training: the test-noise range and the
	// test delays share one selection.
	k.PatternGen.SigmaMin, k.PatternGen.SigmaMax, k.PatternGen.TestDraws = d.PatternGen.SigmaMin, d.PatternGen.SigmaMax, d.PatternGen.TestDraws
	k.DMS.MaxDelay = d.DMS.MaxDelay
	return k.Resolve(), scale
}

// selector runs the selection for the keys an experiment needs.
type selector struct {
	env   *Env
	proto Protocol
	opts  RunOptions
	dir   string // OUT/selection
	base  config.Run
	done  map[string]*Selection
}

func newSelector(e *Env, p Protocol, base config.Run, opts RunOptions) *selector {
	return &selector{env: e, proto: p, opts: opts, dir: filepath.Join(opts.Out, "selection"), base: base.Resolve(), done: map[string]*Selection{}}
}

// ErrSelectionPending means that a sharded run finished its share of the
// selection runs but others are still missing.
var ErrSelectionPending = errors.New("learning-rate selection incomplete: other shards' selection runs are missing; run the same command again when they have finished")

// apply runs the selection for every key among runs that has none yet and
// returns runs at their selected rates.
func (s *selector) apply(ctx context.Context, runs []config.Run) ([]config.Run, error) {
	type job struct {
		key config.Run
		sel *Selection
	}
	var todo []job
	seen := map[string]bool{}
	for _, r := range runs {
		k, _ := selectionKey(r, s.base)
		h := k.Hash()
		if s.done[h[:16]] != nil || seen[h] {
			continue
		}
		seen[h] = true
		todo = append(todo, job{k, &Selection{Key: h[:16], Label: k.Label().String(), Task: k.Task, Criterion: criterion(k), Mode: s.proto.Mode}})
	}
	if len(todo) > 0 {
		survivors := make([][]float64, len(todo))
		for i := range todo {
			survivors[i] = append([]float64(nil), s.proto.Grid...)
			for n := range s.proto.Seeds {
				todo[i].sel.Seeds = append(todo[i].sel.Seeds, uint64(SelectionSeedBase+n))
			}
		}
		rungs := 1
		if s.proto.Mode == SelectHalving {
			for n := len(s.proto.Grid); n > 1; n = (n + 2) / 3 {
				rungs++
			}
			rungs = max(1, rungs-1)
		}
		// Successive halving's later rungs continue the previous rung's
		// runs of the same rate and seed from their saved training state
		// (continued.go) instead of training again from scratch; a run
		// whose predecessor left no state starts from scratch.
		var states *stateStore
		if rungs > 1 {
			states = &stateStore{dir: filepath.Join(s.dir, "state"), save: map[string]bool{}, from: map[string]config.Run{}}
		}
		prev := map[string]config.Run{} // key, rate and seed -> the previous rung's run
		for rung := range rungs {
			frac := s.proto.Budget * math.Pow(3, float64(rung-(rungs-1)))
			var all []config.Run
			plan := make([][][]config.Run, len(todo))
			for i, j := range todo {
				plan[i] = make([][]config.Run, len(survivors[i]))
				for a, lr := range survivors[i] {
					for _, seed := range j.sel.Seeds {
						r := selectionRun(j.key, lr, seed, frac)
						plan[i][a] = append(plan[i][a], r)
						all = append(all, r)
						if states != nil {
							k := fmt.Sprint(i, " ", lr, " ", seed)
							if p, ok := prev[k]; ok {
								states.from[r.ID()] = p
							}
							if rung < rungs-1 {
								states.save[r.ID()] = true
							}
							prev[k] = r
						}
					}
				}
			}
			opts := s.opts
			opts.Out = s.dir
			env := &Env{Experiment: SelectionExperiment, DataCache: s.env.DataCache, data: s.env.cache(), states: states}
			if _, err := env.Execute(ctx, all, opts); err != nil {
				return nil, err
			}
			complete := true
			for i := range todo {
				var scored []RateScore
				for a, lr := range survivors[i] {
					rs, n := scoreRate(s.dir, plan[i][a])
					rs.LR, rs.Rung = lr, rung
					if len(plan[i][a]) > 0 {
						rs.Iterations = plan[i][a][0].Train.Iterations
					}
					complete = complete && n == len(plan[i][a])
					todo[i].sel.Runs += n
					scored = append(scored, rs)
				}
				todo[i].sel.Rates = append(todo[i].sel.Rates, scored...)
				survivors[i] = keepBest(scored, (len(scored)+2)/3)
			}
			if !complete {
				return nil, ErrSelectionPending
			}
		}
		if states != nil {
			// Every rung finished: the saved states are not needed again.
			if err := os.RemoveAll(states.dir); err != nil {
				return nil, err
			}
		}
		for _, j := range todo {
			sel := j.sel
			sel.Chosen, sel.Note = choose(lastRung(sel.Rates))
			s.done[sel.Key] = sel
		}
		if err := s.write(); err != nil {
			return nil, err
		}
	}
	out := make([]config.Run, len(runs))
	for i, r := range runs {
		k, scale := selectionKey(r, s.base)
		sel := s.done[k.Hash()[:16]]
		out[i] = r
		out[i].Train.LR = float64(sel.Chosen) * scale
	}
	return out, nil
}

// lastRung returns the entries of the highest rung.
func lastRung(rs []RateScore) []RateScore {
	top := 0
	for _, r := range rs {
		top = max(top, r.Rung)
	}
	var out []RateScore
	for _, r := range rs {
		if r.Rung == top {
			out = append(out, r)
		}
	}
	return out
}

// criterion names the selection criterion of a task (spec §5.4).
func criterion(r config.Run) string {
	if r.Task == config.SeqMNIST {
		return "validation loss"
	}
	return "training loss"
}

// selectionRun is the key run at rate lr with a selection seed and the
// budget scaled by frac (the same checkpoint interval, so a shorter run is
// a prefix of a longer one). With a fixed budget (seqMNIST by default) it
// is score-only (train.score_only): nothing but the final losses is read
// from it, and training does not depend on the checkpoints it skips. With
// plateau stopping (DMS and pattern generation by default) λ_max decides
// when it stops, so it stays a full run.
func selectionRun(key config.Run, lr float64, seed uint64, frac float64) config.Run {
	r := key
	r.Seed, r.Train.LR = seed, lr
	if frac < 1 {
		r.Train.Iterations = max(r.Hessian.Every, int(math.Round(float64(key.Train.Iterations)*frac)))
	}
	r = r.Resolve()
	r.Train.ScoreOnly = r.Train.Stop == config.StopFixed && r.Train.StopAtTest == 0
	return r
}

// scoreRate reads the results of one rate's selection runs and returns
// its score (the mean criterion when every seed finished) and the number
// of runs with a final result.
func scoreRate(dir string, runs []config.Run) (RateScore, int) {
	rs := RateScore{Score: results.NaN()}
	var sum float64
	n := 0
	for _, r := range runs {
		res, err := results.Read(filepath.Join(dir, results.FileName(r.ID())))
		if err != nil {
			continue
		}
		switch res.Status.State {
		case results.Finished:
			v := res.Final.Loss
			if r.Task == config.SeqMNIST {
				v = res.Final.ValLoss
			}
			if finite(v) {
				rs.Finished++
				sum += float64(v)
			} else {
				rs.Diverged++
			}
			n++
		case results.Diverged:
			rs.Diverged++
			n++
		default:
			rs.Failed++
		}
	}
	if rs.Finished == len(runs) && n > 0 {
		rs.Score = results.Num(sum / float64(rs.Finished))
	}
	return rs, n
}

// keepBest returns the k rates with the best scores; rates with a
// divergence rank after every rate without one (fewest divergences first).
func keepBest(rs []RateScore, k int) []float64 {
	s := append([]RateScore(nil), rs...)
	sort.SliceStable(s, func(i, j int) bool { return better(s[i], s[j]) })
	var out []float64
	for _, r := range s[:min(k, len(s))] {
		out = append(out, r.LR)
	}
	sort.Float64s(out)
	return out
}

// better orders candidates: a rate whose seeds all finished beats one
// with a divergence or failure; then the lower score; then the lower rate.
func better(a, b RateScore) bool {
	fa, fb := finite(a.Score), finite(b.Score)
	switch {
	case fa != fb:
		return fa
	case fa && a.Score != b.Score:
		return a.Score < b.Score
	case !fa && a.Diverged+a.Failed != b.Diverged+b.Failed:
		return a.Diverged+a.Failed < b.Diverged+b.Failed
	}
	return a.LR < b.LR
}

// choose returns the best rate of the last rung and, when no rate trained
// without divergence on every seed, a note saying so.
func choose(rs []RateScore) (results.Num, string) {
	if len(rs) == 0 {
		return results.NaN(), "no candidate rates"
	}
	s := append([]RateScore(nil), rs...)
	sort.SliceStable(s, func(i, j int) bool { return better(s[i], s[j]) })
	if finite(s[0].Score) {
		return results.Num(s[0].LR), ""
	}
	return results.Num(s[0].LR), fmt.Sprintf("every rate diverged or failed on some selection seed; %g has the fewest (%d of %d seeds)",
		s[0].LR, s[0].Diverged+s[0].Failed, s[0].Diverged+s[0].Failed+s[0].Finished)
}

// SelectionFile is the name of the selection record in an output folder.
const SelectionFile = "selection.json"

// write merges the selections into OUT/selection.json.
func (s *selector) write() error {
	all, _ := ReadSelections(s.opts.Out)
	byKey := map[string]int{}
	for i, x := range all {
		byKey[x.Key] = i
	}
	for _, x := range s.done {
		if i, ok := byKey[x.Key]; ok {
			all[i] = *x
		} else {
			byKey[x.Key] = len(all)
			all = append(all, *x)
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Task != all[j].Task {
			return all[i].Task < all[j].Task
		}
		ri, rj := paperRank(all[i].Label), paperRank(all[j].Label)
		if ri != rj {
			return ri < rj
		}
		return all[i].Label < all[j].Label
	})
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.opts.Out, 0o755); err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(s.opts.Out, SelectionFile), append(b, '\n'))
}

// paperRank orders labels: the paper's rules in its order, then the rest.
func paperRank(label string) int {
	for i, k := range config.PaperRules() {
		if label == config.RuleLabel(k, 0) {
			return i
		}
	}
	return len(config.PaperRules())
}

// ReadSelections reads OUT/selection.json (none: nil, nil).
func ReadSelections(dir string) ([]Selection, error) {
	b, err := os.ReadFile(filepath.Join(dir, SelectionFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Selection
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, SelectionFile), err)
	}
	return out, nil
}

// selectionsFor returns the selections whose chosen rate was used by the
// given runs' keys, in file order.
func selectionsFor(dir string, runs []*results.Result) []Selection {
	all, err := ReadSelections(dir)
	if err != nil || len(all) == 0 {
		return nil
	}
	labels := map[string]bool{}
	for _, r := range runs {
		labels[resultSelectionKey(r)] = true
	}
	var out []Selection
	for _, s := range all {
		if labels[s.Key] {
			out = append(out, s)
		}
	}
	return out
}

// resultSelectionKey is the key (Selection.Key) of the selection a
// finished run's rate comes from.
func resultSelectionKey(r *results.Result) string {
	k, _ := selectionKey(r.Config, r.Config)
	return k.Hash()[:16]
}

// withoutSelection drops the selection runs from a list of results.
func withoutSelection(runs []*results.Result) []*results.Result {
	var out []*results.Result
	for _, r := range runs {
		if r.Experiment != SelectionExperiment {
			out = append(out, r)
		}
	}
	return out
}

// selectionReport is the report section and terminal lines of the
// selections behind a set of runs.
func selectionReport(sels []Selection) (report.Section, string) {
	sec := report.Section{Heading: "Learning-rate selection"}
	if len(sels) == 0 {
		return sec, ""
	}
	sec.Paragraphs = append(sec.Paragraphs, fmt.Sprintf("Each rule's learning rate was chosen before the runs of this report (spec §5.4): every candidate rate trained on the selection seeds %d.. (disjoint from the reporting seeds), scored by the mean final %s over the seeds; a rate that diverged on any seed is never chosen. Rule variants inherit: Three-factor theory runs at Three-factor's rate, the lr-decay remedy at 3× its rule's rate, early-stopped BPTT at BPTT's. The selection runs are in selection/ and the choice in %s. Selection runs with a fixed budget (seqMNIST) compute only the criterion (train.score_only: no λ_max and no evaluation before the last iteration, which the training does not depend on); plateau-stopped ones are full runs, since λ_max decides when they stop.",
		SelectionSeedBase, sels[0].Criterion, SelectionFile))
	var txt strings.Builder
	fmt.Fprintf(&txt, "Learning rates selected (%s, mean over %d selection seeds):\n", sels[0].Criterion, len(sels[0].Seeds))
	for _, s := range sels {
		t := report.Table{Caption: fmt.Sprintf("%s (%s): %s by mean final %s; chosen η = %s", s.Label, taskTitles[s.Task], s.Mode, s.Criterion, num(s.Chosen)),
			Header: []string{"η", "rung", "iterations (cap)", "finished", "diverged", "failed", "score"}}
		var cells []string
		for _, r := range s.Rates {
			sc := num(r.Score)
			if !finite(r.Score) {
				sc = "failure"
			}
			t.Rows = append(t.Rows, []string{fmt.Sprintf("%g", r.LR), fmt.Sprint(r.Rung), fmt.Sprint(r.Iterations), fmt.Sprint(r.Finished), fmt.Sprint(r.Diverged), fmt.Sprint(r.Failed), sc})
			cell := fmt.Sprintf("%g:%s", r.LR, sc)
			if r.Rung > 0 {
				cell = fmt.Sprintf("rung %d %s", r.Rung, cell)
			}
			cells = append(cells, cell)
		}
		if s.Note != "" {
			t.Caption += " — " + s.Note
		}
		sec.Tables = append(sec.Tables, t)
		fmt.Fprintf(&txt, "  %-16s η = %-7s (%s)", s.Label, num(s.Chosen), strings.Join(cells, " "))
		if s.Note != "" {
			fmt.Fprintf(&txt, " [%s]", s.Note)
		}
		txt.WriteString("\n")
	}
	return sec, txt.String()
}
