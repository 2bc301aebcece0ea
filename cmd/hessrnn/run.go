package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/experiment"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/cmd/internal/sweep"
	"github.com/hessrnn/hessrnn/rnn/task"
)

const runHelp = `Usage: hessrnn run EXPERIMENT [flags]

Runs one experiment of the paper and writes one JSON result per run, the
tidy EXPERIMENT-results.csv, figures (PNG and SVG) in EXPERIMENT-figures/ and
a self-contained EXPERIMENT-report.html to the output directory; the report
covers this experiment's runs only, whatever else the directory holds.
Rerunning the same command skips finished runs, so an interrupted
experiment resumes.

Experiments:
%s
Every setting can be changed with --set key=value or a TOML file (--config);
"hessrnn run --list-keys" lists the keys and their global defaults, and
"hessrnn run EXPERIMENT --show-config" the settings EXPERIMENT will really use
(its own defaults, then --config, flags and --set), without running it.

Flags:
%s
Examples:
  hessrnn run fig3                           λ_max along training, pattern generation
  hessrnn run fig2 --task dms --seeds 20     gap histograms and gap vs λ_max on DMS
  hessrnn run fig5 --set train.lr=0.005      the lr-schedule remedy at another base rate
  hessrnn run fig3 --task seqmnist --data $HOME/mnist
  hessrnn run theorem1 --iters 5000 --jobs 2 --out thm1
  hessrnn run dynamics --task dms            DSA, contraction and κ_min of the trained networks
`

// defaultOutRoot holds the output directories of run and sweep without
// --out: hessrnn-out/<experiment>-<task> and hessrnn-out/sweep-<config name>.
const defaultOutRoot = "hessrnn-out"

