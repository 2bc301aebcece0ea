package openblas

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/hessrnn/hessrnn/internal/bench/paired"
	"github.com/hessrnn/hessrnn/internal/bench/shapes"
	"github.com/hessrnn/hessrnn/kernels"
)

var sink float64

// BenchmarkSgemm and BenchmarkDgemm run cblas_?gemm on one OpenBLAS thread
// next to kernels.Gemm at each level this CPU supports and gonum's pure-Go
// ?gemm, shape by shape, so that the ratios come from the same run. Run with
// -cpu=1 (and taskset to one core) so that kernels.Gemm and gonum also use one
// core. Each row reports GFLOP/s per wall second and cpu-GFLOP/s per CPU
// second of the process; on a shared machine the latter is steadier.
func BenchmarkSgemm(b *testing.B) { benchGemm[float32](b) }

func BenchmarkDgemm(b *testing.B) { benchGemm[float64](b) }

func benchGemm[T float32 | float64](b *testing.B) {
	SetNumThreads(1)
	for _, gc := range shapes.RNNGemms() {
		for _, impl := range []string{"openblas", "avx2", "avx512", "gonum"} {
			b.Run("impl="+impl+"/"+gc.Name(), func(b *testing.B) {
				if impl != "openblas" && impl != "gonum" {
					useLevel(b, impl)
				}
				benchOne[T](b, impl, gc)
			})
		}
	}
}

func benchOne[T float32 | float64](b *testing.B, impl string, gc shapes.Gemm) {
	rnd := rand.New(rand.NewPCG(9, 0))
	lda, ldb, lenA, lenB := gc.Layout()
	a := make([]T, lenA)
	bm := make([]T, lenB)
	c := make([]T, gc.M*gc.N)
	for i := range a {
		a[i] = T(2*rnd.Float64() - 1)
	}
	for i := range bm {
		bm[i] = T(2*rnd.Float64() - 1)
	}
	tr := func(t bool) blas.Transpose {
		if t {
			return blas.Trans
		}
		return blas.NoTrans
	}
	var gn gonum.Implementation
	b.ReportAllocs()
	b.ResetTimer()
	c0 := paired.CPUTime()
	for i := 0; i < b.N; i++ {
		switch impl {
		case "openblas":
			switch a := any(a).(type) {
			case []float32:
				Sgemm(gc.TA, gc.TB, gc.M, gc.N, gc.K, 1, a, lda, any(bm).([]float32), ldb, 0, any(c).([]float32), gc.N)
			case []float64:
				Dgemm(gc.TA, gc.TB, gc.M, gc.N, gc.K, 1, a, lda, any(bm).([]float64), ldb, 0, any(c).([]float64), gc.N)
			}
		case "gonum":
			switch a := any(a).(type) {
			case []float32:
				gn.Sgemm(tr(gc.TA), tr(gc.TB), gc.M, gc.N, gc.K, 1, a, lda, any(bm).([]float32), ldb, 0, any(c).([]float32), gc.N)
			case []float64:
				gn.Dgemm(tr(gc.TA), tr(gc.TB), gc.M, gc.N, gc.K, 1, a, lda, any(bm).([]float64), ldb, 0, any(c).([]float64), gc.N)
			}
		default:
			kernels.Gemm(gc.TA, gc.TB, gc.M, gc.N, gc.K, 1, a, lda, bm, ldb, 0, c, gc.N)
		}
	}
	b.StopTimer()
	total := gc.Flops() * float64(b.N) / 1e9
	b.ReportMetric(total/b.Elapsed().Seconds(), "GFLOP/s")
	if cpu := paired.CPUTime() - c0; cpu > 0 {
		b.ReportMetric(total/cpu.Seconds(), "cpu-GFLOP/s")
	}
	sink += float64(c[0])
}

// useLevel switches the kernels package to the level named name until b
// ends; b is skipped when this CPU lacks that level.
func useLevel(b *testing.B, name string) {
	l, err := kernels.ParseLevel(name)
	if err != nil {
		b.Fatal(err)
	}
	restore, err := kernels.SetLevel(l)
	if err != nil {
		b.Skip(err)
	}
	b.Cleanup(restore)
}

// TestGemmMatchesOpenBLAS checks that the Sgemm and Dgemm wrappers call
// OpenBLAS correctly (so the benchmarks compare the same operation):
// kernels.Gemm and cblas_?gemm agree within the usual error bound for every
// op(A), op(B), with alpha and beta not 1.
func TestGemmMatchesOpenBLAS(t *testing.T) {
	SetNumThreads(1)
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, s := range [][3]int{{1, 1, 1}, {7, 5, 3}, {33, 17, 28}, {64, 65, 129}} {
				m, n, k := s[0], s[1], s[2]
				testGemmMatches[float32](t, tA, tB, m, n, k, 0x1p-24)
				testGemmMatches[float64](t, tA, tB, m, n, k, 0x1p-53)
			}
		}
	}
}

func testGemmMatches[T float32 | float64](t *testing.T, tA, tB bool, m, n, k int, eps float64) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(uint64(m*n*k), 2))
	fill := func(l int) []T {
		s := make([]T, l)
		for i := range s {
			s[i] = T(2*rnd.Float64() - 1)
		}
		return s
	}
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	a, bm, c := fill(m*k), fill(k*n), fill(m*n)
	want := append([]T(nil), c...)
	switch a := any(a).(type) {
	case []float32:
		Sgemm(tA, tB, m, n, k, 1.5, a, lda, any(bm).([]float32), ldb, 0.5, any(want).([]float32), n)
	case []float64:
		Dgemm(tA, tB, m, n, k, 1.5, a, lda, any(bm).([]float64), ldb, 0.5, any(want).([]float64), n)
	}
	kernels.Gemm(tA, tB, m, n, k, 1.5, a, lda, bm, ldb, 0.5, c, n)
	// |terms| <= 1.5 per product and 0.5 for beta*c.
	tol := 4 * float64(k+2) * eps * (1.5*float64(k) + 0.5)
	for i := range c {
		if d := math.Abs(float64(c[i] - want[i])); d > tol {
			t.Fatalf("%T tA=%v tB=%v %dx%dx%d: c[%d] = %v, OpenBLAS %v", c[i], tA, tB, m, n, k, i, c[i], want[i])
		}
	}
}
