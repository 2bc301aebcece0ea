package main

import (
	"bytes"
	"context"
	idxbin "encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

// mountTmpfs mounts a tmpfs with the given flags and data (e.g. "size=64k")
// on a new temporary directory, unmounted at the end of the test. It skips
// the test where mounting is not permitted (not root, no CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, flags uintptr, data string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, data); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): run as root, or in a container with CAP_SYS_ADMIN, to test this", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fillUp writes to a file in dir until the file system is full.
func fillUp(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return
		}
	}
}

// entries lists the names in dir except those in keep.
func entries(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range es {
		if !slices.Contains(keep, e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestOutputCheckedBeforeWork (issue 11 §2): a file where the output
// directory should be, a read-only directory and a full file system are
// each one usage error naming the path, before any run is computed, and
// nothing is left behind.
func TestOutputCheckedBeforeWork(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the --out path and the directory that must stay
		// as it was (with the entries allowed in it).
		setup func(t *testing.T) (out, watch string, keep []string)
		want  string
	}{
		{"file as --out", func(t *testing.T) (string, string, []string) {
			d := t.TempDir()
			writeFile(t, filepath.Join(d, "res"), "not a directory")
			return filepath.Join(d, "res"), d, []string{"res"}
		}, "cannot create it"},
		{"file as a parent of --out", func(t *testing.T) (string, string, []string) {
			d := t.TempDir()
			writeFile(t, filepath.Join(d, "res"), "not a directory")
			return filepath.Join(d, "res", "sub"), d, []string{"res"}
		}, "cannot create it"},
		{"read-only directory", func(t *testing.T) (string, string, []string) {
			d := mountTmpfs(t, syscall.MS_RDONLY, "size=1m")
			return d, d, nil
		}, "not writable"},
		{"read-only parent", func(t *testing.T) (string, string, []string) {
			d := mountTmpfs(t, syscall.MS_RDONLY, "size=1m")
			return filepath.Join(d, "res"), d, nil
		}, "cannot create it"},
		{"full file system", func(t *testing.T) (string, string, []string) {
			d := mountTmpfs(t, 0, "size=64k")
			fillUp(t, d)
			return filepath.Join(d, "res"), filepath.Join(d, "res"), nil
		}, "no space left"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
			writeFile(t, filepath.Join(dir, "small.toml"), smallRun)
			out, watch, keep := tc.setup(t)
			for _, args := range [][]string{
				{"sweep", "sweep.toml", "--out", out, "--progress", "lines"},
				{"run", "fig3", "--config", "small.toml", "--seeds", "1", "--out", out, "--progress", "lines"},
			} {
				start := time.Now()
				o := hessrnn(t, dir, nil, args...)
				took := time.Since(start)
				lines := strings.Split(strings.TrimSpace(o.stderr), "\n")
				if o.code != exitUsage || len(lines) != 1 || !strings.Contains(o.stderr, out) || !strings.Contains(o.stderr, tc.want) {
					t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line naming %s (%q)", args[0], o.code, o.stderr, out, tc.want)
				}
				if strings.Contains(o.stderr, "[1/") || o.stdout != "" {
					t.Errorf("%s: work started before the output was checked:\n%s%s", args[0], o.stdout, o.stderr)
				}
				if took > 5*time.Second {
					t.Errorf("%s: took %v to fail", args[0], took)
				}
				if left := entries(t, watch, append(keep, "filler")...); len(left) > 0 {
					t.Errorf("%s: left %v in %s", args[0], left, watch)
				}
			}
		})
	}
}

// TestSlurmScriptReproducesSweep (issue 11 §3): the array script's command
// line is the user's sweep. The script is run by bash with a stand-in
// binary that adds --dry-run, and the run IDs it lists must equal those of
// the user's own --dry-run; every setting-changing flag appears in the
// script, and the paths survive a space.
func TestSlurmScriptReproducesSweep(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found; cannot execute the sbatch script")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	argsLog := filepath.Join(dir, "args.log")
	wrapper := filepath.Join(dir, "bin dir", "hessrnn")
	writeFile(t, wrapper, fmt.Sprintf("#!/bin/bash\nprintf '%%s\\n' \"$@\" > %s\nexec %s \"$@\" --dry-run\n", shellJoin([]string{argsLog}), shellJoin([]string{binary(t)})))
	if err := os.Chmod(wrapper, 0o755); err != nil {
		t.Fatal(err)
	}
	user := []string{"--set", "train.iterations=30", "--set", "hessian.every=10", "--set", "rule=mdgl"}
	want := dryRunIDs(t, dir, nil, user...)
	plain := dryRunIDs(t, dir, nil)
	if len(want) != 4 || slices.Equal(want, plain) {
		t.Fatalf("the --set sweep lists %v, the plain one %v; want 4 different IDs", want, plain)
	}
	out := "res dir"
	args := append([]string{"sweep", "sweep.toml", "--slurm", "2", "--slurm-binary", wrapper, "--save-weights", "--force", "--no-report",
		"--out", out, "--slurm-time", "1-00:00", "--slurm-mem", "2G"}, user...)
	mustRun(t, dir, nil, args...)
	script := filepath.Join(dir, out, "sweep.sbatch")
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), fmt.Sprintf("#SBATCH --output=%q\n", filepath.Join(dir, out, "logs", "hessrnn-%A_%a.log"))) {
		t.Errorf("the log path is not quoted:\n%s", b)
	}
	cmd := exec.Command(bash, script)
	cmd.Dir = t.TempDir()
	cmd.Env = cleanEnv("SLURM_CPUS_PER_TASK=1")
	so, err := cmd.Output()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, so)
	}
	var got []string
	for _, line := range strings.Split(string(so), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			got = append(got, f[0])
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the script's sweep lists %v, the user's %v", got, want)
	}
	logged, err := os.ReadFile(argsLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--save-weights=true", "--force=true", "--no-report=true", "--set=train.iterations=30", "--set=rule=mdgl",
		"--out", filepath.Join(dir, out)} {
		if !slices.Contains(strings.Split(string(logged), "\n"), flag) {
			t.Errorf("the script's command line lacks %q:\n%s", flag, logged)
		}
	}
}

