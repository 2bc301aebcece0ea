package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/sweep"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// The whole paper in one command ("hessrnn run paper"): every figure and
// table on every task through the experiments' plans, the selection
// protocol and the sweep machinery (resumable, --jobs, --shard), one
// results folder per task so that experiments share identical runs, then
// REPRODUCTION.md from the results.

// Item is one experiment on one task.
type Item struct {
	Experiment, Task string
	// Seeds is the number of reporting seeds per configuration.
	Seeds int
}

// Scale is a size of the whole-paper run.
type Scale struct {
	// Name is "quick" or "paper" (or a test's own).
	Name string
	// About says honestly what the scale is.
	About string
	// Items are the experiments, in order.
	Items []Item
	// Protocol is the learning-rate selection.
	Protocol Protocol
	// Adjust changes each task's base run (budget, sizes); nil keeps the
	// paper's defaults.
	Adjust func(r *config.Run)
	// Run changes each planned run (e.g. a smaller top-k); nil keeps it.
	Run func(r *config.Run)
	// Flags are the "hessrnn run" flags that give one item of the task
	// the scale's settings (Adjust and Protocol), for the command printed
	// with each claim; nil for none (the run command's defaults).
	Flags func(task string) []string
}

// paperExperiments are the figures and tables run on every task (Table 1
// on seqMNIST only, where the paper has it; spec §6).
var paperExperiments = []string{"fig2", "fig3", "theorem1", "fig4", "fig6", "fig5", "fig12", "fig9", "fig11", "fig10", "fig8", "fig7"}

// paperTaskOrder runs the tasks from the cheapest to the costliest.
var paperTaskOrder = []string{config.DMS, config.PatternGen, config.SeqMNIST}

// PaperScale returns the named scale: "paper" (the paper's sizes and
// budgets, the full selection protocol, 10 reporting seeds per rule on
// every task, the sensitivity analyses) or "quick" (a smoke run of the same
// pipeline in minutes: 3 seeds, a 3-rate grid, short budgets; its verdicts
// are not a reproduction).
func PaperScale(name string) (Scale, error) {
	switch name {
	case "paper":
		s := Scale{Name: name, Protocol: DefaultProtocol(),
			About: "the paper's network sizes, tasks and budgets (seqMNIST: 10 000 / 16 000 iterations at B = 256; pattern generation and DMS: plateau stopping capped at 20 000), each rule's learning rate selected from the spec's 7-rate grid on 3 selection seeds at the full budget, 10 reporting seeds per rule on every task (the paper had 5); training and curvature in float64, where the authors' TensorFlow code trained in float32 (the tool's `run precision` compares the two, paired by seed: BENCHMARKS.md, \"Training precision\")"}
		// The cheap tasks first, so that a long run reports them early,
		// and their sensitivity analyses before seqMNIST, which costs
		// more than everything else together (BENCHMARKS.md, "Whole
		// paper: the lower bound").
		for _, t := range paperTaskOrder {
			if t == config.SeqMNIST {
				s.Items = append(s.Items, Item{"sensitivity", config.DMS, 10}, Item{"sensitivity", config.PatternGen, 10})
			}
			for _, e := range paperExperiments {
				s.Items = append(s.Items, Item{e, t, 10})
			}
			if t == config.SeqMNIST {
				s.Items = append(s.Items, Item{"table1", t, 10})
			}
		}
		return s, nil
	case "quick":
		p := Protocol{Mode: SelectGrid, Grid: []float64{1e-3, 1e-2, 1e-1}, Seeds: 1, Budget: 1.0 / 3}
		s := Scale{Name: name, Protocol: p,
			About: "a smoke run of the whole pipeline, NOT a reproduction: 3 reporting seeds, learning rates selected from {1e-3, 1e-2, 1e-1} on 1 selection seed at a third of the budget, pattern generation and DMS capped at 600 iterations (plateau stopping, a checkpoint every 30), seqMNIST 200 iterations and Fig. 2 only, top-20 instead of top-200 spectra; the p-values of 3 pairs cannot go below 0.25",
			Adjust: func(r *config.Run) {
				if r.Task == config.SeqMNIST {
					r.Train.Iterations, r.Hessian.Every = 200, 100
					return
				}
				r.Train.Iterations, r.Hessian.Every = 600, 30
			},
			Run: func(r *config.Run) {
				if r.Hessian.TopK > 20 {
					r.Hessian.TopK = 20
				}
			},
			Flags: func(task string) []string {
				g := make([]string, len(p.Grid))
				for i, v := range p.Grid {
					g[i] = strconv.FormatFloat(v, 'g', -1, 64)
				}
				iters, every := "600", "30"
				if task == config.SeqMNIST {
					iters, every = "200", "100"
				}
				return []string{"--iters", iters, "--every", every, "--lr-grid", strings.Join(g, ","),
					"--select-seeds", fmt.Sprint(p.Seeds), "--select-budget", strconv.FormatFloat(p.Budget, 'g', -1, 64)}
			}}
		for _, t := range paperTaskOrder {
			if t == config.SeqMNIST {
				s.Items = append(s.Items, Item{"fig2", t, 3})
				continue
			}
			for _, e := range paperExperiments {
				s.Items = append(s.Items, Item{e, t, 3})
			}
		}
		return s, nil
	}
	return Scale{}, fmt.Errorf("--scale %q: allowed values quick, paper", name)
}

