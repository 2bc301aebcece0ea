package plots

import (
	"bytes"
	"image/png"
	"math"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
)

func labels(ts []plot.Tick, lo, hi float64) []string {
	var out []string
	for _, t := range ts {
		if t.Label != "" && t.Value >= lo*(1-1e-12) && t.Value <= hi*(1+1e-12) {
			out = append(out, t.Label)
		}
	}
	return out
}

func TestLogTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{1, 1e4, []string{"1", "10", "100", "1000", "10000"}},
		{3, 3000, []string{"10", "100", "1000"}},
		// A training loss over 7 decades: every power of ten.
		{5e-6, 3, []string{"1e-05", "0.0001", "0.001", "0.01", "0.1", "1"}},
		// Over 17 decades, every third power of ten.
		{1e-15, 10, []string{"1e-15", "1e-12", "1e-09", "1e-06", "0.001", "1"}},
		// Less than two decades: 2 and 5 times the powers of ten too.
		{20, 900, []string{"20", "50", "100", "200", "500"}},
		// Within a decade: round values at a linear step.
		{30, 90, []string{"30", "40", "50", "60", "70", "80", "90"}},
		{0.2, 0.7, []string{"0.2", "0.3", "0.4", "0.5", "0.6", "0.7"}},
		{0.77, 1.42, []string{"0.8", "1", "1.2", "1.4"}},
	} {
		got := labels(logTicks{}.Ticks(c.lo, c.hi), c.lo, c.hi)
		if len(got) != len(c.want) {
			t.Errorf("[%g, %g]: labels %v, want %v", c.lo, c.hi, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("[%g, %g]: labels %v, want %v", c.lo, c.hi, got, c.want)
				break
			}
		}
	}
}

func TestLinearTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{0, 3000, []string{"0", "500", "1000", "1500", "2000", "2500", "3000"}},
		{0, 1, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{-0.3, 0.45, []string{"-0.2", "0", "0.2", "0.4"}},
		{150, 10000, []string{"2000", "4000", "6000", "8000", "10000"}},
	} {
		got := labels(linearTicks{}.Ticks(c.lo, c.hi), math.Inf(-1), math.Inf(1))
		if len(got) < 4 || len(got) != len(c.want) {
			t.Errorf("[%g, %g]: labels %v, want %v", c.lo, c.hi, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("[%g, %g]: labels %v, want %v", c.lo, c.hi, got, c.want)
				break
			}
		}
	}
}

// TestLegendOutside checks that a legend widens the figure by a column
// beside the data instead of covering it, and that a plot without legend
// entries keeps the standard width.
func TestLegendOutside(t *testing.T) {
	width := func(p *plot.Plot) int {
		b, err := Render(p, "png")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return img.Bounds().Dx()
	}
	series, _, _ := demo()
	h, err := Histograms("h", "gap", series, 10)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Strip("s", "gap", series) // no legend
	if err != nil {
		t.Fatal(err)
	}
	if legendWidth(h) == 0 || legendWidth(s) != 0 {
		t.Fatalf("legend widths %v (histograms) and %v (strip)", legendWidth(h), legendWidth(s))
	}
	if wh, ws := width(h), width(s); wh <= ws {
		t.Errorf("figure with legend %d px wide, without %d px: the legend is not beside the data", wh, ws)
	}
	// Rendering twice gives the same figure: the legend is restored.
	if legendWidth(h) == 0 {
		t.Error("rendering dropped the legend")
	}
}

// TestNoEmptyEntries checks that a series without values (a rule with no
// finished runs) gets neither a legend entry nor a strip slot.
func TestNoEmptyEntries(t *testing.T) {
	series, _, _ := demo()
	withEmpty := append(append([]Series(nil), series...), Series{Label: "Empty", Values: []float64{math.NaN()}})
	a, _ := Histograms("h", "gap", series, 10)
	b, _ := Histograms("h", "gap", withEmpty, 10)
	if legendWidth(a) != legendWidth(b) || a.Legend.Rectangle(drawCanvas()).Max.Y != b.Legend.Rectangle(drawCanvas()).Max.Y {
		t.Error("empty series has a legend entry")
	}
	s, err := Strip("s", "gap", withEmpty)
	if err != nil {
		t.Fatal(err)
	}
	if s.X.Max != float64(len(series))-0.4 {
		t.Errorf("strip x range %v: the empty series has a slot", s.X.Max)
	}
}

// TestBandBounds checks the median/IQR bands and that a lower bound at or
// below zero is not drawn on a log axis (no invented m/10).
func TestBandBounds(t *testing.T) {
	b := Band{Label: "x", X: []float64{0, 1}, Mean: []float64{10, 10}, Std: []float64{20, 2}}
	for _, c := range []struct {
		i      int
		logY   bool
		lo, hi float64
	}{
		{0, false, -10, 30}, {0, true, 10, 30}, {1, true, 8, 12},
	} {
		if lo, hi := b.bounds(c.i, c.logY); lo != c.lo || hi != c.hi {
			t.Errorf("bounds(%d, log %v) = %v, %v; want %v, %v", c.i, c.logY, lo, hi, c.lo, c.hi)
		}
	}
	q := Band{Label: "q", X: []float64{0}, Mean: []float64{5}, Lo: []float64{2}, Hi: []float64{50}}
	if lo, hi := q.bounds(0, true); lo != 2 || hi != 50 {
		t.Errorf("quartile bounds %v %v", lo, hi)
	}
	if _, err := Bands("t", "x", "y", []Band{{Label: "bad", X: []float64{1}, Mean: []float64{1}, Lo: []float64{1}}}, false); err == nil {
		t.Error("band with Lo but no Hi accepted")
	}
	if _, err := LogStrip("r", "ratio", []Series{{Label: "a", Values: []float64{-1, 0}}}); err == nil {
		t.Error("LogStrip without positive values accepted")
	}
}

func drawCanvas() draw.Canvas { return draw.Canvas{} }
