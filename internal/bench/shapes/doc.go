// Package shapes holds the matrix shapes that the gemm benchmarks of
// package kernels and of the OpenBLAS comparison module (bench/openblas)
// both run, so that their rows line up and name the same products.
package shapes
