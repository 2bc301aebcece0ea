package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/experiment"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/rnn"
)

// The tests build the binary once and run it as a user would.
var (
	binPath  string
	buildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hessrnn-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "hessrnn")
	// The test binary was built by the go command of this machine, so
	// its GOROOT is that command's (the deprecation is about binaries
	// copied to other machines); go test does not set $GOROOT.
	//lint:ignore SA1019 see above
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		buildErr = fmt.Errorf("go build: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tinySweep is 2 rules x 2 seeds of a shrunken pattern-generation task.
// Each run takes a few hundred milliseconds, long enough to kill the sweep
// between runs.
const tinySweep = `
task = "patterngen"
[model]
n = 24
[patterngen]
n_in = 8
steps = 16
test_draws = 5
[train]
iterations = 2000
lr = 0.01
[hessian]
every = 500
[sweep.grid]
rule = ["bptt", "three-factor"]
seed = [1, 2]
`

// smallRun is a run configuration (no sweep) of a few milliseconds per run.
const smallRun = `
[model]
n = 10
[patterngen]
n_in = 6
steps = 10
test_draws = 3
[train]
iterations = 40
lr = 0.02
[hessian]
every = 20
`

// cleanEnv is the environment without variables that change what hessrnn
// does (a test run inside a Slurm job must not be sharded).
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SLURM_") || strings.HasPrefix(kv, "HESSRNN_") || strings.HasPrefix(kv, "GOMAXPROCS=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func binary(t *testing.T) string {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type outcome struct {
	stdout, stderr string
	code           int
}

// hessrnn runs the binary in dir with extra environment variables.
func hessrnn(t *testing.T, dir string, env []string, args ...string) outcome {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = cleanEnv(env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("hessrnn %v: %v", args, err)
	}
	return outcome{so.String(), se.String(), code}
}

func mustSucceed(t *testing.T, o outcome, args ...string) {
	t.Helper()
	if o.code != 0 {
		t.Fatalf("hessrnn %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), o.code, o.stdout, o.stderr)
	}
}

func mustRun(t *testing.T, dir string, env []string, args ...string) outcome {
	t.Helper()
	o := hessrnn(t, dir, env, args...)
	mustSucceed(t, o, args...)
	return o
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reference is the uninterrupted tiny sweep, computed once.
var reference struct {
	once sync.Once
	dir  string // working directory holding sweep.toml
	runs map[string]*results.Result
	err  error
}

func referenceRuns(t *testing.T) (string, map[string]*results.Result) {
	t.Helper()
	bin := binary(t)
	reference.once.Do(func() {
		dir, err := os.MkdirTemp("", "hessrnn-ref-")
		if err != nil {
			reference.err = err
			return
		}
		reference.dir = dir
		if err := os.WriteFile(filepath.Join(dir, "sweep.toml"), []byte(tinySweep), 0o644); err != nil {
			reference.err = err
			return
		}
		cmd := exec.Command(bin, "sweep", "sweep.toml", "--out", "ref", "--jobs", "2", "--progress", "none", "--no-report")
		cmd.Dir, cmd.Env = dir, cleanEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			reference.err = fmt.Errorf("reference sweep: %v\n%s", err, out)
			return
		}
		reference.runs, reference.err = loadRuns(filepath.Join(dir, "ref"))
	})
	if reference.err != nil {
		t.Fatal(reference.err)
	}
	if len(reference.runs) != 4 {
		t.Fatalf("reference sweep has %d runs, want 4", len(reference.runs))
	}
	for id, r := range reference.runs {
		if r.Status.State != results.Finished {
			t.Fatalf("reference run %s: %+v", id, r.Status)
		}
	}
	return reference.dir, reference.runs
}

func loadRuns(dir string) (map[string]*results.Result, error) {
	set, err := results.LoadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(set.Skipped) > 0 {
		return nil, fmt.Errorf("%s: unreadable results: %v", dir, set.Skipped)
	}
	out := map[string]*results.Result{}
	for _, r := range set.Runs {
		out[r.ID] = r
	}
	return out, nil
}

// sameAsReference checks that dir holds exactly the reference runs with
// the same outcomes.
func sameAsReference(t *testing.T, dir string, ref map[string]*results.Result) {
	t.Helper()
	got, err := loadRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ref) {
		t.Errorf("%s: %d runs, want %d", dir, len(got), len(ref))
	}
	for id, r := range ref {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s: run %s missing", dir, id)
		case !results.SameOutcome(g, r):
			t.Errorf("%s: run %s differs from the uninterrupted sweep's", dir, id)
		}
	}
}

// resultFiles lists the completed result files in dir (not the hidden
// temporary files of an atomic write in progress).
func resultFiles(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(m)
	return m
}

// startAndStopAfterFirstRun starts a one-worker sweep, waits for its first
// result file and sends sig. It returns the exit status, stderr and the
// result files present after the process ended.
func startAndStopAfterFirstRun(t *testing.T, dir, out string, sig os.Signal) (int, string, []string) {
	t.Helper()
	cmd := exec.Command(binary(t), "sweep", "sweep.toml", "--out", out, "--jobs", "1", "--progress", "lines", "--no-report")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	var err error
wait:
	for {
		select {
		case err = <-exited:
			t.Fatalf("the sweep ended (%v) before its first run could be interrupted; make the runs longer\n%s", err, se.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no result after 60 s\n%s", se.String())
		case <-time.After(2 * time.Millisecond):
			if len(resultFiles(filepath.Join(dir, out))) > 0 {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
				err = <-exited
				break wait
			}
		}
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
	}
	files := resultFiles(filepath.Join(dir, out))
	if len(files) == 0 || len(files) == 4 {
		t.Fatalf("%d of 4 result files after the stop; want a partial sweep", len(files))
	}
	return code, se.String(), files
}

// TestSweepKilledAndResumed is the acceptance test of issue 7: a tiny sweep
// killed after its first finished run resumes to results equal to an
// uninterrupted run's, without recomputing the finished runs.
func TestSweepKilledAndResumed(t *testing.T) {
	refDir, ref := referenceRuns(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	_ = refDir

	code, _, files := startAndStopAfterFirstRun(t, dir, "res", syscall.SIGKILL)
	if code != 128+int(syscall.SIGKILL) {
		t.Fatalf("exit %d, want killed", code)
	}
	before := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		before[f] = b
	}

	// Progress "auto" on a pipe (as in a Slurm log): plain lines, no bars.
	o := mustRun(t, dir, nil, "sweep", "sweep.toml", "--out", "res", "--jobs", "1")
	if want := fmt.Sprintf("%d skipped", len(files)); !strings.Contains(o.stderr, want) {
		t.Errorf("resume did not report %q:\n%s", want, o.stderr)
	}
	if strings.Contains(o.stderr, "\x1b[") || !strings.Contains(o.stderr, fmt.Sprintf("[%d/4] ", len(files)+1)) {
		t.Errorf("progress on a pipe is not plain lines:\n%q", o.stderr)
	}
	for f, b := range before {
		a, err := os.ReadFile(f)
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("finished result %s was rewritten on resume", filepath.Base(f))
		}
	}
	sameAsReference(t, filepath.Join(dir, "res"), ref)
	checkReport(t, filepath.Join(dir, "res"), "sweep", ref, "hessrnn sweep sweep.toml --out res --jobs 1")

	// A second rerun does nothing.
	o = mustRun(t, dir, nil, "sweep", "sweep.toml", "--out", "res", "--progress", "none", "--no-report")
	if !strings.Contains(o.stderr, "4 skipped") {
		t.Errorf("rerun of a complete sweep: %s", o.stderr)
	}
}

// TestSweepCtrlC checks the clean stop on SIGINT: exit code 130, the
// finished runs saved, a one-line explanation, no stack trace; then resume.
func TestSweepCtrlC(t *testing.T) {
	_, ref := referenceRuns(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	code, stderr, files := startAndStopAfterFirstRun(t, dir, "res", os.Interrupt)
	if code != exitInterrupted {
		t.Errorf("exit %d after Ctrl-C, want %d\n%s", code, exitInterrupted, stderr)
	}
	if !strings.Contains(stderr, "hessrnn: interrupted: ") || !strings.Contains(stderr, "run the same command again to resume") {
		t.Errorf("no clean interruption message:\n%s", stderr)
	}
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
		t.Errorf("stack trace on Ctrl-C:\n%s", stderr)
	}
	for _, f := range files {
		r, err := results.Read(f)
		if err != nil || r.Status.State != results.Finished || !results.SameOutcome(r, ref[r.ID]) {
			t.Errorf("result %s after Ctrl-C: %v", filepath.Base(f), err)
		}
	}
	mustRun(t, dir, nil, "sweep", "sweep.toml", "--out", "res", "--progress", "none", "--no-report")
	sameAsReference(t, filepath.Join(dir, "res"), ref)
}

// dryRunIDs returns the run IDs that "sweep --dry-run" lists.
func dryRunIDs(t *testing.T, dir string, env []string, args ...string) []string {
	t.Helper()
	o := mustRun(t, dir, env, append([]string{"sweep", "sweep.toml", "--dry-run"}, args...)...)
	var ids []string
	for _, line := range strings.Split(o.stdout, "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			ids = append(ids, f[0])
		}
	}
	return ids
}

