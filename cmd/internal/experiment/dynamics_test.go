package experiment

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

func TestProbeBatches(t *testing.T) {
	dms := config.Default()
	dms.Task = config.DMS
	dms = dms.Resolve()
	bs, err := probeBatches(dms)
	if err != nil {
		t.Fatal(err)
	}
	trials, steps := 0, 0
	for _, b := range bs {
		trials += b.Size
		steps += b.Size * b.Steps
	}
	if len(bs) != 17 || trials != 68 || steps != 1904 {
		t.Errorf("DMS probes: %d batches, %d trials, %d steps; want all 17 test delays, 68 trials, 1904 steps", len(bs), trials, steps)
	}
	pg := config.Default()
	pg.Task = config.PatternGen
	pg = pg.Resolve()
	bs, err = probeBatches(pg)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].Size != dynamicsMaxSteps/bs[0].Steps {
		t.Fatalf("pattern-generation probes: %d batches of %d", len(bs), bs[0].Size)
	}
	// The probe keeps the first sequences of the test batch, unchanged,
	// whatever the run's own seed.
	pg.Seed = 7
	again, _ := probeBatches(pg)
	full := bs[0]
	for i := range full.X {
		if full.X[i] != again[0].X[i] {
			t.Fatalf("probe input %d differs between run seeds", i)
		}
	}
	sub := subBatch(full, 3)
	for tt := 0; tt < full.Steps; tt++ {
		for r := 0; r < 3; r++ {
			for k := 0; k < full.In; k++ {
				if sub.X[(tt*3+r)*full.In+k] != full.X[(tt*full.Size+r)*full.In+k] {
					t.Fatalf("subBatch: step %d row %d input %d differs", tt, r, k)
				}
			}
		}
	}
	if err := sub.Validate(); err != nil {
		t.Error(err)
	}
}

// TestKappaMedians checks the κ_min medians of the kappa part with even
// counts, where the median is the mean of the two middle values (not the
// upper one): run 1 has cos θ = 1, 0.8, 0.6, 0.5 (κ = 1, 4, 9, 13.93,
// median 6.5), run 2 cos θ = 1, 1, 0.8, 0.8 (κ = 1, 1, 4, 4, median 2.5),
// so the median over runs of the per-run medians is 4.5 and the median
// final κ (13.93 and 4) is 8.964; cos θ = −0.5 (κ = ∞) in two of the
// three checkpoints of run 3 makes its median ∞.
func TestKappaMedians(t *testing.T) {
	k05 := (1 + math.Sqrt(0.75)) / (1 - math.Sqrt(0.75))
	for _, c := range []struct {
		name     string
		cos      [][]float64
		med, fin string
	}{
		{"two runs of four checkpoints", [][]float64{{1, 0.8, 0.6, 0.5}, {1, 1, 0.8, 0.8}}, "4.5", fmtFloat((k05 + 4) / 2)},
		{"three runs, one with κ = ∞", [][]float64{{1, 0.8, 0.6, 0.5}, {1, 1, 0.8, 0.8}, {0.8, -0.5, -0.5}}, "6.5", fmtFloat(k05)},
	} {
		runs := synthetic("three-factor", make([]float64, len(c.cos)), make([]float64, len(c.cos)))
		for i, r := range runs {
			for k, cs := range c.cos[i] {
				r.Trajectory = append(r.Trajectory, results.Checkpoint{Iteration: 10 * k, Cos: results.Num(cs)})
			}
		}
		a, err := Analyze(runs, t.TempDir(), []string{"kappa"})
		if err != nil {
			t.Fatal(err)
		}
		var row []string
		for _, s := range a.Sections {
			for _, tb := range s.Tables {
				if strings.HasPrefix(tb.Caption, "κ_min") && len(tb.Rows) == 1 {
					row = tb.Rows[0]
				}
			}
		}
		if row == nil {
			t.Fatalf("%s: no κ_min table:\n%s", c.name, a.Summary)
		}
		if row[2] != c.med || row[3] != c.fin {
			t.Errorf("%s: median of per-run medians %s, median final κ_min %s; want %s, %s", c.name, row[2], row[3], c.med, c.fin)
		}
	}
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
