package kernels

import (
	"runtime"
	"sync"
)

// The blocked gemm takes its scratch from a free list and runs the parts of
// a parallel call on long-lived worker goroutines, so that a steady-state
// call, serial or parallel, starts no goroutine and allocates nothing.
//
// gemmPool is the package's only mutable state besides the dispatch table,
// guarded by its mutex.
//
// Scratch: a call takes a gemmWork of its element type from the free list
// (or makes one) and puts it back when done. The list keeps as many as
// calls ever ran at once, each with buffers as large as the largest call
// that used it; unlike a sync.Pool it is never emptied by the garbage
// collector, whose clearing made large pack buffers be reallocated after a
// collection.
//
// Workers: a call takes up
// to parts-1 idle workers, hands each one part, computes the first part
// itself and then every part it could not hand out (when the pool is busy
// with other calls), and waits for the workers it used. A worker returns to
// the idle list before it reports its part done, so a call never waits for
// a worker to become free and concurrent callers cannot deadlock.
//
// Workers are started lazily, at most GOMAXPROCS-1 of them (the largest
// value seen); idle workers block on their channel and use no CPU. They
// live as long as the process. Which goroutine computes a part does not
// change any result: an element's arithmetic does not depend on its part
// (see gemmMicro.run).
var gemmPool struct {
	mu      sync.Mutex
	free32  []*gemmWork[float32]
	free64  []*gemmWork[float64]
	idle    []*gemmWorker
	started int
}

// getGemmWork takes a scratch from the free list, or makes one.
func getGemmWork[T Float]() *gemmWork[T] {
	p := &gemmPool
	p.mu.Lock()
	defer p.mu.Unlock()
	if is32[T]() {
		return any(popWork(&p.free32)).(*gemmWork[T])
	}
	return any(popWork(&p.free64)).(*gemmWork[T])
}

// putGemmWork returns w to the free list.
func putGemmWork[T Float](w *gemmWork[T]) {
	p := &gemmPool
	p.mu.Lock()
	defer p.mu.Unlock()
	if is32[T]() {
		p.free32 = append(p.free32, any(w).(*gemmWork[float32]))
	} else {
		p.free64 = append(p.free64, any(w).(*gemmWork[float64]))
	}
}

// popWork removes and returns the last scratch of list, or a new one.
func popWork[T Float](list *[]*gemmWork[T]) *gemmWork[T] {
	n := len(*list)
	if n == 0 {
		return new(gemmWork[T])
	}
	w := (*list)[n-1]
	(*list)[n-1] = nil
	*list = (*list)[:n-1]
	return w
}

// gemmWorker is one long-lived goroutine with its own scratch for each
// element type (edge strips and tiles of the parts it computes).
type gemmWorker struct {
	jobs chan gemmJob // capacity 1; a worker has at most one job
	w32  gemmWork[float32]
	w64  gemmWork[float64]
}

// gemmJob is part t of parts of a call.
type gemmJob struct {
	call     gemmPart
	t, parts int
	done     *sync.WaitGroup
}

// gemmPart is a *gemmCall[T] of either element type.
type gemmPart interface {
	partOn(wk *gemmWorker, t, parts int)
}

// takeGemmWorker returns an idle worker, starting one if fewer than
// GOMAXPROCS-1 exist, or nil when all are busy.
func takeGemmWorker() *gemmWorker {
	p := &gemmPool
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		wk := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		return wk
	}
	if p.started >= runtime.GOMAXPROCS(0)-1 {
		return nil
	}
	p.started++
	// Room for every worker on the idle list, so that putting one back
	// never allocates.
	if cap(p.idle) < p.started {
		p.idle = append(make([]*gemmWorker, 0, 2*p.started), p.idle...)
	}
	wk := &gemmWorker{jobs: make(chan gemmJob, 1)}
	go wk.loop()
	return wk
}

// loop runs jobs until the process ends.
func (wk *gemmWorker) loop() {
	for j := range wk.jobs {
		j.call.partOn(wk, j.t, j.parts)
		p := &gemmPool
		p.mu.Lock()
		p.idle = append(p.idle, wk)
		p.mu.Unlock()
		j.done.Done()
	}
}

// partOn computes part t of parts with wk's scratch.
func (g *gemmCall[T]) partOn(wk *gemmWorker, t, parts int) {
	var w *gemmWork[T]
	if is32[T]() {
		w = any(&wk.w32).(*gemmWork[T])
	} else {
		w = any(&wk.w64).(*gemmWork[T])
	}
	g.part(w, t, parts)
}

// parallel computes the product in parts rectangles (parts ≥ 2): parts
// 1.. go to idle workers while there are any, the caller computes part 0
// and the rest with its scratch w, then waits for the workers.
func (g *gemmCall[T]) parallel(w *gemmWork[T], parts int) {
	handed := 1 // parts 1..handed-1 went to workers
	for handed < parts {
		wk := takeGemmWorker()
		if wk == nil {
			break
		}
		w.wg.Add(1)
		wk.jobs <- gemmJob{call: g, t: handed, parts: parts, done: &w.wg}
		handed++
	}
	g.part(w, 0, parts)
	for t := handed; t < parts; t++ {
		g.part(w, t, parts)
	}
	w.wg.Wait()
}
