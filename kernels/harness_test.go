package kernels

// Shared test harness for every kernel family (STYLE.md item 7). The API of
// this file is used by the level-1, gemv, ger, gemm and trace tests; keep it
// stable.
//
// Typical use, for an output vector y of length n at element offset off:
//
//	full, y := guardedVector[T](n, off)   // y sits inside NaN guards
//	fillRandom(rnd, y)
//	...call the kernel...
//	checkGuards(t, "y", full, y)          // fails on any out-of-bounds store
//
// Read-only inputs are snapshotted with clone and compared afterwards with
// checkUnchanged. Results are compared with the generic twin under the bound
// |got-ref| <= c*n*eps*Σ|term_i| (tolBound, checkClose); NaN matches NaN and
// infinities must match exactly.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// testLengths are the vector lengths every kernel is compared at: 0..70
// (every SIMD width, unroll factor and tail) plus lengths around and well
// above the block sizes.
var testLengths = func() []int {
	var l []int
	for n := 0; n <= 70; n++ {
		l = append(l, n)
	}
	return append(l, 127, 128, 129, 1000, 4099)
}()

// testOffsets are the element offsets of sub-slices: 0..7 makes every
// alignment of a 64-byte vector for float64 and every 4-byte step for
// float32 reachable.
var testOffsets = []int{0, 1, 2, 3, 4, 5, 6, 7}

// testDims are the matrix dimensions of gemv, ger, gemm and trace tests:
// 0..17 plus 64, 65 and 256.
var testDims = func() []int {
	var d []int
	for n := 0; n <= 17; n++ {
		d = append(d, n)
	}
	return append(d, 64, 65, 256)
}()

// guardLen is the number of guard elements on each side of a guarded vector.
// It is odd and at least one full AVX-512 vector so a stray full-width store
// on either side lands in the guard.
const guardLen = 19

// guardBits32 and guardBits64 are the quiet-NaN payloads stored in guard
// regions. A distinctive payload means a kernel that copies a NaN from an
// input into a guard is still caught.
const (
	guardBits32 uint32 = 0x7fc0_dead
	guardBits64 uint64 = 0x7ff8_0000_dead_beef
)

// guardValue returns the guard NaN of type T.
func guardValue[T Float]() T {
	if is32[T]() {
		v := math.Float32frombits(guardBits32)
		return *(*T)(unsafe.Pointer(&v))
	}
	v := math.Float64frombits(guardBits64)
	return *(*T)(unsafe.Pointer(&v))
}

// isGuard reports whether v has the guard NaN's exact bit pattern.
func isGuard[T Float](v T) bool {
	if is32[T]() {
		return math.Float32bits(float32(v)) == guardBits32
	}
	return math.Float64bits(float64(v)) == guardBits64
}

// guardedVector returns a vector v of length and capacity n whose first
// element is offset elements past a guard region, and the full backing slice
// holding v between guardLen+offset guard elements before and guardLen after.
// All elements, including v's, start as the guard NaN; fill v before use.
func guardedVector[T Float](n, offset int) (full, v []T) {
	full = make([]T, guardLen+offset+n+guardLen)
	g := guardValue[T]()
	for i := range full {
		full[i] = g
	}
	start := guardLen + offset
	return full, full[start : start+n : start+n]
}

// guardedMatrix returns a rows×cols row-major matrix with leading dimension
// ld inside guards, like guardedVector. The ld-cols padding elements of each
// row are guards too, so checkGuards also catches writes past a row's end.
func guardedMatrix[T Float](rows, cols, ld, offset int) (full, a []T) {
	n := 0
	if rows > 0 {
		n = (rows-1)*ld + cols
	}
	return guardedVector[T](n, offset)
}

// viewStart returns the index of v's first element in full.
func viewStart[T Float](full, v []T) int {
	if cap(v) == 0 {
		// A zero-capacity view need not point into full, and it excludes
		// nothing from the guard check.
		return 0
	}
	var z T
	d := uintptr(unsafe.Pointer(unsafe.SliceData(v))) - uintptr(unsafe.Pointer(unsafe.SliceData(full)))
	return int(d / unsafe.Sizeof(z))
}

// checkGuards fails t if any element of full outside v is not the guard NaN.
func checkGuards[T Float](t testing.TB, name string, full, v []T) {
	t.Helper()
	start := viewStart(full, v)
	for i, x := range full {
		if i >= start && i < start+len(v) {
			continue
		}
		if !isGuard(x) {
			t.Errorf("%s: guard element %d (view is [%d,%d)) overwritten with %v", name, i, start, start+len(v), x)
			return
		}
	}
}

// checkMatrixGuards fails t if any element of the guarded matrix full
// outside the rows×cols entries of a (leading dimension ld) was changed:
// the guards around a and the padding at the end of each row.
func checkMatrixGuards[T Float](t testing.TB, name string, full, a []T, rows, cols, ld int) {
	t.Helper()
	checkGuards(t, name, full, a)
	for i := 0; i < rows-1; i++ {
		for j := cols; j < ld; j++ {
			if x := a[i*ld+j]; !isGuard(x) {
				t.Errorf("%s: padding element [%d,%d] (cols %d, ld %d) overwritten with %v", name, i, j, cols, ld, x)
				return
			}
		}
	}
}

