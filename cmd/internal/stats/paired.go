package stats

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Quantile returns the p-quantile (0 ≤ p ≤ 1) of x, NaN values ignored, by
// linear interpolation between order statistics: with the sorted sample
// x₍₀₎ ≤ … ≤ x₍ₙ₋₁₎ and h = (n−1)p, x₍⌊h⌋₎ + (h−⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎).
// This is Hyndman and Fan's type 7, the default of R's quantile and NumPy's
// percentile (gonum's stat.Quantile offers types 1 and 4 only). NaN for an
// empty sample or p outside [0, 1].
func Quantile(x []float64, p float64) float64 {
	s := clean(x)
	if len(s) == 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	sort.Float64s(s)
	return quantileSorted(s, p)
}

// quantileSorted is Quantile of the sorted sample s without NaN. An order
// statistic hit exactly, or two equal neighbours, is returned as is, so
// that infinite values (κ = ∞) give ∞ rather than ∞ + 0·(∞ − ∞) = NaN.
func quantileSorted(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	if h == lo || s[i] == s[i+1] {
		return s[i]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

// Spread is the median and interquartile range of a sample: the summary
// of a quantity spanning orders of magnitude (λ_max), which mean ± std
// misrepresents. The quartiles are type-7 quantiles (see Quantile); they
// commute with monotone maps such as log up to the interpolation.
type Spread struct {
	N              int
	Median, Q1, Q3 float64
}

// MedianIQR returns the median and the first and third quartiles of x,
// NaN values ignored.
func MedianIQR(x []float64) Spread {
	s := clean(x)
	if len(s) == 0 {
		return Spread{Median: math.NaN(), Q1: math.NaN(), Q3: math.NaN()}
	}
	sort.Float64s(s)
	return Spread{N: len(s), Median: quantileSorted(s, 0.5), Q1: quantileSorted(s, 0.25), Q3: quantileSorted(s, 0.75)}
}

// String formats the spread as "median [Q1, Q3]" ("n/a" when empty, the
// median alone for one value).
func (s Spread) String() string {
	switch s.N {
	case 0:
		return "n/a"
	case 1:
		return fmtG(s.Median)
	}
	return fmt.Sprintf("%s [%s, %s]", fmtG(s.Median), fmtG(s.Q1), fmtG(s.Q3))
}

// PairedRatio compares paired positive quantities on a log scale, e.g. the
// final λ_max of a rule against BPTT's on the same seed.
type PairedRatio struct {
	// N is the number of pairs used; Lost counts the pairs left out
	// because a value was missing (NaN, e.g. a diverged run), infinite or
	// not positive.
	N, Lost int
	// NonPositive counts the pairs of Lost left out only because a value
	// was finite but ≤ 0, which has no logarithm (e.g. a signed λ_max
	// that ended negative); the rest of Lost is missing or infinite.
	NonPositive int
	// GeoMean is the geometric mean of the ratios x_i/y_i,
	// exp(mean(log x_i − log y_i)); CILow and CIHigh bound it (percentile
	// bootstrap of the mean log ratio, exponentiated). NaN when N < 2.
	GeoMean, CILow, CIHigh float64
	// Larger counts the pairs with x_i > y_i.
	Larger int
	// Wilcoxon is the two-sided signed-rank test of the log ratios.
	Wilcoxon RankTest
}

// LogRatio returns the PairedRatio of x against y (x[i] pairs with y[i]):
// the bootstrap interval at level (e.g. 0.95) from resamples resamples
// seeded by seed, and the Wilcoxon signed-rank test of log x_i − log y_i.
// It returns ErrTooFew with no usable pair; with one, only GeoMean.
func LogRatio(x, y []float64, level float64, resamples int, seed uint64) (PairedRatio, error) {
	if len(x) != len(y) {
		return PairedRatio{}, fmt.Errorf("stats: paired samples of lengths %d and %d", len(x), len(y))
	}
	r := PairedRatio{GeoMean: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN(),
		Wilcoxon: RankTest{Stat: math.NaN(), Z: math.NaN(), P: math.NaN()}}
	var lx, ly, d []float64
	for i := range x {
		if !(x[i] > 0 && y[i] > 0) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			r.Lost++
			if isFinite(x[i]) && isFinite(y[i]) {
				r.NonPositive++
			}
			continue
		}
		lx, ly = append(lx, math.Log(x[i])), append(ly, math.Log(y[i]))
		d = append(d, lx[len(lx)-1]-ly[len(ly)-1])
		if x[i] > y[i] {
			r.Larger++
		}
	}
	r.N = len(d)
	if r.N == 0 {
		return r, ErrTooFew
	}
	r.GeoMean = math.Exp(stat.Mean(d, nil))
	if r.N < 2 {
		return r, nil
	}
	lo, hi, err := BootstrapCI(d, Mean, level, resamples, seed)
	if err != nil {
		return r, err
	}
	r.CILow, r.CIHigh = math.Exp(lo), math.Exp(hi)
	if w, err := WilcoxonSignedRank(lx, ly); err == nil {
		r.Wilcoxon = w
	}
	return r, nil
}

// PairedDifference compares paired quantities by their differences, e.g.
// the generalisation gap of a rule against BPTT's on the same seed (same
// initial weights and test noise).
type PairedDifference struct {
	// N is the number of pairs used; Lost counts the pairs left out
	// because a value was missing (NaN, e.g. a diverged run) or infinite.
	N, Lost int
	// Mean and Median are those of the differences x_i − y_i; CILow and
	// CIHigh bound the mean (percentile bootstrap; NaN when N < 2).
	Mean, Median, CILow, CIHigh float64
	// Larger counts the pairs with x_i > y_i.
	Larger int
	// Wilcoxon is the two-sided signed-rank test of the differences.
	Wilcoxon RankTest
}

// PairedDiff returns the PairedDifference of x against y (x[i] pairs with
// y[i]), with the bootstrap interval at level from resamples resamples
// seeded by seed. It returns ErrTooFew with no usable pair.
func PairedDiff(x, y []float64, level float64, resamples int, seed uint64) (PairedDifference, error) {
	if len(x) != len(y) {
		return PairedDifference{}, fmt.Errorf("stats: paired samples of lengths %d and %d", len(x), len(y))
	}
	r := PairedDifference{Mean: math.NaN(), Median: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN(),
		Wilcoxon: RankTest{Stat: math.NaN(), Z: math.NaN(), P: math.NaN()}}
	var a, b, d []float64
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			r.Lost++
			continue
		}
		a, b, d = append(a, x[i]), append(b, y[i]), append(d, x[i]-y[i])
		if x[i] > y[i] {
			r.Larger++
		}
	}
	r.N = len(d)
	if r.N == 0 {
		return r, ErrTooFew
	}
	r.Mean = stat.Mean(d, nil)
	r.Median = Quantile(d, 0.5)
	if r.N < 2 {
		return r, nil
	}
	lo, hi, err := BootstrapCI(d, Mean, level, resamples, seed)
	if err != nil {
		return r, err
	}
	r.CILow, r.CIHigh = lo, hi
	if w, err := WilcoxonSignedRank(a, b); err == nil {
		r.Wilcoxon = w
	}
	return r, nil
}

