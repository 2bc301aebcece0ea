package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// tCDF3 is the closed-form CDF of Student's t with 3 degrees of freedom.
func tCDF3(t float64) float64 {
	u := t / math.Sqrt(3)
	return 0.5 + (u/(1+u*u)+math.Atan(u))/math.Pi
}

// tCDF2 is the closed-form CDF of Student's t with 2 degrees of freedom.
func tCDF2(t float64) float64 { return 0.5 + t/(2*math.Sqrt(2+t*t)) }

func TestDescribe(t *testing.T) {
	d := Describe([]float64{2, 4, 4, 4, 5, 5, 7, 9, math.NaN()})
	// Textbook example: population std 2, sample std sqrt(32/7).
	if d.N != 8 || d.Mean != 5 || !near(d.Std, math.Sqrt(32.0/7), 1e-14) || d.Min != 2 || d.Max != 9 || d.Median != 4.5 {
		t.Errorf("Describe = %+v", d)
	}
	if s := d.String(); s != "5 ± 2.138 (n=8)" {
		t.Errorf("String = %q", s)
	}
	if e := Describe(nil); e.N != 0 || !math.IsNaN(e.Mean) || e.String() != "n/a" {
		t.Errorf("empty %+v", e)
	}
	if m, s := MeanStd([]float64{3}); m != 3 || !math.IsNaN(s) {
		t.Errorf("single value: %v %v", m, s)
	}
}

func TestPearson(t *testing.T) {
	c, err := Pearson([]float64{1, 2, 3, 4, 5}, []float64{2, 4, 5, 4, 5})
	if err != nil {
		t.Fatal(err)
	}
	// By hand: Σdxdy = 6, Σdx² = 10, Σdy² = 6, r = 6/√60.
	r := 6 / math.Sqrt(60)
	tt := r * math.Sqrt(3/(1-r*r))
	p := 2 * (1 - tCDF3(tt))
	if !near(c.R, r, 1e-14) || !near(c.P, p, 1e-10) || c.N != 5 {
		t.Errorf("Pearson = %+v, want r=%v p=%v", c, r, p)
	}
	// NaN pairs are dropped.
	c2, _ := Pearson([]float64{1, 2, math.NaN(), 3, 4, 5}, []float64{2, 4, 7, 5, 4, 5})
	if c2 != c {
		t.Errorf("NaN pair not dropped: %+v", c2)
	}
	if c, _ := Pearson([]float64{1, 2, 3, 4}, []float64{-2, -4, -6, -8}); c.R != -1 || c.P != 0 {
		t.Errorf("perfect correlation %+v", c)
	}
	if _, err := Pearson([]float64{1, 2}, []float64{1, 2}); err != ErrTooFew {
		t.Errorf("n=2: %v", err)
	}
	if _, err := Pearson([]float64{1, 1, 1}, []float64{1, 2, 3}); err == nil {
		t.Error("constant sample accepted")
	}
}

func TestSpearman(t *testing.T) {
	// No ties: ρ = 1 − 6Σd²/(n(n²−1)) with every |d| = 1.
	c, err := Spearman([]float64{1, 2, 3, 4, 5, 6}, []float64{2, 1, 4, 3, 6, 5})
	if err != nil || !near(c.R, 1-36.0/210, 1e-14) {
		t.Errorf("Spearman = %+v %v", c, err)
	}
	// Monotone but non-linear: ρ = 1.
	if c, _ := Spearman([]float64{1, 2, 3, 4}, []float64{1, 8, 27, 1000}); !near(c.R, 1, 1e-14) {
		t.Errorf("monotone %+v", c)
	}
	// Ties get average ranks: x ranks (1, 2.5, 2.5, 4), y ranks (1,2,3,4).
	c, _ = Spearman([]float64{1, 2, 2, 3}, []float64{10, 20, 30, 40})
	want, _ := Pearson([]float64{1, 2.5, 2.5, 4}, []float64{1, 2, 3, 4})
	if !near(c.R, want.R, 1e-14) {
		t.Errorf("ties %+v vs %+v", c, want)
	}
}