// newRand returns the deterministic generator of a test.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x68657373726e6e)) // "hessrnn"
}

// fillRandom fills v with values uniform in [-1, 1), scaled by a random
// power of two in [2⁻⁴, 2⁴] per element so sums mix magnitudes.
func fillRandom[T Float](rnd *rand.Rand, v []T) {
	for i := range v {
		v[i] = T(math.Ldexp(2*rnd.Float64()-1, rnd.IntN(9)-4))
	}
}

// fillMatrix fills the rows×cols entries of a (leading dimension ld) like
// fillRandom, leaving the padding untouched.
func fillMatrix[T Float](rnd *rand.Rand, a []T, rows, cols, ld int) {
	for i := 0; i < rows; i++ {
		fillRandom(rnd, a[i*ld:i*ld+cols])
	}
}

// clone returns a copy of v.
func clone[T Float](v []T) []T {
	return append([]T(nil), v...)
}

// sameBits reports whether a and b have the same bit pattern.
func sameBits[T Float](a, b T) bool {
	if is32[T]() {
		return math.Float32bits(float32(a)) == math.Float32bits(float32(b))
	}
	return math.Float64bits(float64(a)) == math.Float64bits(float64(b))
}

// checkUnchanged fails t unless got is bit for bit equal to want, the
// snapshot of a read-only input taken before the call.
func checkUnchanged[T Float](t testing.TB, name string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length changed from %d to %d", name, len(want), len(got))
	}
	for i := range got {
		if !sameBits(got[i], want[i]) {
			t.Errorf("%s: read-only input changed at %d: %v, was %v", name, i, got[i], want[i])
			return
		}
	}
}

// epsilon returns the unit roundoff of T: 2⁻²⁴ for float32, 2⁻⁵³ for
// float64.
func epsilon[T Float]() float64 {
	if is32[T]() {
		return 0x1p-24
	}
	return 0x1p-53
}

// tolBound returns c*n*eps*sumAbs, the bound on the difference between two
// evaluations (in different orders, with or without FMA) of a sum of n
// terms whose absolute values add up to sumAbs. n is taken as at least 1 so
// an elementwise operation (one rounding per result) has a non-zero bound.
func tolBound[T Float](c float64, n int, sumAbs float64) float64 {
	return c * float64(max(n, 1)) * epsilon[T]() * sumAbs
}

// closeEnough reports whether got and want agree within bound. A NaN must
// meet a NaN and an infinity the same infinity.
func closeEnough[T Float](got, want T, bound float64) bool {
	g, w := float64(got), float64(want)
	switch {
	case math.IsNaN(w) || math.IsNaN(g):
		return math.IsNaN(w) && math.IsNaN(g)
	case math.IsInf(w, 0) || math.IsInf(g, 0):
		return g == w
	}
	return math.Abs(g-w) <= bound
}

// checkClose fails t unless got[i] is within bound[i] of want[i] for every
// i (see closeEnough). bound has one entry per element; build it with
// tolBound from the absolute terms of each result.
func checkClose[T Float](t testing.TB, name string, got, want []T, bound []float64) {
	t.Helper()
	if len(got) != len(want) || len(bound) != len(want) {
		t.Fatalf("%s: lengths got %d want %d bound %d", name, len(got), len(want), len(bound))
	}
	for i := range got {
		if !closeEnough(got[i], want[i], bound[i]) {
			t.Errorf("%s[%d] = %v, want %v (|diff| %g > bound %g)", name, i, got[i], want[i],
				math.Abs(float64(got[i])-float64(want[i])), bound[i])
			return
		}
	}
}

// typeName returns "float32" or "float64", for subtest names.
func typeName[T Float]() string {
	if is32[T]() {
		return "float32"
	}
	return "float64"
}

// caseName formats the name of one case of the length × offset matrix.
func caseName(n, off int) string { return fmt.Sprintf("n=%d/off=%d", n, off) }

// expectPanic fails t unless f panics with exactly the message want.
func expectPanic(t testing.TB, name, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Errorf("%s: did not panic, want %q", name, want)
			return
		}
		if s := fmt.Sprint(r); s != want {
			t.Errorf("%s: panic %q, want %q", name, s, want)
		}
	}()
	f()
}

// checkExact fails t unless got and want are bit for bit equal, except that
// any NaN matches any NaN (NaN payloads depend on operand order). Use it
// for kernels that perform exactly the operations of their reference.
func checkExact[T Float](t testing.TB, name string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		if got[i] != got[i] && want[i] != want[i] {
			continue
		}
		if !sameBits(got[i], want[i]) {
			t.Errorf("%s[%d] = %v, want exactly %v", name, i, got[i], want[i])
			return
		}
	}
}

// sprinkleSpecial overwrites about one element in eight of v with NaN,
// +Inf, -Inf, +0 or -0, for the propagation tests.
func sprinkleSpecial[T Float](rnd *rand.Rand, v []T) {
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1)}
	for i := range v {
		if rnd.IntN(8) == 0 {
			v[i] = T(specials[rnd.IntN(len(specials))])
		}
	}
}
