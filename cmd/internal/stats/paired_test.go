package stats

import (
	"math"
	"testing"
)

func TestQuantile(t *testing.T) {
	one := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		x    []float64
		p    float64
		want float64
	}{
		// h = (n−1)p: 9·0.25 = 2.25 → 3 + 0.25·1 (NumPy percentile, R type 7).
		{one, 0.25, 3.25},
		{one, 0.5, 5.5},
		{one, 0.75, 7.75},
		{one, 0, 1},
		{one, 1, 10},
		// NumPy's documented example: percentile([[10, 7, 4], [3, 2, 1]], 50) = 3.5.
		{[]float64{10, 7, 4, 3, 2, 1}, 0.5, 3.5},
		// R: quantile(c(1, 2, 3, 4), 0.1) = 1.3.
		{[]float64{4, 3, 2, 1}, 0.1, 1.3},
		{[]float64{math.NaN(), 2, 1}, 0.5, 1.5},
		{[]float64{7}, 0.3, 7},
		{nil, 0.5, math.NaN()},
		{one, 1.5, math.NaN()},
		// Infinite values (κ_min = ∞): an order statistic hit exactly or
		// between two equal neighbours is ∞, not ∞ + 0·(∞ − ∞) = NaN.
		{[]float64{4, math.Inf(1), math.Inf(1)}, 0.5, math.Inf(1)},
		{[]float64{4, math.Inf(1), math.Inf(1), math.Inf(1)}, 0.5, math.Inf(1)},
		{[]float64{1, 4, math.Inf(1), math.Inf(1)}, 0.5, math.Inf(1)},
		{[]float64{1, 4, 9, math.Inf(1)}, 0.5, 6.5},
	} {
		got := Quantile(c.x, c.p)
		if !(got == c.want || near(got, c.want, 1e-14) || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("Quantile(%v, %g) = %v, want %v", c.x, c.p, got, c.want)
		}
	}
}

func TestMedianIQR(t *testing.T) {
	for _, c := range []struct {
		x    []float64
		want Spread
		str  string
	}{
		{[]float64{1000, 3, 10, 1, 100}, Spread{N: 5, Median: 10, Q1: 3, Q3: 100}, "10 [3, 100]"},
		{[]float64{1, 2, 3, 4, math.NaN()}, Spread{N: 4, Median: 2.5, Q1: 1.75, Q3: 3.25}, "2.5 [1.75, 3.25]"},
		{[]float64{42}, Spread{N: 1, Median: 42, Q1: 42, Q3: 42}, "42"},
	} {
		got := MedianIQR(c.x)
		if got != c.want || got.String() != c.str {
			t.Errorf("MedianIQR(%v) = %+v %q, want %+v %q", c.x, got, got.String(), c.want, c.str)
		}
	}
	if s := MedianIQR(nil); s.N != 0 || !math.IsNaN(s.Median) || s.String() != "n/a" {
		t.Errorf("empty: %+v", s)
	}
}

