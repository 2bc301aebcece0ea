package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// ErrTooFew is returned when a sample is too small for a statistic.
var ErrTooFew = errors.New("stats: too few observations")

// clean returns x without NaN values.
func clean(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// cleanPairs drops the pairs where either value is NaN.
func cleanPairs(x, y []float64) ([]float64, []float64) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("stats: paired samples of lengths %d and %d", len(x), len(y)))
	}
	var a, b []float64
	for i := range x {
		if !math.IsNaN(x[i]) && !math.IsNaN(y[i]) {
			a = append(a, x[i])
			b = append(b, y[i])
		}
	}
	return a, b
}

// Description summarises a sample (NaN values ignored).
type Description struct {
	N                      int
	Mean, Std              float64 // Std is the sample (n−1) standard deviation
	Min, Median, Max       float64
	SEM                    float64 // standard error of the mean
	CILow, CIHigh, CILevel float64 // bootstrap CI of the mean, when computed
}

// String formats the description as "mean ± std (n=N)".
func (d Description) String() string {
	if d.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s ± %s (n=%d)", fmtG(d.Mean), fmtG(d.Std), d.N)
}

func fmtG(f float64) string {
	if math.IsNaN(f) {
		return "n/a"
	}
	return fmt.Sprintf("%.4g", f)
}

// Describe computes the Description of x; the CI fields are NaN.
func Describe(x []float64) Description {
	x = clean(x)
	d := Description{N: len(x), Mean: math.NaN(), Std: math.NaN(), Min: math.NaN(), Median: math.NaN(), Max: math.NaN(), SEM: math.NaN(),
		CILow: math.NaN(), CIHigh: math.NaN()}
	if len(x) == 0 {
		return d
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	d.Min, d.Max = s[0], s[len(s)-1]
	d.Median = median(s)
	d.Mean = stat.Mean(s, nil)
	if len(s) > 1 {
		d.Std = stat.StdDev(s, nil)
		d.SEM = d.Std / math.Sqrt(float64(len(s)))
	}
	return d
}

// median returns the median of the sorted sample s (the mean of the two
// middle values for even lengths).
func median(s []float64) float64 {
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MeanStd returns the mean and sample standard deviation of x, NaN values
// ignored (std is NaN for fewer than 2 values).
func MeanStd(x []float64) (mean, std float64) {
	d := Describe(x)
	return d.Mean, d.Std
}

// Correlation is a correlation coefficient with its two-sided p-value.
type Correlation struct {
	R, P float64
	N    int
}

// Pearson returns Pearson's r of the pairs (x_i, y_i) without NaN, with
// the two-sided p-value of H0: ρ = 0 from t = r·√((n−2)/(1−r²)) with n−2
// degrees of freedom.
func Pearson(x, y []float64) (Correlation, error) {
	x, y = cleanPairs(x, y)
	n := len(x)
	if n < 3 {
		return Correlation{N: n, R: math.NaN(), P: math.NaN()}, ErrTooFew
	}
	r := stat.Correlation(x, y, nil)
	if math.IsNaN(r) {
		return Correlation{N: n, R: r, P: math.NaN()}, errors.New("stats: correlation undefined for a constant sample")
	}
	return Correlation{R: r, P: corrP(r, n), N: n}, nil
}

func corrP(r float64, n int) float64 {
	if math.Abs(r) >= 1 {
		return 0
	}
	t := r * math.Sqrt(float64(n-2)/(1-r*r))
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 2)}.Survival(math.Abs(t))
}

// Ranks returns the ranks 1..n of x, ties sharing their average rank, and
// the tie-correction term Σ(t³ − t) over groups of t tied values.
func Ranks(x []float64) (ranks []float64, tieTerm float64) {
	n := len(x)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	ranks = make([]float64, n)
	for i := 0; i < n; {
		j := i
		for j+1 < n && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			ranks[idx[k]] = avg
		}
		t := float64(j - i + 1)
		tieTerm += t*t*t - t
		i = j + 1
	}
	return ranks, tieTerm
}

// spearmanExactLimit is the largest n for which Spearman's p-value is
// computed exactly, by enumerating the n! rankings.
const spearmanExactLimit = 9

