// Command fmapeak measures the FMA peak of one core: 12 independent
// vector FMA chains in registers (no memory traffic), at AVX-512 and AVX2
// width, float64 and float32, in GFLOP/s of CPU time (getrusage) and of
// wall time, best of -rounds. It is the "100 %" of the percentages of
// peak in BENCHMARKS.md. Run it pinned: taskset -c 0 go run . (AVX-512
// rows need a CPU with AVX-512F; the program does not check).
package main
