package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

// Func computes the result of one run. It returns nil when ctx was
// cancelled before the run finished; nothing is written then, so a resumed
// sweep runs it again.
type Func func(ctx context.Context, run config.Run) *results.Result

// Options configures Execute.
type Options struct {
	// Dir is the output directory for the result files.
	Dir string
	// Jobs is the number of runs computed at once (at least 1).
	Jobs int
	// Force reruns runs whose final result exists.
	Force bool
	// OnSkip is called for each run skipped because its result exists.
	OnSkip func(run config.Run)
	// OnBusy is called for each run skipped because another process holds
	// its lock (results.TryLock): that process is computing it.
	OnBusy func(run config.Run)
	// OnDone is called after each attempt to write a run's result, with
	// the path written or the write error (from worker goroutines, one call
	// at a time).
	OnDone func(r *results.Result, path string, err error)
}

// Summary counts what Execute did.
type Summary struct {
	Total, Skipped, Finished, Diverged, Failed, Interrupted int
	// Busy counts the runs left to another process that held their lock.
	Busy int
}

// String formats the counts on one line.
func (s Summary) String() string {
	str := fmt.Sprintf("%d runs: %d finished, %d diverged, %d failed, %d skipped (already done), %d interrupted",
		s.Total, s.Finished, s.Diverged, s.Failed, s.Skipped, s.Interrupted)
	if s.Busy > 0 {
		str += fmt.Sprintf(", %d left to another process computing them (run again when it has finished)", s.Busy)
	}
	return str
}

// Pending returns the runs without a final result in dir.
func Pending(dir string, runs []config.Run) []config.Run {
	var out []config.Run
	for _, r := range runs {
		if !results.Done(dir, r.ID()) {
			out = append(out, r)
		}
	}
	return out
}

// Execute computes the runs on opts.Jobs workers, in list order, skipping
// those with a final result in opts.Dir unless opts.Force. Each result is
// written as soon as it is complete. When ctx is cancelled, runs in
// progress are abandoned (fn returns nil), no new ones start, and Execute
// returns ctx.Err() after the finished ones are written. A panic inside fn
// is recorded as a failed run with the panic value, not propagated.
//
// The first result that cannot be written (a full disk, a directory that
// became read-only) stops the sweep as a cancellation does: no new run
// starts, runs in progress are abandoned, the unsaved run counts as
// failed, and Execute returns the write error.
func Execute(ctx context.Context, runs []config.Run, opts Options, fn Func) (Summary, error) {
	parent := ctx
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	sum := Summary{Total: len(runs)}
	var todo []config.Run
	for _, r := range runs {
		if !opts.Force && results.Done(opts.Dir, r.ID()) {
			sum.Skipped++
			if opts.OnSkip != nil {
				opts.OnSkip(r)
			}
			continue
		}
		todo = append(todo, r)
	}
	jobs := max(1, opts.Jobs)
	work := make(chan config.Run)
	var (
		mu       sync.Mutex
		writeErr error
		wg       sync.WaitGroup
	)
	// acquire takes the run's lock. It reports skip when the run is not to
	// be computed here: another process holds the lock (Busy), the run
	// was finished meanwhile (Skipped), or the lock cannot be created (an
	// output error, which stops the sweep as a failed write does).
	acquire := func(r config.Run) (*results.Lock, bool) {
		lock, err := results.TryLock(opts.Dir, r.ID())
		mu.Lock()
		defer mu.Unlock()
		switch {
		case errors.Is(err, results.ErrLocked):
			sum.Busy++
			if opts.OnBusy != nil {
				opts.OnBusy(r)
			}
			return nil, true
		case err != nil:
			sum.Interrupted++
			if writeErr == nil {
				writeErr = fmt.Errorf("locking run %s: %w; stopped the sweep", r.ID(), err)
				stop()
			}
			return nil, true
		case !opts.Force && results.Done(opts.Dir, r.ID()):
			lock.Unlock()
			sum.Skipped++
			if opts.OnSkip != nil {
				opts.OnSkip(r)
			}
			return nil, true
		}
		return lock, false
	}
	if len(todo) > 0 {
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return sum, fmt.Errorf("output directory: %w", err)
		}
	}
	for range min(jobs, max(1, len(todo))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				if ctx.Err() != nil {
					mu.Lock()
					sum.Interrupted++
					mu.Unlock()
					continue
				}
				lock, skip := acquire(r)
				if skip {
					continue
				}
				res := safeRun(ctx, r, fn)
				mu.Lock()
				if res == nil {
					sum.Interrupted++
					lock.Unlock()
					mu.Unlock()
					continue
				}
				path, err := results.Write(opts.Dir, res)
				lock.Unlock()
				switch {
				case err != nil:
					// Not saved: the run is lost, whatever its outcome.
					sum.Failed++
					if writeErr == nil {
						writeErr = fmt.Errorf("writing result of %s: %w; stopped the sweep", res.ID, err)
						stop()
					}
				case res.Status.State == results.Finished:
					sum.Finished++
				case res.Status.State == results.Diverged:
					sum.Diverged++
				default:
					sum.Failed++
				}
				if opts.OnDone != nil {
					opts.OnDone(res, path, err)
				}
				mu.Unlock()
			}
		}()
	}
	// notFed counts the runs never handed to a worker; the workers update
	// sum under mu, so it is added after they have finished.
	notFed := 0
feed:
	for i, r := range todo {
		if ctx.Err() != nil {
			notFed = len(todo) - i
			break
		}
		select {
		case <-ctx.Done():
			notFed = len(todo) - i
			break feed
		case work <- r:
		}
	}
	close(work)
	wg.Wait()
	sum.Interrupted += notFed
	cancelled := notFed > 0
	if writeErr != nil {
		return sum, writeErr
	}
	if cancelled || parent.Err() != nil {
		return sum, parent.Err()
	}
	return sum, nil
}

func safeRun(ctx context.Context, r config.Run, fn Func) (res *results.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = results.New(r, "", "")
			res.Status = results.Status{State: results.Failed, Reason: fmt.Sprintf("internal error: %v\n%s", p, debug.Stack())}
		}
	}()
	res = fn(ctx, r)
	if res != nil && ctx.Err() != nil && res.Status.State == results.Failed {
		return nil // a failure caused by the cancellation is not a result
	}
	return res
}
