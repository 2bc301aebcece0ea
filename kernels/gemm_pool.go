package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
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
// Workers: a parallel call of parts parts takes up to parts-1 idle workers
// and hands each the call (pending). Parts are claimed one at a time from
// the call's counter, by the caller and by every worker that has taken the
// call, until none is left; then the caller revokes the hand-over to every
// worker that has not taken it yet (a worker woken late does no harm), waits
// for those that did, and returns them all to the idle list. So a call
// never waits for a worker to start, and concurrent callers cannot
// deadlock: when every worker is busy a call computes all its parts itself.
//
// Workers are started lazily, at most GOMAXPROCS-1 of them (the largest
// value seen); idle workers block on their channel and use no CPU. They
// live as long as the process. Which goroutine computes a part does not
// change any result: the partition depends on the sizes and GOMAXPROCS
// only, and an element's arithmetic does not depend on its part at all
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

// Worker states. A caller moves a free worker to pending and may move it
// back (revoke); the worker moves pending to taken, and taken to free when
// it has finished its parts.
const (
	gemmFree int32 = iota
	gemmPending
	gemmTaken
)

// gemmWorker is one long-lived goroutine with its own scratch for each
// element type (edge strips and tiles of the parts it computes). The job
// fields are written by the caller that holds the worker, before it sets
// state to pending, and read by the worker only after it has moved state
// from pending to taken.
type gemmWorker struct {
	wake  chan struct{} // capacity 1
	state atomic.Int32
	call  gemmPart
	next  *atomic.Int32 // the call's part counter
	parts int
	done  *sync.WaitGroup
	w32   gemmWork[float32]
	w64   gemmWork[float64]
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
	wk := &gemmWorker{wake: make(chan struct{}, 1)}
	go wk.loop()
	return wk
}

// putGemmWorkers returns workers to the idle list.
func putGemmWorkers(wks []*gemmWorker) {
	p := &gemmPool
	p.mu.Lock()
	p.idle = append(p.idle, wks...)
	p.mu.Unlock()
}

// loop runs the calls handed to the worker until the process ends. A wake
// whose call was revoked (or that stayed in the channel from a revoked
// call) finds the state not pending and is ignored.
func (wk *gemmWorker) loop() {
	for range wk.wake {
		if !wk.state.CompareAndSwap(gemmPending, gemmTaken) {
			continue
		}
		call, next, parts, done := wk.call, wk.next, wk.parts, wk.done
		for t := int(next.Add(1)) - 1; t < parts; t = int(next.Add(1)) - 1 {
			call.partOn(wk, t, parts)
		}
		wk.state.Store(gemmFree)
		done.Done()
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

// parallel computes the product in parts rectangles (parts ≥ 2) with up to
// parts-1 pool workers; w is the caller's scratch.
func (g *gemmCall[T]) parallel(w *gemmWork[T], parts int) {
	w.next.Store(0)
	for len(w.helpers) < parts-1 {
		wk := takeGemmWorker()
		if wk == nil {
			break
		}
		wk.call, wk.next, wk.parts, wk.done = g, &w.next, parts, &w.wg
		w.wg.Add(1)
		wk.state.Store(gemmPending)
		select {
		case wk.wake <- struct{}{}:
		default: // a stale wake is still queued; it will do
		}
		w.helpers = append(w.helpers, wk)
	}
	for t := int(w.next.Add(1)) - 1; t < parts; t = int(w.next.Add(1)) - 1 {
		g.part(w, t, parts)
	}
	for _, wk := range w.helpers {
		if wk.state.CompareAndSwap(gemmPending, gemmFree) {
			w.wg.Done() // revoked: the worker never touches this call
		}
	}
	w.wg.Wait()
	for _, wk := range w.helpers {
		wk.call, wk.next, wk.done = nil, nil, nil
	}
	putGemmWorkers(w.helpers)
	clear(w.helpers)
	w.helpers = w.helpers[:0]
}
