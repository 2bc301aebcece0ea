package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInvocationLog(t *testing.T) {
	out := t.TempDir()
	for _, d := range []string{"dms/selection", "patterngen"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, mod time.Time) {
		t.Helper()
		p = filepath.Join(out, p)
		if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().Add(-time.Hour)
	// Before the start: not counted.
	write("dms/dms-bptt-s1-aaaa.json", start.Add(-time.Minute))
	// After: counted, in the task folder and its selection folder.
	write("dms/dms-bptt-s2-bbbb.json", start.Add(time.Minute))
	write("dms/selection/dms-mdgl-s1001-cccc.json", start.Add(2*time.Minute))
	write("patterngen/patterngen-bptt-s1-dddd.json", start.Add(3*time.Minute))
	// Not run results: a lock, the selection summary, a report.
	write("dms/.dms-bptt-s3-eeee.lock", start.Add(time.Minute))
	write("dms/selection/selection.json", start.Add(time.Minute))
	write("dms/report.md", start.Add(time.Minute))

	l, err := StartInvocationLog(out, InvocationRecord{Command: "hessrnn run paper", Scale: "paper", Jobs: 2, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := LoadInvocations(out)
	if err != nil || len(recs) != 1 {
		t.Fatalf("LoadInvocations = %v, %v; want one record", recs, err)
	}
	if recs[0].Finished || recs[0].Runs != 3 {
		t.Errorf("running record: finished %v, runs %d; want false, 3", recs[0].Finished, recs[0].Runs)
	}
	if err := l.Close(true); err != nil {
		t.Fatal(err)
	}
	recs, err = LoadInvocations(out)
	if err != nil || len(recs) != 1 {
		t.Fatalf("LoadInvocations = %v, %v; want one record", recs, err)
	}
	r := recs[0]
	if !r.Finished || r.Runs != 3 || r.Wall() < time.Hour-time.Second || r.Wall() > time.Hour+time.Minute {
		t.Errorf("closed record: finished %v, runs %d, wall %s; want true, 3, about 1h", r.Finished, r.Runs, r.Wall())
	}

	// A second, older record sorts first and adds to the total.
	old := `{"command":"x","scale":"paper","jobs":2,"gomaxprocs":2,"cpus":2,"start":"2026-01-01T10:00:00Z","last":"2026-01-01T12:30:00Z","runs":7,"finished":false,"note":"by hand"}`
	if err := os.WriteFile(filepath.Join(out, InvocationsDir, "old.json"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	recs, err = LoadInvocations(out)
	if err != nil || len(recs) != 2 || recs[0].Runs != 7 {
		t.Fatalf("LoadInvocations = %+v, %v; want the old record first", recs, err)
	}
	txt := invocationsText(recs)
	for _, want := range []string{"3h30m in 2 invocation(s)", "wrote 10 result files", "stopped (killed or still running); by hand", "by itself"} {
		if !strings.Contains(txt, want) {
			t.Errorf("invocationsText lacks %q:\n%s", want, txt)
		}
	}
}

func TestLoadInvocationsBad(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"syntax", `{"start":`, "bad.json"},
		{"order", `{"start":"2026-01-01T10:00:00Z","last":"2026-01-01T09:00:00Z"}`, "is before start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			dir := filepath.Join(out, InvocationsDir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadInvocations(out); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadInvocations error %v; want one containing %q", err, tc.want)
			}
		})
	}
	if recs, err := LoadInvocations(t.TempDir()); err != nil || recs != nil {
		t.Errorf("empty folder: %v, %v; want none, nil", recs, err)
	}
}