// TestShardsPartitionTheSweep runs a sweep as 3 shards, chosen by --shard
// and by the Slurm array variables, checks that they partition the run list,
// that their merged results equal the whole sweep's, and that the report of
// the merged directory lists every run.
func TestShardsPartitionTheSweep(t *testing.T) {
	_, ref := referenceRuns(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)

	whole := dryRunIDs(t, dir, nil)
	if len(whole) != 4 {
		t.Fatalf("dry run lists %d runs, want 4", len(whole))
	}
	for _, id := range whole {
		if ref[id] == nil {
			t.Errorf("dry-run ID %s is not an ID of the sweep's results", id)
		}
	}
	// --set changes the base settings, hence every ID; the grid still applies.
	changed := dryRunIDs(t, dir, nil, "--set", "train.iterations=10", "--set", "rule=mdgl")
	if len(changed) != 4 {
		t.Errorf("--set: %d runs, want 4", len(changed))
	}
	for _, id := range changed {
		if ref[id] != nil || strings.Contains(id, "mdgl") {
			t.Errorf("--set: ID %s (the grid's rules must win over the base's)", id)
		}
	}
	shards := []struct {
		env  []string
		args []string
	}{
		{nil, []string{"--shard", "0/3"}},
		{[]string{"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT=3"}, nil},
		{[]string{"SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_TASK_MIN=3"}, nil},
	}
	seen := map[string]int{}
	for i, s := range shards {
		for _, id := range dryRunIDs(t, dir, s.env, s.args...) {
			seen[id]++
		}
		out := filepath.Join("shards", fmt.Sprintf("s%d", i))
		o := mustRun(t, dir, s.env, append([]string{"sweep", "sweep.toml", "--out", out, "--progress", "none"}, s.args...)...)
		if !strings.Contains(o.stdout, fmt.Sprintf("shard %d/3 done", i)) {
			t.Errorf("shard %d: %q", i, o.stdout)
		}
	}
	for _, id := range whole {
		if seen[id] != 1 {
			t.Errorf("run %s is in %d shards, want 1", id, seen[id])
		}
	}
	if len(seen) != len(whole) {
		t.Errorf("shards list %d runs, the sweep %d", len(seen), len(whole))
	}
	sameAsReference(t, filepath.Join(dir, "shards"), ref)

	mustRun(t, dir, nil, "report", "shards", "--out", "merged")
	checkReport(t, filepath.Join(dir, "merged"), "sweep", ref, "hessrnn report shards --out merged")
	mustRun(t, dir, nil, "report", "shards/s0", "shards/s1", "shards/s2", "--out", "merged2")
	checkReport(t, filepath.Join(dir, "merged2"), "sweep", ref, "hessrnn report shards/s0 shards/s1 shards/s2 --out merged2")
}

