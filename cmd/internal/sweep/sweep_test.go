package sweep

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

func spec(grid map[string][]any, zip ...map[string][]any) config.SweepSpec {
	return config.SweepSpec{Grid: grid, Zip: zip}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		name string
		spec config.SweepSpec
		want int
	}{
		{"empty", spec(nil), 1},
		{"grid", spec(map[string][]any{"rule": {"bptt", "three-factor"}, "seed": {int64(1), int64(2), int64(3)}}), 6},
		{"zip", spec(nil, map[string][]any{"train.lr": {0.01, 0.03}, "train.schedule": {"constant", "step"}}), 2},
		{"grid x zip", spec(map[string][]any{"seed": {int64(1), int64(2)}}, map[string][]any{"train.lr": {0.01, 0.03}}), 4},
		{"two zips", spec(nil, map[string][]any{"seed": {int64(1), int64(2)}}, map[string][]any{"train.lr": {0.01, 0.03, 0.1}}), 6},
		{"duplicates collapse", spec(map[string][]any{"seed": {int64(1), int64(1)}}), 1},
	}
	for _, tc := range tests {
		runs, err := Expand(config.Default(), tc.spec)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(runs) != tc.want {
			t.Errorf("%s: %d runs, want %d", tc.name, len(runs), tc.want)
		}
		ids := map[string]bool{}
		for _, r := range runs {
			if ids[r.ID()] {
				t.Errorf("%s: duplicate ID", tc.name)
			}
			ids[r.ID()] = true
		}
	}
}

func TestExpandOrderAndValues(t *testing.T) {
	runs, err := Expand(config.Default(), spec(map[string][]any{"rule": {"bptt", "mdgl"}, "seed": {int64(1), int64(2)}},
		map[string][]any{"train.lr": {0.01, 0.03}, "train.schedule": {"constant", "step"}}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s/%d/%g/%s", r.Rule, r.Seed, r.Train.LR, r.Train.Schedule))
	}
	want := []string{
		"bptt/1/0.01/constant", "bptt/1/0.03/step", "bptt/2/0.01/constant", "bptt/2/0.03/step",
		"mdgl/1/0.01/constant", "mdgl/1/0.03/step", "mdgl/2/0.01/constant", "mdgl/2/0.03/step",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
	if runs[1].Train.DecayEvery != config.PlateauCap/30 { // patterngen: plateau stopping, cap 20 000
		t.Errorf("runs not resolved: decay_every %d", runs[1].Train.DecayEvery)
	}
}

func seeds(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		spec config.SweepSpec
		want string
	}{
		{spec(map[string][]any{"train.lr": {0.01, -1.0}}), "sweep run {train.lr=-1}: train.lr = -1: allowed range (0, 100]"},
		{spec(map[string][]any{"nosuch": {1}}), `unknown key "nosuch"`},
		{spec(map[string][]any{"seed": {}}), "has no values"},
		{spec(nil, map[string][]any{"seed": {int64(1)}, "rule": {"bptt", "mdgl"}}), "same non-zero length"},
		{spec(map[string][]any{"seed": seeds(1000), "train.trunc_k": seeds(1000), "patterngen.task_seed": seeds(2)}), "more than 1000000 runs"},
	}
	for _, tc := range tests {
		_, err := Expand(config.Default(), tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want containing %q", err, tc.want)
		}
	}
}

func TestShards(t *testing.T) {
	runs, _ := Expand(config.Default(), spec(map[string][]any{"rule": {"bptt", "three-factor", "mdgl"}, "seed": {int64(1), int64(2), int64(3)}}))
	for n := 1; n <= 10; n++ {
		var union []string
		for i := range n {
			for _, r := range (Shard{i, n}).Select(runs) {
				union = append(union, r.ID())
			}
		}
		var all []string
		for _, r := range runs {
			all = append(all, r.ID())
		}
		sort.Strings(union)
		sort.Strings(all)
		if strings.Join(union, ",") != strings.Join(all, ",") {
			t.Errorf("n=%d: shards do not partition the runs", n)
		}
	}
}

func TestParseShard(t *testing.T) {
	good := map[string]Shard{"0/1": {0, 1}, "3/4": {3, 4}, " 1 / 2 ": {1, 2}}
	for s, want := range good {
		got, err := ParseShard(s)
		if err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "1", "4/4", "-1/3", "a/b", "0/0", "1/2/3"} {
		if _, err := ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) accepted", s)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want Shard
		ok   bool
		err  bool
	}{
		{map[string]string{}, All, false, false},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "5"}, Shard{2, 5}, true, false},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, Shard{2, 3}, true, false},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "5"}, All, false, true},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "5"}, All, false, true},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, All, false, true},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "3"}, Shard{3, 4}, true, false},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "2"}, Shard{3, 4}, true, false},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "3"}, All, false, true},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "12", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "3"}, All, false, true},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "0"}, All, false, true},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "a"}, All, false, true},
	}
	for _, tc := range tests {
		got, ok, err := ShardFromEnv(func(k string) string { return tc.env[k] })
		if (err != nil) != tc.err || ok != tc.ok || got != tc.want {
			t.Errorf("env %v: got %v %v %v", tc.env, got, ok, err)
		}
	}
}

