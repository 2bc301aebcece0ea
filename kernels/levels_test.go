package kernels

import (
	"os"
	"testing"
)

// RequireLevelEnv names a level that the machine must support; tests fail
// instead of skipping when it is missing (the "flagship builder" rule).
const RequireLevelEnv = "HESSRNN_REQUIRE_LEVEL"

// forEachLevel runs f as subtests level=generic, level=avx2 and level=avx512
// with that level active, skipping levels this CPU or build lacks unless
// HESSRNN_REQUIRE_LEVEL names one of them or a higher one. It restores the
// active level afterwards. Tests that use it must not call t.Parallel.
func forEachLevel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	required := Generic
	if s := os.Getenv(RequireLevelEnv); s != "" {
		l, err := ParseLevel(s)
		if err != nil {
			t.Fatalf("%s: %v", RequireLevelEnv, err)
		}
		required = l
	}
	for _, l := range Levels() {
		t.Run("level="+l.String(), func(t *testing.T) {
			if l > Detected() {
				if l <= required {
					t.Fatalf("%s=%s but this machine supports only %s", RequireLevelEnv, required, Detected())
				}
				t.Skipf("level %s not supported here (detected %s)", l, Detected())
			}
			restore, err := SetLevel(l)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(restore)
			f(t)
		})
	}
}