// checkReport checks the report called name in dir: the HTML report
// (self-contained, the exact command, every run), the CSV export (every
// run) and the figures.
func checkReport(t *testing.T, dir, name string, ref map[string]*results.Result, command string) {
	t.Helper()
	htmlPath, csvPath, figDir := experiment.ReportFiles(dir, name)
	html, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	h := string(html)
	if !strings.Contains(h, command) {
		t.Errorf("report.html does not show the command %q", command)
	}
	if !strings.Contains(h, "data:image/") {
		t.Error("report.html embeds no figure")
	}
	if strings.Contains(h, `src="`+filepath.Base(figDir)) || strings.Contains(h, `src="http`) {
		t.Error("report.html is not self-contained")
	}
	csv, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if !strings.HasPrefix(lines[0], strings.Join(results.CSVHeader, ",")) {
		t.Errorf("results.csv header %q", lines[0])
	}
	rows := 0
	for id, r := range ref {
		if !strings.Contains(h, id) {
			t.Errorf("report.html does not list run %s", id)
		}
		n := strings.Count(string(csv), "\n"+id+",")
		if n != len(r.Trajectory) {
			t.Errorf("results.csv has %d rows for %s, want one per checkpoint (%d)", n, id, len(r.Trajectory))
		}
		rows += len(r.Trajectory)
	}
	if len(lines) != rows+1 {
		t.Errorf("results.csv has %d lines, want %d", len(lines), rows+1)
	}
	for _, ext := range []string{"png", "svg"} {
		if m, _ := filepath.Glob(filepath.Join(figDir, "*."+ext)); len(m) == 0 {
			t.Errorf("no %s figures", ext)
		}
	}
}

// TestSlurmScript writes the sbatch array script and runs it as Slurm
// would, once per array index; the array's results equal the whole sweep's.
func TestSlurmScript(t *testing.T) {
	_, ref := referenceRuns(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found; cannot execute the sbatch script")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	o := mustRun(t, dir, nil, "sweep", "sweep.toml", "--slurm", "2", "--slurm-cpus", "1", "--slurm-time", "01:00:00",
		"--slurm-partition", "short", "--out", "res")
	script := filepath.Join(dir, "res", "sweep.sbatch")
	if !strings.Contains(o.stdout, "sbatch "+script) {
		t.Errorf("no submit hint: %q", o.stdout)
	}
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#!/bin/bash", "#SBATCH --array=0-1", "#SBATCH --cpus-per-task=1", "#SBATCH --time=01:00:00",
		"#SBATCH --partition=short", "exec " + binary(t) + " sweep " + filepath.Join(dir, "sweep.toml")} {
		if !strings.Contains(string(b), want) {
			t.Errorf("sbatch script lacks %q:\n%s", want, b)
		}
	}
	for i := range 2 {
		cmd := exec.Command(bash, script)
		cmd.Dir = t.TempDir() // the script must not depend on the directory it is submitted from
		cmd.Env = cleanEnv(fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", i), "SLURM_ARRAY_TASK_COUNT=2", "SLURM_CPUS_PER_TASK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("array task %d: %v\n%s", i, err, out)
		}
	}
	sameAsReference(t, filepath.Join(dir, "res"), ref)

	// --slurm-binary names the binary on the compute nodes.
	mustRun(t, dir, nil, "sweep", "sweep.toml", "--slurm", "2", "--slurm-binary", "/opt/bin/hessrnn", "--out", "res2")
	if b, err := os.ReadFile(filepath.Join(dir, "res2", "sweep.sbatch")); err != nil || !strings.Contains(string(b), "exec /opt/bin/hessrnn sweep ") {
		t.Errorf("--slurm-binary not used (%v):\n%s", err, b)
	}
	// A "go run" binary is deleted when it exits: refuse to write a script
	// that points at it.
	tmp := filepath.Join(dir, "go-build1234", "exe")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "hessrnn"), src, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(tmp, "hessrnn"), "sweep", "sweep.toml", "--slurm", "2", "--out", "res3")
	cmd.Dir, cmd.Env = dir, cleanEnv()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !strings.Contains(string(out), "--slurm-binary") {
		t.Errorf("--slurm from a go-run build: %v\n%s", err, out)
	}
}

