package experiment

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/progress"
	"github.com/hessrnn/hessrnn/cmd/internal/report"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/sweep"
	"github.com/hessrnn/hessrnn/kernels"
)

// RunOptions configures the execution of a list of runs.
type RunOptions struct {
	// Out is the results directory.
	Out string
	// Jobs is the number of runs at once.
	Jobs int
	// Shard selects a slice of the runs; the zero value means all runs.
	Shard sweep.Shard
	// Force reruns runs whose result exists.
	Force bool
	// Log receives progress; nil discards it.
	Log io.Writer
	// Terminal selects live progress bars.
	Terminal bool
	// Interval between plain progress lines (0: 30 s).
	Interval time.Duration
	// Protocol selects each rule's learning rate before the runs (the
	// zero value runs at the configured rate).
	Protocol Protocol
}

// Execute runs the shard's runs with progress reporting and returns the
// sweep summary. A cancelled ctx stops after writing finished runs and
// returns ctx.Err().
func (e *Env) Execute(ctx context.Context, runs []config.Run, opts RunOptions) (sweep.Summary, error) {
	if opts.Shard.Count == 0 {
		opts.Shard = sweep.All
	}
	runs = opts.Shard.Select(runs)
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	tr := progress.New(log, len(runs), progress.Options{Terminal: opts.Terminal, Interval: opts.Interval})
	fn := func(ctx context.Context, run config.Run) *results.Result {
		p := tr.Start(run.ID(), run.Resolve().Train.Iterations)
		res := e.Train(ctx, run, p)
		switch {
		case res == nil:
			p.Done("interrupted")
		case res.Status.State == results.Diverged:
			p.Done(fmt.Sprintf("diverged at iteration %d (%s)", res.Status.Step, res.Status.Reason))
		case res.Status.State == results.Failed:
			p.Done("failed: " + res.Status.Reason)
		default:
			p.Done(fmt.Sprintf("finished: gap %s, λ_max %s", num(res.Final.Gap), num(res.Final.LambdaMax)))
		}
		return res
	}
	sum, err := sweep.Execute(ctx, runs, sweep.Options{Dir: opts.Out, Jobs: opts.Jobs, Force: opts.Force,
		OnSkip: func(r config.Run) { tr.Skip(r.ID()) }}, fn)
	tr.Finish()
	return sum, err
}

// RunExperiment plans and executes the experiment's runs (all phases) and
// returns the results it planned, loaded from opts.Out.
func (e *Env) RunExperiment(ctx context.Context, spec Spec, base config.Run, seeds int, opts RunOptions) (sweep.Summary, []*results.Result, error) {
	var total sweep.Summary
	var done []*results.Result
	var sel *selector
	if opts.Protocol.on() {
		if err := opts.Protocol.Validate(); err != nil {
			return total, nil, err
		}
		if seeds >= SelectionSeedBase {
			return total, nil, fmt.Errorf("experiment %s: %d reporting seeds would meet the selection seeds %d..; allowed at most %d", spec.Name, seeds, SelectionSeedBase, SelectionSeedBase-1)
		}
		sel = newSelector(e, opts.Protocol, base, opts)
	}
	for phase := 0; ; phase++ {
		runs, more := spec.Plan(base, seeds, done)
		for i := range runs {
			runs[i] = runs[i].Resolve()
			if err := runs[i].Validate(); err != nil {
				return total, nil, fmt.Errorf("experiment %s: %s", spec.Name, config.OneLine(err))
			}
		}
		if sel != nil {
			var err error
			if runs, err = sel.apply(ctx, runs); err != nil {
				return total, nil, err
			}
		}
		sum, err := e.Execute(ctx, runs, opts)
		total.Total = sum.Total
		total.Finished += sum.Finished
		total.Diverged += sum.Diverged
		total.Failed += sum.Failed
		total.Skipped += sum.Skipped
		total.Interrupted += sum.Interrupted
		if err != nil {
			return total, nil, err
		}
		done, err = Collect(opts.Out, runs)
		if err != nil {
			return total, nil, err
		}
		if !more || opts.Shard.Count > 1 {
			return total, done, nil
		}
	}
}

// Collect loads the results of the given runs from dir (missing ones are
// left out).
func Collect(dir string, runs []config.Run) ([]*results.Result, error) {
	var out []*results.Result
	for _, r := range runs {
		res, err := results.Read(filepath.Join(dir, results.FileName(r.ID())))
		if err != nil {
			continue
		}
		out = append(out, res)
	}
	return out, nil
}

// WriteReport analyses runs and writes dir/results.csv, dir/figures/*.png
// and *.svg and dir/report.html. It returns the analysis.
func WriteReport(dir string, runs []*results.Result, title, command string) (Analysis, error) {
	runs = withoutSelection(runs)
	if len(runs) == 0 {
		return Analysis{}, results.ErrNoResults
	}
	var csv bytes.Buffer
	if err := results.WriteCSV(&csv, runs); err != nil {
		return Analysis{}, err
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "results.csv"), csv.Bytes()); err != nil {
		return Analysis{}, err
	}
	a, err := Analyze(runs, filepath.Join(dir, "figures"))
	if err != nil {
		return a, err
	}
	if sec, txt := selectionReport(selectionsFor(dir, runs)); txt != "" {
		a.Sections = append([]report.Section{sec}, a.Sections...)
		a.Summary = txt + a.Summary
	}
	v := results.CurrentVersions()
	simd := map[string]bool{}
	var simds []string
	for _, r := range runs {
		if !simd[r.SIMD] {
			simd[r.SIMD] = true
			simds = append(simds, r.SIMD)
		}
	}
	doc := report.Document{
		Title:   title,
		Command: command,
		Meta: []report.KV{
			{Key: "Runs", Value: fmt.Sprint(len(runs))},
			{Key: "SIMD level of the runs", Value: fmt.Sprint(simds)},
			{Key: "Report by", Value: fmt.Sprintf("hessrnn %s, %s, %s/%s, kernels %s", v.Module, v.Go, v.OS, v.Arch, kernels.Active())},
			{Key: "Data", Value: "results.csv (one row per run and checkpoint), one JSON file per run"},
		},
		Sections: a.Sections,
	}
	if err := report.WriteFile(filepath.Join(dir, "report.html"), doc); err != nil {
		return a, err
	}
	return a, nil
}
