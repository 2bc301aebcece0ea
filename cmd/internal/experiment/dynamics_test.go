package experiment

import (
	"testing"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
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