// TestRunConfigAndFlags checks that a TOML file overrides the experiment's
// defaults and that flags override the file, for "run" and the
// no-argument default experiment.
func TestRunConfigAndFlags(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small.toml"), smallRun)
	mustRun(t, dir, nil, "run", "fig3", "--config", "small.toml", "--seeds", "1", "--iters", "30", "--set", "train.lr=0.005",
		"--set", "hessian.every=10", "--out", "fig3", "--progress", "none", "--no-report", "--save-weights")
	got, err := loadRuns(filepath.Join(dir, "fig3"))
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for _, r := range got {
		// --save-weights: one NPZ file per checkpoint, readable by rnn.
		npz, _ := filepath.Glob(filepath.Join(dir, "fig3", "weights", r.ID, "iter-*.npz"))
		if len(npz) != len(r.Trajectory) {
			t.Errorf("run %s: %d weight files for %d checkpoints", r.ID, len(npz), len(r.Trajectory))
		}
		for _, f := range npz {
			if net, err := rnn.LoadNPZFile[float64](f); err != nil || net.Cfg.N != r.Config.Model.N {
				t.Errorf("%s: %v", f, err)
			}
		}
		rules[r.Config.Rule] = true
		c := r.Config
		if c.Model.N != 10 || c.PatternGen.Steps != 10 || c.Train.Iterations != 30 || c.Train.LR != 0.005 || c.Hessian.Every != 10 ||
			r.Experiment != "fig3" || r.Seed != 1 || len(r.Trajectory) != 4 || r.Status.State != results.Finished {
			t.Errorf("run %s: config %+v, %d checkpoints, %+v", r.ID, c, len(r.Trajectory), r.Status)
		}
		if r.SIMD == "" || r.Versions.Go == "" || r.Metric != "mse" {
			t.Errorf("run %s lacks SIMD level, versions or metric", r.ID)
		}
	}
	if len(got) != 4 || len(rules) != 4 {
		t.Errorf("fig3 with 1 seed: %d runs of %d rules, want 4 and 4", len(got), len(rules))
	}

	// The no-argument form is the default experiment; flags still apply.
	o := mustRun(t, dir, nil, "--config", "small.toml", "--seeds", "2", "--out", "def", "--progress", "none")
	for _, want := range []string{"BPTT", "Three-factor", "RF Three-factor", "MDGL", "±", "gap", "λ_max", "default-report.html"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("default experiment summary lacks %q:\n%s", want, o.stdout)
		}
	}
	def, err := loadRuns(filepath.Join(dir, "def"))
	if err != nil {
		t.Fatal(err)
	}
	if len(def) != 8 {
		t.Errorf("default experiment with 2 seeds: %d runs, want 8", len(def))
	}
	for _, r := range def {
		if r.Experiment != "default" || r.Config.Train.Iterations != 40 || r.Config.Model.N != 10 {
			t.Errorf("default run %s: experiment %q, config %+v", r.ID, r.Experiment, r.Config)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "def", "default-report.html")); err != nil {
		t.Error(err)
	}
}