// fakeRun is a deterministic stand-in for training.
func fakeRun(calls *atomic.Int32) Func {
	return func(ctx context.Context, run config.Run) *results.Result {
		calls.Add(1)
		r := results.New(run, "test", "generic")
		r.Status = results.Status{State: results.Finished}
		r.Final.Gap = results.Num(float64(run.Seed) * run.Train.LR)
		if run.Rule == "mdgl" && run.Seed == 2 {
			r.Status = results.Status{State: results.Diverged, Step: 3, Reason: "loss NaN"}
		}
		if run.Rule == "three-factor" && run.Seed == 3 {
			panic("boom")
		}
		return r
	}
}

func TestExecuteResumeAndJobs(t *testing.T) {
	runs, _ := Expand(config.Default(), spec(map[string][]any{"rule": {"bptt", "three-factor", "mdgl"}, "seed": {int64(1), int64(2), int64(3)}}))
	dirs := map[int]string{}
	for _, jobs := range []int{1, 3} {
		dir := t.TempDir()
		dirs[jobs] = dir
		var calls atomic.Int32
		sum, err := Execute(context.Background(), runs, Options{Dir: dir, Jobs: jobs}, fakeRun(&calls))
		if err != nil {
			t.Fatal(err)
		}
		if sum.Finished != 7 || sum.Diverged != 1 || sum.Failed != 1 || int(calls.Load()) != 9 {
			t.Errorf("jobs=%d: %v, calls %d", jobs, sum, calls.Load())
		}
		// Rerun: only the failed run is computed again.
		calls.Store(0)
		sum, err = Execute(context.Background(), runs, Options{Dir: dir, Jobs: jobs}, fakeRun(&calls))
		if err != nil || sum.Skipped != 8 || calls.Load() != 1 {
			t.Errorf("resume jobs=%d: %v %v calls %d", jobs, sum, err, calls.Load())
		}
	}
	a, _ := results.LoadDir(dirs[1])
	b, _ := results.LoadDir(dirs[3])
	if len(a.Runs) != 9 || len(b.Runs) != 9 {
		t.Fatalf("runs %d %d", len(a.Runs), len(b.Runs))
	}
	for i := range a.Runs {
		ra, rb := a.Runs[i], b.Runs[i]
		if ra.Status.State == results.Failed {
			if !strings.Contains(ra.Status.Reason, "internal error: boom") {
				t.Errorf("panic reason %q", ra.Status.Reason)
			}
			continue
		}
		if !results.SameOutcome(ra, rb) {
			t.Errorf("run %s differs between jobs=1 and jobs=3", ra.ID)
		}
	}
}

func TestExecuteCancel(t *testing.T) {
	runs, _ := Expand(config.Default(), spec(map[string][]any{"seed": {int64(1), int64(2), int64(3), int64(4)}}))
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	fn := func(ctx context.Context, run config.Run) *results.Result {
		n++
		if n == 2 {
			cancel()
			return nil // interrupted mid-run
		}
		r := results.New(run, "", "")
		r.Status.State = results.Finished
		return r
	}
	sum, err := Execute(ctx, runs, Options{Dir: dir, Jobs: 1}, fn)
	if err != context.Canceled {
		t.Errorf("err %v", err)
	}
	if sum.Finished != 1 || sum.Interrupted != 3 {
		t.Errorf("summary %v", sum)
	}
	set, _ := results.LoadDir(dir)
	if len(set.Runs) != 1 {
		t.Errorf("%d results written", len(set.Runs))
	}
	if p := Pending(dir, runs); len(p) != 3 {
		t.Errorf("pending %d", len(p))
	}
}

