// Package paired times several implementations of one operation against
// each other in alternating short windows, so that the load of a shared,
// noisy machine hits all of them alike. The kernels benchmarks and the
// OpenBLAS comparison module (bench/openblas) use it. CPUTime is the
// process CPU time that the benchmarks of kernels, rnn, rules and eig
// report per operation.
package paired
