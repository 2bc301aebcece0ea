package experiment

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

// InvocationsDir is the folder, under a run paper output folder, that
// holds one record per invocation of the command (InvocationRecord): a
// paper-scale run takes longer than one sitting, so its wall time is the
// sum over the invocations that computed it.
const InvocationsDir = "invocations"

// InvocationRecord is what one invocation of run paper computed and when.
// It is rewritten every RecordEvery while the invocation runs, so an
// invocation that is killed keeps a record accurate to that interval.
type InvocationRecord struct {
	// Command is the command line.
	Command string `json:"command"`
	// Scale is the scale's name; Jobs the --jobs value.
	Scale string `json:"scale"`
	Jobs  int    `json:"jobs"`
	// GOMAXPROCS, CPUs and CPU describe the machine.
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUs       int    `json:"cpus"`
	CPU        string `json:"cpu,omitempty"`
	// Start is when the invocation started; Last its latest record.
	Start time.Time `json:"start"`
	Last  time.Time `json:"last"`
	// Runs is the number of result files (reporting and selection runs)
	// the invocation wrote by Last.
	Runs int `json:"runs"`
	// Finished says the invocation ended by itself (all items done, or
	// an error); false for one that is running or was killed.
	Finished bool `json:"finished"`
	// Note says how the record was made when not by the invocation
	// itself.
	Note string `json:"note,omitempty"`
}

// Wall is the invocation's recorded wall time.
func (r InvocationRecord) Wall() time.Duration { return r.Last.Sub(r.Start) }

// RecordEvery is how often a running invocation rewrites its record.
const RecordEvery = time.Minute

// InvocationLog keeps the record of the running invocation up to date.
type InvocationLog struct {
	path string
	out  string
	mu   sync.Mutex
	rec  InvocationRecord
	stop chan struct{}
	done chan struct{}
}

// StartInvocationLog writes the first record of an invocation of run
// paper into out/invocations/ and rewrites it every RecordEvery until
// Close.
func StartInvocationLog(out string, rec InvocationRecord) (*InvocationLog, error) {
	dir := filepath.Join(out, InvocationsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if rec.Start.IsZero() {
		rec.Start = time.Now()
	}
	rec.Start = rec.Start.UTC().Round(time.Second)
	rec.Last = rec.Start
	if rec.GOMAXPROCS == 0 {
		rec.GOMAXPROCS = runtime.GOMAXPROCS(0)
	}
	if rec.CPUs == 0 {
		rec.CPUs = runtime.NumCPU()
	}
	name := fmt.Sprintf("%s-%d.json", rec.Start.Format("20060102T150405Z"), os.Getpid())
	l := &InvocationLog{path: filepath.Join(dir, name), out: out, rec: rec, stop: make(chan struct{}), done: make(chan struct{})}
	if err := l.write(false); err != nil {
		return nil, err
	}
	go l.loop()
	return l, nil
}

func (l *InvocationLog) loop() {
	defer close(l.done)
	t := time.NewTicker(RecordEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.write(false) // a failed rewrite keeps the previous record
		}
	}
}

// Close stops the rewriting and writes the final record; finished says
// that the invocation ended by itself (not interrupted).
func (l *InvocationLog) Close(finished bool) error {
	close(l.stop)
	<-l.done
	return l.write(finished)
}

// write records the time and the number of results written since the
// start.
func (l *InvocationLog) write(finished bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rec.Last = time.Now().UTC().Round(time.Second)
	if l.rec.Last.Before(l.rec.Start) {
		l.rec.Last = l.rec.Start
	}
	l.rec.Runs = countResultsSince(l.out, l.rec.Start)
	l.rec.Finished = finished
	b, err := json.MarshalIndent(l.rec, "", "  ")
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(l.path, append(b, '\n'))
}

// countResultsSince counts the run result files under out/<task>/ and
// out/<task>/selection/ modified at or after t.
func countResultsSince(out string, t time.Time) int {
	n := 0
	tasks, _ := os.ReadDir(out)
	for _, d := range tasks {
		if !d.IsDir() || d.Name() == InvocationsDir || d.Name() == "figures" {
			continue
		}
		for _, sub := range []string{d.Name(), filepath.Join(d.Name(), "selection")} {
			es, _ := os.ReadDir(filepath.Join(out, sub))
			for _, e := range es {
				if e.IsDir() || !isRunFile(e.Name()) {
					continue
				}
				if info, err := e.Info(); err == nil && !info.ModTime().Before(t) {
					n++
				}
			}
		}
	}
	return n
}

// isRunFile reports whether name is a run's result file (<task>-<rule>-s<seed>-<hash>.json).
func isRunFile(name string) bool {
	return strings.HasSuffix(name, ".json") && !strings.HasPrefix(name, ".") && strings.Contains(name, "-s")
}

// LoadInvocations reads the invocation records under out, oldest first.
// A folder without records gives none.
func LoadInvocations(out string) ([]InvocationRecord, error) {
	dir := filepath.Join(out, InvocationsDir)
	es, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []InvocationRecord
	for _, e := range es {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var r InvocationRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, e.Name()), err)
		}
		if r.Last.Before(r.Start) {
			return nil, fmt.Errorf("%s: last %s is before start %s", filepath.Join(dir, e.Name()), r.Last, r.Start)
		}
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Start.Before(recs[j].Start) })
	return recs, nil
}

// invocationsText describes the invocations' wall time for REPRODUCTION.md
// ("" when there are none).
func invocationsText(recs []InvocationRecord) string {
	if len(recs) == 0 {
		return ""
	}
	var total time.Duration
	runs := 0
	var b strings.Builder
	for _, r := range recs {
		total += r.Wall()
		runs += r.Runs
	}
	fmt.Fprintf(&b, "**Wall time over the invocations that computed these results:** %s in %d invocation(s) of `run paper`, which wrote %d result files (reporting and selection runs). Each invocation's time runs from its start to its last record (rewritten every minute while it runs), so an invocation that was stopped — e.g. at the end of a working session — counts until then, and the runs it had in flight are recomputed by the next one. Records: `%s/` in the output folder.\n\n", minutes(total), len(recs), runs, InvocationsDir)
	b.WriteString("| start (UTC) | wall time | result files | --jobs | CPUs | CPU | ended |\n|---|---:|---:|---:|---:|---|---|\n")
	for _, r := range recs {
		ended := "stopped (killed or still running)"
		if r.Finished {
			ended = "by itself"
		}
		if r.Note != "" {
			ended += "; " + r.Note
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %s | %s |\n", r.Start.Format("2006-01-02 15:04"), minutes(r.Wall()), r.Runs, r.Jobs, r.CPUs, r.CPU, ended)
	}
	b.WriteString("\n")
	return b.String()
}

// minutes formats d to the minute: "3m", "2h5m".
func minutes(d time.Duration) string {
	if d = d.Round(time.Minute); d == 0 {
		return "0m"
	}
	return strings.TrimSuffix(d.String(), "0s")
}
