package experiment

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// finalScores loads the final weights Env.FinalWeights saved for res and
// scores them on every test set of the run's task, in Tests() order, with
// the set's name and whether its every input is a multiple of 1/255 (clean
// MNIST pixels).
func finalScores[T kernels.Float](t *testing.T, e *Env, run config.Run, res *results.Result) ([]task.Score, []string, []bool) {
	t.Helper()
	net, err := rnn.LoadNPZFile[T](FinalWeightsFile(e.FinalWeights, res.ID))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := makeTask[T](e, run)
	if err != nil {
		t.Fatal(err)
	}
	pred := &predictor[T]{net: net}
	var scores []task.Score
	var names []string
	var clean []bool
	for _, set := range tk.Tests() {
		sc, err := task.Evaluate[T](pred, set, tk.Loss(), tk.Metric())
		if err != nil {
			t.Fatal(err)
		}
		grid := true
		for i := range set.NumBatches() {
			for _, x := range set.Batch(i).X {
				v := float64(x) * 255
				grid = grid && math.Abs(v-math.Round(v)) < 1e-3
			}
		}
		scores, names, clean = append(scores, sc), append(names, set.Name()), append(clean, grid)
	}
	return scores, names, clean
}

// TestExtraTestSets checks the final scores of the test sets after the
// first (results.Final.ExtraTests): on a tiny seqMNIST (synthetic images)
// the clean test set's metric, loss and gap are those of task.Evaluate on
// Tests()[1] at the final weights, bitwise, and the test metric and gap
// stay the noisy set's (Tests()[0]), whose loss differs and whose pixels
// are off the 1/255 grid, so a swap of the two sets fails; the clean score is in the result JSON (and reads back)
// and in the CSV export. DMS and pattern generation, with one test set,
// have no extra_tests in their JSON and no extra CSV column (absent, not
// zero). Both precisions, BPTT and a bio-plausible rule.
func TestExtraTestSets(t *testing.T) {
	base, sm, dms := fixedBudgetRuns(t, 8)
	sm.Train.LR = 0.05
	cases := []struct {
		name, rule, precision string
		run                   config.Run
		metric                task.Metric
		extra                 []string // the extra test sets' names
	}{
		{"seqmnist", "bptt", "float64", sm, task.Accuracy, []string{task.SeqMNISTCleanTest}},
		{"seqmnist", "three-factor", "float32", sm, task.Accuracy, []string{task.SeqMNISTCleanTest}},
		{"dms", "bptt", "float64", dms, task.Accuracy, nil},
		{"patterngen", "three-factor", "float32", base, task.MeanSquaredError, nil},
	}
	for _, c := range cases {
		t.Run(c.name+"/"+c.rule+"/"+c.precision, func(t *testing.T) {
			run := c.run
			run.Rule, run.Model.Precision = c.rule, c.precision
			e := Env{FinalWeights: t.TempDir()}
			res := e.Train(context.Background(), run, nil)
			if res.Status.State != results.Finished {
				t.Fatalf("status %+v", res.Status)
			}
			var scores []task.Score
			var names []string
			var clean []bool
			if c.precision == "float32" {
				scores, names, clean = finalScores[float32](t, &e, run, res)
			} else {
				scores, names, clean = finalScores[float64](t, &e, run, res)
			}
			if !slices.Equal(names[1:], c.extra) {
				t.Fatalf("task's extra test sets %q, want %q", names[1:], c.extra)
			}
			if c.name == "seqmnist" && (clean[0] || !clean[1]) {
				t.Fatalf("test sets %q have clean pixels %v, want the noisy set first", names, clean)
			}
			same := func(what string, got results.Num, want float64) {
				t.Helper()
				if math.Float64bits(float64(got)) != math.Float64bits(want) {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			metric := c.metric
			if res.Metric != metric.String() {
				t.Fatalf("metric %q, want %q", res.Metric, metric)
			}
			same("test_metric", res.Final.TestMetric, scores[0].Metric)
			same("gap", res.Final.Gap, metric.Gap(float64(res.Final.TrainMetric), scores[0].Metric))
			if len(res.Final.ExtraTests) != len(c.extra) {
				t.Fatalf("extra_tests %+v, want sets %q", res.Final.ExtraTests, c.extra)
			}
			for i, set := range c.extra {
				got, ok := res.Final.ExtraTest(set)
				if !ok || res.Final.ExtraTests[i].Set != set {
					t.Fatalf("extra_tests %+v, want %q at %d", res.Final.ExtraTests, set, i)
				}
				sc := scores[i+1]
				same(set+" metric", got.Metric, sc.Metric)
				same(set+" loss", got.Loss, sc.Loss)
				same(set+" gap", got.Gap, metric.Gap(float64(res.Final.TrainMetric), sc.Metric))
				// The noisy and clean sets must score differently, or a
				// swap would go unnoticed.
				if sc.Loss == scores[0].Loss {
					t.Fatalf("%s loss %v equals the first test set's: the test cannot tell them apart", set, sc.Loss)
				}
			}

			js, err := res.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var raw struct {
				Final map[string]json.RawMessage `json:"final"`
			}
			if err := json.Unmarshal(js, &raw); err != nil {
				t.Fatal(err)
			}
			if _, ok := raw.Final["extra_tests"]; ok != (len(c.extra) > 0) {
				t.Errorf("extra_tests in the JSON: %v, want %v", ok, len(c.extra) > 0)
			}
			var back results.Result
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(back.Final.ExtraTests, res.Final.ExtraTests, func(a, b results.SetScore) bool {
				return a.Set == b.Set && a.Metric == b.Metric && a.Loss == b.Loss && a.Gap == b.Gap
			}) {
				t.Errorf("extra_tests read back %+v, wrote %+v", back.Final.ExtraTests, res.Final.ExtraTests)
			}

			var buf bytes.Buffer
			if err := results.WriteCSV(&buf, []*results.Result{res}); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(results.CSVHeader)
			for _, set := range c.extra {
				want = append(want, results.ExtraTestColumns(set)...)
			}
			if !slices.Equal(rows[0], want) {
				t.Fatalf("CSV header has %d columns, want %d (CSVHeader and the extra sets' %q)", len(rows[0]), len(want), c.extra)
			}
			for _, set := range c.extra {
				col := slices.Index(rows[0], "final_test_clean_metric")
				if set != task.SeqMNISTCleanTest || col < 0 {
					t.Fatalf("no column final_test_clean_metric for %q in %q", set, rows[0])
				}
				got, _ := res.Final.ExtraTest(set)
				for _, r := range rows[1:] {
					if v, err := strconv.ParseFloat(r[col], 64); err != nil || v != float64(got.Metric) {
						t.Errorf("CSV %s = %q, want %v", rows[0][col], r[col], got.Metric)
					}
				}
			}
		})
	}
}

// TestSummaryExtraTests checks the summary table's column for an extra
// test set: runs with a clean test score get a "clean test accuracy"
// column right after "test accuracy" in the HTML table and the terminal
// table, with the mean ± std of the clean scores (runs without one, e.g.
// written before the field existed, are left out of it); runs without any
// extra test set get exactly the columns they had.
func TestSummaryExtraTests(t *testing.T) {
	runs := func(clean []float64) []*results.Result {
		rs := synthetic("bptt", []float64{10, 20, 30}, []float64{0.1, 0.2, 0.3})
		for i, r := range rs {
			r.Metric, r.Final.TestMetric = "accuracy", results.Num(0.5)
			if i < len(clean) {
				r.Final.ExtraTests = []results.SetScore{{Set: task.SeqMNISTCleanTest, Metric: results.Num(clean[i]), Loss: 1, Gap: 0}}
			}
		}
		return rs
	}
	for _, c := range []struct {
		name   string
		clean  []float64
		header []string // the HTML table's columns from "test accuracy" on
		text   string   // in the terminal table; "" none
	}{
		{"all runs", []float64{0.8, 0.9, 1}, []string{"test accuracy", "clean test accuracy", "gap"}, "0.9 ± 0.1"},
		{"two of three runs", []float64{0.8, 0.9}, []string{"test accuracy", "clean test accuracy", "gap"}, "0.85 ± 0.0707"},
		{"none", nil, []string{"test accuracy", "gap"}, ""},
	} {
		a, err := Analyze(runs(c.clean), t.TempDir(), []string{"summary"})
		if err != nil {
			t.Fatal(err)
		}
		var header []string
		for _, s := range a.Sections {
			for _, tb := range s.Tables {
				if tb.Caption == "Final values per rule" {
					header = tb.Header
				}
			}
		}
		i := slices.Index(header, "test accuracy")
		if i < 0 || len(header) < i+len(c.header) || !slices.Equal(header[i:i+len(c.header)], c.header) {
			t.Errorf("%s: summary columns %q, want %q from test accuracy on", c.name, header, c.header)
		}
		if has := strings.Contains(a.Summary, "clean test accuracy"); has != (c.text != "") || (c.text != "" && !strings.Contains(a.Summary, c.text)) {
			t.Errorf("%s: terminal summary, want %q:\n%s", c.name, c.text, a.Summary)
		}
	}
}

// TestExtraTestOf checks the per-run reader of an extra test set's score,
// which a claim uses for the gap on seqMNIST's clean test set: the field of
// the named set, NaN for a run without it or with other sets only.
func TestExtraTestOf(t *testing.T) {
	gap := extraTestOf(task.SeqMNISTCleanTest, func(sc results.SetScore) results.Num { return sc.Gap })
	loss := extraTestOf(task.SeqMNISTCleanTest, func(sc results.SetScore) results.Num { return sc.Loss })
	for _, c := range []struct {
		name      string
		sets      []results.SetScore
		gap, loss float64 // NaN: not measured
	}{
		{"clean", []results.SetScore{{Set: task.SeqMNISTCleanTest, Metric: 0.9, Loss: 0.3, Gap: 0.02}}, 0.02, 0.3},
		{"other set first", []results.SetScore{{Set: "test-other", Gap: 7, Loss: 8}, {Set: task.SeqMNISTCleanTest, Gap: -0.01, Loss: 0.4}}, -0.01, 0.4},
		{"other set only", []results.SetScore{{Set: "test-other", Gap: 7, Loss: 8}}, math.NaN(), math.NaN()},
		{"none", nil, math.NaN(), math.NaN()},
	} {
		r := synthetic("bptt", []float64{1}, []float64{0.5})[0]
		r.Final.ExtraTests = c.sets
		for _, q := range []struct {
			what string
			got  results.Num
			want float64
		}{{"gap", gap(r), c.gap}, {"loss", loss(r), c.loss}} {
			if g := float64(q.got); g != q.want && !(math.IsNaN(g) && math.IsNaN(q.want)) {
				t.Errorf("%s: %s = %v, want %v", c.name, q.what, g, q.want)
			}
		}
	}
}
