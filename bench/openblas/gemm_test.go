package openblas

import (
	"fmt"
	"math/rand/v2"
	"testing"

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
// next to kernels.Gemm at each level this CPU supports. Run with -cpu=1 so
// that kernels.Gemm also uses one core.
func BenchmarkSgemm(b *testing.B) { benchGemm[float32](b) }

func BenchmarkDgemm(b *testing.B) { benchGemm[float64](b) }

func benchGemm[T float32 | float64](b *testing.B) {
	SetNumThreads(1)
	for _, gc := range gemmCases {
		for _, impl := range []string{"openblas", "avx2", "avx512"} {
			name := fmt.Sprintf("impl=%s/op=%s/m=%d/n=%d/k=%d", impl, opName(gc.tA, gc.tB), gc.m, gc.n, gc.k)
			b.Run(name, func(b *testing.B) {
				if impl != "openblas" {
					l, err := kernels.ParseLevel(impl)
					if err != nil {
						b.Fatal(err)
					}
					restore, err := kernels.SetLevel(l)
					if err != nil {
						b.Skip(err)
					}
					defer restore()
				}
				benchOne[T](b, impl == "openblas", gc)
			})
		}
	}
}

func benchOne[T float32 | float64](b *testing.B, useOpenBLAS bool, gc gemmCase) {
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
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !useOpenBLAS {
			kernels.Gemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, 1, a, lda, bm, ldb, 0, c, gc.n)
			continue
		}
		switch a := any(a).(type) {
		case []float32:
			Sgemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, 1, a, lda, any(bm).([]float32), ldb, 0, any(c).([]float32), gc.n)
		case []float64:
			Dgemm(gc.tA, gc.tB, gc.m, gc.n, gc.k, 1, a, lda, any(bm).([]float64), ldb, 0, any(c).([]float64), gc.n)
		}
	}
	b.StopTimer()
	b.ReportMetric(2*float64(gc.m)*float64(gc.n)*float64(gc.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	sink += float64(c[0])
}
