package progress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestPlainLines(t *testing.T) {
	var b strings.Builder
	c := &clock{time.Unix(0, 0)}
	tr := New(&b, 4, Options{Interval: 10 * time.Second, Now: c.now})
	tr.Skip("done-before")
	r := tr.Start("run-a", 100)
	for i := 1; i <= 50; i++ {
		c.advance(time.Second / 5) // 10 s for 50 iterations
		r.Step(i, 1/float64(i))
	}
	out := b.String()
	if strings.Count(out, "progress:") != 1 {
		t.Fatalf("want one periodic line after 10 s, got:\n%s", out)
	}
	// 1 skipped + half a run = 1.5 of 4 runs done; the skipped run took no
	// time, so the rate is half a run in 10 s: ETA = 10·(2.5/0.5) s.
	if !strings.Contains(out, "progress: 1/4 runs done, 38%, elapsed 10.0s, ETA 50.0s; run-a 50/100 loss 0.02") {
		t.Errorf("line %q", out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("escape codes in plain mode")
	}
	r.Done("finished")
	tr.Finish()
	if !strings.Contains(b.String(), "[2/4] run-a: finished (10.0s)\n") || !strings.Contains(b.String(), "2/4 runs done in 10.0s\n") {
		t.Errorf("output %q", b.String())
	}
}

func TestTerminalBars(t *testing.T) {
	var b strings.Builder
	c := &clock{time.Unix(0, 0)}
	tr := New(&b, 2, Options{Terminal: true, Now: c.now})
	r1 := tr.Start("a", 10)
	r2 := tr.Start("b", 10)
	c.advance(time.Second)
	r1.Step(5, 0.5)
	r2.Step(10, 0.1)
	out := b.String()
	if !strings.Contains(out, "[##########..........]  50% 5/10") || !strings.Contains(out, "overall") || !strings.Contains(out, "\x1b[") {
		t.Errorf("terminal output %q", out)
	}
	// Redraws are throttled.
	n := strings.Count(b.String(), "overall")
	r1.Step(6, 0.4)
	if strings.Count(b.String(), "overall") != n {
		t.Error("redraw not throttled")
	}
	r2.Done("finished")
	r1.Done("diverged at step 7")
	tr.Finish()
	if !strings.Contains(b.String(), "[2/2] a: diverged at step 7") {
		t.Errorf("output %q", b.String())
	}
	Discard.Step(1, 2)
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Millisecond: "500ms", 1500 * time.Millisecond: "1.5s", 125 * time.Second: "2m05s", 3*time.Hour + 7*time.Minute: "3h07m",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestIsTerminalNotCharDevice checks that character devices and files that
// are not ttys (the old ModeCharDevice test took /dev/null for one) are
// not terminals.
func TestIsTerminalNotCharDevice(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no %s: %v", os.DevNull, err)
	}
	defer devNull.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tc := range []struct {
		name string
		f    *os.File
	}{{os.DevNull, devNull}, {"regular file", file}} {
		if IsTerminal(tc.f) {
			t.Errorf("IsTerminal(%s) = true, want false", tc.name)
		}
	}
}

func TestETA(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		total, skipped, done int
		iter                 int // of the one active run of 100 iterations; -1: none
		elapsed              time.Duration
		want                 string
	}{
		{"nothing yet", 4, 0, 0, 0, 10 * time.Second, "?"},
		{"only skipped", 4, 3, 0, 0, 10 * time.Second, "?"},
		{"fresh", 4, 0, 1, -1, 10 * time.Second, "30.0s"},
		{"resumed", 10, 8, 1, -1, 10 * time.Second, "10.0s"},
		{"resumed, run half done", 10, 8, 0, 50, 10 * time.Second, "30.0s"},
		{"all done", 2, 1, 1, -1, 10 * time.Second, "0ms"},
	} {
		c := &clock{time.Unix(0, 0)}
		tr := New(&strings.Builder{}, tc.total, Options{Now: c.now})
		for i := range tc.skipped {
			tr.Skip(string(rune('a' + i)))
		}
		for i := range tc.done {
			tr.Start(string(rune('A'+i)), 100).Done("finished")
		}
		if tc.iter >= 0 {
			tr.Start("active", 100).Step(tc.iter, 1)
		}
		c.advance(tc.elapsed)
		if got := tr.eta(); got != tc.want {
			t.Errorf("%s: ETA %q, want %q", tc.name, got, tc.want)
		}
	}
}