// TestExecuteStopsAtWriteError: once a result cannot be written, no new
// run starts, the unsaved run counts as failed (not finished) and Execute
// returns the write error. The output directory is replaced by a file
// during the second run, which fails the write (or the next run's lock) as
// root too.
func TestExecuteStopsAtWriteError(t *testing.T) {
	runs, _ := Expand(config.Default(), spec(map[string][]any{"seed": {int64(1), int64(2), int64(3), int64(4), int64(5)}}))
	for _, jobs := range []int{1, 2} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) {
			// The output directory is a symbolic link, so that the second
			// run can put a file in its place in one atomic rename: a
			// rename of the directory followed by writing the file would
			// leave a moment in which another worker's result write
			// recreates the directory.
			base := t.TempDir()
			dir := filepath.Join(base, "out")
			if err := os.Mkdir(filepath.Join(base, "real"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(base, "blocker"), []byte("in the way"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(base, "real"), dir); err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int32
			var saved, lost atomic.Int32
			fn := func(ctx context.Context, run config.Run) *results.Result {
				if calls.Add(1) == 2 {
					tmp := filepath.Join(base, "out.tmp")
					if err := os.Symlink(filepath.Join(base, "blocker"), tmp); err != nil {
						t.Error(err)
					}
					if err := os.Rename(tmp, dir); err != nil {
						t.Error(err)
					}
				}
				r := results.New(run, "", "")
				r.Status.State = results.Finished
				return r
			}
			onDone := func(_ *results.Result, _ string, err error) {
				if err != nil {
					lost.Add(1)
				} else {
					saved.Add(1)
				}
			}
			sum, err := Execute(context.Background(), runs, Options{Dir: dir, Jobs: jobs, OnDone: onDone}, fn)
			if err == nil || !strings.Contains(err.Error(), "stopped the sweep") {
				t.Fatalf("err %v, want the write error", err)
			}
			// At most one run per worker after the first failure was in flight.
			if n := int(calls.Load()); n > 1+jobs {
				t.Errorf("%d runs computed after a write error with %d workers", n, jobs)
			}
			if sum.Finished != int(saved.Load()) || sum.Failed != int(lost.Load()) || sum.Failed < 1 {
				t.Errorf("summary %v: %d saved, %d lost", sum, saved.Load(), lost.Load())
			}
			if sum.Finished+sum.Failed+sum.Interrupted != len(runs) {
				t.Errorf("summary %v does not account for %d runs", sum, len(runs))
			}
		})
	}
}

func TestWriteSlurm(t *testing.T) {
	var b strings.Builder
	err := WriteSlurm(&b, SlurmOptions{Binary: "/opt/bin/hessrnn", Args: []string{"sweep", "my cfg.toml", "--out", "res"}, Tasks: 8, CPUs: 2, Time: "02:00:00", Mem: "4G", Partition: "cpu", LogDir: "res/logs"})
	if err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"#!/bin/bash\n", "#SBATCH --array=0-7\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --time=02:00:00\n",
		"#SBATCH --mem=4G\n", "#SBATCH --partition=cpu\n", "#SBATCH --output=\"res/logs/hessrnn-%A_%a.log\"\n",
		"exec /opt/bin/hessrnn sweep 'my cfg.toml' --out res\n", "GOMAXPROCS"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	b.Reset()
	if err := WriteSlurm(&b, SlurmOptions{Binary: "hessrnn", Args: []string{"sweep", "c.toml"}, Tasks: 2, CPUs: 3, JobsFromCPUs: true}); err != nil ||
		!strings.Contains(b.String(), "export GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-3}\"\n") || !strings.Contains(b.String(), "exec hessrnn sweep c.toml --jobs \"$GOMAXPROCS\"\n") {
		t.Errorf("JobsFromCPUs (%v):\n%s", err, b.String())
	}
	if err := WriteSlurm(&b, SlurmOptions{Tasks: 0}); err == nil {
		t.Error("0 tasks accepted")
	}
	if shellQuote("it's") != `'it'\''s'` {
		t.Errorf("quote %s", shellQuote("it's"))
	}
}

func TestCheckTimeAndMem(t *testing.T) {
	times := []struct {
		in string
		ok bool
	}{
		{"90", true}, {"30:00", true}, {"08:00:00", true}, {"2-00", true}, {"2-12:30", true}, {"1-00:00:00", true},
		{"UNLIMITED", true}, {"infinite", true}, {"100:00:00", true},
		{"", false}, {"abc", false}, {"0", false}, {"00:00:00", false}, {"1:60", false}, {"1:60:00", false}, {"1-24", false},
		{"-1", false}, {"1h", false}, {"1:2:3:4", false}, {"1-", false}, {" 10", false}, {"99999999999", false},
	}
	for _, tc := range times {
		if err := CheckTime(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckTime(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	mems := []struct {
		in string
		ok bool
	}{
		{"4000", true}, {"4G", true}, {"512M", true}, {"1T", true}, {"64K", true}, {"16g", true},
		{"", false}, {"lots", false}, {"0", false}, {"0G", false}, {"4GB", false}, {"-4G", false}, {"4.5G", false}, {"G", false},
	}
	for _, tc := range mems {
		if err := CheckMem(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckMem(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	var b strings.Builder
	if err := WriteSlurm(&b, SlurmOptions{Binary: "x", Tasks: 1, Time: "abc"}); err == nil {
		t.Error("WriteSlurm accepted time abc")
	}
	if err := WriteSlurm(&b, SlurmOptions{Binary: "x", Tasks: 1, LogDir: "a\"b"}); err == nil {
		t.Error("WriteSlurm accepted a log directory with a double quote")
	}
}