// TestDivergedAndBars checks the diverged status (step and reason in the
// result, skipped on rerun, listed in the report) and the terminal progress
// bars.
func TestDivergedAndBars(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small.toml"), smallRun)
	args := []string{"run", "fig3", "--config", "small.toml", "--seeds", "1", "--set", "train.diverge_loss=1e-12", "--out", "div", "--progress", "bars"}
	o := mustRun(t, dir, nil, args...)
	if !strings.Contains(o.stderr, "\x1b[") || !strings.Contains(o.stderr, "overall [") || !strings.Contains(o.stderr, "ETA") {
		t.Errorf("--progress bars drew no bars:\n%q", o.stderr)
	}
	got, err := loadRuns(filepath.Join(dir, "div"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d runs, want 4", len(got))
	}
	for _, r := range got {
		if r.Status.State != results.Diverged || r.Status.Step != 0 || !strings.Contains(r.Status.Reason, "train.diverge_loss") {
			t.Errorf("run %s: status %+v, want diverged at step 0 naming train.diverge_loss", r.ID, r.Status)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "div", "fig3-report.html"))
	if err != nil || !strings.Contains(string(html), "diverged at 0") {
		t.Errorf("report does not list the diverged runs (%v)", err)
	}
	if o := mustRun(t, dir, nil, append(args[:len(args)-2], "--progress", "lines")...); !strings.Contains(o.stderr, "4 skipped") {
		t.Errorf("diverged runs were not skipped on rerun:\n%s", o.stderr)
	}

	// Progress "auto" on a terminal draws bars. script(1) gives the
	// binary a pseudo-terminal.
	script, err := exec.LookPath("script")
	if err != nil {
		t.Log("script(1) not found; bars on a real terminal not checked")
		return
	}
	cmd := exec.Command(script, "-qec", "'"+binary(t)+"' run fig3 --config small.toml --seeds 1 --out tty --no-report", "/dev/null")
	cmd.Dir, cmd.Env = dir, cleanEnv("TERM=xterm")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\x1b[") || !strings.Contains(string(out), "overall [") {
		t.Errorf("no bars on a terminal (%v):\n%q", err, out)
	}
}

// TestBadInput checks every kind of bad input: one line on stderr starting
// with "hessrnn: ", naming the problem, exit code 2, no stack trace.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	writeFile(t, filepath.Join(dir, "syntax.toml"), "task = \n")
	writeFile(t, filepath.Join(dir, "key.toml"), "[train]\nlrr = 0.1\n")
	writeFile(t, filepath.Join(dir, "range.toml"), "[train]\nlr = -1\n")
	writeFile(t, filepath.Join(dir, "zip.toml"), "[[sweep.zip]]\nseed = [1, 2]\nrule = [\"bptt\"]\n")
	writeFile(t, filepath.Join(dir, "gridkey.toml"), "[sweep.grid]\n\"model.nn\" = [1, 2]\n")
	writeFile(t, filepath.Join(dir, "gridval.toml"), "[sweep.grid]\n\"train.lr\" = [0.01, -3]\n")
	writeFile(t, filepath.Join(dir, "seq.toml"), "task = \"seqmnist\"\n[sweep.grid]\nseed = [1, 2]\n")
	writeFile(t, filepath.Join(dir, "notoml.txt"), "\x00\x01binary")
	writeFile(t, filepath.Join(dir, "empty", "readme.txt"), "no results here")
	writeFile(t, filepath.Join(dir, "notresults", "x.json"), `{"hello": 1}`)
	for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"} {
		writeFile(t, filepath.Join(dir, "baddata", name), "garbage")
	}
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"experiment without run", nil, []string{"fig3"}, `unknown command "fig3" (did you mean "hessrnn run fig3"?)`},
		{"help for unknown command", nil, []string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"run", "fig3", "--frob"}, "flag provided but not defined: -frob"},
		{"unknown flag, default experiment", nil, []string{"--frob"}, "flag provided but not defined: -frob"},
		{"bad flag value", nil, []string{"run", "fig3", "--iters", "many"}, `invalid value "many" for flag -iters`},
		{"missing experiment", nil, []string{"run"}, "run: missing EXPERIMENT"},
		{"unknown experiment", nil, []string{"run", "fig99"}, `unknown experiment "fig99"`},
		{"two experiments", nil, []string{"run", "fig2", "fig3"}, "one EXPERIMENT expected"},
		{"unknown task", nil, []string{"run", "fig3", "--task", "cifar"}, `task = "cifar": allowed values: seqmnist, patterngen, dms`},
		{"--set unknown key", nil, []string{"run", "fig3", "--set", "train.lrr=1"}, `unknown key "train.lrr" (did you mean "train.lr"?)`},
		{"--set bad value", nil, []string{"run", "fig3", "--set", "model.n=big"}, `model.n = "big": not an integer`},
		{"--set out of range", nil, []string{"run", "fig3", "--set", "train.lr=-1"}, "train.lr = -1: allowed range (0, 100]"},
		{"--set without =", nil, []string{"run", "fig3", "--set", "train.lr"}, "want key=value"},
		{"--seeds out of range", nil, []string{"run", "fig3", "--seeds", "-2"}, "--seeds -2: allowed range [1, 10000]"},
		{"--jobs 0", nil, []string{"run", "fig3", "--jobs", "0"}, "--jobs 0: allowed range [1, 1024]"},
		{"--progress", nil, []string{"run", "fig3", "--progress", "fancy"}, `--progress "fancy": allowed values auto, bars, lines, none`},
		{"--shard", nil, []string{"run", "fig3", "--shard", "4/4"}, `--shard "4/4": want i/n with 0 <= i < n`},
		{"Slurm variables", []string{"SLURM_ARRAY_TASK_ID=7", "SLURM_ARRAY_TASK_COUNT=4"}, []string{"run", "fig3"}, "SLURM_ARRAY_TASK_ID=\"7\""},
		{"Slurm variables not numbers", []string{"SLURM_ARRAY_TASK_ID=x", "SLURM_ARRAY_TASK_COUNT=4"}, []string{"sweep", "sweep.toml"}, "SLURM_ARRAY_TASK_ID=\"x\""},
		{"HESSRNN_KERNELS", []string{"HESSRNN_KERNELS=avx9000"}, []string{"version"}, `HESSRNN_KERNELS="avx9000": unknown level`},
		{"HESSRNN_KERNELS on run", []string{"HESSRNN_KERNELS=fast"}, []string{"run", "fig3"}, `HESSRNN_KERNELS="fast"`},
		{"--config missing", nil, []string{"run", "fig3", "--config", "nosuch.toml"}, "nosuch.toml: no such file"},
		{"--config syntax", nil, []string{"run", "fig3", "--config", "syntax.toml"}, "syntax.toml:1:"},
		{"--config unknown key", nil, []string{"run", "fig3", "--config", "key.toml"}, `key.toml: unknown key "train.lrr" (did you mean "train.lr"?)`},
		{"--config out of range", nil, []string{"run", "fig3", "--config", "range.toml"}, "range.toml: train.lr = -1: allowed range (0, 100]"},
		{"--config not TOML", nil, []string{"run", "fig3", "--config", "notoml.txt"}, "notoml.txt"},
		{"--config with a sweep", nil, []string{"run", "fig3", "--config", "sweep.toml"}, `use "hessrnn sweep sweep.toml"`},
		{"seqmnist data missing", nil, []string{"run", "fig3", "--task", "seqmnist", "--set", "seqmnist.data=nodata"}, "no MNIST-format data found in nodata"},
		{"seqmnist --data missing", nil, []string{"run", "fig3", "--task", "seqmnist", "--data", "nodata"}, "no MNIST-format data found in nodata"},
		{"seqmnist data corrupt", nil, []string{"run", "fig3", "--task", "seqmnist", "--set", "seqmnist.data=baddata"}, "seqmnist data in baddata"},
		{"seqmnist data in a sweep", []string{"HESSRNN_DATA=nodata"}, []string{"sweep", "seq.toml"}, "no MNIST-format data found in nodata ($HESSRNN_DATA)"},
		{"sweep without config", nil, []string{"sweep"}, "want exactly one CONFIG.toml, got 0"},
		{"sweep missing config", nil, []string{"sweep", "nosuch.toml"}, "nosuch.toml: no such file"},
		{"sweep zip lengths", nil, []string{"sweep", "zip.toml"}, "zipped lists need equal lengths"},
		{"sweep grid key", nil, []string{"sweep", "gridkey.toml"}, `unknown key "model.nn"`},
		{"sweep grid value", nil, []string{"sweep", "gridval.toml"}, "train.lr = -3: allowed range (0, 100]"},
		{"sweep --set", nil, []string{"sweep", "sweep.toml", "--set", "model.n=1"}, "model.n = 1: allowed range [2, 4096]"},
		{"sweep --set key", nil, []string{"sweep", "sweep.toml", "--set", "modle.n=1"}, `unknown key "modle.n" (did you mean "model.n"?)`},
		{"sweep --jobs", nil, []string{"sweep", "sweep.toml", "--jobs", "-1"}, "--jobs -1"},
		{"sweep --shard", nil, []string{"sweep", "sweep.toml", "--shard", "1/0"}, `--shard "1/0"`},
		{"sweep --slurm", nil, []string{"sweep", "sweep.toml", "--slurm", "-3"}, "--slurm -3: allowed range"},
		{"sweep --slurm-cpus", nil, []string{"sweep", "sweep.toml", "--slurm", "2", "--slurm-cpus", "0"}, "--slurm-cpus 0"},
		{"report without dir", nil, []string{"report"}, "want a results DIR, got no arguments"},
		{"report of two dirs without --out", nil, []string{"report", "empty", "notresults"}, "several DIRs need --out"},
		{"report of a missing second dir", nil, []string{"report", "empty", "nosuch", "--out", "m"}, "nosuch: not a results directory"},
		{"report missing dir", nil, []string{"report", "nosuch"}, "nosuch: not a results directory"},
		{"report of a file", nil, []string{"report", "sweep.toml"}, "sweep.toml: not a results directory"},
		{"report of an empty dir", nil, []string{"report", "empty"}, "empty holds no hessrnn result files"},
		{"report of other JSON", nil, []string{"report", "notresults"}, "notresults holds no hessrnn result files"},
		{"data action", nil, []string{"data", "fetch"}, `data: unknown action "fetch"`},
		{"data check missing", nil, []string{"data", "check", "--dir", "nodata"}, "no MNIST-format data found in nodata"},
		{"data check names its own flag", nil, []string{"data", "check", "--dir", "nodata"}, "(here: --dir DIR)"},
		{"data check corrupt", nil, []string{"data", "check", "--dir", "baddata"}, "bad magic number"},
		{"data check HESSRNN_DATA", []string{"HESSRNN_DATA=nodata"}, []string{"data", "check"}, "no MNIST-format data found in nodata ($HESSRNN_DATA)"},
		{"data download without --dir", nil, []string{"data", "download"}, "--dir is required"},
		{"bench --time", nil, []string{"bench", "--time", "-1s"}, "--time -1s: allowed range"},
		{"bench --only", nil, []string{"bench", "--only", "nothing-like-this"}, `--only "nothing-like-this" matches no benchmark`},
		{"bench argument", nil, []string{"bench", "all"}, `bench: unexpected argument "all"`},
		{"version argument", nil, []string{"version", "--short"}, "flag provided but not defined: -short"},
		{"sensitivity task", nil, []string{"run", "sensitivity", "--task", "seqmnist"}, `run sensitivity: --task "seqmnist" has no reconstructions (allowed: patterngen, dms)`},
		{"select mode", nil, []string{"run", "fig3", "--select", "best"}, `--select "best": allowed values auto, grid, halving, off`},
		{"lr grid", nil, []string{"run", "fig3", "--lr-grid", "0.01,x"}, `--lr-grid "0.01,x": "x" is not a rate in (0, 100]`},
		{"select budget", nil, []string{"run", "fig3", "--select-budget", "2"}, "--select-budget 2: allowed range (0, 1]"},
		{"paper scale", nil, []string{"run", "paper", "--scale", "huge"}, `--scale "huge": allowed values quick, paper`},
		{"paper --slurm-cpus", nil, []string{"run", "paper", "--slurm", "2", "--slurm-cpus", "0"}, "--slurm-cpus 0: allowed range [1, 1024]"},
		{"paper --slurm-time", nil, []string{"run", "paper", "--slurm", "2", "--slurm-time", "soon"}, "--slurm-time:"},
		{"paper --report-only --dry-run", nil, []string{"run", "paper", "--report-only", "--dry-run"}, "--report-only runs nothing; it does not combine with --dry-run"},
		{"paper --report-only missing out", nil, []string{"run", "paper", "--report-only", "--out", "no-such-results"}, "--out no-such-results: not a results directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := hessrnn(t, dir, tc.env, tc.args...)
			if o.code != exitUsage {
				t.Errorf("exit %d, want %d\nstderr: %s", o.code, exitUsage, o.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(o.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "hessrnn: ") {
				t.Errorf("stderr is not one line starting with \"hessrnn: \":\n%s", o.stderr)
			}
			if !strings.Contains(o.stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", o.stderr, tc.want)
			}
			if strings.Contains(o.stderr, "goroutine ") || strings.Contains(o.stderr, "panic") {
				t.Errorf("stack trace:\n%s", o.stderr)
			}
		})
	}
	// Nothing ran: no output directories were created by the failures.
	for _, d := range []string{"hessrnn-out", "sweep-results", filepath.Join("hessrnn-out", "sweep-sweep")} {
		if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
			t.Errorf("a failed command created %s", d)
		}
	}
}

