package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
)

func sample(seed uint64, rule string) *Result {
	run := config.Default()
	run.Seed, run.Rule = seed, rule
	r := New(run, "test", "avx512")
	r.Metric = "mse"
	r.Status = Status{State: Finished}
	r.Trajectory = []Checkpoint{
		{Iteration: 0, LR: 0.01, Loss: 1.5, TrainMetric: 1.5, TestMetric: 1.7, Gap: 0.2,
			Lambda: Lambda{Value: 3.25, Iterations: 17, Residual: 1e-7, Converged: true},
			Alpha:  NaN(), Cos: NaN(), EpsRatio: NaN(), AlignEps: NaN(), AlignG: NaN(), WallSeconds: 0.1},
		{Iteration: 100, LR: 0.01, Loss: 0.5, TrainMetric: 0.5, TestMetric: 0.8, Gap: 0.3,
			Lambda: Lambda{Value: 12.5, Iterations: 21, Residual: 2e-7, Converged: true},
			Alpha:  0.4, Cos: 0.9, EpsRatio: 0.2, AlignEps: NaN(), AlignG: NaN(), WallSeconds: 1.2},
	}
	r.Final.Gap = 0.3
	r.Final.LambdaMax = 12.5
	return r
}

func TestNumJSON(t *testing.T) {
	tests := []struct {
		in   Num
		want string
	}{
		{1.5, "1.5"}, {Num(math.NaN()), "null"}, {Num(math.Inf(1)), `"Inf"`}, {Num(math.Inf(-1)), `"-Inf"`}, {0, "0"}, {1e-300, "1e-300"},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.in)
		if err != nil || string(b) != tc.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.in, b, err, tc.want)
		}
		var back Num
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !(back == tc.in || (math.IsNaN(float64(back)) && math.IsNaN(float64(tc.in)))) {
			t.Errorf("round trip %v -> %v", tc.in, back)
		}
	}
	var n Num
	if err := json.Unmarshal([]byte(`"x"`), &n); err == nil {
		t.Error("accepted a string")
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := sample(1, "bptt")
	p, err := Write(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != r.ID+".json" {
		t.Errorf("file %s", p)
	}
	got, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if !SameOutcome(r, got) {
		t.Error("round trip changed the result")
	}
	if !Done(dir, r.ID) {
		t.Error("Done false for a finished result")
	}
	// No temporary files remain.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("dir has %d entries", len(ents))
	}
}

func TestDone(t *testing.T) {
	dir := t.TempDir()
	r := sample(2, "three-factor")
	r.Status = Status{State: Failed, Reason: "no data"}
	Write(dir, r)
	if Done(dir, r.ID) {
		t.Error("failed run counted as done")
	}
	r.Status = Status{State: Diverged, Step: 17, Reason: "loss NaN"}
	Write(dir, r)
	if !Done(dir, r.ID) {
		t.Error("diverged run not done")
	}
	os.WriteFile(filepath.Join(dir, "x-bad.json"), []byte("{trunc"), 0o644)
	if Done(dir, "x-bad") || Done(dir, "missing") {
		t.Error("corrupt or missing file counted as done")
	}
}

func TestSameOutcomeIgnoresWallTime(t *testing.T) {
	a, b := sample(1, "bptt"), sample(1, "bptt")
	b.WallSeconds = 99
	b.Trajectory[1].WallSeconds = 42
	b.Versions.Go = "go0"
	if !SameOutcome(a, b) {
		t.Error("wall time or versions made outcomes differ")
	}
	b.Trajectory[1].Lambda.Value = 12.5000001
	if SameOutcome(a, b) {
		t.Error("different lambda counted as same")
	}
}

func TestLoadDirMergesShards(t *testing.T) {
	root := t.TempDir()
	s0, s1 := filepath.Join(root, "shard0"), filepath.Join(root, "shard1")
	a, b, c := sample(1, "bptt"), sample(2, "bptt"), sample(1, "mdgl")
	Write(s0, a)
	Write(s1, b)
	failed := sample(1, "mdgl")
	failed.Status = Status{State: Failed, Reason: "x"}
	Write(s0, failed)
	Write(s1, c) // same ID as failed, final: must win
	os.WriteFile(filepath.Join(root, "notes.json"), []byte(`{"hello": 1}`), 0o644)
	set, err := LoadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Runs) != 3 {
		t.Fatalf("got %d runs, want 3", len(set.Runs))
	}
	for _, r := range set.Runs {
		if !r.Status.Final() {
			t.Errorf("run %s: failed copy won over finished", r.ID)
		}
	}
	if len(set.Skipped) != 1 || !strings.Contains(set.Skipped[0], "notes.json") {
		t.Errorf("skipped %v", set.Skipped)
	}
	if _, err := LoadDir(filepath.Join(root, "nope")); err == nil {
		t.Error("missing dir accepted")
	}
	// The same shards given as separate roots, in either order.
	for _, roots := range [][]string{{s0, s1}, {s1, s0}} {
		set, err := LoadDirs(roots...)
		if err != nil || len(set.Runs) != 3 {
			t.Fatalf("LoadDirs(%v): %v", roots, err)
		}
		for _, r := range set.Runs {
			if !r.Status.Final() {
				t.Errorf("LoadDirs(%v): run %s: failed copy won over finished", roots, r.ID)
			}
		}
	}
	if _, err := LoadDirs(s0, filepath.Join(root, "nope")); err == nil {
		t.Error("LoadDirs: missing dir accepted")
	}
}

