package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/experiment"
)

// TestRunsArchiveScripts checks reproduction/save-runs.sh and
// restore-runs.sh, which carry a paper run's results between sessions:
// each save archives only the JSON files that are new or changed, and a
// restore rebuilds them, the newest version of each.
func TestRunsArchiveScripts(t *testing.T) {
	for _, tool := range []string{"sh", "tar", "gzip", "sha256sum", "comm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	scripts, err := filepath.Abs(filepath.Join("..", "..", "reproduction"))
	if err != nil {
		t.Fatal(err)
	}
	out, runs, back := t.TempDir(), t.TempDir(), t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(script string, args ...string) string {
		t.Helper()
		b, err := exec.Command("sh", append([]string{filepath.Join(scripts, script)}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", script, args, err, b)
		}
		return string(b)
	}
	parts := func() []string {
		t.Helper()
		m, err := filepath.Glob(filepath.Join(runs, "part-*.tar.gz"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	write("dms/dms-bptt-s1-aaaa.json", `{"a":1}`)
	write("dms/selection/dms-bptt-s1001-bbbb.json", `{"b":1}`)
	write("invocations/20261207T101122Z-1.json", `{"last":"10:12"}`)
	write("dms/.dms-bptt-s2-cccc.lock", "pid")           // a lock: never archived
	write("dms/.dms-bptt-s3-dddd.json.tmp-1", "partial") // a temporary file: never archived
	write("dms/report.md", "# report")                   // regenerated: not archived
	if s := run("save-runs.sh", out, runs); !strings.Contains(s, "3 files") {
		t.Errorf("first save: %q; want 3 files", s)
	}
	if s := run("save-runs.sh", out, runs); !strings.Contains(s, "nothing new") || len(parts()) != 1 {
		t.Errorf("second save without changes: %q, %d parts; want nothing new, 1 part", s, len(parts()))
	}
	write("patterngen/patterngen-mdgl-s2-eeee.json", `{"e":1}`)
	write("invocations/20261207T101122Z-1.json", `{"last":"10:40"}`) // rewritten record
	if s := run("save-runs.sh", out, runs); !strings.Contains(s, "2 files") || len(parts()) != 2 {
		t.Errorf("third save: %q, %d parts; want 2 files, 2 parts", s, len(parts()))
	}
	manifest, err := os.ReadFile(filepath.Join(runs, "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(manifest), "\n"); n != 5 {
		t.Errorf("MANIFEST has %d lines; want 5 (3 + 2)", n)
	}

	run("restore-runs.sh", back, runs)
	for name, want := range map[string]string{
		"dms/dms-bptt-s1-aaaa.json":               `{"a":1}`,
		"dms/selection/dms-bptt-s1001-bbbb.json":  `{"b":1}`,
		"patterngen/patterngen-mdgl-s2-eeee.json": `{"e":1}`,
		"invocations/20261207T101122Z-1.json":     `{"last":"10:40"}`,
	} {
		b, err := os.ReadFile(filepath.Join(back, name))
		if err != nil || string(b) != want {
			t.Errorf("restored %s = %q, %v; want %q", name, b, err, want)
		}
	}
	for _, name := range []string{"dms/.dms-bptt-s2-cccc.lock", "dms/.dms-bptt-s3-dddd.json.tmp-1", "dms/report.md"} {
		if _, err := os.Stat(filepath.Join(back, name)); err == nil {
			t.Errorf("restored %s, which is not a result file", name)
		}
	}

	// Restoring into a live folder (a machine that outlived the session)
	// keeps what was written there after the last save: a newer invocation
	// record and a result not archived yet survive, older files are
	// filled in.
	rec := filepath.Join(back, "invocations", "20261207T101122Z-1.json")
	if err := os.WriteFile(rec, []byte(`{"last":"11:30"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(rec, later, later); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(back, "dms", "dms-mdgl-s4-ffff.json")
	if err := os.WriteFile(fresh, []byte(`{"f":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	lost := filepath.Join(back, "dms", "dms-bptt-s1-aaaa.json")
	if err := os.Remove(lost); err != nil {
		t.Fatal(err)
	}
	run("restore-runs.sh", back, runs)
	for p, want := range map[string]string{rec: `{"last":"11:30"}`, fresh: `{"f":1}`, lost: `{"a":1}`} {
		if b, err := os.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("after restoring into a live folder, %s = %q, %v; want %q", p, b, err, want)
		}
	}
}

// TestPaperInvocationRecord checks that run paper records its invocation
// in OUT/invocations/, and that an interrupted one is marked not finished.
func TestPaperInvocationRecord(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var so, se bytes.Buffer
	if code := run(ctx, []string{"run", "paper", "--scale", "quick", "--out", out, "--data", filepath.Join(dir, "no-mnist"), "--progress", "none"}, &so, &se); code != exitInterrupted {
		t.Fatalf("cancelled run paper: exit %d\n%s", code, se.String())
	}
	recs, err := experiment.LoadInvocations(out)
	if err != nil || len(recs) != 1 {
		t.Fatalf("invocation records: %+v, %v; want one", recs, err)
	}
	if r := recs[0]; r.Finished || r.Scale != "quick" || r.Jobs < 1 || !strings.Contains(r.Command, "run paper --scale quick") {
		t.Errorf("record %+v: want an unfinished quick-scale invocation with its command", r)
	}
}