// TestHelp checks that every command has --help with examples, on stdout,
// with exit code 0.
func TestHelp(t *testing.T) {
	dir := t.TempDir()
	cases := [][]string{{"--help"}, {"-h"}, {"help"}}
	for _, c := range commands() {
		cases = append(cases, []string{c.name, "--help"}, []string{"help", c.name})
	}
	for _, args := range cases {
		o := hessrnn(t, dir, nil, args...)
		if o.code != 0 || o.stderr != "" {
			t.Errorf("hessrnn %v: exit %d, stderr %q", args, o.code, o.stderr)
		}
		if !strings.Contains(o.stdout, "Usage") || !strings.Contains(o.stdout, "Examples:\n  hessrnn") {
			t.Errorf("hessrnn %v: help without usage or examples:\n%s", args, o.stdout)
		}
		if strings.Contains(o.stdout, "%!") {
			t.Errorf("hessrnn %v: help text and its arguments do not match:\n%s", args, o.stdout)
		}
	}
	o := mustRun(t, dir, nil, "run", "--help")
	for _, s := range []string{"fig2", "fig12", "table1", "theorem1", "--config", "--set"} {
		if !strings.Contains(o.stdout, s) {
			t.Errorf("run --help lacks %q", s)
		}
	}
}

// TestVersionBenchData covers the small commands.
func TestVersionBenchData(t *testing.T) {
	dir := t.TempDir()
	o := mustRun(t, dir, nil, "version")
	for _, s := range []string{"hessrnn ", runtime.Version(), "SIMD: detected ", "CPU: "} {
		if !strings.Contains(o.stdout, s) {
			t.Errorf("version lacks %q:\n%s", s, o.stdout)
		}
	}
	if o := mustRun(t, dir, []string{"HESSRNN_KERNELS=generic"}, "version"); !strings.Contains(o.stdout, "active generic") {
		t.Errorf("HESSRNN_KERNELS=generic not in effect:\n%s", o.stdout)
	}
	o = mustRun(t, dir, nil, "bench", "--time", "1ms", "--only", "kernels/dot")
	if !strings.Contains(o.stdout, "SIMD detected") || !strings.Contains(o.stdout, "kernels/dot/float32") || strings.Contains(o.stdout, "step/") {
		t.Errorf("bench output:\n%s", o.stdout)
	}
	o = mustRun(t, dir, nil, "bench", "--time", "1ms", "--only", "step/patterngen/bptt")
	if !strings.Contains(o.stdout, "step/patterngen/bptt") {
		t.Errorf("bench output:\n%s", o.stdout)
	}

	// A tiny MNIST-format data set: 3 train and 2 test images of 2x2.
	data := filepath.Join(dir, "mnist")
	idx := func(name string, magic byte, dims []int, n int) {
		var b bytes.Buffer
		b.Write([]byte{0, 0, 8, magic})
		for _, d := range dims {
			b.Write([]byte{byte(d >> 24), byte(d >> 16), byte(d >> 8), byte(d)})
		}
		for i := range n {
			b.WriteByte(byte(i % 10))
		}
		writeFile(t, filepath.Join(data, name), b.String())
	}
	idx("train-images-idx3-ubyte", 3, []int{3, 2, 2}, 12)
	idx("train-labels-idx1-ubyte", 1, []int{3}, 3)
	idx("t10k-images-idx3-ubyte", 3, []int{2, 2, 2}, 8)
	idx("t10k-labels-idx1-ubyte", 1, []int{2}, 2)
	if o := mustRun(t, dir, nil, "data", "--dir", data); strings.TrimSpace(o.stdout) != data {
		t.Errorf("data where: %q", o.stdout)
	}
	if o := mustRun(t, dir, []string{"HESSRNN_DATA=" + data}, "data", "where"); strings.TrimSpace(o.stdout) != data {
		t.Errorf("data where with HESSRNN_DATA: %q", o.stdout)
	}
	o = mustRun(t, dir, nil, "data", "check", "--dir", data)
	if !strings.Contains(o.stdout, "train: 3 images") || !strings.Contains(o.stdout, "test:  2 images") {
		t.Errorf("data check: %q", o.stdout)
	}

	// A mirror that serves wrong bytes: the download fails with one line
	// naming the file and the mirror, exit code 1, and leaves no file.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/mnist/") {
			w.Write([]byte("not the MNIST file"))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	dl := filepath.Join(dir, "dl")
	o = hessrnn(t, dir, nil, "data", "download", "--dir", dl, "--mirror", srv.URL+"/missing/", "--mirror", srv.URL+"/mnist/")
	if o.code != exitFailure || strings.Count(o.stderr, "\n") != 1 || !strings.Contains(o.stderr, "train-images-idx3-ubyte.gz: no mirror gave a valid copy") ||
		!strings.Contains(o.stderr, srv.URL+"/missing/train-images-idx3-ubyte.gz") || !strings.Contains(o.stderr, srv.URL+"/mnist/train-images-idx3-ubyte.gz") {
		t.Errorf("download from a bad mirror: exit %d\n%s", o.code, o.stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(dl, "*")); len(m) != 0 {
		t.Errorf("failed download left files: %v", m)
	}
	o = hessrnn(t, dir, nil, "data", "download", "--dir", dl, "--mirror", "ftp://example.org/")
	if o.code != exitUsage || !strings.Contains(o.stderr, `--mirror "ftp://example.org/": want an http:// or https:// base URL`) {
		t.Errorf("bad --mirror: exit %d\n%s", o.code, o.stderr)
	}
}

// TestExamples checks that every example configuration parses and expands.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("examples/*.toml")
	if len(files) == 0 {
		t.Fatal("no example configurations")
	}
	dir := t.TempDir()
	for _, f := range files {
		abs, _ := filepath.Abs(f)
		o := mustRun(t, dir, nil, "sweep", abs, "--dry-run", "--out", "x")
		if !strings.Contains(o.stdout, "runs in this shard (0/1)") {
			t.Errorf("%s: %s", f, o.stdout)
		}
	}
}