// ItemResult is the outcome of one item.
type ItemResult struct {
	Item
	// Skipped says why the item did not run ("" when it ran).
	Skipped string
	// Pending says why the item has no complete results yet ("" when it
	// has): a report-only run (ReportPaper) found none or only some of
	// its runs. Its claims are "not yet run".
	Pending string
	// Dir is the task's results folder; Runs the item's results.
	Dir  string
	Runs []*results.Result
	// Wall is the item's wall time in this invocation (runs already done
	// cost nothing); RunSeconds the summed run times of its results.
	Wall       time.Duration
	RunSeconds float64
	Summary    sweep.Summary
	// Command reproduces the item alone; CommandNote, when set, says
	// what of the scale the command cannot express.
	Command, CommandNote string
}

// PaperOptions configures RunPaper.
type PaperOptions struct {
	RunOptions
	// Data is the MNIST directory ("" for the default search).
	Data string
	// DataCache caches the data files' SHA-256 (Env.DataCache).
	DataCache string
	// Log receives one line per item.
	Log io.Writer
	// Done, when set, is called after each item with the items so far
	// (e.g. to rewrite a partial REPRODUCTION.md).
	Done func(items []ItemResult)
}

// RunPaper runs every item of the scale into opts.Out/<task>/ and returns
// their results. seqMNIST items are skipped, with the reason, when the data
// cannot be found. A sharded run stops after its share of each phase.
func RunPaper(ctx context.Context, sc Scale, opts PaperOptions) ([]ItemResult, error) {
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	var out []ItemResult
	env := &Env{DataCache: opts.DataCache}
	// The data's identity enters the seqMNIST run IDs, as with "hessrnn run".
	id, dataErr := env.Identify(opts.Data)
	if dataErr == nil && id.Rows == 0 {
		dataErr = fmt.Errorf("%s: no MNIST-format images", id.Dir)
	}
	if dataErr == nil {
		dataErr = task.CheckDataset(id, "")
	}
	for _, it := range sc.Items {
		ir := ItemResult{Item: it, Dir: filepath.Join(opts.Out, it.Task)}
		ir.Command, ir.CommandNote = itemCommand(sc, it, ir.Dir, opts.Data)
		if it.Task == config.SeqMNIST && dataErr != nil {
			ir.Skipped = "no MNIST data: " + dataErr.Error()
			fmt.Fprintf(log, "hessrnn: paper: %s on %s skipped (%s)\n", it.Experiment, it.Task, ir.Skipped)
			out = append(out, ir)
			if opts.Done != nil {
				opts.Done(out)
			}
			continue
		}
		spec, err := Lookup(it.Experiment)
		if err != nil {
			return out, err
		}
		if sc.Run != nil {
			plan := spec.Plan
			spec.Plan = func(b config.Run, n int, done []*results.Result) ([]config.Run, bool) {
				runs, more := plan(b, n, done)
				for i := range runs {
					sc.Run(&runs[i])
				}
				return runs, more
			}
		}
		base := config.Default()
		base.Task = it.Task
		if it.Task == config.SeqMNIST {
			base.SeqMNIST.Data = opts.Data
			base.SeqMNIST.DataSHA256, base.SeqMNIST.ImageRows, base.SeqMNIST.ImageCols = id.Digest(), id.Rows, id.Cols
		}
		if sc.Adjust != nil {
			sc.Adjust(&base)
		}
		ro := opts.RunOptions
		ro.Out, ro.Protocol = ir.Dir, sc.Protocol
		e := &Env{Experiment: it.Experiment, DataCache: opts.DataCache, data: env.cache()}
		fmt.Fprintf(log, "hessrnn: paper: %s on %s, %d seeds per rule\n", it.Experiment, it.Task, it.Seeds)
		start := time.Now()
		sum, runs, err := e.RunExperiment(ctx, spec, base, it.Seeds, ro)
		ir.Wall, ir.Summary, ir.Runs = time.Since(start), sum, runs
		for _, r := range runs {
			ir.RunSeconds += r.WallSeconds
		}
		if err != nil {
			return out, fmt.Errorf("paper: %s on %s: %w", it.Experiment, it.Task, err)
		}
		if opts.Shard.Count <= 1 {
			if it.Experiment == "sensitivity" {
				if _, err := WriteSensitivity(ir.Dir, runs, spec.Title+" — "+it.Task, ir.Command); err != nil {
					return out, err
				}
			} else if _, err := WriteReport(ir.Dir, runs, spec.Report(spec.Title+" — "+it.Task, ir.Command)); err != nil && err != results.ErrNoResults {
				return out, err
			}
		}
		out = append(out, ir)
		if opts.Done != nil && opts.Shard.Count <= 1 {
			opts.Done(out)
		}
	}
	return out, nil
}

