package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/hessrnn/hessrnn/cmd/internal/experiment"
	"github.com/hessrnn/hessrnn/rnn/task"
)

const paperHelp = `Usage: hessrnn run paper [--scale quick|paper] [flags]

Runs every figure and table of the paper on all three tasks (seqMNIST,
pattern generation, DMS) with the paper's protocol — each rule's learning
rate selected on seeds 1001.. before 10 reporting seeds per rule (paper
scale) — plus the sensitivity analyses, into OUT/<task>/ (one folder per
task, so identical runs are shared between figures; every experiment
writes its own report there), then writes OUT/REPRODUCTION.md: for each
claim the paper's statement, the command, our numbers with CIs,
p-values and pairs, the verdict (decided by the claim's main comparisons;
secondary ones are listed beside it) and a figure (copied to
OUT/figures/); experiments not run yet are listed with the reason.

Rerunning resumes. --scale quick is a smoke run of the whole pipeline in
minutes (its verdicts are not a reproduction); seqMNIST is skipped, with a
line in REPRODUCTION.md, when no MNIST data is found (see hessrnn data).
With --slurm the command writes OUT/paper.sbatch; each array task runs its
share of the current phase (learning-rate selection, then the runs), so
submit it again until it reports REPRODUCTION.md.

--report-only runs nothing: it writes REPRODUCTION.md (and each complete
experiment's own report) from the results already in OUT, marking the
experiments without complete results "not yet run" — e.g. while the runs
go on elsewhere (another machine, a cluster's array) or after copying
their results back.

Flags:
%s`

func cmdPaper(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("run paper", flag.ContinueOnError)
	var f runFlags
	f.common(fs)
	scale := fs.String("scale", "quick", "quick (minutes, a smoke run) or paper (the paper's sizes, ≥ 10 seeds)")
	data := fs.String("data", "", "MNIST-format data `dir`ectory (default: $HESSRNN_DATA, then the system default)")
	dry := fs.Bool("dry-run", false, "print the number of runs per task and exit")
	reportOnly := fs.Bool("report-only", false, "run nothing: write REPRODUCTION.md from the results already in --out, the rest marked \"not yet run\"")
	var sf slurmFlags
	sf.register(fs, paperScript)
	pos, help, err := parseCommand(a, fs, args, paperHelp)
	if help || err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("run paper: unexpected argument %q", pos[0])
	}
	sc, err := experiment.PaperScale(*scale)
	if err != nil {
		return usagef("%v", err)
	}
	out := f.out
	if out == "" {
		out = filepath.Join("hessrnn-out", "paper-"+sc.Name)
	}
	if f.jobs < 1 || f.jobs > 1024 {
		return usagef("--jobs %d: allowed range [1, 1024]", f.jobs)
	}
	if *reportOnly && (*dry || setFlags(fs)["slurm"] || f.force || f.shard != "") {
		return usagef("run paper: --report-only runs nothing; it does not combine with --dry-run, --slurm, --force or --shard")
	}
	if *reportOnly {
		if st, err := os.Stat(out); err != nil || !st.IsDir() {
			return usagef("run paper --report-only: --out %s: not a results directory (%v)", out, err)
		}
		items, err := experiment.ReportPaper(sc, experiment.PaperOptions{RunOptions: experiment.RunOptions{Out: out}, Data: *data})
		if err != nil {
			return err
		}
		txt, err := experiment.WriteReproduction(out, sc, items, experiment.Invocation{Command: shellJoin(a.args), ReportOnly: true})
		if err != nil {
			return err
		}
		fmt.Fprint(a.stdout, txt)
		fmt.Fprintf(a.stdout, "reproduction: %s (report only: no runs computed)\n", filepath.Join(out, experiment.ReproductionFile))
		return nil
	}
	if setFlags(fs)["slurm"] {
		p, tasks, err := sf.write(a, fs, out, paperScript, "hessrnn-paper", 0, "run", "paper")
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "wrote %s (%d array tasks)\nsubmit: sbatch %s (again after each array finishes, until REPRODUCTION.md is written)\n", p, tasks, p)
		return nil
	}
	if *dry {
		counts := experiment.PlanCount(sc)
		var tasks []string
		for t := range counts {
			tasks = append(tasks, t)
		}
		sort.Strings(tasks)
		tot := [2]int{}
		for _, t := range tasks {
			c := counts[t]
			fmt.Fprintf(a.stdout, "%-10s %6d runs + %6d selection runs\n", t, c[0], c[1])
			tot[0], tot[1] = tot[0]+c[0], tot[1]+c[1]
		}
		fmt.Fprintf(a.stdout, "%-10s %6d runs + %6d selection runs (%d items, scale %s)\n", "total", tot[0], tot[1], len(sc.Items), sc.Name)
		return nil
	}
	shard, err := resolveShard(f.shard, a.getenv)
	if err != nil {
		return err
	}
	log, term, err := progressOptions(a, f.progress)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "hessrnn: paper at scale %s (%d experiments); results in %s\nhessrnn: %s\n", sc.Name, len(sc.Items), out, sc.Protocol.Describe())
	start := time.Now()
	// The run's wall time over all its invocations (REPRODUCTION.md): a
	// paper-scale run outlasts one sitting. closeLog writes the last
	// record: finished before the final REPRODUCTION.md, not finished on
	// an error or an interrupt.
	closeLog := func(bool) {}
	if shard.Count <= 1 {
		il, err := experiment.StartInvocationLog(out, experiment.InvocationRecord{
			Command: shellJoin(a.args), Scale: sc.Name, Jobs: f.jobs, CPU: cpuid.CPU.BrandName, Start: start})
		if err != nil {
			return err
		}
		closeLog = func(finished bool) {
			if il != nil {
				if err := il.Close(finished); err != nil {
					fmt.Fprintf(a.stderr, "hessrnn: invocation record: %v\n", err)
				}
				il = nil
			}
		}
		defer closeLog(false)
	}
	items, err := experiment.RunPaper(ctx, sc, experiment.PaperOptions{
		RunOptions: experiment.RunOptions{Out: out, Jobs: f.jobs, Shard: shard, Force: f.force, Log: log, Terminal: term},
		Data:       *data, DataCache: task.DefaultHashCache(), Log: a.stderr,
		Done: func(items []experiment.ItemResult) {
			// A partial REPRODUCTION.md after each experiment, so that a
			// long run shows its verdicts as they come.
			if _, err := experiment.WriteReproduction(out, sc, items, experiment.Invocation{Command: shellJoin(a.args), Wall: time.Since(start)}); err != nil {
				fmt.Fprintf(a.stderr, "hessrnn: partial %s: %v\n", experiment.ReproductionFile, err)
			}
		},
	})
	if errors.Is(err, experiment.ErrSelectionPending) {
		fmt.Fprintf(a.stderr, "hessrnn: %v\n", err)
		return nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return &interruptedError{fmt.Sprintf("interrupted: finished runs are saved in %s; run the same command again to resume", out)}
		}
		return err
	}
	if shard.Count > 1 {
		fmt.Fprintf(a.stdout, "shard %s done; run the same command again (all shards) until REPRODUCTION.md is written\n", shard)
		return nil
	}
	closeLog(true)
	txt, err := experiment.WriteReproduction(out, sc, items, experiment.Invocation{Command: shellJoin(a.args), Wall: time.Since(start)})
	if err != nil {
		return err
	}
	fmt.Fprint(a.stdout, txt)
	fmt.Fprintf(a.stdout, "reproduction: %s (wall time %s)\n", filepath.Join(out, experiment.ReproductionFile), time.Since(start).Round(time.Second))
	return nil
}