// runFlags are the flags shared by run, the default experiment and sweep.
type runFlags struct {
	out      string
	jobs     int
	shard    string
	force    bool
	progress string
	noReport bool
	cpuProf  string
	weights  bool
	// run only
	task       string
	seeds      int
	iters      int
	lr         float64
	every      int
	configPath string
	sets       multiFlag
	listKeys   bool
	showConfig bool
	data       string
	// learning-rate selection
	selectMode   string
	lrGrid       string
	selectSeeds  int
	selectBudget float64
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func (f *runFlags) common(fs *flag.FlagSet) {
	fs.StringVar(&f.out, "out", "", "output `dir`ectory for results, figures and the report (default: hessrnn-out/<experiment>-<task> for run, hessrnn-out/sweep-<config name> for sweep)")
	fs.IntVar(&f.jobs, "jobs", runtime.NumCPU(), "number of runs computed at once; with more than one, the longest start first (results do not depend on it)")
	fs.StringVar(&f.shard, "shard", "", "run only shard `i/n` of the runs (0 <= i < n); default from SLURM_ARRAY_TASK_ID/COUNT")
	fs.BoolVar(&f.force, "force", false, "rerun runs whose finished result exists")
	fs.StringVar(&f.progress, "progress", "auto", "progress output: auto, bars, lines or none")
	fs.BoolVar(&f.noReport, "no-report", false, "do not write the report, the CSV export and figures")
	fs.BoolVar(&f.weights, "save-weights", false, "save the weights at every checkpoint as NPZ (NumPy) files in OUT/weights/<run ID>/")
	fs.StringVar(&f.cpuProf, "cpuprofile", "", "write a CPU profile (go tool pprof) of the runs to `file`")
}

// startCPUProfile starts the CPU profile of --cpuprofile and returns the
// function that stops it; without the flag both do nothing.
func (f *runFlags) startCPUProfile() (stop func(), err error) {
	if f.cpuProf == "" {
		return func() {}, nil
	}
	w, err := os.Create(f.cpuProf)
	if err != nil {
		return nil, usagef("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(w); err != nil {
		w.Close()
		return nil, usagef("--cpuprofile %s: %v", f.cpuProf, err)
	}
	return func() {
		pprof.StopCPUProfile()
		w.Close()
	}, nil
}

// weightsDir is where --save-weights puts checkpoints, or "" without it.
func (f *runFlags) weightsDir(out string) string {
	if !f.weights {
		return ""
	}
	return filepath.Join(out, "weights")
}

func (f *runFlags) runOnly(fs *flag.FlagSet) {
	fs.StringVar(&f.task, "task", "", "task: patterngen, seqmnist or dms (default: the experiment's)")
	fs.IntVar(&f.seeds, "seeds", 0, "runs per configuration, seeds 1..`n` (default: the experiment's)")
	fs.IntVar(&f.iters, "iters", 0, "training iterations (default: the task's)")
	fs.Float64Var(&f.lr, "lr", 0, "learning rate η (default: the config's)")
	fs.IntVar(&f.every, "every", 0, "checkpoint (λ_max) every `k` iterations (default: iterations/20)")
	fs.StringVar(&f.configPath, "config", "", "TOML `file` with settings (top-level keys and tables as in --list-keys)")
	fs.Var(&f.sets, "set", "override one setting, `key=value` (repeatable), e.g. --set train.lr=0.01")
	fs.BoolVar(&f.listKeys, "list-keys", false, "list every setting key with its default and exit; with an experiment, its effective settings (as --show-config)")
	fs.BoolVar(&f.showConfig, "show-config", false, "print the experiment's effective settings (after its own defaults, --config, flags and --set) and the runs it plans, without running")
	fs.StringVar(&f.selectMode, "select", "auto", "learning-rate selection per rule: grid, halving (successive halving), off, or auto (grid unless --lr, --set train.lr or --config gives a rate)")
	fs.StringVar(&f.lrGrid, "lr-grid", "", "candidate learning rates, comma-separated (default: the spec's 1e-4,3e-4,1e-3,3e-3,1e-2,3e-2,1e-1)")
	fs.IntVar(&f.selectSeeds, "select-seeds", 0, "selection seeds per rate, 1001..1000+`n` (default 3)")
	fs.Float64Var(&f.selectBudget, "select-budget", 0, "iteration budget of the selection runs as a share of the reporting runs', in (0, 1] (default 1)")
	fs.StringVar(&f.data, "data", "", "MNIST-format data `dir`ectory for seqmnist, as --set seqmnist.data=DIR (default: $HESSRNN_DATA, then "+task.DefaultDataDir+")")
}

// parseArgs parses flags and positional arguments in any order.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v (see hessrnn %s --help)", fs.Name(), err, fs.Name())
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseCommand parses a command's args with parseArgs. On -h or --help it
// writes the command's help to a.stdout and reports help: the help text is
// a format whose verbs take extra, then the flag defaults.
func parseCommand(a *app, fs *flag.FlagSet, args []string, helpText string, extra ...string) (pos []string, help bool, err error) {
	pos, err = parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		vals := make([]any, 0, len(extra)+1)
		for _, x := range extra {
			vals = append(vals, x)
		}
		fmt.Fprintf(a.stdout, helpText, append(vals, flagDefaults(fs))...)
		return nil, true, nil
	}
	return pos, false, err
}

func flagDefaults(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}

func experimentList() string {
	var b strings.Builder
	w := 0
	for _, s := range experiment.Specs() {
		w = max(w, len(s.Name))
	}
	for _, s := range experiment.Specs() {
		fmt.Fprintf(&b, "  %-*s %s\n", w+1, s.Name, s.Title)
	}
	return b.String()
}

func newRunFlagSet(name string) (*flag.FlagSet, *runFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	f := &runFlags{}
	f.common(fs)
	f.runOnly(fs)
	return fs, f
}

func cmdRun(ctx context.Context, a *app, args []string) error {
	// "run paper" has flags of its own (--scale, --dry-run, --slurm).
	boolFlag := map[string]bool{"-force": true, "-no-report": true, "-save-weights": true, "-list-keys": true, "-dry-run": true}
	for i, x := range args {
		prev := ""
		if i > 0 {
			prev = strings.TrimPrefix(args[i-1], "-")
		}
		if x == "paper" && (i == 0 || !strings.HasPrefix(args[i-1], "-") || strings.Contains(args[i-1], "=") || boolFlag[prev]) {
			return cmdPaper(ctx, a, append(append([]string(nil), args[:i]...), args[i+1:]...))
		}
	}
	fs, _ := newRunFlagSet("run")
	pos, help, err := parseCommand(a, fs, args, runHelp, experimentList())
	if help || err != nil {
		return err
	}
	if len(pos) == 0 {
		// --list-keys needs no experiment.
		for _, x := range args {
			if x == "--list-keys" || x == "-list-keys" {
				// No experiment named: the global defaults.
				listKeys(a.stdout, config.Default())
				return nil
			}
		}
		return usagef("run: missing EXPERIMENT (one of: %s)", specNames())
	}
	if len(pos) > 1 {
		return usagef("run: one EXPERIMENT expected, got %q", pos)
	}
	rest := make([]string, 0, len(args))
	skipped := false

	for _, x := range args {
		if x == pos[0] && !skipped {
			skipped = true
			continue
		}
		rest = append(rest, x)
	}
	return runExperiment(ctx, a, pos[0], rest, false)
}

func specNames() string {
	var n []string
	for _, s := range experiment.Specs() {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

// progressOptions turns --progress into the writer and mode.
func progressOptions(a *app, mode string) (io.Writer, bool, error) {
	switch mode {
	case "auto":
		return a.stderr, a.terminal, nil
	case "bars":
		return a.stderr, true, nil
	case "lines":
		return a.stderr, false, nil
	case "none":
		return io.Discard, false, nil
	}
	return nil, false, usagef("--progress %q: allowed values auto, bars, lines, none", mode)
}

func resolveShard(s string, getenv func(string) string) (sweep.Shard, error) {
	if s != "" {
		sh, err := sweep.ParseShard(s)
		if err != nil {
			return sh, usagef("%v", err)
		}
		return sh, nil
	}
	sh, _, err := sweep.ShardFromEnv(getenv)
	if err != nil {
		return sh, usagef("%v", err)
	}
	return sh, nil
}

// runExperiment is "hessrnn run NAME" and the no-argument default.
func runExperiment(ctx context.Context, a *app, name string, args []string, isDefault bool) error {
	fs, f := newRunFlagSet("run")
	pos, help, err := parseCommand(a, fs, args, runHelp, experimentList())
	if help || err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (did you mean \"hessrnn run %s\"?)", pos[0], pos[0])
	}
	spec, err := experiment.Lookup(name)
	if err != nil {
		return usagef("run: %v", err)
	}
	base := config.Default()
	proto := experiment.DefaultProtocol()
	if spec.Name == "default" {
		base, proto = experiment.DefaultBase(), experiment.DefaultExperimentProtocol()
	}
	baseLR := base.Train.LR
	if f.configPath != "" {
		data, err := os.ReadFile(f.configPath)
		if err != nil {
			return usagef("--config: %v", err)
		}
		// The file's settings apply on top of the experiment's base, and
		// flags on top of the file.
		cf, err := config.Parse(f.configPath, data, base)
		if err != nil {
			return usagef("%v", err)
		}
		base = cf.Run
		if !cf.Sweep.Empty() {
			return usagef("%s: has a [sweep] table; use \"hessrnn sweep %s\"", f.configPath, f.configPath)
		}
	}
	// A flag that was given is used as given: 0 or "" is out of range, not
	// "the default" (which is what leaving the flag out means).
	set := setFlags(fs)
	if set["task"] {
		if f.task == "" {
			return usagef("--task \"\": allowed values: %s; leave it out for the experiment's task", strings.Join(config.Tasks(), ", "))
		}
		base.Task = f.task
	}
	if set["data"] && f.data == "" {
		return usagef("--data \"\": want a directory; leave it out for $%s or the default", task.DataEnv)
	}
	if set["iters"] {
		if f.iters < 1 || f.iters > 100_000_000 {
			return usagef("--iters %d: allowed range [1, 100000000]; leave it out for the task's default", f.iters)
		}
		base.Train.Iterations = f.iters
	}
	if set["lr"] {
		if !(f.lr > 0 && f.lr <= 100) {
			return usagef("--lr %g: allowed range (0, 100]; leave it out for the default", f.lr)
		}
		base.Train.LR = f.lr
	}
	if set["every"] {
		if f.every < 1 || f.every > 100_000_000 {
			return usagef("--every %d: allowed range [1, 100000000]; leave it out for the task's default", f.every)
		}
		base.Hessian.Every = f.every
	}
	if f.data != "" {
		if err := base.SetString("seqmnist.data=" + f.data); err != nil {
			return usagef("--data: %v", err)
		}
	}
	for _, kv := range f.sets {
		if err := base.SetString(kv); err != nil {
			return usagef("--set: %v", err)
		}
	}
	if err := base.Validate(); err != nil {
		return usagef("%s", config.OneLine(err))
	}
	proto, err = protocolFlags(f, proto, base.Train.LR != baseLR)
	if err != nil {
		return err
	}
	seeds := spec.Seeds
	if set["seeds"] {
		if f.seeds < 1 || f.seeds > 10000 {
			return usagef("--seeds %d: allowed range [1, 10000]; leave it out for the experiment's default", f.seeds)
		}
		seeds = f.seeds
	}
	if f.showConfig || f.listKeys {
		return showConfig(a.stdout, spec, base, seeds)
	}
	if f.jobs < 1 || f.jobs > 1024 {
		return usagef("--jobs %d: allowed range [1, 1024]", f.jobs)
	}
	shard, err := resolveShard(f.shard, a.getenv)
	if err != nil {
		return err
	}
	log, term, err := progressOptions(a, f.progress)
	if err != nil {
		return err
	}
	if spec.Name == "sensitivity" && len(experiment.Reconstructions(base.Task)) == 0 {
		return usagef("run sensitivity: --task %q has no reconstructions (allowed: %s, %s)", base.Task, config.PatternGen, config.DMS)
	}
	out := f.out
	if out == "" {
		out = filepath.Join(defaultOutRoot, spec.Name+"-"+base.Task)
	}
	// Check the first phase's runs before any work: a setting that is
	// valid for the base but not for one of the experiment's variants, or
	// missing data, is one usage error rather than a failed run each.
	env := &experiment.Env{Experiment: spec.Name, Weights: f.weightsDir(out), DataCache: task.DefaultHashCache()}
	// The data's identity enters the IDs of seqmnist runs: fill it in on
	// the base, from which every phase is planned.
	ids, err := attachData(env, []*config.Run{&base})
	if err != nil {
		return err
	}
	planned, _ := spec.Plan(base, seeds, nil)
	for i := range planned {
		if err := planned[i].Validate(); err != nil {
			return usagef("%s: %s", spec.Name, config.OneLine(err))
		}
		planned[i] = planned[i].Resolve()
	}
	if err := checkData(pendingRuns(out, shard.Select(planned), f.force)); err != nil {
		return err
	}
	if err := prepareOut(out); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "hessrnn: %s on %s%s, %d seeds per rule; results in %s\n", spec.Name, base.Task, dataNote(ids), seeds, out)
	stopProf, err := f.startCPUProfile()
	if err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(a.stderr, "hessrnn: %s\n", proto.Describe())
	sum, done, err := env.RunExperiment(ctx, spec, base, seeds, experiment.RunOptions{
		Out: out, Jobs: f.jobs, Shard: shard, Force: f.force, Log: log, Terminal: term, Protocol: proto,
	})
	stopProf()
	if errors.Is(err, experiment.ErrSelectionPending) {
		fmt.Fprintf(a.stderr, "hessrnn: %v\n", err)
		return nil
	}
	sharded, err := runsDone(ctx, a, sum, err, start, shard, out)
	if err != nil {
		return err
	}
	if !sharded && !f.noReport && spec.Name == "sensitivity" {
		txt, err := experiment.WriteSensitivity(out, done, spec.Title+" — "+base.Task, shellJoin(a.args))
		if err != nil {
			return err
		}
		fmt.Fprint(a.stdout, txt)
		fmt.Fprintf(a.stdout, "results: %s/*.json\nreport:  %s\n", out, filepath.Join(out, "sensitivity-report.html"))
	} else if !sharded && !f.noReport {
		an, err := experiment.WriteReport(out, done, spec.Report(spec.Title+" — "+base.Task, shellJoin(a.args)))
		if err != nil {
			return err
		}
		html, csv, figs := experiment.ReportFiles(out, spec.Name)
		if spec.Name == "default" {
			fmt.Fprintf(a.stdout, "%s: a reduced-budget demonstration (%s); the paper's protocol at its scale is \"hessrnn run paper --scale paper\"\n", spec.Title, proto.Describe())
		}
		fmt.Fprint(a.stdout, an.Summary)
		fmt.Fprintf(a.stdout, "results: %s/*.json and %s\nfigures: %s\nreport:  %s\n", out, csv, figs, html)
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%d runs failed; their errors are in the report and the result files", sum.Failed)
	}
	return nil
}

// protocolFlags applies --select, --lr-grid, --select-seeds and
// --select-budget to p; rateGiven (a rate from --lr, --set or --config)
// turns "auto" selection off.
func protocolFlags(f *runFlags, p experiment.Protocol, rateGiven bool) (experiment.Protocol, error) {
	switch f.selectMode {
	case "auto":
		if rateGiven {
			p.Mode = experiment.SelectOff
		}
	case experiment.SelectGrid, experiment.SelectHalving, experiment.SelectOff:
		p.Mode = f.selectMode
	default:
		return p, usagef("--select %q: allowed values auto, grid, halving, off", f.selectMode)
	}
	if f.lrGrid != "" {
		g, err := experiment.ParseGrid(f.lrGrid)
		if err != nil {
			return p, usagef("%v", err)
		}
		p.Grid = g
	}
	if f.selectSeeds != 0 {
		p.Seeds = f.selectSeeds
	}
	if f.selectBudget != 0 {
		p.Budget = f.selectBudget
	}
	if err := p.Validate(); err != nil {
		return p, usagef("%v", err)
	}
	return p, nil
}

// prepareOut creates the output directory and proves it writable before
// any run starts (results.PrepareDir): a usage error naming the path.
func prepareOut(out string) error {
	if err := results.PrepareDir(out); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// listKeys prints every setting key, its kind and its value in r.
func listKeys(w io.Writer, r config.Run) {
	for _, k := range config.Fields() {
		v, _ := r.Get(k)
		fmt.Fprintf(w, "%-30s %-8s %-12v # %s\n", k, config.FieldKind(k), v, config.Source(k))
	}
}

// showConfig prints the effective settings of the runs the experiment
// plans first, resolved as they will run: every key with its value, where
// a key whose value differs between the experiment's variants (rules,
// learning rates, ...) reads "(per variant)", then one line per variant
// with those keys. Seeds run 1..seeds for every variant.
func showConfig(w io.Writer, spec experiment.Spec, base config.Run, seeds int) error {
	planned, more := spec.Plan(base, seeds, nil)
	var variants []config.Run
	for _, r := range planned {
		if r.Seed == planned[0].Seed {
			variants = append(variants, r.Resolve())
		}
	}
	if len(variants) == 0 {
		variants = []config.Run{base.Resolve()}
	}
	fmt.Fprintf(w, "# hessrnn run %s on %s: %d runs (%d variants x %d seeds)\n", spec.Name, base.Task, len(planned), len(variants), seeds)
	if more {
		fmt.Fprintln(w, "# a later phase adds runs that depend on these runs' results")
	}
	varies := map[string]bool{}
	for _, k := range config.Fields() {
		if k == "seed" {
			continue
		}
		v0, _ := variants[0].Get(k)
		for _, r := range variants[1:] {
			if v, _ := r.Get(k); fmt.Sprint(v) != fmt.Sprint(v0) {
				varies[k] = true
				break
			}
		}
	}
	for _, k := range config.Fields() {
		v, _ := variants[0].Get(k)
		switch {
		case k == "seed":
			v = fmt.Sprintf("1..%d", seeds)
		case varies[k]:
			v = "(per variant)"
		}
		fmt.Fprintf(w, "%-32s %-8s %v\n", k, config.FieldKind(k), v)
	}
	if len(varies) > 0 {
		fmt.Fprintln(w, "# variants:")
		for i, r := range variants {
			var kv []string
			for _, k := range config.Fields() {
				if varies[k] {
					v, _ := r.Get(k)
					kv = append(kv, fmt.Sprintf("%s=%v", k, v))
				}
			}
			fmt.Fprintf(w, "%2d  %s\n", i+1, strings.Join(kv, " "))
		}
	}
	return nil
}

// pendingRuns returns the runs that will be computed: all with force, else
// those without a final result in out.
func pendingRuns(out string, runs []config.Run, force bool) []config.Run {
	if force {
		return runs
	}
	return sweep.Pending(out, runs)
}

// attachData fills in the data identity of the seqmnist runs among runs
// (config.SeqMNISTTask's DataSHA256 and image size, which enter the run
// IDs) and refuses data of another data set than a run's seqmnist.dataset
// asks for, e.g. Fashion-MNIST found where MNIST was expected. It returns
// the identities used, in order of first use.
func attachData(env *experiment.Env, runs []*config.Run) ([]task.DataIdentity, error) {
	var ids []task.DataIdentity
	seen := map[string]bool{}
	for _, r := range runs {
		if r.Task != config.SeqMNIST {
			continue
		}
		id, err := env.Identify(r.SeqMNIST.Data)
		if err != nil {
			return nil, usagef("seqmnist data: %v", err)
		}
		if id.Rows == 0 {
			// Not an IDX image file: the loader says what is wrong.
			_, err := task.LoadMNIST(id.Dir)
			if err == nil {
				err = fmt.Errorf("no image size in the header of %s", id.Files[0].Path)
			}
			return nil, usagef("seqmnist data in %s: %v (check it with: hessrnn data check --dir %s)", r.SeqMNIST.Data, err, id.Dir)
		}
		if err := task.CheckDataset(id, r.SeqMNIST.Dataset); err != nil {
			return nil, usagef("seqmnist data: %v", err)
		}
		r.SeqMNIST.DataSHA256 = id.Digest()
		r.SeqMNIST.ImageRows, r.SeqMNIST.ImageCols = id.Rows, id.Cols
		if !seen[id.Dir] {
			seen[id.Dir] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// dataNote describes the data of a command's runs for its header line:
// "" without seqmnist runs, else " (MNIST in DIR (sha256 …, 28×28 images))".
func dataNote(ids []task.DataIdentity) string {
	if len(ids) == 0 {
		return ""
	}
	var parts []string
	for _, id := range ids {
		parts = append(parts, id.String())
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// checkData loads the MNIST-format data of the sequential-MNIST runs among
// runs (once per data directory), so that missing or corrupt data is one
// usage error before training starts instead of a failed result per run.
func checkData(runs []config.Run) error {
	seen := map[string]bool{}
	for _, r := range runs {
		if r.Task != config.SeqMNIST || seen[r.SeqMNIST.Data] {
			continue
		}
		seen[r.SeqMNIST.Data] = true
		dir, err := task.ResolveDataDir(r.SeqMNIST.Data)
		if err != nil {
			return usagef("seqmnist data: %v (here: --data DIR or --set seqmnist.data=DIR)", err)
		}
		if _, err := task.LoadMNIST(dir); err != nil {
			return usagef("seqmnist data in %s: %v (check it with: hessrnn data check --dir %s)", dir, err, dir)
		}
	}
	return nil
}

// shellJoin quotes args for display as a shell command.
func shellJoin(args []string) string {
	var out []string
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
