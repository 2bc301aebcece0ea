package plots

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/hessrnn/hessrnn/cmd/internal/stats"
)

// Size of every figure.
const (
	Width  = 5 * vg.Inch
	Height = 3.6 * vg.Inch
)

// palette holds the rule colours (by paper label). The paper draws BPTT in
// black and "Three-factor theory" in blue.
var palette = map[string]color.NRGBA{
	"BPTT":                {0, 0, 0, 255},
	"Three-factor":        {214, 39, 40, 255},
	"RF Three-factor":     {255, 127, 14, 255},
	"MDGL":                {44, 160, 44, 255},
	"Three-factor theory": {31, 119, 180, 255},
}

// extra colours for labels outside the palette, chosen by a hash of the label.
var extra = []color.NRGBA{
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255}, {106, 61, 154, 255}, {177, 89, 40, 255},
}

// Color returns the colour of a series label: fixed for the paper's rules,
// stable (hash-based) for any other label.
func Color(label string) color.NRGBA {
	if c, ok := palette[label]; ok {
		return c
	}
	if i := strings.Index(label, " ["); i > 0 {
		// A variant of a rule ("Three-factor [lr decay]", "BPTT [adam]"):
		// the rule's colour, lightened so both can share a figure.
		if c, ok := palette[label[:i]]; ok {
			mix := func(v uint8) uint8 { return uint8(float64(v) + 0.45*(255-float64(v))) }
			return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 255}
		}
	}
	if strings.HasPrefix(label, "TBPTT(") {
		// A ramp from red (short windows) to black (full BPTT).
		var k int
		fmt.Sscanf(label, "TBPTT(%d)", &k)
		t := math.Min(1, math.Log2(float64(max(k, 1)))/6)
		return color.NRGBA{uint8(214 * (1 - t)), uint8(39 * (1 - t)), uint8(40 + 100*t), 255}
	}
	h := fnv.New32a()
	h.Write([]byte(label))
	return extra[h.Sum32()%uint32(len(extra))]
}

func withAlpha(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.TextStyle.Font.Size = vg.Points(10)
	p.Y.Label.TextStyle.Font.Size = vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.Top = true
	p.X.Tick.Marker = linearTicks{}
	p.Y.Tick.Marker = linearTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// Series is a named sample of one quantity, e.g. the generalisation gaps
// of one rule's runs.
type Series struct {
	Label  string
	Values []float64
	// Color overrides the label's colour when set.
	Color color.NRGBA
}

// colorOf returns c, or the label's colour when c is the zero value.
func colorOf(c color.NRGBA, label string) color.NRGBA {
	if c == (color.NRGBA{}) {
		return Color(label)
	}
	return c
}

// Finite returns the finite values of x, in order (NaN and ±Inf dropped).
func Finite(x []float64) []float64 {
	var out []float64
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

// Histograms overlays one histogram per series on common bins, each in its
// rule's colour, semi-transparent (Fig. 2 A–C).
func Histograms(title, xlabel string, series []Series, bins int) (*plot.Plot, error) {
	if bins < 1 {
		bins = 10
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range Finite(s.Values) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		return nil, fmt.Errorf("plots: %q has no finite values", title)
	}
	if hi == lo {
		lo, hi = lo-0.5, hi+0.5
	}
	w := (hi - lo) / float64(bins)
	p := newPlot(title, xlabel, "runs")
	for _, s := range series {
		if len(Finite(s.Values)) == 0 {
			continue // no legend entry for a series without values
		}
		h := &plotter.Histogram{Width: w}
		for b := range bins {
			h.Bins = append(h.Bins, plotter.HistogramBin{Min: lo + float64(b)*w, Max: lo + float64(b+1)*w})
		}
		vals := Finite(s.Values)
		for _, v := range vals {
			b := min(int((v-lo)/w), bins-1)
			h.Bins[b].Weight++
		}
		c := colorOf(s.Color, s.Label)
		h.FillColor = withAlpha(c, 90)
		h.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1)}
		p.Add(h)
		p.Legend.Add(fmt.Sprintf("%s (n=%d)", s.Label, len(vals)), h)
	}
	p.Y.Min = 0
	p.Y.Tick.Marker = linearTicks{minStep: 1} // run counts
	return p, nil
}

