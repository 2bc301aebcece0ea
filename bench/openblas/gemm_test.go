package openblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/hessrnn/hessrnn/kernels"
)

// gemmCase is one benchmarked product: op(A) is m×k, op(B) is k×n. The list
// matches kernels/gemm_bench_test.go so that rows line up.
type gemmCase struct {
	tA, tB  bool
	m, n, k int
}

var gemmCases = []gemmCase{
	{false, true, 256, 128, 128},
	{false, true, 256, 512, 512},
	{false, true, 256, 128, 2},
	{false, true, 256, 128, 28},
	{false, true, 256, 512, 28},
	{false, true, 256, 100, 100},
	{false, false, 256, 128, 128},
	{false, false, 256, 512, 512},
	{true, false, 128, 128, 256},
	{true, false, 512, 512, 256},
}

func opName(tA, tB bool) string {
	s := func(t bool) string {
		if t {
			return "T"
		}
		return "N"
	}
	return s(tA) + s(tB)
}

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
	for _, gc := range gemmCases {
		for _, impl := range []string{"openblas", "avx2", "avx512", "gonum"} {
			name := fmt.Sprintf("impl=%s/op=%s/m=%d/n=%d/k=%d", impl, opName(gc.tA, gc.tB), gc.m, gc.n, gc.k)
			b.Run(name, func(b *testing.B) {
				if impl != "openblas" && impl != "gonum" {
					useLevel(b, impl)
				}
				benchOne[T](b, impl, gc)
			})
		}
	}
}

func benchOne[T float32 | float64](b *testing.B, impl string, gc gemmCase) {
	rnd := rand.New(rand.NewPCG(9, 0))
	lda, ldb := gc.k, gc.n
	aRows, bRows := gc.m, gc.k
	if gc.tA {
		lda, aRows = gc.m, gc.k
	}
	if gc.tB {
		ldb, bRows = gc.k, gc.n
	}
	a := make([]T, aRows*lda)
	bm := make([]T, bRows*ldb)
	c := make([]T, gc.m*gc.n)
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
	c0 := gemmCPUTime()
	for i := 0; i < b.N; i++ {
		switch impl {
		case "openblas":
			switch a := any(a).(type) {
			case []float32:
				Sgemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, 1, a, lda, any(bm).([]float32), ldb, 0, any(c).([]float32), gc.n)
			case []float64:
				Dgemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, 1, a, lda, any(bm).([]float64), ldb, 0, any(c).([]float64), gc.n)
			}
		case "gonum":
			switch a := any(a).(type) {
			case []float32:
				gn.Sgemm(tr(gc.tA), tr(gc.tB), gc.m, gc.n, gc.k, 1, a, lda, any(bm).([]float32), ldb, 0, any(c).([]float32), gc.n)
			case []float64:
				gn.Dgemm(tr(gc.tA), tr(gc.tB), gc.m, gc.n, gc.k, 1, a, lda, any(bm).([]float64), ldb, 0, any(c).([]float64), gc.n)
			}
		default:
			kernels.Gemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, 1, a, lda, bm, ldb, 0, c, gc.n)
		}
	}
	b.StopTimer()
	total := 2 * float64(gc.m) * float64(gc.n) * float64(gc.k) * float64(b.N) / 1e9
	b.ReportMetric(total/b.Elapsed().Seconds(), "GFLOP/s")
	if cpu := gemmCPUTime() - c0; cpu > 0 {
		b.ReportMetric(total/cpu.Seconds(), "cpu-GFLOP/s")
	}
	sink += float64(c[0])
}

// gemmCPUTime returns the process's user+system CPU time.
func gemmCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
