package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/experiment"
	"github.com/hessrnn/hessrnn/cmd/internal/sweep"
	"github.com/hessrnn/hessrnn/rnn/task"
)

const sweepHelp = `Usage: hessrnn sweep CONFIG.toml [flags]

Runs every combination of the [sweep] table of CONFIG.toml on top of its
base settings. Each run gets a stable ID from its full configuration and one
JSON result file; rerunning skips finished runs, so a killed sweep resumes.
--shard i/n (or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, read
automatically) runs one slice; the slices of all shards together are the whole
sweep. --slurm writes an sbatch array script instead of running.

CONFIG.toml:
  task = "patterngen"            # base settings: any key of "hessrnn run --list-keys"
  [train]
  iterations = 2000
  [sweep.grid]                   # every combination of these lists
  rule = ["bptt", "three-factor", "rf-three-factor", "mdgl"]
  seed = [1, 2, 3, 4, 5]
  "train.lr" = [0.003, 0.01]
  [[sweep.zip]]                  # lists that vary together (same length)
  "train.schedule" = ["constant", "step"]
  "train.decay_factor" = [1.0, 0.8]

Flags:
%s
Examples:
  hessrnn sweep grid.toml --jobs 2
  hessrnn sweep grid.toml --shard 0/4 --out res
  hessrnn sweep grid.toml --dry-run                 list the runs and their IDs
  hessrnn sweep grid.toml --slurm 16 --out res      write res/sweep.sbatch for 16 array tasks
  hessrnn sweep grid.toml --slurm 16 --slurm-cpus 4 --slurm-time 08:00:00 --slurm-partition cpu --out res
  hessrnn sweep grid.toml --set train.iterations=50 --out quick   a quick trial of the same grid
  sbatch res/sweep.sbatch       then, when the array has finished: hessrnn report res
`

func cmdSweep(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	var f runFlags
	f.common(fs)
	var sf slurmFlags
	sf.register(fs, sweepScript)
	dry := fs.Bool("dry-run", false, "print the runs (ID, pending or done) and exit")
	var sets multiFlag
	fs.Var(&sets, "set", "change a base setting, `key=value` (repeatable); the [sweep] lists still apply on top")
	pos, help, err := parseCommand(a, fs, args, sweepHelp)
	if help || err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("sweep: want exactly one CONFIG.toml, got %d arguments (see hessrnn sweep --help)", len(pos))
	}
	cfgPath := pos[0]
	cf, err := config.Load(cfgPath)
	if err != nil {
		return usagef("%v", err)
	}
	for _, kv := range sets {
		if err := cf.Run.SetString(kv); err != nil {
			return usagef("--set: %v", err)
		}
	}
	if len(sets) > 0 {
		if err := cf.Run.Validate(); err != nil {
			return usagef("%s", config.OneLine(err))
		}
	}
	runs, err := sweep.Expand(cf.Run, cf.Sweep)
	if err != nil {
		return usagef("%s: %v", cfgPath, err)
	}
	out := f.out
	if out == "" {
		// One convention with "hessrnn run": hessrnn-out/<name>.
		out = filepath.Join(defaultOutRoot, "sweep-"+strings.TrimSuffix(filepath.Base(cfgPath), filepath.Ext(cfgPath)))
	}
	if f.jobs < 1 || f.jobs > 1024 {
		return usagef("--jobs %d: allowed range [1, 1024]", f.jobs)
	}
	if setFlags(fs)["slurm"] {
		absCfg, err := filepath.Abs(cfgPath)
		if err != nil {
			return err
		}
		p, tasks, err := sf.write(a, fs, out, sweepScript, "hessrnn", len(runs), "sweep", absCfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "wrote %s (%d runs in %d array tasks)\nsubmit: sbatch %s\nwhen the array has finished: hessrnn report %s\n(resubmit the same script to finish runs that were cut short)\n", p, len(runs), tasks, p, filepath.Dir(p))
		return nil
	}
	shard, err := resolveShard(f.shard, a.getenv)
	if err != nil {
		return err
	}
	exp := cf.Experiment
	if exp == "" {
		exp = "sweep"
	}
	env := &experiment.Env{Experiment: exp, Weights: f.weightsDir(out), DataCache: task.DefaultHashCache()}
	ptrs := make([]*config.Run, len(runs))
	for i := range runs {
		ptrs[i] = &runs[i]
	}
	ids, err := attachData(env, ptrs)
	if err != nil {
		return err
	}
	if *dry {
		mine := shard.Select(runs)
		for _, r := range mine {
			state := "pending"
			if !f.force && len(sweep.Pending(out, []config.Run{r})) == 0 {
				state = "done"
			}
			fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", r.ID(), r.Label(), state)
		}
		fmt.Fprintf(a.stdout, "%d runs in this shard (%s) of %d\n", len(mine), shard, len(runs))
		return nil
	}
	log, term, err := progressOptions(a, f.progress)
	if err != nil {
		return err
	}
	if err := checkData(pendingRuns(out, shard.Select(runs), f.force)); err != nil {
		return err
	}
	if err := prepareOut(out); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "hessrnn: sweep %s: %d runs (shard %s: %d)%s; results in %s\n", cfgPath, len(runs), shard, len(shard.Select(runs)), dataNote(ids), out)
	stopProf, err := f.startCPUProfile()
	if err != nil {
		return err
	}
	start := time.Now()
	sum, err := env.Execute(ctx, runs, experiment.RunOptions{Out: out, Jobs: f.jobs, Shard: shard, Force: f.force, Log: log, Terminal: term})
	stopProf()
	sharded, err := runsDone(ctx, a, sum, err, start, shard, out)
	if err != nil {
		return err
	}
	if !sharded && !f.noReport {
		done, _ := experiment.Collect(out, runs)
		rep := experiment.Report{Name: exp, Title: "Sweep " + filepath.Base(cfgPath), Command: shellJoin(a.args)}
		if spec, err := experiment.Lookup(exp); err == nil {
			rep = spec.Report(rep.Title, rep.Command)
		}
		an, err := experiment.WriteReport(out, done, rep)
		if err != nil {
			return err
		}
		html, _, _ := experiment.ReportFiles(out, exp)
		fmt.Fprint(a.stdout, an.Summary)
		fmt.Fprintf(a.stdout, "report: %s\n", html)
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%d runs failed; their errors are in the result files", sum.Failed)
	}
	return nil
}