// Point is one (x, y) observation with its series label.
type Point struct {
	Label string
	X, Y  float64
}

// Fit describes the line and statistic drawn on a scatter plot.
type Fit struct {
	// A and B are the intercept and slope of y = A + B·x, or, with LogX,
	// of y = A + B·ln x (a straight line on a log x axis).
	A, B float64
	LogX bool
	// Text is shown in the title, e.g. "Pearson r = 0.62, p = 3e-4".
	Text string
}

// Scatter plots points coloured by label, with an optional fit line across
// the x range and the fit's text appended to the title (Fig. 2 D–F).
func Scatter(title, xlabel, ylabel string, pts []Point, fit *Fit) (*plot.Plot, error) {
	if fit != nil && fit.Text != "" {
		title += "\n" + strings.ReplaceAll(fit.Text, "; ", "\n") // one statistic per line
	}
	p := newPlot(title, xlabel, ylabel)
	groups := map[string]plotter.XYs{}
	var order []string
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, q := range pts {
		if math.IsNaN(q.X) || math.IsNaN(q.Y) || math.IsInf(q.X, 0) || math.IsInf(q.Y, 0) {
			continue
		}
		if _, ok := groups[q.Label]; !ok {
			order = append(order, q.Label)
		}
		groups[q.Label] = append(groups[q.Label], plotter.XY{X: q.X, Y: q.Y})
		xmin, xmax = math.Min(xmin, q.X), math.Max(xmax, q.X)
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("plots: %q has no finite points", title)
	}
	for _, l := range order {
		s, err := plotter.NewScatter(groups[l])
		if err != nil {
			return nil, err
		}
		c := Color(l)
		s.GlyphStyle = draw.GlyphStyle{Color: withAlpha(c, 200), Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		p.Add(s)
		p.Legend.Add(l, s)
	}
	if fit != nil && !math.IsNaN(fit.A) && !math.IsNaN(fit.B) {
		f := plotter.NewFunction(func(x float64) float64 {
			if fit.LogX {
				return fit.A + fit.B*math.Log(x)
			}
			return fit.A + fit.B*x
		})
		f.XMin, f.XMax = xmin, xmax
		f.LineStyle = draw.LineStyle{Color: color.NRGBA{80, 80, 80, 255}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		p.Add(f)
	}
	return p, nil
}

// Band is a curve of one series along training with a shaded band: the
// mean ± std, or, when Lo and Hi are set, a centre (e.g. the median) between
// explicit bounds (e.g. the quartiles).
type Band struct {
	Label string
	X     []float64
	// Mean is the centre line: the mean, or the median with Lo and Hi.
	Mean []float64
	Std  []float64 // NaN or 0 draws no band at that x; ignored with Lo and Hi
	// Lo and Hi, when not nil, are the band's bounds at each x.
	Lo, Hi []float64
	// Color overrides the label's colour when set.
	Color color.NRGBA
	// Dashed draws the mean as a dashed line.
	Dashed bool
}

// LogAxis puts a on a log scale with at least three labelled ticks (the
// powers of ten 1, 10, 100, … over a wide range, more within a narrow one).
func LogAxis(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
}

// check reports a band whose slices disagree in length.
func (b Band) check() error {
	if len(b.X) != len(b.Mean) || (b.Lo == nil && len(b.X) != len(b.Std)) || (b.Lo != nil && (len(b.Lo) != len(b.X) || len(b.Hi) != len(b.X))) {
		return fmt.Errorf("plots: band %q has %d x, %d centres, %d stds, %d/%d bounds", b.Label, len(b.X), len(b.Mean), len(b.Std), len(b.Lo), len(b.Hi))
	}
	return nil
}

// bounds returns the band's lower and upper bound at i: Lo and Hi when
// set, else Mean ∓ Std (Std NaN counts as 0). On a log axis (logY) a
// lower bound ≤ 0 cannot be drawn: it is the centre instead (no band
// below it), never an invented value.
func (b Band) bounds(i int, logY bool) (lo, hi float64) {
	m := b.Mean[i]
	if b.Lo != nil {
		lo, hi = b.Lo[i], b.Hi[i]
	} else {
		s := b.Std[i]
		if math.IsNaN(s) {
			s = 0
		}
		lo, hi = m-s, m+s
	}
	if math.IsNaN(lo) || math.IsInf(lo, 0) || (logY && lo <= 0) {
		lo = m
	}
	if math.IsNaN(hi) || math.IsInf(hi, 0) {
		hi = m
	}
	return lo, hi
}

// Bands draws each series' centre as a line and its band (mean ± std, or
// Lo to Hi) shaded (Fig. 3). logY puts the y axis on a log scale
// (non-positive centres are left out).
func Bands(title, xlabel, ylabel string, bands []Band, logY bool) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	if logY {
		LogAxis(&p.Y)
	}
	any := false
	for _, b := range bands {
		if err := b.check(); err != nil {
			return nil, err
		}
		var line, upper, lower plotter.XYs
		for i, x := range b.X {
			m := b.Mean[i]
			if math.IsNaN(m) || math.IsInf(m, 0) || (logY && m <= 0) {
				continue
			}
			line = append(line, plotter.XY{X: x, Y: m})
			lo, hi := b.bounds(i, logY)
			upper = append(upper, plotter.XY{X: x, Y: hi})
			lower = append(lower, plotter.XY{X: x, Y: lo})
		}
		if len(line) == 0 {
			continue
		}
		any = true
		c := colorOf(b.Color, b.Label)
		if len(line) > 1 {
			poly := append(plotter.XYs{}, upper...)
			for i := len(lower) - 1; i >= 0; i-- {
				poly = append(poly, lower[i])
			}
			pg, err := plotter.NewPolygon(poly)
			if err != nil {
				return nil, err
			}
			pg.Color = withAlpha(c, 55)
			pg.LineStyle.Width = 0
			p.Add(pg)
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return nil, err
		}
		l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.6)}
		if b.Dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		if len(line) == 1 {
			sc, _ := plotter.NewScatter(line)
			sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
			p.Add(sc)
		}
		p.Legend.Add(b.Label, l)
	}
	if !any {
		return nil, fmt.Errorf("plots: %q has no finite values", title)
	}
	return p, nil
}

