package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Run locks keep two commands that write to the same output directory at
// once (concurrent shards, a job submitted twice) from computing the same
// run: a process computes a run only while it holds the run's lock file,
// ".ID.lock" next to the result, created with O_EXCL. The file holds the
// holder's PID, host name and start time, and the holder refreshes its
// modification time every LockRefresh. A lock is stale, and is taken over,
// when its holder is a process of this host that no longer exists, or when
// it was not refreshed for LockStale (a holder on another host that died).
const (
	LockRefresh = time.Minute
	LockStale   = 10 * time.Minute
)

// LockName returns the file name of the lock of the run with this ID.
func LockName(id string) string { return "." + id + ".lock" }

// Lock is a held run lock.
type Lock struct {
	path string
	stop chan struct{}
	done chan struct{}
}

// ErrLocked is returned by TryLock when a live process holds the lock.
var ErrLocked = errors.New("results: run locked by another process")

// hostname is this machine's name, read once.
var hostname = func() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}()

// TryLock takes the lock of run id in dir. It returns ErrLocked (wrapped,
// naming the holder) when another live process holds it, and removes a
// stale lock and takes it over.
func TryLock(dir, id string) (*Lock, error) {
	p := filepath.Join(dir, LockName(id))
	for attempt := 0; attempt < 3; attempt++ {
		err := createWithContent(p, fmt.Sprintf("%d %s %d\n", os.Getpid(), hostname, time.Now().Unix()))
		if err == nil {
			l := &Lock{path: p, stop: make(chan struct{}), done: make(chan struct{})}
			go l.refresh()
			return l, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		holder, stale := lockState(p)
		if !stale {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, holder)
		}
		// Remove the stale lock only if it is still the file we judged:
		// rename it away first, so that two processes taking over the
		// same stale lock do not remove each other's new one.
		tmp := fmt.Sprintf("%s.stale-%d", p, os.Getpid())
		if err := os.Rename(p, tmp); err == nil {
			os.Remove(tmp)
		}
	}
	return nil, fmt.Errorf("%w (%s: could not take it over)", ErrLocked, p)
}

// createWithContent creates the file p holding content, failing with an
// error satisfying errors.Is(err, fs.ErrExist) when p exists. The content is
// written to a temporary file first and linked to p, which is as exclusive
// as O_EXCL and never shows p empty: a process killed between creating and
// writing the lock would otherwise leave an empty lock that others cannot
// judge, and take as held, until it is LockStale old.
func createWithContent(p, content string) error {
	f, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+".new-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.WriteString(content)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return werr
	}
	return os.Link(tmp, p)
}

// lockState describes the holder of the lock file p and reports whether
// the lock is stale.
func lockState(p string) (holder string, stale bool) {
	st, err := os.Stat(p)
	if err != nil {
		return "gone", true
	}
	b, _ := os.ReadFile(p)
	f := strings.Fields(string(b))
	age := time.Since(st.ModTime())
	if len(f) < 2 {
		// Being written, or damaged: stale only once old.
		return "unreadable lock " + p, age > LockStale
	}
	holder = fmt.Sprintf("PID %s on %s", f[0], f[1])
	if age > LockStale {
		return holder, true
	}
	if f[1] == hostname {
		if pid, err := strconv.Atoi(f[0]); err == nil && !processAlive(pid) {
			return holder, true
		}
	}
	return holder, false
}

func (l *Lock) refresh() {
	defer close(l.done)
	t := time.NewTicker(LockRefresh)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case now := <-t.C:
			os.Chtimes(l.path, now, now) // best effort; a missed refresh only ages the lock
		}
	}
}

// Unlock releases the lock.
func (l *Lock) Unlock() error {
	close(l.stop)
	<-l.done
	return os.Remove(l.path)
}