// sweepScript and paperScript are the sbatch scripts that --slurm writes
// in OUT.
const (
	sweepScript = "sweep.sbatch"
	paperScript = "paper.sbatch"
)

// slurmFlags are the --slurm* flags, one definition for sweep and run
// paper.
type slurmFlags struct {
	tasks, cpus                           int
	time, mem, partition, account, binary string
}

// register defines the --slurm* flags on fs; script is the file --slurm
// writes in OUT.
func (s *slurmFlags) register(fs *flag.FlagSet, script string) {
	fs.IntVar(&s.tasks, "slurm", 0, "write an sbatch script for `n` array tasks to OUT/"+script+" and exit")
	fs.StringVar(&s.time, "slurm-time", "24:00:00", "Slurm time limit per array task")
	fs.IntVar(&s.cpus, "slurm-cpus", 2, "Slurm CPUs per array task (also --jobs inside each task)")
	fs.StringVar(&s.mem, "slurm-mem", "", "Slurm memory per task, e.g. 4G (default: the cluster's)")
	fs.StringVar(&s.partition, "slurm-partition", "", "Slurm partition (default: the cluster's)")
	fs.StringVar(&s.account, "slurm-account", "", "Slurm account (default: the cluster's)")
	fs.StringVar(&s.binary, "slurm-binary", "", "`path` of the hessrnn binary on the compute nodes (default: this binary)")
}

// scriptControlled are the flags the sbatch script does not copy from the
// command line, with the reason. Every other flag that was set is
// reproduced, so a new flag cannot be forgotten.
var scriptControlled = map[string]string{
	"out":      "written as an absolute path",
	"jobs":     "follows --cpus-per-task ($GOMAXPROCS)",
	"shard":    "comes from the array task",
	"progress": "plain lines for the log files",
	"dry-run":  "not with --slurm",
}

// setFlags returns the names of the flags set on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// scriptArgs is the command line of each array task: lead (e.g. "sweep"
// and the absolute CONFIG, or "run paper"), "--out OUT --progress lines"
// with the absolute OUT, then every flag of fs that was set, in the order
// of fs.Visit (repeatable flags once per value), except the --slurm* flags
// and scriptControlled. The script runs in the submission directory, so
// relative paths in the flags mean what they meant on the command line.
func scriptArgs(fs *flag.FlagSet, out string, lead ...string) ([]string, error) {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	args := append(append([]string(nil), lead...), "--out", absOut, "--progress", "lines")
	fs.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "slurm") || scriptControlled[f.Name] != "" {
			return
		}
		if m, ok := f.Value.(*multiFlag); ok {
			for _, x := range *m {
				args = append(args, "--"+f.Name+"="+x)
			}
			return
		}
		args = append(args, "--"+f.Name+"="+f.Value.String())
	})
	return args, nil
}

