package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	return cmd.Process.Pid
}

func TestTryLock(t *testing.T) {
	old := time.Now().Add(-2 * LockStale)
	tests := []struct {
		name    string
		content string
		mtime   time.Time
		locked  bool
	}{
		{"live process on this host", fmt.Sprintf("%d %s 1\n", os.Getpid(), hostname), time.Now(), true},
		{"dead process on this host", fmt.Sprintf("%d %s 1\n", deadPID(t), hostname), time.Now(), false},
		{"other host, refreshed", "1 some-other-host 1\n", time.Now(), true},
		{"other host, not refreshed", "1 some-other-host 1\n", old, false},
		{"live process, not refreshed", fmt.Sprintf("%d %s 1\n", os.Getpid(), hostname), old, false},
		{"unreadable, new", "", time.Now(), true},
		{"unreadable, old", "x", old, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, LockName("run1"))
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, tc.mtime, tc.mtime); err != nil {
				t.Fatal(err)
			}
			l, err := TryLock(dir, "run1")
			if tc.locked {
				if !errors.Is(err, ErrLocked) {
					t.Fatalf("TryLock = %v, want ErrLocked", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("stale lock not taken over: %v", err)
			}
			if _, err := TryLock(dir, "run1"); !errors.Is(err, ErrLocked) {
				t.Errorf("a held lock was taken again: %v", err)
			}
			if err := l.Unlock(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("lock file left after Unlock: %v", err)
			}
		})
	}
}

// TestCreateWithContent: a lock file appears whole (never empty, as a
// process killed between creating and writing it would leave one), only
// when the path is free, and leaves no temporary file behind.
func TestCreateWithContent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".run.lock")
	if err := createWithContent(p, "1 host 2\n"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "1 host 2\n" {
		t.Fatalf("lock holds %q, %v", b, err)
	}
	if err := createWithContent(p, "3 other 4\n"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "1 host 2\n" {
		t.Fatalf("the first holder's lock was overwritten: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("%d files in the directory, want only the lock", len(entries))
	}
}