func TestLogRatio(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name            string
		x, y            []float64
		n, lost, larger int
		nonPos          int
		geo, lo, hi, p  float64
	}{
		// Ratios 2 and 8: geometric mean 4. The bootstrap means of two
		// log ratios are log 2, log 4, log 8 with probabilities ¼, ½, ¼,
		// so the 2.5% and 97.5% points are log 2 and log 8. Exact
		// Wilcoxon, n = 2, both positive: p = 2·¼.
		{"two pairs", []float64{2, 8}, []float64{1, 1}, 2, 0, 2, 0, 4, 2, 8, 0.5},
		// Five pairs all larger: the smallest exact two-sided p for
		// n = 5, 2/2⁵ = 0.0625; geometric mean (2·3·4·5·6)^(1/5).
		{"five larger", []float64{2, 3, 4, 5, 6}, []float64{1, 1, 1, 1, 1}, 5, 0, 5, 0, math.Pow(720, 0.2), nan, nan, 0.0625},
		// Six pairs all smaller: 2/2⁶ = 0.03125, ratio 1/10 throughout
		// (constant: the interval is the point).
		{"six smaller", []float64{1, 2, 3, 4, 5, 6}, []float64{10, 20, 30, 40, 50, 60}, 6, 0, 0, 0, 0.1, 0.1, 0.1, nan},
		// A diverged run (NaN) and a non-positive value lose their pairs;
		// the non-positive ones (−1 and 0, either side) are counted apart.
		{"lost pairs", []float64{2, nan, 8, -1, 3}, []float64{1, 1, 1, 1, 0}, 2, 3, 2, 2, 4, 2, 8, 0.5},
		{"infinite is not non-positive", []float64{2, math.Inf(1), 8}, []float64{1, -1, 1}, 2, 1, 2, 0, 4, 2, 8, 0.5},
	} {
		r, err := LogRatio(c.x, c.y, 0.95, 4000, 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.N != c.n || r.Lost != c.lost || r.NonPositive != c.nonPos || r.Larger != c.larger || !near(r.GeoMean, c.geo, 1e-12) {
			t.Errorf("%s: %+v", c.name, r)
		}
		if !math.IsNaN(c.lo) && (!near(r.CILow, c.lo, 1e-12) || !near(r.CIHigh, c.hi, 1e-12)) {
			t.Errorf("%s: CI [%v, %v], want [%v, %v]", c.name, r.CILow, r.CIHigh, c.lo, c.hi)
		}
		if !(r.CILow <= r.GeoMean && r.GeoMean <= r.CIHigh) {
			t.Errorf("%s: CI [%v, %v] excludes %v", c.name, r.CILow, r.CIHigh, r.GeoMean)
		}
		if !math.IsNaN(c.p) && !near(r.Wilcoxon.P, c.p, 1e-14) {
			t.Errorf("%s: Wilcoxon p %v, want %v", c.name, r.Wilcoxon.P, c.p)
		}
	}
	// The test is on log ratios, not on raw differences: x = (1, 100),
	// y = (2, 50) has ratios ½ and 2 (|log| tied: W+ = W− and p = 1),
	// while the raw differences −1 and 50 would rank differently.
	r, _ := LogRatio([]float64{1, 100}, []float64{2, 50}, 0.95, 1000, 1)
	if !near(r.GeoMean, 1, 1e-14) || r.Wilcoxon.P != 1 {
		t.Errorf("symmetric ratios: %+v", r)
	}
	if _, err := LogRatio([]float64{nan}, []float64{1}, 0.95, 1000, 1); err != ErrTooFew {
		t.Errorf("no usable pair: %v", err)
	}
	if _, err := LogRatio([]float64{1}, []float64{1, 2}, 0.95, 1000, 1); err == nil {
		t.Error("unequal lengths accepted")
	}
}

func TestPairedDiff(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name             string
		x, y             []float64
		n, lost, larger  int
		mean, median, lo float64
		hi, p            float64
	}{
		// Differences 2, 3, 6: exact Wilcoxon n = 3, all positive: 2/2³.
		{"three", []float64{3, 5, 9}, []float64{1, 2, 3}, 3, 0, 3, 11.0 / 3, 3, nan, nan, 0.25},
		// Constant difference: the interval is the point. Three tied
		// |d|: normal approximation, W+ = 6, mean 3, variance
		// 3·4·7/24 − (3³−3)/48 = 3, continuity 0.5: p = erfc(2.5/√6).
		{"constant", []float64{2, 3, 4, nan}, []float64{1, 2, 3, 0}, 3, 1, 3, 1, 1, 1, 1, math.Erfc(2.5 / math.Sqrt(6))},
		// Differences −1, 1 (tied |d|): p = 1; mean 0.
		{"balanced", []float64{0, 2}, []float64{1, 1}, 2, 0, 1, 0, 0, -1, 1, 1},
	} {
		r, err := PairedDiff(c.x, c.y, 0.95, 4000, 3)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.N != c.n || r.Lost != c.lost || r.Larger != c.larger || !near(r.Mean, c.mean, 1e-14) || !near(r.Median, c.median, 1e-14) {
			t.Errorf("%s: %+v", c.name, r)
		}
		if !math.IsNaN(c.lo) && (!near(r.CILow, c.lo, 1e-14) || !near(r.CIHigh, c.hi, 1e-14)) {
			t.Errorf("%s: CI [%v, %v], want [%v, %v]", c.name, r.CILow, r.CIHigh, c.lo, c.hi)
		}
		if !near(r.Wilcoxon.P, c.p, 1e-14) {
			t.Errorf("%s: Wilcoxon p %v, want %v", c.name, r.Wilcoxon.P, c.p)
		}
	}
}