// Strip draws every value of each series as a dot at the series' position
// on a nominal x axis, with the mean ± std as a bar (Fig. 7, 8, 10).
func Strip(title, ylabel string, series []Series) (*plot.Plot, error) {
	p := newPlot(title, "", ylabel)
	var names []string
	var kept []Series
	for _, s := range series {
		if len(Finite(s.Values)) > 0 {
			kept = append(kept, s) // a series without values gets no slot
		}
	}
	series = kept
	any := false
	for i, s := range series {
		names = append(names, s.Label)
		vals := Finite(s.Values)
		any = true
		c := colorOf(s.Color, s.Label)
		sorted := append([]float64(nil), vals...)
		sort.Float64s(sorted)
		sc, err := stripDots(i, sorted, c)
		if err != nil {
			return nil, err
		}
		p.Add(sc)
		m, sd := meanStd(vals)
		bar, _ := plotter.NewLine(plotter.XYs{{X: float64(i), Y: m - sd}, {X: float64(i), Y: m + sd}})
		bar.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(2)}
		mean, _ := plotter.NewLine(plotter.XYs{{X: float64(i) - 0.2, Y: m}, {X: float64(i) + 0.2, Y: m}})
		mean.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(2.5)}
		p.Add(bar, mean)
	}
	if !any {
		return nil, fmt.Errorf("plots: %q has no finite values", title)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(series))-0.4
	p.Legend = plot.NewLegend()
	return p, nil
}

// LogStrip draws positive values of each series (e.g. ratios to BPTT) as
// dots on a log y axis, with the median as a tick and the interquartile
// range as a bar: the summary that fits a log scale. Non-positive values
// cannot be shown and are left out.
func LogStrip(title, ylabel string, series []Series) (*plot.Plot, error) {
	p := newPlot(title, "", ylabel)
	LogAxis(&p.Y)
	var names []string
	i := 0
	for _, s := range series {
		var vals []float64
		for _, v := range Finite(s.Values) {
			if v > 0 {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			continue
		}
		names = append(names, s.Label)
		c := colorOf(s.Color, s.Label)
		sort.Float64s(vals)
		sc, err := stripDots(i, vals, c)
		if err != nil {
			return nil, err
		}
		q := stats.MedianIQR(vals)
		bar, _ := plotter.NewLine(plotter.XYs{{X: float64(i), Y: q.Q1}, {X: float64(i), Y: q.Q3}})
		bar.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(2)}
		med, _ := plotter.NewLine(plotter.XYs{{X: float64(i) - 0.2, Y: q.Median}, {X: float64(i) + 0.2, Y: q.Median}})
		med.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(2.5)}
		p.Add(sc, bar, med)
		i++
	}
	if i == 0 {
		return nil, fmt.Errorf("plots: %q has no positive values", title)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(i)-0.4
	p.Y.Min, p.Y.Max = p.Y.Min/1.1, p.Y.Max*1.1 // room around the extreme marks
	p.Legend = plot.NewLegend()
	return p, nil
}