// VarianceTest is the result of a test of equal variances of paired
// samples.
type VarianceTest struct {
	// Ratio is var(x)/var(y).
	Ratio float64
	// R is the correlation of the sums and differences of the pairs.
	R float64
	// T, DF and P are the t statistic, its degrees of freedom (n − 2) and
	// the two-sided p-value.
	T, DF, P float64
	N        int
}

// PitmanMorgan tests var(x) = var(y) for paired samples (Pitman 1939,
// Morgan 1939): cov(x−y, x+y) = var(x) − var(y), so the test is that of
// zero correlation r between the differences and the sums,
// t = r√(n−2)/√(1−r²) with n−2 degrees of freedom. Pairs with a NaN are
// dropped. Unlike a two-sample variance test it uses the pairing: what the
// pairs share (the seed's initial weights and test noise) adds to both
// variances and cancels in the comparison, so it compares the variation
// of each rule beyond the shared one — the residuals of the pairs.
func PitmanMorgan(x, y []float64) (VarianceTest, error) {
	nan := VarianceTest{Ratio: math.NaN(), R: math.NaN(), T: math.NaN(), DF: math.NaN(), P: math.NaN()}
	if len(x) != len(y) {
		return nan, fmt.Errorf("stats: paired samples of lengths %d and %d", len(x), len(y))
	}
	x, y = cleanPairs(x, y)
	n := len(x)
	nan.N = n
	if n < 3 {
		return nan, ErrTooFew
	}
	d := make([]float64, n)
	s := make([]float64, n)
	for i := range x {
		d[i], s[i] = x[i]-y[i], x[i]+y[i]
	}
	vy := stat.Variance(y, nil)
	if vy == 0 || stat.Variance(d, nil) == 0 || stat.Variance(s, nil) == 0 {
		return nan, fmt.Errorf("stats: Pitman-Morgan test undefined: a constant sample, sum or difference")
	}
	r := stat.Correlation(d, s, nil)
	out := VarianceTest{Ratio: stat.Variance(x, nil) / vy, R: r, DF: float64(n - 2), N: n}
	if math.Abs(r) >= 1 {
		out.T, out.P = math.Copysign(math.Inf(1), r), 0
		return out, nil
	}
	out.T = r * math.Sqrt(float64(n-2)/(1-r*r))
	out.P = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: out.DF}.Survival(math.Abs(out.T))
	return out, nil
}

// isFinite reports whether v is neither NaN nor infinite.
func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