// bruteSpearmanP enumerates the rankings of y recursively and counts those
// whose Spearman ρ with x is at least as extreme as the observed one.
func bruteSpearmanP(x, y []float64) float64 {
	rx, _ := Ranks(x)
	ry, _ := Ranks(y)
	obs, _ := Pearson(rx, ry)
	n := len(x)
	perm := make([]float64, 0, n)
	used := make([]bool, n)
	count, total := 0, 0
	var rec func()
	rec = func() {
		if len(perm) == n {
			c, _ := Pearson(rx, perm)
			if math.Abs(c.R) >= math.Abs(obs.R)-1e-12 {
				count++
			}
			total++
			return
		}
		for i := range n {
			if !used[i] {
				used[i] = true
				perm = append(perm, float64(i+1))
				rec()
				perm = perm[:len(perm)-1]
				used[i] = false
			}
		}
	}
	rec()
	return float64(count) / float64(total)
}

func TestSpearmanExactP(t *testing.T) {
	// n = 5, ρ = 1: only the identity and its reverse are as extreme.
	c, err := Spearman([]float64{1, 2, 3, 4, 5}, []float64{1, 8, 27, 64, 125})
	if err != nil || c.R != 1 || !near(c.P, 2.0/120, 1e-15) {
		t.Errorf("perfect n=5: %+v %v, want p = 2/120", c, err)
	}
	// n = 4, y ranks (2,1,4,3): S = Σd² = 4, null mean 10; the null
	// distribution of S (counts 1,3,1,4,2,2,2,4,1,3,1 at S = 0,2,…,20) puts
	// 5 + 5 of the 24 rankings at |S − 10| ≥ 6.
	c, _ = Spearman([]float64{1, 2, 3, 4}, []float64{2, 1, 4, 3})
	if !near(c.R, 0.6, 1e-14) || !near(c.P, 10.0/24, 1e-15) {
		t.Errorf("n=4: %+v, want ρ=0.6, p=10/24", c)
	}
	// Random samples against the recursive enumeration.
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 3; n <= 8; n++ {
		for range 3 {
			x, y := make([]float64, n), make([]float64, n)
			for i := range x {
				x[i] = rng.NormFloat64()
				y[i] = x[i] + 2*rng.NormFloat64()
			}
			c, err := Spearman(x, y)
			if want := bruteSpearmanP(x, y); err != nil || !near(c.P, want, 1e-12) {
				t.Errorf("n=%d: p %v, enumeration %v (%v)", n, c.P, want, err)
			}
		}
	}
	// n = 10 and ties use the t approximation.
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	y := []float64{2, 1, 4, 3, 6, 5, 8, 7, 10, 9}
	c, _ = Spearman(x, y)
	if want := corrP(c.R, 10); c.P != want {
		t.Errorf("n=10: p %v, want the t approximation %v", c.P, want)
	}
	c, _ = Spearman([]float64{1, 2, 2, 3, 4}, []float64{1, 2, 3, 4, 5})
	if want := corrP(c.R, 5); c.P != want {
		t.Errorf("ties: p %v, want the t approximation %v", c.P, want)
	}
}

func TestRanks(t *testing.T) {
	r, ties := Ranks([]float64{3, 1, 4, 1, 5, 9, 2, 6, 5})
	want := []float64{4, 1.5, 5, 1.5, 6.5, 9, 3, 8, 6.5}
	for i := range want {
		if r[i] != want[i] {
			t.Fatalf("ranks %v, want %v", r, want)
		}
	}
	if ties != 12 { // two pairs: 2·(8−2)
		t.Errorf("tie term %v", ties)
	}
}