func TestPitmanMorgan(t *testing.T) {
	// By hand: d = x−y = (−1, 0, 0, 1, 1), s = x+y = (3, 4, 6, 7, 9);
	// Σ(d−d̄)(s−s̄) = 7.2, Σ(d−d̄)² = 2.8, Σ(s−s̄)² = 22.8, so r = 7.2/√63.84;
	// var(x) = 2.5, var(y) = 0.7; t with 3 df, p from its closed-form CDF.
	x := []float64{1, 2, 3, 4, 5}
	y := []float64{2, 2, 3, 3, 4}
	r := 7.2 / math.Sqrt(63.84)
	tt := r * math.Sqrt(3/(1-r*r))
	v, err := PitmanMorgan(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !near(v.R, r, 1e-14) || !near(v.T, tt, 1e-12) || !near(v.P, 2*(1-tCDF3(tt)), 1e-10) || !near(v.Ratio, 2.5/0.7, 1e-14) || v.DF != 3 || v.N != 5 {
		t.Errorf("PitmanMorgan = %+v, want r %v t %v p %v", v, r, tt, 2*(1-tCDF3(tt)))
	}
	// t ≈ 3.6005 and p ≈ 0.0368 (the same test written with the variance
	// ratio F and corr(x, y): t = (F−1)√(n−2)/(2√(F(1−r²)))).
	F, rxy := 2.5/0.7, 1.25/math.Sqrt(2.5*0.7)
	if alt := (F - 1) * math.Sqrt(3) / (2 * math.Sqrt(F*(1-rxy*rxy))); !near(v.T, alt, 1e-12) {
		t.Errorf("t = %v, variance-ratio form %v", v.T, alt)
	}
	// Swapping the samples flips the sign and keeps p.
	w, _ := PitmanMorgan(y, x)
	if !near(w.T, -v.T, 1e-12) || !near(w.P, v.P, 1e-12) {
		t.Errorf("swapped: %+v", w)
	}
	// A shared component (the seed's) does not make the variances differ:
	// x = s + e, y = s − e with e orthogonal to s (equal variances
	// beyond the shared s) gives r = 0 exactly.
	s := []float64{0, 10, 20, 30}
	e := []float64{1, -1, -1, 1}
	var a, b []float64
	for i := range s {
		a, b = append(a, s[i]+e[i]), append(b, s[i]-e[i])
	}
	if z, err := PitmanMorgan(a, b); err != nil || !near(z.R, 0, 1e-14) || !near(z.P, 1, 1e-12) {
		t.Errorf("shared component: %+v %v", z, err)
	}
	if _, err := PitmanMorgan([]float64{1, 2}, []float64{2, 1}); err != ErrTooFew {
		t.Errorf("n = 2: %v", err)
	}
	if _, err := PitmanMorgan([]float64{1, 2, 3}, []float64{1, 2, 3}); err == nil {
		t.Error("identical samples (zero differences) accepted")
	}
}