// TestSlurmScriptReproducesPaper is TestSlurmScriptReproducesSweep for
// "run paper --slurm": the script (binary and output folder with a space in
// their paths, the data folder relative) runs, in the submission folder,
// the user's "run paper" with every flag set: with --dry-run it counts the
// same runs as the user's command.
func TestSlurmScriptReproducesPaper(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found; cannot execute the sbatch script")
	}
	dir := t.TempDir()
	argsLog := filepath.Join(dir, "args.log")
	wrapper := filepath.Join(dir, "bin dir", "hessrnn")
	writeFile(t, wrapper, fmt.Sprintf("#!/bin/bash\nprintf '%%s\\n' \"$@\" > %s\nexec %s \"$@\" --dry-run\n", shellJoin([]string{argsLog}), shellJoin([]string{binary(t)})))
	if err := os.Chmod(wrapper, 0o755); err != nil {
		t.Fatal(err)
	}
	user := []string{"--scale", "paper", "--data", "data dir", "--force"}
	want := mustRun(t, dir, nil, append([]string{"run", "paper", "--dry-run"}, user...)...).stdout
	if quick := mustRun(t, dir, nil, "run", "paper", "--dry-run").stdout; want == quick {
		t.Fatalf("--scale paper and quick count the same runs:\n%s", want)
	}
	out := "res dir"
	mustRun(t, dir, nil, append([]string{"run", "paper", "--slurm", "3", "--slurm-binary", wrapper, "--out", out, "--slurm-time", "1-00:00", "--slurm-mem", "2G"}, user...)...)
	script := filepath.Join(dir, out, "paper.sbatch")
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{fmt.Sprintf("#SBATCH --output=%q\n", filepath.Join(dir, out, "logs", "hessrnn-paper-%A_%a.log")),
		"cd " + shellJoin([]string{dir}) + "\n", shellJoin([]string{wrapper}) + " run paper --out " + shellJoin([]string{filepath.Join(dir, out)})} {
		if !strings.Contains(string(b), line) {
			t.Errorf("the script lacks %q (paths quoted):\n%s", line, b)
		}
	}
	cmd := exec.Command(bash, script)
	cmd.Dir = t.TempDir()
	cmd.Env = cleanEnv("SLURM_CPUS_PER_TASK=1")
	so, err := cmd.Output()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, so)
	}
	if string(so) != want {
		t.Errorf("the script's run paper counts\n%s\nthe user's\n%s", so, want)
	}
	logged, err := os.ReadFile(argsLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--scale=paper", "--data=data dir", "--force=true", "--out", filepath.Join(dir, out)} {
		if !slices.Contains(strings.Split(string(logged), "\n"), flag) {
			t.Errorf("the script's command line lacks %q:\n%s", flag, logged)
		}
	}
}

