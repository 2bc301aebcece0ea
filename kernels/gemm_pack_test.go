package kernels

import (
	"fmt"
	"testing"
)

// TestPackAStripMatchesRef checks packAStrip, which reads untransposed A
// four rows at a time, against packAStripRef, the plain loop: bit for bit
// the same packed strip, zero beyond row m even over stale contents, no
// write outside the k×mr strip, A unchanged. Strip heights of both levels'
// micro-kernels (6, 8) and a wider one, full and partial strips (every
// remainder of the four-row groups), both transposes, padded lda.
func TestPackAStripMatchesRef(t *testing.T) {
	testPackAStrip[float32](t)
	testPackAStrip[float64](t)
}

func testPackAStrip[T Float](t *testing.T) {
	cases := []struct {
		mr, m, k, i0, pad int
	}{
		{mr: 8, m: 4, k: 100, i0: 0},
		{mr: 8, m: 12, k: 100, i0: 8, pad: 3},
		{mr: 8, m: 8, k: 37, i0: 0},
		{mr: 8, m: 17, k: 5, i0: 16, pad: 1},
		{mr: 8, m: 23, k: 1, i0: 16},
		{mr: 8, m: 3, k: 0, i0: 0},
		{mr: 6, m: 6, k: 11, i0: 0, pad: 2},
		{mr: 6, m: 11, k: 9, i0: 6},
		{mr: 6, m: 9, k: 64, i0: 6, pad: 5},
		{mr: 6, m: 2, k: 3, i0: 0},
		{mr: 16, m: 15, k: 21, i0: 0, pad: 4},
		{mr: 16, m: 16, k: 7, i0: 0},
		{mr: 16, m: 29, k: 13, i0: 16, pad: 1},
	}
	rnd := newRand(23)
	for ci, c := range cases {
		for _, tA := range []bool{false, true} {
			name := fmt.Sprintf("%s/case%d/mr=%d/m=%d/k=%d/i0=%d/tA=%v", typeName[T](), ci, c.mr, c.m, c.k, c.i0, tA)
			rows, cols := c.m, c.k // op(A) is m×k; A is k×m when tA
			if tA {
				rows, cols = c.k, c.m
			}
			lda := cols + c.pad
			_, a := guardedMatrix[T](rows, cols, lda, ci%4)
			fillMatrix(rnd, a, rows, cols, lda)
			a0 := clone(a)
			fullGot, got := guardedVector[T](c.k*c.mr, ci%3)
			fillRandom(rnd, got) // stale contents: the padding rows must be cleared
			want := clone(got)
			packAStrip(got, tA, c.m, c.k, a, lda, c.mr, c.i0)
			packAStripRef(want, tA, c.m, c.k, a, lda, c.mr, c.i0)
			for i := range want {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("%s: dst[%d] = %v, reference %v", name, i, got[i], want[i])
				}
			}
			for l := 0; l < c.k; l++ {
				for r := min(c.mr, c.m-c.i0); r < c.mr; r++ {
					if got[l*c.mr+r] != 0 {
						t.Fatalf("%s: padding row %d of column %d = %v, want 0", name, r, l, got[l*c.mr+r])
					}
				}
			}
			checkGuards(t, name, fullGot, got)
			checkUnchanged(t, name, a, a0)
		}
	}
}