// Spearman returns Spearman's ρ (Pearson's r of the average ranks) with its
// two-sided p-value. Without ties and for n ≤ 9 the p-value is exact: the
// share of the n! equally likely rankings of y with |ρ| at least the
// observed one (as R's cor.test). Otherwise it uses the same t
// approximation as Pearson, which is poor for small n (it gives p = 0 for
// ρ = ±1 whatever n).
func Spearman(x, y []float64) (Correlation, error) {
	x, y = cleanPairs(x, y)
	if len(x) < 3 {
		return Correlation{N: len(x), R: math.NaN(), P: math.NaN()}, ErrTooFew
	}
	rx, tx := Ranks(x)
	ry, ty := Ranks(y)
	c, err := Pearson(rx, ry)
	if err != nil || tx != 0 || ty != 0 || len(x) > spearmanExactLimit {
		return c, err
	}
	c.P = spearmanExactP(rx, ry)
	return c, nil
}

// spearmanExactP returns the exact two-sided p-value of the rank vectors rx
// and ry (permutations of 1..n): the fraction of permutations π of ry with
// |S(π) − S₀| ≥ |S − S₀|, where S = Σ(rx_i − ry_i)² and S₀ = n(n²−1)/6 is
// its null mean (ρ = 1 − S/S₀ is symmetric about 0).
func spearmanExactP(rx, ry []float64) float64 {
	n := len(rx)
	sumSq := func(a, b []float64) int {
		s := 0.0
		for i := range a {
			d := a[i] - b[i]
			s += d * d
		}
		return int(math.Round(s))
	}
	mid := n * (n*n - 1) / 6 // S₀; n(n²−1) is divisible by 6
	obs := sumSq(rx, ry)
	dev := obs - mid
	if dev < 0 {
		dev = -dev
	}
	// Enumerate the permutations of 1..n (Heap's algorithm) against the
	// identity ranking: the null distribution of S does not depend on rx.
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i + 1
	}
	count, total := 0, 0
	visit := func() {
		s := 0
		for i, v := range perm {
			d := i + 1 - v
			s += d * d
		}
		d := s - mid
		if d < 0 {
			d = -d
		}
		if d >= dev {
			count++
		}
		total++
	}
	c := make([]int, n)
	visit()
	for i := 0; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				perm[0], perm[i] = perm[i], perm[0]
			} else {
				perm[c[i]], perm[i] = perm[i], perm[c[i]]
			}
			visit()
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
	return float64(count) / float64(total)
}

// TTest is the result of a t-test.
type TTest struct {
	T, DF, P float64
}

// Welch returns Welch's unequal-variance t-test of mean(x) = mean(y):
// t = (x̄ − ȳ)/√(s_x²/n_x + s_y²/n_y) with Welch–Satterthwaite degrees of
// freedom and a two-sided p-value.
func Welch(x, y []float64) (TTest, error) {
	x, y = clean(x), clean(y)
	if len(x) < 2 || len(y) < 2 {
		return TTest{math.NaN(), math.NaN(), math.NaN()}, ErrTooFew
	}
	mx, vx := stat.MeanVariance(x, nil)
	my, vy := stat.MeanVariance(y, nil)
	nx, ny := float64(len(x)), float64(len(y))
	a, b := vx/nx, vy/ny
	if a+b == 0 {
		return TTest{math.NaN(), math.NaN(), math.NaN()}, errors.New("stats: t-test undefined for two constant samples")
	}
	t := (mx - my) / math.Sqrt(a+b)
	df := (a + b) * (a + b) / (a*a/(nx-1) + b*b/(ny-1))
	p := 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(t))
	return TTest{T: t, DF: df, P: p}, nil
}

// RankTest is the result of a rank test.
type RankTest struct {
	// Stat is U (Mann-Whitney, for the first sample) or W = min(W+, W−) (Wilcoxon).
	Stat float64
	// Z is the normal-approximation score (NaN when Exact).
	Z float64
	P float64
	// Exact reports whether P comes from the exact null distribution.
	Exact bool
	N     int
}

// exactLimit bounds the sample sizes for which exact distributions are used.
const exactLimit = 400

