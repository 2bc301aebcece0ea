package main

import (
	"flag"
	"fmt"
	"syscall"
	"time"
)

func fma64x512(n int)
func fma32x512(n int)
func fma64x256(n int)
func fma32x256(n int)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	rounds := flag.Int("rounds", 7, "rounds per case")
	iters := flag.Int("n", 20_000_000, "loop iterations per round")
	flag.Parse()
	cases := []struct {
		name  string
		f     func(int)
		flops float64 // per iteration: 12 FMAs × lanes × 2
	}{
		{"fp64 AVX-512", fma64x512, 12 * 8 * 2},
		{"fp32 AVX-512", fma32x512, 12 * 16 * 2},
		{"fp64 AVX2", fma64x256, 12 * 4 * 2},
		{"fp32 AVX2", fma32x256, 12 * 8 * 2},
	}
	for _, c := range cases {
		var bestCPU, bestWall float64
		for r := 0; r < *rounds; r++ {
			c0, w0 := cpuTime(), time.Now()
			c.f(*iters)
			cpu, wall := cpuTime()-c0, time.Since(w0)
			fl := float64(*iters) * c.flops
			bestCPU = max(bestCPU, fl/cpu.Seconds()/1e9)
			bestWall = max(bestWall, fl/wall.Seconds()/1e9)
		}
		fmt.Printf("%-13s %7.1f GFLOP/s (CPU time)  %7.1f GFLOP/s (wall)\n", c.name, bestCPU, bestWall)
	}
}
