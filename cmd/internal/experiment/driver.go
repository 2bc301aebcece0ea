package experiment

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
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
// sweep summary. With more than one job it starts them longest first
// (longestFirst); results do not depend on the order. A cancelled ctx
// stops after writing finished runs and returns ctx.Err().
func (e *Env) Execute(ctx context.Context, runs []config.Run, opts RunOptions) (sweep.Summary, error) {
	if opts.Shard.Count == 0 {
		opts.Shard = sweep.All
	}
	runs = opts.Shard.Select(runs)
	if opts.Jobs > 1 {
		runs = longestFirst(runs)
	}
	// Runs computed at once share the cores: each run's products and
	// passes then use GOMAXPROCS/jobs goroutines (one at --jobs 2 on two
	// cores) instead of handing parts to helpers that compete with the
	// other runs (results do not depend on it).
	if jobs := min(opts.Jobs, len(runs)); jobs > 1 {
		restore, err := kernels.SetThreads(max(1, runtime.GOMAXPROCS(0)/jobs))
		if err != nil {
			return sweep.Summary{}, err
		}
		defer restore()
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	tr := progress.New(log, len(runs), progress.Options{Terminal: opts.Terminal, Interval: opts.Interval})
	// A run's outcome is printed once its result is saved (OnDone), so
	// that a run whose result could not be written is not shown as finished.
	var mu sync.Mutex
	inFlight := map[string]*progress.Run{}
	fn := func(ctx context.Context, run config.Run) *results.Result {
		p := tr.Start(run.ID(), run.Resolve().Train.Iterations)
		res := e.Train(ctx, run, p)
		if res == nil || ctx.Err() != nil && res.Status.State == results.Failed {
			p.Done("interrupted") // a failure caused by the cancellation is not a result
			return nil
		}
		mu.Lock()
		inFlight[res.ID] = p
		mu.Unlock()
		return res
	}
	onDone := func(res *results.Result, _ string, err error) {
		mu.Lock()
		p := inFlight[res.ID]
		delete(inFlight, res.ID)
		mu.Unlock()
		if p == nil {
			return
		}
		switch {
		case err != nil:
			p.Done("failed: result not saved: " + err.Error())
		case res.Status.State == results.Diverged:
			p.Done(fmt.Sprintf("diverged at iteration %d (%s)", res.Status.Step, res.Status.Reason))
		case res.Status.State == results.Failed:
			p.Done("failed: " + res.Status.Reason)
		default:
			p.Done(fmt.Sprintf("finished: gap %s, λ_max %s", num(res.Final.Gap), num(res.Final.LambdaMax)))
		}
	}
	sum, err := sweep.Execute(ctx, runs, sweep.Options{Dir: opts.Out, Jobs: opts.Jobs, Force: opts.Force,
		OnSkip: func(r config.Run) { tr.Skip(r.ID()) }, OnDone: onDone,
		OnBusy: func(r config.Run) { tr.Start(r.ID(), 1).Done("left to another process that holds its lock") }}, fn)
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
	if spec.finalWeights && e.FinalWeights == "" {
		e.FinalWeights = FinalWeightsDir(opts.Out)
	}
	var planned []config.Run
	seen := map[string]bool{} // IDs planned by earlier phases
	for phase := 0; ; phase++ {
		runs, more := spec.Plan(base, seeds, done)
		// A later phase repeats the earlier phases' runs: they were
		// counted (and run, or skipped) then, so only new runs execute
		// and count now, and the counts add up to the runs planned.
		var fresh []config.Run
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
		for i := range runs {
			if id := runs[i].ID(); !seen[id] {
				seen[id] = true
				fresh = append(fresh, runs[i])
				planned = append(planned, runs[i])
			}
		}
		sum, err := e.Execute(ctx, fresh, opts)
		total.Total += sum.Total
		total.Finished += sum.Finished
		total.Diverged += sum.Diverged
		total.Failed += sum.Failed
		total.Skipped += sum.Skipped
		total.Interrupted += sum.Interrupted
		if err != nil {
			return total, nil, err
		}
		done, err = Collect(opts.Out, planned)
		if err != nil {
			return total, nil, err
		}
		if !more || opts.Shard.Count > 1 {
			return total, done, markReused(opts.Out, spec.Name, done)
		}
	}
}

// FinalWeightsDir is the directory of the final weights of the runs of an
// experiment that keeps them (dynamics), under its results directory.
func FinalWeightsDir(out string) string { return filepath.Join(out, "weights-final") }

// markReused records in the result files of dir that the experiment named
// reused them (Result.AlsoIn), for the runs it planned that another
// experiment computed, so that "hessrnn report" finds them for its report.
func markReused(dir, name string, done []*results.Result) error {
	for _, r := range done {
		if r.BelongsTo(name) {
			continue
		}
		r.AlsoIn = append(r.AlsoIn, name)
		if _, err := results.Write(dir, r); err != nil {
			return fmt.Errorf("experiment %s: recording the reuse of %s: %w", name, r.ID, err)
		}
	}
	return nil
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

// Report names and describes one report.
type Report struct {
	// Name names the report's files in the output directory (see
	// ReportFiles), so that the reports of several experiments can share
	// a results directory.
	Name string
	// Title heads the report; Command is the command that made it.
	Title, Command string
	// Parts names the report's parts (reportParts); nil means the parts of
	// the experiments the runs record.
	Parts []string
}

// Report returns the report of the experiment: its own files and parts,
// whatever experiments the runs were first computed for.
func (s Spec) Report(title, command string) Report {
	return Report{Name: s.Name, Title: title, Command: command, Parts: partsOf([]string{s.Name})}
}

// ReportFiles returns the paths of the files of the report called name in
// dir: the HTML report, the CSV export and the figure directory.
func ReportFiles(dir, name string) (html, csv, figures string) {
	return filepath.Join(dir, name+"-report.html"), filepath.Join(dir, name+"-results.csv"), filepath.Join(dir, name+"-figures")
}

// WriteReport analyses runs and writes the report rep into dir (the files
// of ReportFiles: the CSV export, PNG and SVG figures and the HTML report).
// It returns the analysis.
func WriteReport(dir string, runs []*results.Result, rep Report) (Analysis, error) {
	runs = withoutSelection(runs)
	if len(runs) == 0 {
		return Analysis{}, results.ErrNoResults
	}
	if rep.Name == "" || strings.ContainsAny(rep.Name, `/\`) {
		return Analysis{}, fmt.Errorf("experiment: report name %q: want a non-empty name without path separators", rep.Name)
	}
	htmlPath, csvPath, figDir := ReportFiles(dir, rep.Name)
	var csv bytes.Buffer
	if err := results.WriteCSV(&csv, runs); err != nil {
		return Analysis{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Analysis{}, err
	}
	if err := results.WriteFileAtomic(csvPath, csv.Bytes()); err != nil {
		return Analysis{}, err
	}
	a, err := Analyze(runs, figDir, rep.Parts)
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
		Title:   rep.Title,
		Command: rep.Command,
		Meta: []report.KV{
			{Key: "Runs", Value: fmt.Sprint(len(runs))},
			{Key: "SIMD level of the runs", Value: fmt.Sprint(simds)},
			{Key: "Report by", Value: fmt.Sprintf("hessrnn %s, %s, %s/%s, kernels %s", v.Module, v.Go, v.OS, v.Arch, kernels.Active())},
			{Key: "Data", Value: filepath.Base(csvPath) + " (one row per run and checkpoint), one JSON file per run"},
		},
		Sections: a.Sections,
	}
	if d := datasetsOf(runs); d != "" {
		doc.Meta = append(doc.Meta, report.KV{Key: "Sequential-MNIST data", Value: d})
	}
	if err := report.WriteFile(htmlPath, doc); err != nil {
		return a, err
	}
	return a, nil
}