// MannWhitney returns the two-sided Mann-Whitney U test of x against y.
// U = R_x − n_x(n_x+1)/2 with R_x the rank sum of x in the pooled sample.
// Without ties and with n_x·n_y ≤ 400 the p-value is exact; otherwise it
// uses the normal approximation with the tie correction of the variance and
// a continuity correction of 1/2.
func MannWhitney(x, y []float64) (RankTest, error) {
	x, y = clean(x), clean(y)
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return RankTest{Stat: math.NaN(), Z: math.NaN(), P: math.NaN()}, ErrTooFew
	}
	pooled := append(append([]float64(nil), x...), y...)
	ranks, ties := Ranks(pooled)
	r1 := 0.0
	for i := range n1 {
		r1 += ranks[i]
	}
	u := r1 - float64(n1*(n1+1))/2
	res := RankTest{Stat: u, N: n1 + n2, Z: math.NaN()}
	if ties == 0 && n1*n2 <= exactLimit {
		res.Exact = true
		res.P = exactUTwoSided(n1, n2, u)
		return res, nil
	}
	n := float64(n1 + n2)
	mu := float64(n1*n2) / 2
	v := float64(n1*n2) / 12 * ((n + 1) - ties/(n*(n-1)))
	res.normalApprox(u, mu, v)
	return res, nil
}

// normalApprox sets r.Z and the two-sided r.P of the statistic s from the
// normal approximation with mean mu, variance v and continuity correction
// 0.5; a degenerate v ≤ 0 gives P = 1 and leaves Z as it is.
func (r *RankTest) normalApprox(s, mu, v float64) {
	if v <= 0 {
		r.P = 1
		return
	}
	d := math.Max(math.Abs(s-mu)-0.5, 0)
	r.Z = math.Copysign(d/math.Sqrt(v), s-mu)
	r.P = math.Min(1, 2*normalSurvival(d/math.Sqrt(v)))
}