func TestWelch(t *testing.T) {
	// Equal sizes and variances: df = 2n − 2 = 2, so the closed-form t₂ CDF applies.
	res, err := Welch([]float64{0, 2}, []float64{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	tt := -1 / math.Sqrt(2)
	if !near(res.T, tt, 1e-14) || !near(res.DF, 2, 1e-14) || !near(res.P, 2*tCDF2(tt), 1e-10) {
		t.Errorf("Welch = %+v", res)
	}
	// Unequal variances, by hand: x̄=2, s²=1, n=3; ȳ=6, s²=16, n=3 → a=1/3, b=16/3.
	res, _ = Welch([]float64{1, 2, 3}, []float64{2, 6, 10})
	a, b := 1.0/3, 16.0/3
	if !near(res.T, -4/math.Sqrt(a+b), 1e-14) || !near(res.DF, (a+b)*(a+b)/(a*a/2+b*b/2), 1e-14) {
		t.Errorf("Welch unequal = %+v", res)
	}
	if res.P <= 0 || res.P >= 1 {
		t.Errorf("p %v", res.P)
	}
	if _, err := Welch([]float64{1}, []float64{1, 2}); err != ErrTooFew {
		t.Error("n=1 accepted")
	}
	if _, err := Welch([]float64{1, 1}, []float64{2, 2}); err == nil {
		t.Error("constant samples accepted")
	}
}

// bruteU enumerates every split of the pooled sample into groups of n1 and
// n2 and returns the exact two-sided p of U = u.
func bruteU(pooled []float64, n1 int, u float64) float64 {
	n := len(pooled)
	var counts []float64
	var rec func(start, left int, chosen []int)
	rec = func(start, left int, chosen []int) {
		if left == 0 {
			in := make([]bool, n)
			for _, c := range chosen {
				in[c] = true
			}
			uu := 0
			for i := range n {
				for j := range n {
					if in[i] && !in[j] && pooled[i] > pooled[j] {
						uu++
					}
				}
			}
			for len(counts) <= uu {
				counts = append(counts, 0)
			}
			counts[uu]++
			return
		}
		for i := start; i < n; i++ {
			rec(i+1, left-1, append(chosen, i))
		}
	}
	rec(0, n1, nil)
	return twoSidedFromCountsRef(counts, u)
}

func twoSidedFromCountsRef(dist []float64, s float64) float64 {
	var tot, lo, hi float64
	for k, c := range dist {
		tot += c
		if float64(k) <= s {
			lo += c
		}
		if float64(k) >= s {
			hi += c
		}
	}
	return math.Min(1, 2*math.Min(lo, hi)/tot)
}

func TestMannWhitneyExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {3, 3}, {4, 5}, {5, 5}, {6, 4}} {
		for range 3 {
			perm := rng.Perm(sz[0] + sz[1])
			x := make([]float64, sz[0])
			y := make([]float64, sz[1])
			for i := range x {
				x[i] = float64(perm[i])
			}
			for i := range y {
				y[i] = float64(perm[sz[0]+i])
			}
			res, err := MannWhitney(x, y)
			if err != nil || !res.Exact {
				t.Fatalf("%v: %+v %v", sz, res, err)
			}
			pooled := append(append([]float64{}, x...), y...)
			want := bruteU(pooled, sz[0], res.Stat)
			if !near(res.P, want, 1e-12) {
				t.Errorf("sizes %v U=%v: p=%v, brute force %v", sz, res.Stat, res.P, want)
			}
		}
	}
	// Complete separation of 5 vs 5: U = 0, p = 2/C(10,5) = 2/252.
	res, _ := MannWhitney([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10})
	if res.Stat != 0 || !near(res.P, 2.0/252, 1e-14) {
		t.Errorf("separated: %+v", res)
	}
}

func TestMannWhitneyNormal(t *testing.T) {
	// Ties force the normal approximation. By hand: pooled ranks of
	// x = {1,2,2,3}, y = {2,3,4,4,5}: R_x = 1+3+3+5.5 = 12.5, U = 2.5.
	x, y := []float64{1, 2, 2, 3}, []float64{2, 3, 4, 4, 5}
	res, err := MannWhitney(x, y)
	if err != nil || res.Exact {
		t.Fatalf("%+v %v", res, err)
	}
	// ties: {2,2,2} → 24, {3,3} → 6, {4,4} → 6; n = 9.
	v := 20.0 / 12 * (10 - 36.0/72)
	z := (math.Abs(2.5-10) - 0.5) / math.Sqrt(v)
	p := math.Erfc(z / math.Sqrt2)
	if res.Stat != 2.5 || !near(res.P, p, 1e-12) || !near(res.Z, -z, 1e-12) {
		t.Errorf("got %+v, want U=2.5 z=%v p=%v", res, -z, p)
	}
	// Large samples without ties: normal approximation close to exact.
	var a, b []float64
	for i := range 20 {
		a = append(a, float64(2*i)+0.25*float64(i%3))
		b = append(b, float64(2*i+3))
	}
	ex, _ := MannWhitney(a, b)
	a = append(a, 1000)
	b = append(b, 1000) // one tie: normal approximation
	ap, _ := MannWhitney(a, b)
	if !ex.Exact || ap.Exact || math.Abs(ex.P-ap.P) > 0.1 {
		t.Errorf("exact %+v vs approx %+v", ex, ap)
	}
}

