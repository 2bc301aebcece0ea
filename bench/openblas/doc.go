// Package openblas benchmarks the kernels package against OpenBLAS in the
// same run. It is a separate module (github.com/hessrnn/hessrnn/bench/openblas,
// with a replace directive pointing at the repository root) so that the
// library itself stays free of cgo; it needs a C compiler and Debian's
// libopenblas-dev.
//
// cblas.go wraps the CBLAS routines the benchmarks call (cblas_sgemv,
// cblas_dgemv, cblas_sgemm, cblas_dgemm) for row-major Go slices, and
// SetNumThreads pins OpenBLAS to one thread so the comparison is single-core.
// gemv_test.go compares cblas_?gemv with kernels.GemvN and kernels.GemvT;
// gemm_test.go compares cblas_?gemm with kernels.Gemm. Run, from this
// directory:
//
//	go test -run '^$' -bench . -benchtime=200ms -count=3 -cpu=1
//
// Sub-benchmarks are named impl=<openblas|avx2|avx512>/..., so
// `benchstat -col /impl` puts the implementations side by side.
//
// On a shared, noisy machine use BenchmarkGemvPaired instead: it alternates
// OpenBLAS, every kernels level, gonum and a streaming-read reference
// (kernels.Dot over as many bytes as A) in short timed windows and reports
// each one's fastest and median GFLOP/s and its median speed-up over
// OpenBLAS (paired_test.go):
//
//	taskset -c 0 env GOMAXPROCS=1 go test -run '^$' -bench GemvPaired -benchtime=1s -count=6 -cpu=1 . > gemv.txt
//	benchstat -filter '.unit:/(openblas|med-G)/' gemv.txt
package openblas
