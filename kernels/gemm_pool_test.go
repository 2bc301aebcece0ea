package kernels

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// allocsPerRunProcs is testing.AllocsPerRun at GOMAXPROCS procs
// (AllocsPerRun itself runs at GOMAXPROCS 1, where gemm is serial): it calls
// f once to warm up, then returns the mallocs of runs more calls divided by
// runs, rounded down.
func allocsPerRunProcs(procs, runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.Mallocs - before.Mallocs) / uint64(runs)
}

// TestGemmAllocsParallel checks that steady-state calls allocate nothing at
// GOMAXPROCS 2 for sizes that are split over the worker pool: rows split
// (256×128×128) and columns split (70×300×200, more column strips than row
// strips, partial edge strips), every packing path, both types.
func TestGemmAllocsParallel(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		if Active() == Generic {
			t.Skip("the generic level is serial")
		}
		t.Run("float32", testGemmAllocsParallel[float32])
		t.Run("float64", testGemmAllocsParallel[float64])
	})
}

func testGemmAllocsParallel[T Float](t *testing.T) {
	rnd := newRand(6)
	for _, s := range []gemmShape{{256, 128, 128}, {70, 300, 200}, {40, 260, 256}} {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			tA, tB := tr[0], tr[1]
			o := newGemmOperands[T](rnd, tA, tB, s, 1, 0, 0, 0, true)
			mk := activeMicro[T]()
			g := gemmCall[T]{mk: mk, m: s.m, n: s.n, k: s.k, stripsM: (s.m + mk.mr - 1) / mk.mr, stripsN: (s.n + mk.nr - 1) / mk.nr}
			prev := runtime.GOMAXPROCS(2)
			parts := g.workers()
			runtime.GOMAXPROCS(prev)
			if parts != 2 {
				t.Fatalf("%v: %d parts, want 2 (the test must take the parallel path)", s, parts)
			}
			allocs := allocsPerRunProcs(2, 20, func() {
				GemmReLU(tA, tB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc, o.mask)
				Gemm(tA, tB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 1, o.c, o.ldc)
			})
			if allocs != 0 {
				t.Errorf("%v tA=%v tB=%v: %v allocations per call, want 0", s, tA, tB, allocs)
			}
		}
	}
	gemmPool.mu.Lock()
	started := gemmPool.started
	gemmPool.mu.Unlock()
	if started < 1 {
		t.Errorf("no pool worker was started")
	}
}

// TestGemmConcurrent runs parallel-size products from several goroutines
// at once, more than the pool has workers (so some parts run on the
// caller), and checks each result bit for bit against the serial one. Under
// the race detector it also checks the pool for data races.
func TestGemmConcurrent(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		if Active() == Generic {
			t.Skip("the generic level is serial")
		}
		t.Run("float32", testGemmConcurrent[float32])
		t.Run("float64", testGemmConcurrent[float64])
	})
}

func testGemmConcurrent[T Float](t *testing.T) {
	rnd := newRand(7)
	shapes := []gemmShape{{256, 128, 128}, {70, 300, 200}, {9, 520, 512}, {256, 100, 100}}
	type job struct {
		o    *gemmOperands[T]
		want []T
		mask []T
	}
	var jobs []job
	prev := runtime.GOMAXPROCS(1)
	for i, s := range shapes {
		tA, tB := i%2 == 1, i%3 != 2
		o := newGemmOperands[T](rnd, tA, tB, s, 1.5, 0.25, 1, i, true)
		want := clone(o.c0)
		mask := clone(o.c0)
		GemmReLU(tA, tB, s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, want, o.ldc, mask)
		jobs = append(jobs, job{o, want, mask})
	}
	runtime.GOMAXPROCS(3)
	defer runtime.GOMAXPROCS(prev)
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	errs := make(chan error, 2*len(jobs))
	var wg sync.WaitGroup
	for g := 0; g < 2*len(jobs); g++ {
		wg.Add(1)
		go func(j job) {
			defer wg.Done()
			o := j.o
			c := clone(o.c0)
			mask := clone(o.c0)
			for r := 0; r < rounds; r++ {
				copy(c, o.c0)
				GemmReLU(o.tA, o.tB, o.m, o.n, o.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, c, o.ldc, mask)
				for i := range c {
					if !sameBits(c[i], j.want[i]) || !sameBits(mask[i], j.mask[i]) {
						errs <- fmt.Errorf("%dx%dx%d tA=%v tB=%v round %d: element %d is %v (mask %v), serial %v (mask %v)",
							o.m, o.n, o.k, o.tA, o.tB, r, i, c[i], mask[i], j.want[i], j.mask[i])
						return
					}
				}
			}
		}(jobs[g%len(jobs)])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestGemmLateWorkers runs many small parallel products at GOMAXPROCS 2
// while another goroutine keeps a processor busy, so pool workers often
// start late: the caller then claims their parts and revokes the hand-over.
// Every result must equal the serial one bit for bit (and, under the race
// detector, the hand-over must be free of data races).
func TestGemmLateWorkers(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		if Active() == Generic {
			t.Skip("the generic level is serial")
		}
		rnd := newRand(8)
		s := gemmShape{64, 128, 256} // 2·m·n·k = 2²², the smallest parallel size
		o := newGemmOperands[float32](rnd, false, true, s, 1, 0.5, 0, 0, false)
		prev := runtime.GOMAXPROCS(1)
		want := clone(o.c0)
		Gemm(false, true, s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, want, o.ldc)
		runtime.GOMAXPROCS(2)
		defer runtime.GOMAXPROCS(prev)
		stop := make(chan struct{})
		var hog sync.WaitGroup
		hog.Add(1)
		go func() {
			defer hog.Done()
			x := 1.0
			for {
				select {
				case <-stop:
					_ = x
					return
				default:
					for i := 0; i < 1000; i++ {
						x = x*1.0000001 + 1e-9
					}
				}
			}
		}()
		defer func() { close(stop); hog.Wait() }()
		rounds := 300
		if testing.Short() {
			rounds = 50
		}
		c := clone(o.c0)
		for r := 0; r < rounds; r++ {
			copy(c, o.c0)
			Gemm(false, true, s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, c, o.ldc)
			for i := range c {
				if !sameBits(c[i], want[i]) {
					t.Fatalf("round %d: element %d is %v, serial %v", r, i, c[i], want[i])
				}
			}
		}
	})
}
