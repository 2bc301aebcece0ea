package results

import (
	"errors"
	"fmt"
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