// itemCommand is the command that reproduces item it of scale sc alone
// into dir: "hessrnn run" with the scale's settings as flags (Scale.Flags),
// and --data for seqMNIST when the data folder was given. A scale whose
// Run hook changes the item's runs in a way no flag expresses gets a note
// naming the whole-paper command.
func itemCommand(sc Scale, it Item, dir, data string) (cmd, note string) {
	args := []string{"hessrnn", "run", it.Experiment, "--task", it.Task, "--seeds", fmt.Sprint(it.Seeds)}
	if sc.Flags != nil {
		args = append(args, sc.Flags(it.Task)...)
	}
	if it.Task == config.SeqMNIST && data != "" {
		args = append(args, "--data", data)
	}
	args = append(args, "--out", dir)
	if sc.Run != nil && runHookChanges(sc, it) {
		note = "the scale also changes settings that `run` has no flag for; `hessrnn run paper --scale " + sc.Name + "` reproduces this item exactly"
	}
	return strings.Join(args, " "), note
}

// runHookChanges reports whether sc.Run changes any run that item it
// plans.
func runHookChanges(sc Scale, it Item) bool {
	spec, err := Lookup(it.Experiment)
	if err != nil {
		return false
	}
	base := config.Default()
	base.Task = it.Task
	if sc.Adjust != nil {
		sc.Adjust(&base)
	}
	runs, _ := spec.Plan(base, it.Seeds, nil)
	for _, r := range runs {
		c := r
		sc.Run(&c)
		if c.ID() != r.ID() {
			return true
		}
	}
	return false
}