func TestNormalTail(t *testing.T) {
	for _, tc := range []struct{ z, want float64 }{
		{0, 0.5},
		{1, 0.15865525393145707},
		{5, 2.866515718791939e-07},
		{10, 7.6198530241605e-24},
		{20, 2.7536241186062e-89},
	} {
		if got := normalSurvival(tc.z); math.Abs(got-tc.want) > 1e-12*tc.want {
			t.Errorf("normalSurvival(%v) = %v, want %v", tc.z, got, tc.want)
		}
	}
	// Far beyond z ≈ 8.3 the two-sided p stays positive and exact.
	var x, y []float64
	for i := range 300 {
		x = append(x, float64(i))
		y = append(y, float64(i+1000))
	}
	res, err := MannWhitney(x, y)
	if err != nil || res.Exact || !(res.Z < -20) {
		t.Fatalf("%+v %v, want the normal approximation with z < -20", res, err)
	}
	want := math.Erfc(-res.Z / math.Sqrt2)
	if !(res.P > 0) || math.Abs(res.P-want) > 1e-12*want {
		t.Errorf("separated samples: p = %v, want %v", res.P, want)
	}
}

func TestWilcoxonSignedRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 10; n++ {
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
			y[i] = rng.NormFloat64() + 0.3
		}
		res, err := WilcoxonSignedRank(x, y)
		if err != nil || !res.Exact {
			t.Fatalf("n=%d %+v %v", n, res, err)
		}
		// Brute force over all 2^n sign patterns of the ranks 1..n.
		abs := make([]float64, n)
		wPlus := 0.0
		for i := range x {
			abs[i] = math.Abs(x[i] - y[i])
		}
		ranks, _ := Ranks(abs)
		for i := range x {
			if x[i] > y[i] {
				wPlus += ranks[i]
			}
		}
		counts := make([]float64, n*(n+1)/2+1)
		for mask := range 1 << n {
			s := 0
			for r := 1; r <= n; r++ {
				if mask&(1<<(r-1)) != 0 {
					s += r
				}
			}
			counts[s]++
		}
		want := twoSidedFromCountsRef(counts, wPlus)
		if !near(res.P, want, 1e-12) || res.Stat != math.Min(wPlus, float64(n*(n+1))/2-wPlus) {
			t.Errorf("n=%d: %+v, want p=%v", n, res, want)
		}
	}
	// Zero differences are dropped; ties use the normal approximation.
	res, _ := WilcoxonSignedRank([]float64{1, 2, 3, 4, 5, 6}, []float64{1, 1, 1, 2, 2, 2})
	if res.N != 5 || res.Exact {
		t.Errorf("zeros/ties %+v", res)
	}
	// By hand: d = {1,2,2,3,4}, ranks {1,2.5,2.5,4,5}, W+ = 15, W− = 0,
	// mean 7.5, variance 5·6·11/24 − (2³−2)/48.
	wv := 5.0*6*11/24 - 6.0/48
	wz := (15 - 7.5 - 0.5) / math.Sqrt(wv)
	if res.Stat != 0 || !near(res.Z, wz, 1e-12) || !near(res.P, math.Erfc(wz/math.Sqrt2), 1e-12) {
		t.Errorf("zeros/ties %+v, want W=0 z=%v p=%v", res, wz, math.Erfc(wz/math.Sqrt2))
	}
	if _, err := WilcoxonSignedRank([]float64{1}, []float64{1}); err != ErrTooFew {
		t.Error("all-zero differences accepted")
	}
}