// TestRunInProcess exercises run() directly: exit codes without a
// process, and the interrupted path with a cancelled context.
func TestRunInProcess(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	var so, se bytes.Buffer
	if code := run(context.Background(), []string{"run", "fig99"}, &so, &se); code != exitUsage {
		t.Errorf("exit %d", code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	se.Reset()
	code := run(ctx, []string{"sweep", filepath.Join(dir, "sweep.toml"), "--out", filepath.Join(dir, "out"), "--progress", "none"}, &so, &se)
	if code != exitInterrupted || !strings.Contains(se.String(), "interrupted: 0 runs finished") {
		t.Errorf("cancelled sweep: exit %d, %q", code, se.String())
	}
}

// TestSweepDefaultOut checks that a sweep without --out writes where run
// does, under hessrnn-out/ (hessrnn-out/sweep-<config name>), and nothing
// in the old <config>-results/.
func TestSweepDefaultOut(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	mustRun(t, dir, nil, "sweep", "sweep.toml", "--progress", "none", "--no-report")
	files, err := filepath.Glob(filepath.Join(dir, "hessrnn-out", "sweep-sweep", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no results in hessrnn-out/sweep-sweep: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep-results")); err == nil {
		t.Errorf("sweep wrote sweep-results/ in the working directory")
	}
}

// TestShowConfig checks that --show-config and --list-keys with an
// experiment print the experiment's effective settings (the default
// experiment's own base, flags on top), and --list-keys without one the
// global defaults; nothing runs.
func TestShowConfig(t *testing.T) {
	dir := t.TempDir()
	field := func(out, key string) string {
		for _, line := range strings.Split(out, "\n") {
			line, _, _ = strings.Cut(line, " # ") // --list-keys: the default's source
			if f := strings.Fields(line); len(f) >= 3 && f[0] == key {
				return strings.Join(f[2:], " ")
			}
		}
		return ""
	}
	tests := []struct {
		args []string
		want map[string]string
	}{
		{[]string{"run", "default", "--show-config"}, map[string]string{
			"train.lr": "0.01", "model.l2": "0.01", "patterngen.n_in": "100", "train.iterations": "3000", "train.stop": "plateau",
			"model.rec_scale": "1", "hessian.every": "150", "model.precision": "float64", "rule": "(per variant)", "seed": "1..5"}},
		{[]string{"--show-config", "--lr", "0.02"}, map[string]string{"train.lr": "0.02", "patterngen.n_in": "100"}},
		{[]string{"run", "default", "--list-keys"}, map[string]string{"train.lr": "0.01", "train.iterations": "3000"}},
		{[]string{"run", "fig5", "--show-config", "--seeds", "2"}, map[string]string{"train.lr": "(per variant)", "seed": "1..2"}},
		{[]string{"run", "--list-keys"}, map[string]string{"train.lr": "0.01", "model.l2": "0.01", "patterngen.n_in": "100", "rule": "bptt"}},
	}
	for _, tc := range tests {
		o := mustRun(t, dir, nil, tc.args...)
		for k, want := range tc.want {
			if got := field(o.stdout, k); got != want {
				t.Errorf("%v: %s = %q, want %q", tc.args, k, got, want)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "hessrnn-out")); err == nil {
		t.Errorf("--show-config created hessrnn-out")
	}
}

// TestPaperDryRun checks that "run paper --dry-run" counts the runs of
// both scales without running anything (the quick scale itself runs in
// experiment.TestRunPaper at a test size).
func TestPaperDryRun(t *testing.T) {
	dir := t.TempDir()
	for _, scale := range []string{"quick", "paper"} {
		o := mustRun(t, dir, nil, "run", "paper", "--scale", scale, "--dry-run")
		for _, want := range []string{"seqmnist", "patterngen", "dms", "selection runs", "scale " + scale} {
			if !strings.Contains(o.stdout, want) {
				t.Errorf("--scale %s --dry-run: stdout lacks %q:\n%s", scale, want, o.stdout)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "hessrnn-out")); err == nil {
		t.Error("--dry-run created hessrnn-out")
	}
}

// TestPaperReportOnly checks that "run paper --report-only" on a folder
// without results runs nothing and writes a REPRODUCTION.md that lists
// every item as not yet run (the report from real results is covered by
// experiment.TestRunPaper).
func TestPaperReportOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "res"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := mustRun(t, dir, nil, "run", "paper", "--scale", "paper", "--report-only", "--out", "res")
	if !strings.Contains(o.stdout, "report only: no runs computed") || !strings.Contains(o.stdout, "not yet run") {
		t.Errorf("stdout:\n%s", o.stdout)
	}
	md, err := os.ReadFile(filepath.Join(dir, "res", "REPRODUCTION.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**Partial: 0 of 39 items done**", "## Not yet run (39 of 39 items)", "| fig2 | Delayed match-to-sample | no results in res/dms yet |",
		"### C1 (Fig. 2–3): not yet run", "- Command: `hessrnn run fig2 --task dms --seeds 10 --out res/dms`"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("REPRODUCTION.md lacks %q", want)
		}
	}
	ents, err := os.ReadDir(filepath.Join(dir, "res"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "REPRODUCTION.md" && e.Name() != "figures" {
			t.Errorf("--report-only wrote %s", e.Name())
		}
	}
}

// TestReportPerExperiment runs theorem1 in a folder made by fig2 (theorem1
// reuses fig2's runs): its printed analysis and report are Theorem 1's, in
// its own files beside fig2's, and "hessrnn report" on the folder writes
// both experiments' reports, each with its own parts.
func TestReportPerExperiment(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "small.toml"), smallRun)
	base := []string{"--config", "small.toml", "--seeds", "3", "--out", "res", "--progress", "none"}
	mustRun(t, dir, nil, append([]string{"run", "fig2"}, base...)...)
	o := mustRun(t, dir, nil, append([]string{"run", "theorem1"}, base...)...)
	if !strings.Contains(o.stdout, "Theorem 1 BPTT") || strings.Contains(o.stdout, "within") || !strings.Contains(o.stdout, "theorem1-report.html") {
		t.Errorf("theorem1 in fig2's folder printed:\n%s", o.stdout)
	}
	if !strings.Contains(o.stderr, "12 runs: 0 finished, 0 diverged, 0 failed, 12 skipped") {
		t.Errorf("theorem1 counts:\n%s", o.stderr)
	}
	mustRun(t, dir, nil, "report", "res", "--out", "again")
	for _, c := range []struct {
		dir, name string
		has, lack string
	}{
		{"res", "fig2", "within each rule", "Theorem 1:"},
		{"res", "theorem1", "Theorem 1:", "within each rule"},
		{"again", "fig2", "within each rule", "Theorem 1:"},
		{"again", "theorem1", "Theorem 1:", "within each rule"},
	} {
		html, _, _ := experiment.ReportFiles(filepath.Join(dir, c.dir), c.name)
		b, err := os.ReadFile(html)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), c.has) || strings.Contains(string(b), c.lack) {
			t.Errorf("%s: has %q %v (want true), has %q %v (want false)", html, c.has, strings.Contains(string(b), c.has), c.lack, strings.Contains(string(b), c.lack))
		}
	}
}