// ReportPaper collects the results of every item of sc that already exist
// under opts.Out, running nothing (run paper --report-only): an item is
// complete when every (label, seed) its plan names has a result, pending
// otherwise (with what is missing), skipped when it is seqMNIST without
// data. It rewrites each complete item's own report, so that the figures
// REPRODUCTION.md cites are drawn by this version.
func ReportPaper(sc Scale, opts PaperOptions) ([]ItemResult, error) {
	sets := map[string][]*results.Result{}
	var out []ItemResult
	for _, it := range sc.Items {
		ir := ItemResult{Item: it, Dir: filepath.Join(opts.Out, it.Task)}
		ir.Command, ir.CommandNote = itemCommand(sc, it, ir.Dir, opts.Data)
		spec, err := Lookup(it.Experiment)
		if err != nil {
			return out, err
		}
		rs, ok := sets[it.Task]
		if !ok {
			set, err := results.LoadDir(ir.Dir)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return out, err
			}
			if set != nil {
				rs = set.Runs
			}
			sets[it.Task] = rs
		}
		var mine []*results.Result
		for _, r := range rs {
			if r.BelongsTo(it.Experiment) && r.Experiment != SelectionExperiment && r.Seed >= 1 && r.Seed <= uint64(it.Seeds) {
				mine = append(mine, r)
			}
		}
		ir.Runs = mine
		for _, r := range mine {
			ir.RunSeconds += r.WallSeconds
		}
		missing, extra, total := missingRuns(sc, spec, it, mine)
		if missing > 0 || extra > 0 {
			switch {
			case missing == 0:
				ir.Pending = fmt.Sprintf("ambiguous: %d results for %d planned runs (results of other settings for the same rules and seeds in this folder); the run command reports it from its own plan", len(mine), total)
			case it.Task == config.SeqMNIST && len(mine) == 0 && opts.Data == "":
				ir.Pending = "no results (seqMNIST: give --data to the run command)"
			case len(mine) == 0:
				ir.Pending = "no results in " + ir.Dir + " yet"
			default:
				ir.Pending = fmt.Sprintf("incomplete: %d of %d planned runs have a result", total-missing, total)
			}
			out = append(out, ir)
			continue
		}
		if opts.Shard.Count <= 1 {
			if it.Experiment == "sensitivity" {
				if _, err := WriteSensitivity(ir.Dir, mine, spec.Title+" — "+it.Task, ir.Command); err != nil {
					return out, err
				}
			} else if _, err := WriteReport(ir.Dir, mine, spec.Report(spec.Title+" — "+it.Task, ir.Command)); err != nil && err != results.ErrNoResults {
				return out, err
			}
		}
		out = append(out, ir)
	}
	return out, nil
}

// missingRuns counts the runs that item it plans (before learning-rate
// selection, which changes rates but not labels) without a result among
// have, the results beyond the plan (extra: e.g. runs of an earlier
// selection for the same label and seed), and the number planned, matched
// by label and seed with multiplicity (the sensitivity analysis plans the
// same label and seed in each reconstruction). A multi-phase plan (table1)
// is planned from have, so its later phase counts once the earlier one has
// results.
func missingRuns(sc Scale, spec Spec, it Item, have []*results.Result) (missing, extra, total int) {
	base := config.Default()
	base.Task = it.Task
	if sc.Adjust != nil {
		sc.Adjust(&base)
	}
	runs, _ := spec.Plan(base, it.Seeds, have)
	got := map[string]int{}
	for _, r := range have {
		got[fmt.Sprintf("%s/%d", r.Config.Label(), r.Seed)]++
	}
	want := map[string]int{}
	seen := map[string]bool{}
	for _, r := range runs {
		if id := r.ID(); !seen[id] {
			seen[id] = true
			want[fmt.Sprintf("%s/%d", r.Label(), r.Seed)]++
		}
	}
	for k, n := range want {
		total += n
		missing += max(0, n-got[k])
	}
	for k, n := range got {
		extra += max(0, n-want[k])
	}
	return missing, extra, total
}

// PlanCount returns the number of runs the scale plans per task, selection
// runs included, for a cost estimate (table1's second phase is counted as
// its first phase's size; successive halving is counted as the full grid).
func PlanCount(sc Scale) map[string][2]int {
	count := map[string][2]int{}
	seen := map[string]bool{}
	keys := map[string]bool{}
	for _, it := range sc.Items {
		spec, err := Lookup(it.Experiment)
		if err != nil {
			continue
		}
		base := config.Default()
		base.Task = it.Task
		if sc.Adjust != nil {
			sc.Adjust(&base)
		}
		runs, _ := spec.Plan(base, it.Seeds, nil)
		c := count[it.Task]
		if it.Experiment == "table1" {
			c[0] += it.Seeds // the early-stopped BPTT runs of the second phase
		}
		for _, r := range runs {
			if sc.Run != nil {
				sc.Run(&r)
			}
			k, _ := selectionKey(r, base.Resolve())
			if kh := k.Hash(); sc.Protocol.on() && !keys[kh] {
				keys[kh] = true
				c[1] += len(sc.Protocol.Grid) * sc.Protocol.Seeds
			}
			if id := r.ID(); !seen[id] {
				seen[id] = true
				c[0]++
			}
		}
		count[it.Task] = c
	}
	return count
}