func TestBrownForsythe(t *testing.T) {
	// By hand (see the derivation in the package tests' comments):
	// medians 2, 4, 1; |deviations| A=[1,0,1] B=[2,0,2] C=[0,0,3];
	// between = 2/3, within = 28/3, F = 3·(2/3)/(28/3) = 3/14.
	res, err := BrownForsythe([]float64{1, 2, 3}, []float64{2, 4, 6}, []float64{1, 1, 4})
	if err != nil {
		t.Fatal(err)
	}
	f := 3.0 / 14
	// F(2, d2) has the closed-form survival (d2/(d2+2f))^(d2/2).
	p := math.Pow(6/(6+2*f), 3)
	if !near(res.F, f, 1e-14) || res.DF1 != 2 || res.DF2 != 6 || !near(res.P, p, 1e-10) {
		t.Errorf("BrownForsythe = %+v, want F=%v p=%v", res, f, p)
	}
	// Levene (mean-centred) on the same data: means 2, 4, 2;
	// z A=[1,0,1] B=[2,0,2] C=[1,1,2] → means 2/3, 4/3, 4/3; grand 10/9.
	lv, _ := Levene([]float64{1, 2, 3}, []float64{2, 4, 6}, []float64{1, 1, 4})
	between := 3*sq(2.0/3-10.0/9) + 6*sq(4.0/3-10.0/9)
	within := (sq(1.0/3) + sq(2.0/3) + sq(1.0/3)) + (sq(2.0/3) + sq(4.0/3) + sq(2.0/3)) + (sq(1.0/3) + sq(1.0/3) + sq(2.0/3))
	if !near(lv.F, 3*between/within, 1e-12) {
		t.Errorf("Levene F = %v, want %v", lv.F, 3*between/within)
	}
	// A clearly more variable group gives a small p.
	rng := rand.New(rand.NewPCG(5, 6))
	var a, b []float64
	for range 40 {
		a = append(a, rng.NormFloat64())
		b = append(b, 5*rng.NormFloat64())
	}
	if r, _ := BrownForsythe(a, b); r.P > 1e-3 {
		t.Errorf("variance difference not detected: %+v", r)
	}
	if _, err := BrownForsythe([]float64{1, 2}); err != ErrTooFew {
		t.Error("one group accepted")
	}
	if _, err := BrownForsythe([]float64{1}, []float64{1, 2}); err != ErrTooFew {
		t.Error("group of one accepted")
	}
}

func sq(x float64) float64 { return x * x }

func TestBootstrapCI(t *testing.T) {
	x := []float64{4.1, 5.2, 6.3, 5.0, 4.8, 5.9, 6.1, 5.5, 4.4, 5.7}
	lo, hi, err := BootstrapCI(x, Mean, 0.95, 2000, 7)
	if err != nil {
		t.Fatal(err)
	}
	m := Mean(x)
	if !(lo < m && m < hi) || hi-lo > 1.5 || hi-lo < 0.2 {
		t.Errorf("CI [%v, %v] around %v", lo, hi, m)
	}
	lo2, hi2, _ := BootstrapCI(x, Mean, 0.95, 2000, 7)
	if lo2 != lo || hi2 != hi {
		t.Error("not deterministic from the seed")
	}
	// Coverage of the true mean of N(0,1) samples of size 30: near 95 %.
	rng := rand.New(rand.NewPCG(8, 9))
	covered := 0
	const trials = 200
	for i := range trials {
		s := make([]float64, 30)
		for j := range s {
			s[j] = rng.NormFloat64()
		}
		l, h, _ := BootstrapCI(s, Mean, 0.95, 500, uint64(i))
		if l <= 0 && 0 <= h {
			covered++
		}
	}
	if c := float64(covered) / trials; c < 0.87 || c > 0.99 {
		t.Errorf("coverage %v", c)
	}
	if _, _, err := BootstrapCI([]float64{1}, Mean, 0.95, 100, 1); err != ErrTooFew {
		t.Error("n=1 accepted")
	}
	if _, _, err := BootstrapCI(x, Mean, 1.5, 100, 1); err == nil {
		t.Error("level 1.5 accepted")
	}
}

func TestLinearFit(t *testing.T) {
	a, b := LinearFit([]float64{0, 1, 2, math.NaN()}, []float64{1, 3, 5, 0})
	if !near(a, 1, 1e-14) || !near(b, 2, 1e-14) {
		t.Errorf("fit %v %v", a, b)
	}
}