// normalSurvival returns P(Z > z) for a standard normal Z, as ½·erfc(z/√2):
// accurate in the far tail, where distuv.UnitNormal.Survival (1 − Φ(z))
// loses its digits and is 0 beyond z ≈ 8.3.
func normalSurvival(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// exactUTwoSided returns 2·min(P(U ≤ u), P(U ≥ u)), capped at 1, under the
// null distribution of U for sizes n1, n2 without ties.
func exactUTwoSided(n1, n2 int, u float64) float64 {
	maxU := n1 * n2
	// c[i][j][k]: number of arrangements of i x's and j y's with U = k.
	prev := make([][]float64, n2+1) // row i-1
	cur := make([][]float64, n2+1)
	for j := range n2 + 1 {
		prev[j] = make([]float64, maxU+1)
		prev[j][0] = 1 // i = 0: U = 0
		cur[j] = make([]float64, maxU+1)
	}
	for i := 1; i <= n1; i++ {
		for j := range n2 + 1 {
			c := cur[j]
			clear(c)
			// The largest element is an x (it exceeds all j y's: +j) or a y.
			for k := j; k <= maxU; k++ {
				c[k] += prev[j][k-j]
			}
			if j > 0 {
				for k := 0; k <= maxU; k++ {
					c[k] += cur[j-1][k]
				}
			}
		}
		prev, cur = cur, prev
	}
	dist := prev[n2]
	return twoSidedFromCounts(dist, u)
}

// twoSidedFromCounts converts the counts of a discrete statistic taking the
// values 0..len-1 into the two-sided p-value of observing s.
func twoSidedFromCounts(dist []float64, s float64) float64 {
	total, lo, hi := 0.0, 0.0, 0.0
	for k, c := range dist {
		total += c
		if float64(k) <= s+1e-9 {
			lo += c
		}
		if float64(k) >= s-1e-9 {
			hi += c
		}
	}
	return math.Min(1, 2*math.Min(lo, hi)/total)
}

// WilcoxonSignedRank returns the two-sided Wilcoxon signed-rank test of the
// paired differences x_i − y_i (zero differences dropped). The statistic is
// min(W+, W−). Without ties and with at most 25 non-zero differences the
// p-value is exact; otherwise it is the normal approximation with tie and
// continuity corrections.
func WilcoxonSignedRank(x, y []float64) (RankTest, error) {
	x, y = cleanPairs(x, y)
	var d []float64
	for i := range x {
		if v := x[i] - y[i]; v != 0 {
			d = append(d, v)
		}
	}
	n := len(d)
	if n == 0 {
		return RankTest{Stat: math.NaN(), Z: math.NaN(), P: math.NaN()}, ErrTooFew
	}
	abs := make([]float64, n)
	for i, v := range d {
		abs[i] = math.Abs(v)
	}
	ranks, ties := Ranks(abs)
	wPlus := 0.0
	for i, v := range d {
		if v > 0 {
			wPlus += ranks[i]
		}
	}
	total := float64(n*(n+1)) / 2
	w := math.Min(wPlus, total-wPlus)
	res := RankTest{Stat: w, N: n, Z: math.NaN()}
	if ties == 0 && n <= 25 {
		maxS := n * (n + 1) / 2
		dist := make([]float64, maxS+1)
		dist[0] = 1
		for r := 1; r <= n; r++ {
			for s := maxS; s >= r; s-- {
				dist[s] += dist[s-r]
			}
		}
		res.Exact = true
		res.P = twoSidedFromCounts(dist, wPlus)
		return res, nil
	}
	mu := total / 2
	v := float64(n*(n+1)*(2*n+1))/24 - ties/48
	res.normalApprox(wPlus, mu, v)
	return res, nil
}

// FTest is the result of an F test.
type FTest struct {
	F, DF1, DF2, P float64
}

// BrownForsythe tests equality of the groups' variances with Levene's
// statistic on absolute deviations from each group's median (robust to
// non-normal data; the paper's "bio rules are more variable").
func BrownForsythe(groups ...[]float64) (FTest, error) { return levene(groups, true) }

// Levene is Levene's original test: deviations from each group's mean.
func Levene(groups ...[]float64) (FTest, error) { return levene(groups, false) }

func levene(groups [][]float64, useMedian bool) (FTest, error) {
	nan := FTest{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
	var z [][]float64
	total := 0
	for _, g := range groups {
		g = clean(g)
		if len(g) < 2 {
			return nan, ErrTooFew
		}
		c := stat.Mean(g, nil)
		if useMedian {
			s := append([]float64(nil), g...)
			sort.Float64s(s)
			c = median(s)
		}
		zi := make([]float64, len(g))
		for j, v := range g {
			zi[j] = math.Abs(v - c)
		}
		z = append(z, zi)
		total += len(g)
	}
	k := len(z)
	if k < 2 {
		return nan, ErrTooFew
	}
	grand := 0.0
	means := make([]float64, k)
	for i, zi := range z {
		means[i] = stat.Mean(zi, nil)
		grand += means[i] * float64(len(zi))
	}
	grand /= float64(total)
	between, within := 0.0, 0.0
	for i, zi := range z {
		between += float64(len(zi)) * (means[i] - grand) * (means[i] - grand)
		for _, v := range zi {
			within += (v - means[i]) * (v - means[i])
		}
	}
	df1, df2 := float64(k-1), float64(total-k)
	if within == 0 {
		return nan, errors.New("stats: variance test undefined: every group is constant about its centre")
	}
	f := (df2 / df1) * between / within
	return FTest{F: f, DF1: df1, DF2: df2, P: distuv.F{D1: df1, D2: df2}.Survival(f)}, nil
}

// BootstrapCI returns the percentile bootstrap confidence interval at level
// (e.g. 0.95) of statistic fn over x, from resamples resamples drawn with a
// PCG generator seeded by seed. NaN values of x are dropped first.
func BootstrapCI(x []float64, fn func([]float64) float64, level float64, resamples int, seed uint64) (lo, hi float64, err error) {
	x = clean(x)
	if len(x) < 2 {
		return math.NaN(), math.NaN(), ErrTooFew
	}
	if level <= 0 || level >= 1 || resamples < 10 {
		return math.NaN(), math.NaN(), fmt.Errorf("stats: bootstrap level %g (want (0,1)) or resamples %d (want >= 10)", level, resamples)
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	buf := make([]float64, len(x))
	vals := make([]float64, resamples)
	for b := range vals {
		for i := range buf {
			buf[i] = x[rng.IntN(len(x))]
		}
		vals[b] = fn(buf)
	}
	sort.Float64s(vals)
	a := (1 - level) / 2
	return stat.Quantile(a, stat.LinInterp, vals, nil), stat.Quantile(1-a, stat.LinInterp, vals, nil), nil
}

// Mean is the sample mean, for use with BootstrapCI.
func Mean(x []float64) float64 { return stat.Mean(x, nil) }

// Std is the sample standard deviation, for use with BootstrapCI.
func Std(x []float64) float64 { return stat.StdDev(x, nil) }

// LinearFit returns the least-squares line y = a + b·x over the pairs without NaN.
func LinearFit(x, y []float64) (a, b float64) {
	x, y = cleanPairs(x, y)
	if len(x) < 2 {
		return math.NaN(), math.NaN()
	}
	return stat.LinearRegression(x, y, nil, false)
}
