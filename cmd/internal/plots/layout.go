package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendGap is the space between the data area and a legend outside it.
const legendGap = vg.Length(6)

// legendWidth returns the width a plot's legend takes beside the data
// area: 0 for a plot without legend entries.
func legendWidth(p *plot.Plot) vg.Length {
	r := p.Legend.Rectangle(draw.Canvas{})
	if w := r.Max.X - r.Min.X; w > 0 && r.Max.Y-r.Min.Y > 0 {
		return w + 2*legendGap
	}
	return 0
}

// drawPlot draws p on c with its legend, if it has one, in a column to the
// right of the plot, outside the data, aligned with the top of the data
// area. The plot's legend is restored afterwards.
func drawPlot(p *plot.Plot, c draw.Canvas) {
	lw := legendWidth(p)
	if lw == 0 {
		p.Draw(c)
		return
	}
	leg := p.Legend
	p.Legend = plot.NewLegend() // no entries: Draw leaves it out
	defer func() { p.Legend = leg }()
	p.Draw(draw.Crop(c, 0, -lw, 0, 0))
	lc := draw.Crop(c, c.Max.X-c.Min.X-lw+legendGap, 0, 0, 0)
	leg.Top, leg.Left = true, true
	leg.XOffs = 0
	// The data area starts below the title.
	if p.Title.Text != "" {
		lc.Max.Y -= p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	}
	leg.YOffs = 0
	leg.Draw(lc)
}

// linearTicks are tick marks at round numbers (1, 2 or 5 × 10^k apart)
// with 4 to 10 labelled ticks and one unlabelled tick between each pair,
// labels in the shortest form ("2500", not "2500.00"). A positive minStep
// bounds the step from below (1 for counts).
type linearTicks struct{ minStep float64 }

func (lt linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	step := math.Max(niceStep((hi-lo)/6), lt.minStep)
	var ts []plot.Tick
	start := math.Ceil(lo/step-1e-9) * step
	for v := start; v <= hi+step*1e-9; v += step {
		x := math.Round(v/step) * step // no accumulated rounding in the label
		if math.Abs(x) < step*1e-9 {
			x = 0
		}
		ts = append(ts, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 6, 64)})
		if m := x + step/2; m <= hi {
			ts = append(ts, plot.Tick{Value: m})
		}
	}
	if m := start - step/2; m >= lo {
		ts = append(ts, plot.Tick{Value: m})
	}
	return ts
}

// niceStep returns the smallest of 1, 2, 2.5, 5 × 10^k that is ≥ raw.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// logTicks are tick marks for a log axis with at least three labels
// whatever the range: the powers of ten (1, 10, 100, …) when the range
// spans at least two decades (every k-th power over more than 6 decades),
// else also 2 and 5 times them (the other
// multiples are unlabelled minor ticks), and within a narrower range the
// round values of linearTicks.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	// Every power of ten is labelled up to 8 decades (a loss falling from
	// 10 to 1e-6 reads 1e-06, 1e-05, …, 10); over more, every k-th power:
	// at most about 7 labels.
	k := 1
	if e1-e0 > 8 {
		k = (e1 - e0 + 5) / 6
	}
	e := e0 // the exponent of the tick being labelled
	label := func(m int) bool { return m == 1 && (e-e0)%k == 0 }
	count := func(f func(int) bool) int {
		n := 0
		for e = e0; e <= e1; e++ {
			for m := 1; m <= 9; m++ {
				if v := float64(m) * math.Pow(10, float64(e)); f(m) && v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
					n++
				}
			}
		}
		return n
	}
	if count(label) < 3 {
		label = func(m int) bool { return m == 1 || m == 2 || m == 5 }
	}
	if count(label) < 3 {
		// Less than about a decade: round values at a linear step
		// (0.8, 1, 1.2, 1.4; 30, 40, …, 90), placed on the log scale.
		return linearTicks{}.Ticks(lo, hi)
	}
	var ts []plot.Tick
	for e = e0; e <= e1; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, float64(e))
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64) // 3e-1, not 0.30000000000000004
			t := plot.Tick{Value: v}
			if label(m) {
				t.Label = strconv.FormatFloat(v, 'g', 6, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}