// write checks the flags, prepares OUT and writes OUT/script: an array of
// at most maxTasks tasks (0: no cap) named jobName, each running lead and
// the flags set on fs (scriptArgs) in the submission directory. It returns
// the script's path and the number of array tasks.
func (s *slurmFlags) write(a *app, fs *flag.FlagSet, out, script, jobName string, maxTasks int, lead ...string) (string, int, error) {
	set := setFlags(fs)
	if set["dry-run"] {
		return "", 0, usagef("--dry-run and --slurm: choose one (the script's own command can be listed with --dry-run)")
	}
	if set["shard"] {
		return "", 0, usagef("--shard and --slurm: choose one (each array task runs its own shard)")
	}
	if err := checkSlurmFlags(s.tasks, s.cpus, s.time, s.mem); err != nil {
		return "", 0, err
	}
	tasks := s.tasks
	if maxTasks > 0 {
		tasks = min(tasks, maxTasks)
	}
	bin := s.binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", 0, err
		}
		if strings.Contains(exe, string(filepath.Separator)+"go-build") {
			return "", 0, usagef("--slurm: this hessrnn is a temporary \"go run\" build that is deleted when it exits; install it (go install ./cmd/hessrnn) and run the installed binary, or give --slurm-binary PATH")
		}
		bin = exe
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return "", 0, err
	}
	args, err := scriptArgs(fs, out, lead...)
	if err != nil {
		return "", 0, err
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return "", 0, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", 0, err
	}
	if err := prepareOut(absOut); err != nil {
		return "", 0, err
	}
	logs := filepath.Join(absOut, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return "", 0, err
	}
	var b strings.Builder
	err = sweep.WriteSlurm(&b, sweep.SlurmOptions{
		Binary: bin, Args: args, JobsFromCPUs: true, Dir: wd,
		Tasks: tasks, CPUs: s.cpus, Time: s.time, Mem: s.mem, Partition: s.partition, Account: s.account, JobName: jobName, LogDir: logs,
	})
	if err != nil {
		return "", 0, usagef("%v", err)
	}
	p := filepath.Join(absOut, script)
	if err := os.WriteFile(p, []byte(b.String()), 0o755); err != nil {
		return "", 0, err
	}
	return p, tasks, nil
}

// checkSlurmFlags checks the --slurm, --slurm-cpus, --slurm-time and
// --slurm-mem values of sweep and run paper.
func checkSlurmFlags(tasks, cpus int, tlimit, mem string) error {
	if tasks < 1 || tasks > 100000 {
		return usagef("--slurm %d: allowed range [1, 100000]", tasks)
	}
	if cpus < 1 || cpus > 1024 {
		return usagef("--slurm-cpus %d: allowed range [1, 1024]", cpus)
	}
	if err := sweep.CheckTime(tlimit); err != nil {
		return usagef("--slurm-time: %v", err)
	}
	if mem != "" {
		if err := sweep.CheckMem(mem); err != nil {
			return usagef("--slurm-mem: %v", err)
		}
	}
	return nil
}

// runsDone ends a batch of runs started at start that returned sum and
// err: err comes back as is, or as an interruption when ctx was cancelled.
// Otherwise it prints the summary line and, for one shard of several, how
// to report once every shard has finished, and returns whether this was a
// shard.
func runsDone(ctx context.Context, a *app, sum sweep.Summary, err error, start time.Time, shard sweep.Shard, out string) (sharded bool, _ error) {
	if err != nil {
		if ctx.Err() != nil {
			return false, runsInterrupted(sum, out)
		}
		fmt.Fprintf(a.stderr, "hessrnn: %s in %s\n", sum, time.Since(start).Round(time.Second))
		return false, err
	}
	fmt.Fprintf(a.stderr, "hessrnn: %s in %s\n", sum, time.Since(start).Round(time.Second))
	if shard.Count > 1 {
		fmt.Fprintf(a.stdout, "shard %s done; when every shard has finished: hessrnn report %s\n", shard, out)
		return true, nil
	}
	return false, nil
}

// runsInterrupted is the error of a run or sweep stopped by a signal: how
// many runs were saved in out, and how to resume.
func runsInterrupted(sum sweep.Summary, out string) error {
	return &interruptedError{fmt.Sprintf("interrupted: %d runs finished and saved in %s; run the same command again to resume", sum.Finished+sum.Diverged, out)}
}