// stripDots draws the sorted values at nominal position i, spread
// deterministically over ±0.125 so equal values stay visible.
func stripDots(i int, sorted []float64, c color.NRGBA) (*plotter.Scatter, error) {
	var xy plotter.XYs
	for j, v := range sorted {
		off := 0.25 * (float64(j%7)/6 - 0.5)
		xy = append(xy, plotter.XY{X: float64(i) + off, Y: v})
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: withAlpha(c, 170), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
	return sc, nil
}

func meanStd(x []float64) (float64, float64) {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	if len(x) < 2 {
		return m, 0
	}
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return m, math.Sqrt(s / float64(len(x)-1))
}

// Render returns the figure encoded in format ("svg" or "png").
// A legend is drawn to the right of the data, the figure widened by its
// width.
func Render(p *plot.Plot, format string) ([]byte, error) {
	c, err := draw.NewFormattedCanvas(Width+legendWidth(p), Height, format)
	if err != nil {
		return nil, err
	}
	drawPlot(p, draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes dir/name.png and dir/name.svg and returns the SVG bytes.
func Save(p *plot.Plot, dir, name string) (svg []byte, err error) {
	return save(dir, name, func(f string) ([]byte, error) { return Render(p, f) })
}

// HLine is a horizontal reference line, e.g. a stability bound 2/η.
type HLine struct {
	Label string
	Y     float64
	// Color of the line; the zero value uses the label's colour (Color).
	Color color.NRGBA
}

// AddHLines draws dashed horizontal reference lines across the plot's x
// range and lists them in the legend. Non-finite or, on a log y axis,
// non-positive values are skipped.
func AddHLines(p *plot.Plot, lines ...HLine) {
	_, logY := p.Y.Scale.(plot.LogScale)
	for _, l := range lines {
		if math.IsNaN(l.Y) || math.IsInf(l.Y, 0) || (logY && l.Y <= 0) {
			continue
		}
		c := l.Color
		if c == (color.NRGBA{}) {
			c = Color(l.Label)
		}
		y := l.Y
		f := plotter.NewFunction(func(float64) float64 { return y })
		f.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
		// Keep the line inside the y range: extend the axis to include it.
		p.Y.Min, p.Y.Max = math.Min(p.Y.Min, y), math.Max(p.Y.Max, y)
		p.Add(f)
		if l.Label != "" {
			p.Legend.Add(l.Label, f)
		}
	}
}

// ErrorLines draws each band's centre as markers joined by a line, with
// error bars (± std, or Lo to Hi), against a numeric x (e.g. final λ_max against the
// truncation window K, Fig. 9). logX and logY select log axes.
func ErrorLines(title, xlabel, ylabel string, bands []Band, logX, logY bool) (*plot.Plot, error) {
	p := newPlot(title, xlabel, ylabel)
	if logX {
		LogAxis(&p.X)
	}
	if logY {
		LogAxis(&p.Y)
	}
	any := false
	for _, b := range bands {
		if err := b.check(); err != nil {
			return nil, err
		}
		var xys plotter.XYs
		var errs plotter.YErrors
		for i, x := range b.X {
			m := b.Mean[i]
			if math.IsNaN(m) || math.IsInf(m, 0) || (logY && m <= 0) || (logX && x <= 0) {
				continue
			}
			lo, hi := b.bounds(i, logY)
			xys = append(xys, plotter.XY{X: x, Y: m})
			errs = append(errs, struct{ Low, High float64 }{m - lo, hi - m})
		}
		if len(xys) == 0 {
			continue
		}
		any = true
		c := colorOf(b.Color, b.Label)
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(1.4)}
		sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		eb := &plotter.YErrorBars{XYs: xys, YErrors: errs, LineStyle: draw.LineStyle{Color: c, Width: vg.Points(1.2)}, CapWidth: vg.Points(6)}
		p.Add(l, sc, eb)
		p.Legend.Add(b.Label, l, sc)
	}
	if !any {
		return nil, fmt.Errorf("plots: %q has no finite values", title)
	}
	return p, nil
}

// LogBands is Bands with a choice of log scales on both axes, e.g. the
// mean |λ_n| against the rank n on log–log axes (Fig. 7).
func LogBands(title, xlabel, ylabel string, bands []Band, logX, logY bool) (*plot.Plot, error) {
	if logX {
		var kept []Band
		for _, b := range bands {
			if err := b.check(); err != nil {
				return nil, err
			}
			nb := Band{Label: b.Label, Color: b.Color, Dashed: b.Dashed}
			for i, x := range b.X {
				if x > 0 {
					nb.X = append(nb.X, x)
					nb.Mean = append(nb.Mean, b.Mean[i])
					if b.Lo != nil {
						nb.Lo, nb.Hi = append(nb.Lo, b.Lo[i]), append(nb.Hi, b.Hi[i])
					} else {
						nb.Std = append(nb.Std, b.Std[i])
					}
				}
			}
			kept = append(kept, nb)
		}
		bands = kept
	}
	p, err := Bands(title, xlabel, ylabel, bands, logY)
	if err != nil {
		return nil, err
	}
	if logX {
		LogAxis(&p.X)
	}
	return p, nil
}

// Panels arranges plots in a grid of cols columns (Fig. 12 A–B: one
// scatter per rule) and returns it as one figure. Each panel has the size
// of a single figure scaled by scale.
type Panels struct {
	Plots []*plot.Plot
	Cols  int
	Scale float64
}

func (g Panels) size() (w, h vg.Length, rows, cols int) {
	cols = max(1, min(g.Cols, len(g.Plots)))
	rows = (len(g.Plots) + cols - 1) / cols
	s := g.Scale
	if s <= 0 {
		s = 0.8
	}
	return vg.Length(float64(cols) * s * float64(Width)), vg.Length(float64(rows) * s * float64(Height)), rows, cols
}

// RenderPanels returns the grid encoded as "svg" or "png".
func RenderPanels(g Panels, format string) ([]byte, error) {
	if len(g.Plots) == 0 {
		return nil, fmt.Errorf("plots: no panels")
	}
	w, h, rows, cols := g.size()
	var c vg.CanvasWriterTo
	switch format {
	case "svg":
		c = vgsvg.New(w, h)
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))}
	default:
		return nil, fmt.Errorf("plots: unknown format %q", format)
	}
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for col := range cols {
			if i := r*cols + col; i < len(g.Plots) {
				grid[r][col] = g.Plots[i]
			}
		}
	}
	dc := draw.New(c)
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: vg.Points(2), PadBottom: vg.Points(2), PadLeft: vg.Points(2), PadRight: vg.Points(2)}
	canvases := plot.Align(grid, t, dc)
	for r := range grid {
		for col, p := range grid[r] {
			if p != nil {
				drawPlot(p, canvases[r][col])
			}
		}
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SavePanels writes dir/name.png and dir/name.svg of the grid and returns
// the SVG bytes.
func SavePanels(g Panels, dir, name string) (svg []byte, err error) {
	return save(dir, name, func(f string) ([]byte, error) { return RenderPanels(g, f) })
}

// renderSafely calls render and turns a panic of gonum/plot (it panics,
// for example, on a value ≤ 0 on a log axis) into an error, so that a
// figure the data cannot draw costs that figure, not the report.
func renderSafely(render func(format string) ([]byte, error), format string) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("cannot draw the data: %v", r)
		}
	}()
	return render(format)
}

// save writes dir/name.png and dir/name.svg rendered by render and returns
// the SVG bytes.
func save(dir, name string, render func(format string) ([]byte, error)) (svg []byte, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, f := range []string{"png", "svg"} {
		b, err := renderSafely(render, f)
		if err != nil {
			return nil, fmt.Errorf("plots: rendering %s.%s: %w", name, f, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"."+f), b, 0o644); err != nil {
			return nil, err
		}
		if f == "svg" {
			svg = b
		}
	}
	return svg, nil
}