func TestReadRejects(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"schema.json": `{"schema": 99, "id": "x"}`,
		"noid.json":   `{"schema": 1}`,
		"junk.json":   `[1,2]`,
	}
	for name, body := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := Read(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func TestCSV(t *testing.T) {
	a := sample(1, "bptt")
	empty := sample(3, "mdgl")
	empty.Trajectory = nil
	empty.Status = Status{State: Diverged, Step: 5, Reason: "NaN"}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []*Result{a, empty}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+2+1 {
		t.Fatalf("%d rows", len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, r := range recs {
		if len(r) != len(CSVHeader) {
			t.Fatalf("row has %d cells, header %d", len(r), len(CSVHeader))
		}
	}
	if recs[1][col["alpha"]] != "" || recs[2][col["alpha"]] != "0.4" {
		t.Errorf("alpha cells %q %q", recs[1][col["alpha"]], recs[2][col["alpha"]])
	}
	if recs[2][col["lambda_max"]] != "12.5" || recs[2][col["iteration"]] != "100" {
		t.Errorf("row %v", recs[2])
	}
	if recs[3][col["status"]] != "diverged" || recs[3][col["diverged_step"]] != "5" {
		t.Errorf("diverged row %v", recs[3])
	}
	// Every setting is a column; a run's cells hold its resolved values.
	for _, f := range config.Fields() {
		if _, ok := col["config."+f]; !ok {
			t.Errorf("no column config.%s", f)
		}
	}
	c := a.Config
	for key, want := range map[string]string{
		"config.train.lr": fmt.Sprint(c.Train.LR), "config.model.n": fmt.Sprint(c.Model.N), "config.rule": c.Rule,
		"config.hessian.flatness": fmt.Sprint(c.Hessian.Flatness), "config.seed": fmt.Sprint(c.Seed),
	} {
		if got := recs[1][col[key]]; got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if recs[3][col["config.rule"]] != "mdgl" {
		t.Errorf("config.rule of the diverged run: %q", recs[3][col["config.rule"]])
	}
}

// TestCSVColumnsFromStructs checks that the CSV columns are the fields of
// Checkpoint and Final (names from the tags, nested structs prefixed) and
// that every column holds its field's value.
func TestCSVColumnsFromStructs(t *testing.T) {
	wantCheckpoint := []string{"iteration", "lr", "loss", "train_metric", "test_metric", "gap",
		"lambda_max", "lambda_iterations", "lambda_residual", "lambda_converged",
		"alpha", "cos", "eps_ratio", "align_eps", "align_g", "wall_seconds"}
	var got []string
	for _, c := range checkpointColumns {
		got = append(got, c.name)
	}
	if strings.Join(got, ",") != strings.Join(wantCheckpoint, ",") {
		t.Errorf("checkpoint columns %v, want %v", got, wantCheckpoint)
	}
	// Every scalar field of Final is a final_ column; the slice TopK is not.
	ft := reflect.TypeOf(Final{})
	col := map[string]int{}
	for i, h := range CSVHeader {
		if _, dup := col[h]; dup {
			t.Errorf("column %s twice", h)
		}
		col[h] = i
	}
	for i := range ft.NumField() {
		f := ft.Field(i)
		name := "final_" + strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Type.Kind() == reflect.Pointer {
			// A pointer to a struct contributes its scalar fields as
			// name_field columns.
			for j := range f.Type.Elem().NumField() {
				sub := f.Type.Elem().Field(j)
				subName := name + "_" + strings.Split(sub.Tag.Get("json"), ",")[0]
				_, ok := col[subName]
				if want := sub.Type.Kind() != reflect.Slice; ok != want {
					t.Errorf("field %s.%s: column %s present %v, want %v", f.Name, sub.Name, subName, ok, want)
				}
			}
			continue
		}
		_, ok := col[name]
		if want := f.Type.Kind() != reflect.Slice; ok != want {
			t.Errorf("field %s: column %s present %v, want %v", f.Name, name, ok, want)
		}
	}
	r := sample(2, "bptt")
	r.Final.Iterations, r.Final.Loss, r.Final.Gamma, r.Final.MeanAlpha = 77, 0.125, 1.5, NaN()
	r.Final.LambdaBatches = &LambdaBatches{Values: []Num{2, 4}, Mean: 3, SE: 1, NBatches: 2}
	nilPtr := sample(3, "bptt")
	nilPtr.Final.LambdaBatches = nil
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []*Result{r, nilPtr}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ col, want string }{
		{"final_iterations", "77"}, {"final_loss", "0.125"}, {"final_gamma", "1.5"}, {"final_mean_alpha", ""},
		{"lambda_converged", fmt.Sprint(r.Trajectory[0].Lambda.Converged)},
		{"lambda_iterations", fmt.Sprint(r.Trajectory[0].Lambda.Iterations)},
		{"final_lambda_batches_mean", "3"}, {"final_lambda_batches_se", "1"}, {"final_lambda_batches_n_batches", "2"},
	} {
		if got := recs[1][col[c.col]]; got != c.want {
			t.Errorf("%s = %q, want %q", c.col, got, c.want)
		}
	}
	if got := recs[len(recs)-1][col["final_lambda_batches_mean"]]; got != "" {
		t.Errorf("nil LambdaBatches: cell %q, want empty", got)
	}
}

// TestFinalMissingFieldsAreNaN checks that a result file without some
// Final fields (written before they existed) reads them as NaN, and that
// unknown fields inside final are still rejected.
func TestFinalMissingFieldsAreNaN(t *testing.T) {
	for _, c := range []struct {
		body    string
		wantErr bool
	}{
		{`{"iterations": 5, "loss": 0.5}`, false},
		{`{"iterations": 5, "bogus": 1}`, true},
	} {
		var f Final
		err := json.Unmarshal([]byte(c.body), &f)
		if (err != nil) != c.wantErr {
			t.Fatalf("%s: error %v, want error %v", c.body, err, c.wantErr)
		}
		if err != nil {
			continue
		}
		if f.Iterations != 5 || f.Loss != 0.5 || !math.IsNaN(float64(f.LambdaMax)) || !math.IsNaN(float64(f.Gap)) {
			t.Errorf("%s: decoded %+v", c.body, f)
		}
	}
}

func TestBelongsTo(t *testing.T) {
	r := &Result{Experiment: "fig2", AlsoIn: []string{"theorem1"}}
	for _, c := range []struct {
		exp  string
		want bool
	}{{"fig2", true}, {"theorem1", true}, {"fig3", false}, {"", false}} {
		if got := r.BelongsTo(c.exp); got != c.want {
			t.Errorf("BelongsTo(%q) = %v, want %v", c.exp, got, c.want)
		}
	}
	if got := r.Experiments(); len(got) != 2 || got[0] != "fig2" || got[1] != "theorem1" {
		t.Errorf("Experiments() = %v", got)
	}
	// Reuse is bookkeeping: it does not change the outcome.
	a := sample(1, "bptt")
	b := *a
	b.AlsoIn = []string{"theorem1"}
	if !SameOutcome(a, &b) {
		t.Error("AlsoIn changed SameOutcome")
	}
}

// TestCSVExtraTests checks the columns of the extra test sets: none
// without them (the header is CSVHeader), and for a mix of runs with and
// without a set, one column per set and field in order of first
// appearance, filled for the runs that have the set and empty (NA, not 0)
// for those that have not.
func TestCSVExtraTests(t *testing.T) {
	with := func(seed uint64, sets ...string) *Result {
		r := sample(seed, "bptt")
		for i, s := range sets {
			r.Final.ExtraTests = append(r.Final.ExtraTests, SetScore{Set: s, Metric: Num(0.9 + float64(i)/100), Loss: 0.25, Gap: NaN()})
		}
		return r
	}
	for _, c := range []struct {
		name  string
		runs  []*Result
		extra []string
		cells map[string][]string // column → the cells of each run's first row
	}{
		{"none", []*Result{with(1), with(2)}, nil, nil},
		{"mixed", []*Result{with(1), with(2, "test-clean"), with(3, "test-b", "test-clean")},
			[]string{"final_test_clean_metric", "final_test_clean_loss", "final_test_clean_gap", "final_test_b_metric", "final_test_b_loss", "final_test_b_gap"},
			map[string][]string{
				"final_test_clean_metric": {"", "0.9", "0.91"},
				"final_test_clean_loss":   {"", "0.25", "0.25"},
				"final_test_clean_gap":    {"", "", ""},
				"final_test_b_metric":     {"", "", "0.9"},
			}},
	} {
		var buf bytes.Buffer
		if err := WriteCSV(&buf, c.runs); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := append(append([]string(nil), CSVHeader...), c.extra...)
		if !reflect.DeepEqual(recs[0], want) {
			t.Fatalf("%s: header ends %q, want CSVHeader and %q", c.name, recs[0][len(CSVHeader):], c.extra)
		}
		first := map[string]int{} // run ID → its first row
		for i, r := range recs[1:] {
			if len(r) != len(want) {
				t.Fatalf("%s: row has %d cells, header %d", c.name, len(r), len(want))
			}
			if _, ok := first[r[0]]; !ok {
				first[r[0]] = i + 1
			}
		}
		for col, cells := range c.cells {
			j := len(CSVHeader) + slices.Index(c.extra, col)
			for k, run := range c.runs {
				if got := recs[first[run.ID]][j]; got != cells[k] {
					t.Errorf("%s: run %d %s = %q, want %q", c.name, k, col, got, cells[k])
				}
			}
		}
	}
	if got := ExtraTestColumns("test-clean"); !reflect.DeepEqual(got, []string{"final_test_clean_metric", "final_test_clean_loss", "final_test_clean_gap"}) {
		t.Errorf("ExtraTestColumns(test-clean) = %q", got)
	}
}