// TestSlurmOptionsChecked: bad --slurm-time, --slurm-mem and --slurm 0 are
// usage errors when the script is written, not at submission.
func TestSlurmOptionsChecked(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--slurm", "2", "--slurm-time", "abc"}, "--slurm-time"},
		{[]string{"--slurm", "2", "--slurm-time", "1:75"}, "--slurm-time"},
		{[]string{"--slurm", "2", "--slurm-mem", "lots"}, "--slurm-mem"},
		{[]string{"--slurm", "2", "--slurm-mem", "4GB"}, "--slurm-mem"},
		{[]string{"--slurm", "0"}, "--slurm 0: allowed range [1, 100000]"},
		{[]string{"--slurm", "2", "--shard", "0/2"}, "--shard and --slurm"},
	}
	for _, tc := range tests {
		o := hessrnn(t, dir, nil, append([]string{"sweep", "sweep.toml", "--out", "res"}, tc.args...)...)
		if o.code != exitUsage || !strings.Contains(o.stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 with %q", tc.args, o.code, o.stderr, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "res", "sweep.sbatch")); err == nil {
			t.Errorf("%v: wrote a script", tc.args)
		}
	}
}

// TestRealSlurm (issue 11 §3) submits a sweep's array script to a real
// Slurm cluster with sbatch, waits for the array and checks that its
// results equal a local sweep's with the same flags. It needs a running
// cluster: .ci/slurm starts a single-node one (slurmctld and slurmd on
// this machine) and sets HESSRNN_SLURM=1 and SLURM_CONF; without them the
// test skips.
func TestRealSlurm(t *testing.T) {
	if os.Getenv("HESSRNN_SLURM") != "1" {
		t.Skip("no Slurm cluster: run this test through .ci/slurm (a single-node cluster of slurm-wlm's daemons)")
	}
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		t.Fatalf("HESSRNN_SLURM=1 but no sbatch: %v", err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	flags := []string{"--set", "train.iterations=400", "--set", "hessian.every=100", "--save-weights"}
	mustRun(t, dir, nil, append([]string{"sweep", "sweep.toml", "--out", "local", "--progress", "none", "--no-report", "--jobs", "2"}, flags...)...)
	local, err := loadRuns(filepath.Join(dir, "local"))
	if err != nil || len(local) != 4 {
		t.Fatalf("local sweep: %d runs (%v)", len(local), err)
	}
	out := filepath.Join(dir, "slurm res")
	mustRun(t, dir, nil, append([]string{"sweep", "sweep.toml", "--out", "slurm res", "--slurm", "2", "--slurm-cpus", "1",
		"--slurm-time", "10", "--slurm-binary", binary(t)}, flags...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sbatch, "--wait", filepath.Join(out, "sweep.sbatch"))
	cmd.Dir = t.TempDir()
	cmd.Env = cleanEnv("SLURM_CONF=" + os.Getenv("SLURM_CONF"))
	so, err := cmd.CombinedOutput()
	logs, _ := filepath.Glob(filepath.Join(out, "logs", "*.log"))
	var logText strings.Builder
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		fmt.Fprintf(&logText, "== %s\n%s", filepath.Base(l), b)
	}
	if err != nil {
		t.Fatalf("sbatch --wait: %v\n%s\n%s", err, so, logText.String())
	}
	if len(logs) != 2 {
		t.Errorf("%d array-task logs, want 2:\n%s", len(logs), logText.String())
	}
	sameAsReference(t, out, local)
	for id := range local {
		if _, err := os.Stat(filepath.Join(out, "weights", id)); err != nil {
			t.Errorf("--save-weights was not carried to the cluster: %v", err)
		}
	}
	mustRun(t, dir, nil, "report", "slurm res")
}

// TestZeroIsNotDefault (issue 11 §4): a 0 (or "") that is given is out of
// range like -1, not silently "the default" that leaving it out means.
func TestZeroIsNotDefault(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	writeFile(t, filepath.Join(dir, "zero.toml"), "task = \"patterngen\"\n[hessian]\nevery = 0\n")
	writeFile(t, filepath.Join(dir, "zerogrid.toml"), "task = \"patterngen\"\n[sweep.grid]\n\"train.iterations\" = [0, 10]\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "fig3", "--lr", "0"}, "--lr 0: allowed range (0, 100]"},
		{[]string{"run", "fig3", "--lr", "-1"}, "--lr -1: allowed range (0, 100]"},
		{[]string{"run", "fig3", "--iters", "0"}, "--iters 0: allowed range [1, "},
		{[]string{"run", "fig3", "--seeds", "0"}, "--seeds 0: allowed range [1, 10000]"},
		{[]string{"run", "fig3", "--every", "0"}, "--every 0: allowed range [1, "},
		{[]string{"run", "fig3", "--task", ""}, "--task \"\": allowed values"},
		{[]string{"run", "fig3", "--data", ""}, "--data \"\""},
		{[]string{"--iters", "0"}, "--iters 0: allowed range [1, "},
		{[]string{"run", "fig3", "--set", "train.iterations=0"}, "train.iterations = 0: allowed range [1, "},
		{[]string{"run", "fig3", "--set", "model.n=0"}, "model.n = 0: allowed range [2, 4096]"},
		{[]string{"run", "fig3", "--config", "zero.toml"}, "hessian.every = 0: allowed range [1, "},
		{[]string{"sweep", "sweep.toml", "--set", "hessian.every=0"}, "hessian.every = 0: allowed range [1, "},
		{[]string{"sweep", "zerogrid.toml"}, "train.iterations = 0: allowed range [1, "},
		{[]string{"sweep", "sweep.toml", "--slurm", "0"}, "--slurm 0: allowed range [1, 100000]"},
	}
	for _, tc := range tests {
		o := hessrnn(t, dir, nil, append(tc.args, "--out", "res", "--progress", "none")...)
		if o.code != exitUsage || !strings.Contains(o.stderr, tc.want) || strings.Count(strings.TrimSpace(o.stderr), "\n") != 0 {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 with %q", tc.args, o.code, o.stderr, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "res")); err == nil {
		t.Error("a rejected command created the output directory")
	}
}

// TestSweepSIGTERM (issue 11 §4): SIGTERM, what Slurm and timeout send,
// stops cleanly with exit code 143 (not Ctrl-C's 130) and a message that
// does not speak of Ctrl-C; the finished runs are saved.
func TestSweepSIGTERM(t *testing.T) {
	_, ref := referenceRuns(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	code, stderr, files := startAndStopAfterFirstRun(t, dir, "res", syscall.SIGTERM)
	if code != 143 {
		t.Errorf("exit %d after SIGTERM, want 143\n%s", code, stderr)
	}
	if strings.Contains(stderr, "Ctrl-C") || !strings.Contains(stderr, "SIGTERM") || !strings.Contains(stderr, "hessrnn: interrupted: ") {
		t.Errorf("SIGTERM message:\n%s", stderr)
	}
	for _, f := range files {
		r, err := results.Read(f)
		if err != nil || !results.SameOutcome(r, ref[r.ID]) {
			t.Errorf("result %s after SIGTERM: %v", filepath.Base(f), err)
		}
	}
}

// TestTwoSweepsOneOut (issue 11 §4): two commands writing to the same
// --out at once compute each run once between them (a lock per run), and
// together leave the uninterrupted sweep's results and no lock files.
func TestTwoSweepsOneOut(t *testing.T) {
	_, ref := referenceRuns(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), tinySweep)
	var cmds []*exec.Cmd
	var errs []*strings.Builder
	for range 2 {
		cmd := exec.Command(binary(t), "sweep", "sweep.toml", "--out", "res", "--jobs", "1", "--progress", "lines", "--no-report")
		cmd.Dir, cmd.Env = dir, cleanEnv()
		var se strings.Builder
		cmd.Stderr = &se
		cmds, errs = append(cmds, cmd), append(errs, &se)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("sweep %d: %v\n%s", i, err, errs[i])
		}
	}
	computed := 0
	for _, se := range errs {
		computed += strings.Count(se.String(), ": finished: ")
	}
	if computed != 4 {
		t.Errorf("the two sweeps computed %d runs between them, want 4 (each once):\n%s\n%s", computed, errs[0], errs[1])
	}
	sameAsReference(t, filepath.Join(dir, "res"), ref)
	if locks, _ := filepath.Glob(filepath.Join(dir, "res", ".*.lock")); len(locks) > 0 {
		t.Errorf("lock files left: %v", locks)
	}
}

// writeIDX writes an MNIST-format image/label pair (prefix "train" or
// "t10k") of n images of rows×cols to dir; seed varies the pixels.
func writeIDX(t *testing.T, dir, prefix string, n, rows, cols int, seed byte) {
	t.Helper()
	var im, lb bytes.Buffer
	idxbin.Write(&im, idxbin.BigEndian, []uint32{0x803, uint32(n), uint32(rows), uint32(cols)})
	for i := range n * rows * cols {
		im.WriteByte(byte(i*7+i/97) + seed)
	}
	idxbin.Write(&lb, idxbin.BigEndian, []uint32{0x801, uint32(n)})
	for i := range n {
		lb.WriteByte(byte(i % 10))
	}
	writeFile(t, filepath.Join(dir, prefix+"-images-idx3-ubyte"), im.String())
	writeFile(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte"), lb.String())
}

// tinySeq is a sequential-MNIST sweep small enough for synthetic data.
const tinySeq = `
task = "seqmnist"
[model]
n = 8
[train]
iterations = 4
batch_size = 16
[hessian]
every = 2
max_iter = 5
[seqmnist]
hessian_batch = 8
dataset = "other"
[sweep.grid]
seed = [1, 2]
`

// TestDataInRunID (issue 11 §4): a seqmnist run's ID covers its data (the
// files' SHA-256, wherever they are stored) and the input size; the result
// and the report record where the data came from and which data set it
// is; data that is not MNIST is refused unless asked for.
func TestDataInRunID(t *testing.T) {
	dir := t.TempDir()
	env := []string{"XDG_CACHE_HOME=" + filepath.Join(dir, "cache")}
	writeFile(t, filepath.Join(dir, "seq.toml"), tinySeq)
	for name, d := range map[string]struct {
		rows, cols int
		seed       byte
	}{"a": {28, 28, 1}, "acopy": {28, 28, 1}, "b": {28, 28, 2}, "wide": {14, 56, 1}} {
		writeIDX(t, filepath.Join(dir, name), "train", 120, d.rows, d.cols, d.seed)
		writeIDX(t, filepath.Join(dir, name), "t10k", 40, d.rows, d.cols, d.seed+50)
	}
	ids := map[string][]string{}
	for _, d := range []string{"a", "acopy", "b", "wide"} {
		o := mustRun(t, dir, env, "sweep", "seq.toml", "--dry-run", "--set", "seqmnist.data="+d)
		for _, line := range strings.Split(o.stdout, "\n") {
			if f := strings.Split(line, "\t"); len(f) == 3 {
				ids[d] = append(ids[d], f[0])
			}
		}
		if len(ids[d]) != 2 {
			t.Fatalf("data %s: %d runs listed:\n%s", d, len(ids[d]), o.stdout)
		}
	}
	if !slices.Equal(ids["a"], ids["acopy"]) {
		t.Errorf("the same data in two directories has different IDs: %v, %v", ids["a"], ids["acopy"])
	}
	for _, d := range []string{"b", "wide"} {
		for i := range ids["a"] {
			if ids[d][i] == ids["a"][i] {
				t.Errorf("data %s has the ID of data a: %s", d, ids["a"][i])
			}
		}
	}

	// Data that is not MNIST is refused when MNIST is asked for.
	o := hessrnn(t, dir, env, "sweep", "seq.toml", "--dry-run", "--set", "seqmnist.data=a", "--set", "seqmnist.dataset=mnist")
	if o.code != exitUsage || !strings.Contains(o.stderr, "not MNIST") || !strings.Contains(o.stderr, "hessrnn data download") || !strings.Contains(o.stderr, "HESSRNN_DATA") {
		t.Errorf("unrecognised data as MNIST: exit %d, %q", o.code, o.stderr)
	}

	// Rerunning on other data into the same --out computes the new runs.
	o = mustRun(t, dir, env, "sweep", "seq.toml", "--set", "seqmnist.data=a", "--out", "res", "--progress", "lines")
	absA, _ := filepath.Abs(filepath.Join(dir, "a"))
	if !strings.Contains(o.stderr, "unrecognised MNIST-format data in "+absA) {
		t.Errorf("the header line does not name the data:\n%s", o.stderr)
	}
	o = mustRun(t, dir, env, "sweep", "seq.toml", "--set", "seqmnist.data=b", "--out", "res", "--progress", "lines")
	if !strings.Contains(o.stderr, "0 skipped") || !strings.Contains(o.stderr, "2 finished") {
		t.Errorf("the sweep on other data reused results:\n%s", o.stderr)
	}
	runs, err := loadRuns(filepath.Join(dir, "res"))
	if err != nil || len(runs) != 4 {
		t.Fatalf("%d results (%v), want 4", len(runs), err)
	}
	for id, r := range runs {
		if r.Data == nil || len(r.Data.Files) != 4 || r.Data.Dataset != "" || !strings.HasSuffix(r.Data.Dir, string(filepath.Separator)+"a") && !strings.HasSuffix(r.Data.Dir, string(filepath.Separator)+"b") {
			t.Errorf("%s: data recorded as %+v", id, r.Data)
		}
		if r.SIMD == "" {
			t.Errorf("%s: no SIMD level recorded", id)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "res", "sweep-report.html"))
	if err != nil {
		t.Fatal(err)
	}
	absB, _ := filepath.Abs(filepath.Join(dir, "b"))
	if !strings.Contains(string(html), "Sequential MNIST-format data (unrecognised MNIST-format data)") || !strings.Contains(string(html), absB) {
		t.Error("the report does not label the task by the data used or name the data")
	}

	// Fashion-MNIST where MNIST was expected (Debian's package in the
	// default directory, no --data): refused, unless asked for.
	if _, err := os.Stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"); err != nil {
		t.Logf("Debian's dataset-fashion-mnist is not installed: the Fashion-MNIST fallback is not exercised")
		return
	}
	writeFile(t, filepath.Join(dir, "fashion.toml"), strings.Replace(tinySeq, "dataset = \"other\"\n", "", 1))
	o = hessrnn(t, dir, env, "sweep", "fashion.toml", "--dry-run")
	if o.code != exitUsage || !strings.Contains(o.stderr, "is Fashion-MNIST, not MNIST") || !strings.Contains(o.stderr, "seqmnist.dataset=fashion") {
		t.Errorf("silent fallback to Fashion-MNIST: exit %d, %q", o.code, o.stderr)
	}
	o = hessrnn(t, dir, env, "run", "fig3", "--task", "seqmnist", "--out", "fig3")
	if o.code != exitUsage || !strings.Contains(o.stderr, "is Fashion-MNIST, not MNIST") {
		t.Errorf("run on Fashion-MNIST: exit %d, %q", o.code, o.stderr)
	}
	mustRun(t, dir, env, "sweep", "fashion.toml", "--dry-run", "--set", "seqmnist.dataset=fashion")
}

// TestDiskFullDuringSweep (issue 11 §2): a file system with room for the
// probe and one result (a 64 KiB tmpfs with 16 KiB free; a result takes
// two 4 KiB pages, its lock one) fills up at the second result: the sweep
// stops there (no third run starts), counts that run as failed, not
// finished, and exits 1.
func TestDiskFullDuringSweep(t *testing.T) {
	mnt := mountTmpfs(t, 0, "size=64k")
	writeFile(t, filepath.Join(mnt, "filler"), strings.Repeat("x", 48<<10))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sweep.toml"), strings.Replace(tinySweep, "seed = [1, 2]", "seed = [1, 2, 3]", 1))
	o := hessrnn(t, dir, nil, "sweep", "sweep.toml", "--out", filepath.Join(mnt, "res"), "--jobs", "1", "--progress", "lines")
	if o.code != exitFailure || !strings.Contains(o.stderr, "no space left") || !strings.Contains(o.stderr, "stopped the sweep") {
		t.Fatalf("exit %d, want 1 with the write error:\n%s", o.code, o.stderr)
	}
	if !strings.Contains(o.stderr, "6 runs: 1 finished, 0 diverged, 1 failed") || !strings.Contains(o.stderr, "failed: result not saved") {
		t.Errorf("the unsaved run is not counted as failed:\n%s", o.stderr)
	}
	if strings.Contains(o.stderr, "[3/6]") {
		t.Errorf("runs went on after the first failed write:\n%s", o.stderr)
	}
	if left := entries(t, filepath.Join(mnt, "res")); len(left) != 1 || !strings.HasSuffix(left[0], ".json") || strings.HasPrefix(left[0], ".") {
		t.Errorf("left in the output directory: %v (want the one saved result)", left)
	}
}
