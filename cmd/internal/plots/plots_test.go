package plots

import (
	"bytes"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

func demo() ([]Series, []Point, []Band) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"BPTT", "Three-factor", "RF Three-factor", "MDGL"}
	var series []Series
	var pts []Point
	var bands []Band
	for i, l := range labels {
		s := Series{Label: l}
		for range 20 {
			g := 0.02 + 0.03*float64(i) + 0.01*(1+float64(i))*rng.NormFloat64()
			s.Values = append(s.Values, g)
			pts = append(pts, Point{Label: l, X: 5 + 20*g + rng.NormFloat64(), Y: g})
		}
		series = append(series, s)
		b := Band{Label: l}
		for k := range 21 {
			x := float64(k * 100)
			b.X = append(b.X, x)
			b.Mean = append(b.Mean, 2+float64(i+1)*3*(1-math.Exp(-x/500)))
			b.Std = append(b.Std, 0.3*float64(i+1))
		}
		bands = append(bands, b)
	}
	return series, pts, bands
}

func TestFiguresRender(t *testing.T) {
	series, pts, bands := demo()
	dir := t.TempDir()
	if d := os.Getenv("HESSRNN_PLOTS_DIR"); d != "" {
		dir = d // to look at the figures: HESSRNN_PLOTS_DIR=/tmp/p go test ./cmd/internal/plots
	}
	h, err := Histograms("Pattern generation", "generalization gap", series, 12)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Scatter("Pattern generation", "λ_max", "generalization gap", pts, &Fit{A: 0, B: 0.01, Text: "Pearson r = 0.62, p = 3.1e-04"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bands("Pattern generation", "iteration", "λ_max", bands, false)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := Bands("log", "iteration", "λ_max", bands, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := Strip("Power-law coefficient", "γ", series[:2])
	if err != nil {
		t.Fatal(err)
	}
	AddHLines(b, HLine{Label: "2/η", Y: 12}, HLine{Label: "2/(αη)", Y: 20, Color: palette["Three-factor"]})
	el, err := ErrorLines("Truncation", "K", "λ_max", bands[:2], true, true)
	if err != nil {
		t.Fatal(err)
	}
	ll, err := LogBands("Spectrum", "n", "|λ_n|", bands, true, true)
	if err != nil {
		t.Fatal(err)
	}
	panels := Panels{Plots: []*plot.Plot{s, h, st}, Cols: 2}
	for _, c := range []struct {
		name string
		svg  func() ([]byte, error)
	}{
		{"hist", func() ([]byte, error) { return Save(h, dir, "hist") }},
		{"scatter", func() ([]byte, error) { return Save(s, dir, "scatter") }},
		{"bands", func() ([]byte, error) { return Save(b, dir, "bands") }},
		{"bandslog", func() ([]byte, error) { return Save(bl, dir, "bandslog") }},
		{"strip", func() ([]byte, error) { return Save(st, dir, "strip") }},
		{"errorlines", func() ([]byte, error) { return Save(el, dir, "errorlines") }},
		{"logbands", func() ([]byte, error) { return Save(ll, dir, "logbands") }},
		{"panels", func() ([]byte, error) { return SavePanels(panels, dir, "panels") }},
	} {
		svg, err := c.svg()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("%s: not SVG", c.name)
		}
		png, err := os.ReadFile(filepath.Join(dir, c.name+".png"))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 5000 {
			t.Errorf("%s: PNG missing or tiny (%d bytes, %v)", c.name, len(png), err)
		}
	}
	svg, _ := Render(s, "svg")
	if !strings.Contains(string(svg), "Pearson r = 0.62") {
		t.Error("fit text missing from the scatter plot")
	}
	if svg, _ := Render(b, "svg"); !strings.Contains(string(svg), "2/(αη)") {
		t.Error("reference line missing from the legend")
	}
	if b.Y.Max < 20 {
		t.Errorf("reference line at 20 outside the y range (max %g)", b.Y.Max)
	}
}

func TestErrors(t *testing.T) {
	nan := []float64{math.NaN(), math.Inf(1)}
	if _, err := Histograms("t", "x", []Series{{Label: "BPTT", Values: nan}}, 5); err == nil {
		t.Error("histogram of no finite values")
	}
	if _, err := Scatter("t", "x", "y", []Point{{"BPTT", math.NaN(), 1}}, nil); err == nil {
		t.Error("scatter of no finite points")
	}
	if _, err := Bands("t", "x", "y", []Band{{Label: "a", X: []float64{1}, Mean: nil, Std: nil}}, false); err == nil {
		t.Error("mismatched band")
	}
	if _, err := ErrorLines("t", "x", "y", []Band{{Label: "a", X: []float64{-1}, Mean: []float64{1}, Std: []float64{0}}}, true, false); err == nil {
		t.Error("error lines with no positive x on a log axis")
	}
	if _, err := RenderPanels(Panels{}, "png"); err == nil {
		t.Error("empty panels")
	}
	if _, err := Strip("t", "y", []Series{{Label: "a"}}); err == nil {
		t.Error("empty strip")
	}
	// A value ≤ 0 on a log axis makes gonum/plot panic; saving such a
	// figure is an error, not a crash.
	neg, err := Scatter("t", "x", "y", []Point{{"BPTT", 1, -5}, {"BPTT", 2, 50}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	LogAxis(&neg.Y)
	if _, err := Save(neg, t.TempDir(), "negative"); err == nil || !strings.Contains(err.Error(), "cannot draw") {
		t.Errorf("a negative value on a log axis saved with error %v, want a 'cannot draw' error", err)
	}
	if _, err := SavePanels(Panels{Plots: []*plot.Plot{neg}, Cols: 1}, t.TempDir(), "negative"); err == nil {
		t.Error("panels with a negative value on a log axis saved without error")
	}
	// A single value and constant values still render.
	if p, err := Histograms("t", "x", []Series{{Label: "BPTT", Values: []float64{1, 1}}}, 5); err != nil || p == nil {
		t.Errorf("constant histogram: %v", err)
	}
}

func TestColors(t *testing.T) {
	if Color("BPTT") != (color.NRGBA{0, 0, 0, 255}) || Color("BPTT") == Color("Three-factor") {
		t.Error("rule colours not fixed (BPTT black) and distinct")
	}
	if c := Color("something else"); !slices.Contains(extra, c) {
		t.Errorf("colour %v of a label outside the palette is not one of the extra colours", c)
	}
	if v := Color("Three-factor [lr decay]"); v == Color("Three-factor") || v.R < v.G || v.R < v.B {
		t.Errorf("variant colour %v is not a lighter red", v)
	}
	if Color("TBPTT(1)") == Color("TBPTT(32)") {
		t.Error("TBPTT ramp flat")
	}
}

func TestSeriesColor(t *testing.T) {
	c := Color("MDGL")
	if colorOf(c, "BPTT") != c || colorOf(color.NRGBA{}, "BPTT") != Color("BPTT") {
		t.Error("colour override")
	}
	st, err := Strip("t", "y", []Series{{Label: "ε", Values: []float64{1, 2}, Color: c}})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := Render(st, "svg")
	if err != nil || !strings.Contains(string(svg), "#2CA02C") {
		t.Errorf("strip does not use the series colour (%v)", err)
	}
}
