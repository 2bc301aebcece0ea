// Command level prints the active kernels level and the detected one, for
// the benchmark tables of compare.py.
package main
