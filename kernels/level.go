package kernels

import (
	"fmt"
	"os"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Level is a SIMD instruction-set level at which the kernels can run.
type Level int

// The levels, in increasing order of capability.
const (
	// Generic is the pure-Go reference level, available everywhere.
	Generic Level = iota
	// AVX2 needs AVX2 and FMA3 (Intel Haswell / Xeon E5 v3 and later, AMD Zen).
	AVX2
	// AVX512 needs AVX-512 F, VL, DQ and BW (Intel Skylake-SP, AMD Zen 4).
	AVX512
	numLevels
)

// EnvVar is the environment variable that forces a level at start-up.
const EnvVar = "HESSRNN_KERNELS"

// String returns the lower-case name of the level, as accepted by ParseLevel.
func (l Level) String() string {
	switch l {
	case Generic:
		return "generic"
	case AVX2:
		return "avx2"
	case AVX512:
		return "avx512"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel returns the level named s (generic, avx2 or avx512, any case).
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "generic":
		return Generic, nil
	case "avx2":
		return AVX2, nil
	case "avx512":
		return AVX512, nil
	}
	return Generic, fmt.Errorf("kernels: unknown level %q (allowed: generic, avx2, avx512)", s)
}

// Levels returns every level, in increasing order.
func Levels() []Level { return []Level{Generic, AVX2, AVX512} }

// detectLevel returns the highest level whose levelFeatures this CPU has.
// Assembly availability is decided by the build (see dispatch_amd64.go).
func detectLevel() Level {
	if !asmAvailable {
		return Generic
	}
	for l := numLevels - 1; l > Generic; l-- {
		if cpuid.CPU.Supports(levelFeatures(l)...) {
			return l
		}
	}
	return Generic
}

// amd64Baseline lists the features every amd64 CPU has, which any
// assembly may use without a check.
var amd64Baseline = []cpuid.FeatureID{cpuid.CMOV, cpuid.FXSR, cpuid.MMX, cpuid.SSE, cpuid.SSE2, cpuid.X87}

// levelFeatures lists the CPU features a level requires: Detected() is the
// highest level whose list the CPU supports, and TestRequiresCoveredByLevel
// checks that every assembly function bound at a level needs nothing else.
func levelFeatures(l Level) []cpuid.FeatureID {
	var f []cpuid.FeatureID
	switch l {
	case AVX2:
		f = []cpuid.FeatureID{cpuid.AVX, cpuid.AVX2, cpuid.FMA3}
	case AVX512:
		f = []cpuid.FeatureID{cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512DQ, cpuid.AVX512BW}
	default:
		return nil
	}
	return append(f, amd64Baseline...)
}

// dispatch is the kernel dispatch table: the only mutable package state.
type dispatch struct {
	detected  Level
	active    Level
	configErr error
	table     *funcs
	// threads caps the goroutines of one parallel call (SetThreads); 0:
	// GOMAXPROCS.
	threads int
}

var state = newDispatch(os.Getenv(EnvVar))

func newDispatch(env string) dispatch {
	d := dispatch{detected: detectLevel()}
	d.active = d.detected
	if env != "" {
		l, err := ParseLevel(env)
		switch {
		case err != nil:
			d.configErr = fmt.Errorf("%s=%q: unknown level (allowed: generic, avx2, avx512); using generic", EnvVar, env)
			d.active = Generic
		case l > d.detected:
			d.configErr = fmt.Errorf("%s=%q: this CPU supports at most %s (allowed: generic .. %s); using generic", EnvVar, env, d.detected, d.detected)
			d.active = Generic
		default:
			d.active = l
		}
	}
	d.table = &tables[d.active]
	return d
}

// Detected returns the highest level this CPU and build support.
func Detected() Level { return state.detected }

// Active returns the level the kernels currently run at.
func Active() Level { return state.active }

// ConfigError returns the error from reading HESSRNN_KERNELS at start-up, or
// nil. When it is non-nil the kernels run at Generic.
func ConfigError() error { return state.configErr }

// SetLevel makes l the active level and returns a function that restores the
// previous one. It returns an error, and changes nothing, when l is above
// Detected(). SetLevel is not safe for concurrent use with running kernels;
// call it at start-up or from tests.
func SetLevel(l Level) (restore func(), err error) {
	if l < Generic || l >= numLevels {
		return func() {}, fmt.Errorf("kernels: invalid level %d", int(l))
	}
	if l > state.detected {
		return func() {}, fmt.Errorf("kernels: level %s not supported by this CPU/build (detected %s)", l, state.detected)
	}
	prev := state.active
	state.active = l
	state.table = &tables[l]
	return func() {
		state.active = prev
		state.table = &tables[prev]
	}, nil
}
