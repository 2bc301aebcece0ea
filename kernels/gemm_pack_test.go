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

// TestGemmShortStripBitwise checks the 4-row micro-kernels against the
// path they replace: a product whose last row strip has four rows (m ≡ 4
// mod mr) is computed by the level's driver with the 4-row kernels and by
// the same driver without them (the strip packed and run through the
// scratch tile by the mr-row kernels), and C, the ReLU mask and every guard
// must agree bit for bit. Every transpose pair, alpha and beta, plain,
// ReLU with and without mask, packed op(B) with the fused product (rep 1
// and 2), and column counts around the full and half-width strips.
func TestGemmShortStripBitwise(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testGemmShortStrip[float32])
		t.Run("float64", testGemmShortStrip[float64])
	})
}

func testGemmShortStrip[T Float](t *testing.T) {
	mk := activeMicro[T]()
	if mk == nil {
		t.Skip("no micro-kernel at this level")
	}
	if mk.kern4 == nil || mk.half4 == nil {
		t.Fatalf("level %s has no 4-row kernels", Active())
	}
	ref := *mk
	ref.kern4, ref.half4 = nil, nil
	mr, nr := mk.mr, mk.nr
	rnd := newRand(31)
	ci := 0
	for _, m := range []int{4, mr + 4, 3*mr + 4} {
		for _, n := range []int{1, nr / 2, nr/2 + 1, nr, 2*nr + 3, 100} {
			for _, k := range []int{1, 5, 37} {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
					ci++
					ab := gemmAlphaBeta[ci%len(gemmAlphaBeta)]
					s := gemmShape{m, n, k}
					name := fmt.Sprintf("m=%d/n=%d/k=%d/tA=%v/tB=%v/alpha=%v/beta=%v", m, n, k, tr[0], tr[1], ab[0], ab[1])
					for mode := 0; mode < 4; mode++ { // plain, ReLU, ReLU with mask, packed with product
						o := newGemmOperands[T](rnd, tr[0], tr[1], s, T(ab[0]), T(ab[1]), ci%3, ci%8, mode == 2)
						want := clone(o.c0)
						var wantMask []T
						if o.mask != nil {
							wantMask = make([]T, len(o.mask))
						}
						rep := 1 + ci%2
						mulFull, mul := guardedMatrix[T]((m+rep-1)/rep, n, o.ldc, (ci+2)%8)
						fillMatrix(rnd, mul, (m+rep-1)/rep, n, o.ldc)
						var p PackedB[T]
						p.Pack(tr[1], k, n, o.b, o.ldb)
						run := func(d *gemmMicro[T], c, mask []T) {
							switch mode {
							case 0:
								d.run(tr[0], tr[1], m, n, k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, c, o.ldc, false, nil)
							case 1, 2:
								d.run(tr[0], tr[1], m, n, k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, c, o.ldc, true, mask)
							default:
								d.runPacked(tr[0], m, n, k, o.alpha, o.a, o.lda, p.data, o.beta, c, o.ldc, false, nil, mul, o.ldc, rep)
							}
						}
						run(&ref, want, wantMask)
						run(mk, o.c, o.mask)
						mname := fmt.Sprintf("%s/mode=%d", name, mode)
						for i := 0; i < m; i++ {
							checkExact(t, fmt.Sprintf("%s C row %d", mname, i), o.c[i*o.ldc:i*o.ldc+n], want[i*o.ldc:i*o.ldc+n])
							if o.mask != nil {
								checkExact(t, fmt.Sprintf("%s mask row %d", mname, i), o.mask[i*o.ldc:i*o.ldc+n], wantMask[i*o.ldc:i*o.ldc+n])
							}
						}
						checkMatrixGuards(t, mname+" C", o.cFull, o.c, m, n, o.ldc)
						if o.mask != nil {
							checkMatrixGuards(t, mname+" mask", o.maskFull, o.mask, m, n, o.ldc)
						}
						checkMatrixGuards(t, mname+" mul", mulFull, mul, (m+rep-1)/rep, n, o.ldc)
						checkUnchanged(t, mname+" A", o.a, o.a0)
						checkUnchanged(t, mname+" B", o.b, o.b0)
						if t.Failed() {
							return
						}
					}
				}
			}
		}
	}
}
