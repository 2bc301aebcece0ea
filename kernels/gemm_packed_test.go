package kernels

import (
	"fmt"
	"math"
	"testing"
)

// gemmPackedShapes are the shapes of the packed-operand tests: the small
// and large gemm shapes, and m = n = k and (m, n, k) = (s, 70−s, s+3) for
// every s in 0..70 (every tile edge of both levels' micro-kernels).
func gemmPackedShapes() []gemmShape {
	s := append(gemmSmallShapes(), gemmLargeShapes...)
	for i := 0; i <= 70; i++ {
		if testing.Short() && i%5 != 0 {
			continue
		}
		s = append(s, gemmShape{i, i, i}, gemmShape{i, 70 - i, i + 3})
	}
	return append(s, gemmShape{256, 128, 128}, gemmShape{128, 128, 256})
}

// packedCase is one case of the packed-product tests: its number ci
// (from 1), the transposes, the shape, alpha and beta, and the padding and
// offset of the operands.
type packedCase struct {
	ci       int
	tA, tB   bool
	s        gemmShape
	ab       [2]float64
	pad, off int
}

// forEachPackedCase calls f for the cases of the packed-product tests:
// every transpose pair and every shape of gemmPackedShapes (a quarter of
// the shapes for each pair with -short), stopping after the first case in
// which t has failed.
func forEachPackedCase(t *testing.T, f func(c packedCase)) {
	ci := 0
	for combo, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		for si, s := range gemmPackedShapes() {
			if testing.Short() && si%4 != combo {
				continue
			}
			ci++
			f(packedCase{ci: ci, tA: tr[0], tB: tr[1], s: s, ab: gemmAlphaBeta[ci%len(gemmAlphaBeta)], pad: ci % 3, off: ci % 8})
			if t.Failed() {
				return
			}
		}
	}
}

// packedOperand packs op(B) of the case's operands o, every fifth case
// into storage left by a larger packing.
func packedOperand[T Float](c packedCase, o *gemmOperands[T]) *PackedB[T] {
	p := new(PackedB[T])
	if c.ci%5 == 0 {
		p.Pack(false, 9, 70, make([]T, 9*70), 70)
	}
	p.Pack(c.tB, c.s.k, c.s.n, o.b, o.ldb)
	return p
}

// testGemmPacked compares GemmPackedMul (and GemmPacked when mul is off)
// with two references: the slow generic twin (gemmGeneric, then
// mulGeneric) within the gemm error bound, and Gemm followed by Mul at the
// same level, bit for bit. Operands sit at unaligned offsets inside NaN
// guards; M has its own leading dimension and rep directions per row.
func testGemmPacked[T Float](t *testing.T) {
	rnd := newRand(3)
	forEachPackedCase(t, func(c packedCase) {
		ci, tA, tB, s, ab, pad, off := c.ci, c.tA, c.tB, c.s, c.ab, c.pad, c.off
		o := newGemmOperands[T](rnd, tA, tB, s, T(ab[0]), T(ab[1]), pad, off, false)
		rep := 1 + ci%3
		withMul := ci%4 != 0
		mRows := (s.m + rep - 1) / rep
		ldm := max(s.n, 1) + ci%2
		mulFull, mul := guardedMatrix[T](mRows, s.n, ldm, (off+2)%8)
		fillMatrix(rnd, mul, mRows, s.n, ldm)
		mul0 := clone(mul)
		if !withMul {
			mul = nil
		}
		o.reference(false)
		// The slow reference: the generic product, then the generic
		// elementwise product, row i by row i/rep.
		if withMul {
			for i := 0; i < s.m; i++ {
				row := o.wantC[i*o.ldc : i*o.ldc+s.n]
				mulGeneric(row, row, mul0[(i/rep)*ldm:(i/rep)*ldm+s.n])
				for j := range row {
					o.bound[i*o.ldc+j] *= math.Abs(float64(mul0[(i/rep)*ldm+j])) * 1.5
				}
			}
		}
		// The same-level reference: Gemm, then Mul.
		same := clone(o.c0)
		Gemm(tA, tB, s.m, s.n, s.k, o.alpha, o.a0, o.lda, o.b0, o.ldb, o.beta, same, o.ldc)
		if withMul {
			mulRowsRep(same, o.ldc, mul0, ldm, rep, 0, s.m, 0, s.n)
		}
		p := packedOperand(c, o)
		name := fmt.Sprintf("tA=%v/tB=%v/m=%d/n=%d/k=%d/alpha=%v/beta=%v/off=%d/rep=%d/mul=%v", tA, tB, s.m, s.n, s.k, ab[0], ab[1], off, rep, withMul)
		if withMul {
			GemmPackedMul(tA, s.m, o.alpha, o.a, o.lda, p, o.beta, o.c, o.ldc, mul, ldm, rep)
			checkMatrixGuards(t, name+" M", mulFull, mul, mRows, s.n, ldm)
			checkUnchanged(t, name+" M", mul, mul0)
		} else {
			GemmPacked(tA, s.m, o.alpha, o.a, o.lda, p, o.beta, o.c, o.ldc)
		}
		o.check(t, name)
		for i := 0; i < s.m; i++ {
			checkExact(t, fmt.Sprintf("%s: vs Gemm+Mul, row %d", name, i), o.c[i*o.ldc:i*o.ldc+s.n], same[i*o.ldc:i*o.ldc+s.n])
		}
	})
}

// TestGemmPacked checks the packed-operand product with and without the
// fused elementwise product at every level (see testGemmPacked).
func TestGemmPacked(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testGemmPacked[float32])
		t.Run("float64", testGemmPacked[float64])
	})
}

// testGemmPackedReLU compares GemmPackedReLU with the generic twin of
// GemmReLU (within the gemm bound; the mask must follow C) and with
// GemmReLU at the same level, bit for bit in C and mask, over the shapes of
// gemmPackedShapes, every transpose, alpha and beta, with and without a
// mask, operands at unaligned offsets inside NaN guards.
func testGemmPackedReLU[T Float](t *testing.T) {
	rnd := newRand(5)
	forEachPackedCase(t, func(c packedCase) {
		ci, tA, tB, s, ab, pad, off := c.ci, c.tA, c.tB, c.s, c.ab, c.pad, c.off
		o := newGemmOperands[T](rnd, tA, tB, s, T(ab[0]), T(ab[1]), pad, off, ci%3 != 0)
		o.reference(true)
		same := clone(o.c0)
		var sameMask []T
		if o.mask != nil {
			sameMask = make([]T, len(o.mask))
		}
		GemmReLU(tA, tB, s.m, s.n, s.k, o.alpha, o.a0, o.lda, o.b0, o.ldb, o.beta, same, o.ldc, sameMask)
		p := packedOperand(c, o)
		name := fmt.Sprintf("tA=%v/tB=%v/m=%d/n=%d/k=%d/alpha=%v/beta=%v/off=%d/mask=%v", tA, tB, s.m, s.n, s.k, ab[0], ab[1], off, o.mask != nil)
		GemmPackedReLU(tA, s.m, o.alpha, o.a, o.lda, p, o.beta, o.c, o.ldc, o.mask)
		o.check(t, name)
		for i := 0; i < s.m; i++ {
			r := o.c[i*o.ldc : i*o.ldc+s.n]
			checkExact(t, fmt.Sprintf("%s: vs GemmReLU, row %d", name, i), r, same[i*o.ldc:i*o.ldc+s.n])
			if o.mask != nil {
				checkExact(t, fmt.Sprintf("%s: mask vs GemmReLU, row %d", name, i), o.mask[i*o.ldc:i*o.ldc+s.n], sameMask[i*o.ldc:i*o.ldc+s.n])
			}
		}
	})
}

// TestGemmPackedReLU checks the packed-operand product with the fused
// rectifier at every level (see testGemmPackedReLU).
func TestGemmPackedReLU(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testGemmPackedReLU[float32])
		t.Run("float64", testGemmPackedReLU[float64])
	})
}

// TestGemmPackedOtherLevel checks that an operand packed at one level gives
// the Gemm result of the level active when it is used.
func TestGemmPackedOtherLevel(t *testing.T) {
	rnd := newRand(4)
	s := gemmShape{37, 45, 19}
	for _, from := range Levels() {
		for _, to := range Levels() {
			if from > Detected() || to > Detected() {
				continue
			}
			o := newGemmOperands[float64](rnd, false, true, s, 1, 0.5, 1, 3, false)
			var p PackedB[float64]
			restore, err := SetLevel(from)
			if err != nil {
				t.Fatal(err)
			}
			p.Pack(true, s.k, s.n, o.b, o.ldb)
			restore()
			restore, err = SetLevel(to)
			if err != nil {
				t.Fatal(err)
			}
			want := clone(o.c0)
			Gemm(false, true, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0.5, want, o.ldc)
			GemmPacked(false, s.m, 1, o.a, o.lda, &p, 0.5, o.c, o.ldc)
			wantR, gotR := clone(o.c0), clone(o.c0)
			wantM, gotM := make([]float64, len(o.c0)), make([]float64, len(o.c0))
			GemmReLU(false, true, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0.5, wantR, o.ldc, wantM)
			GemmPackedReLU(false, s.m, 1, o.a, o.lda, &p, 0.5, gotR, o.ldc, gotM)
			restore()
			checkExact(t, fmt.Sprintf("packed at %s, used at %s", from, to), o.c, want)
			checkExact(t, fmt.Sprintf("ReLU, packed at %s, used at %s", from, to), gotR, wantR)
			checkExact(t, fmt.Sprintf("ReLU mask, packed at %s, used at %s", from, to), gotM, wantM)
		}
	}
}

// TestGemmPackedPanics checks the argument checks.
func TestGemmPackedPanics(t *testing.T) {
	var p PackedB[float64]
	p.Pack(false, 3, 4, make([]float64, 12), 4)
	a, c := make([]float64, 6), make([]float64, 8)
	cases := []struct {
		name, want string
		f          func()
	}{
		{"pack short", errShortSlice, func() { p.Pack(false, 3, 4, make([]float64, 11), 4) }},
		{"pack ld", errBadLd, func() { p.Pack(true, 3, 4, make([]float64, 12), 2) }},
		{"negative m", errNegDim, func() { GemmPacked(false, -1, 1, a, 3, &p, 0, c, 4) }},
		{"short A", errShortSlice, func() { GemmPacked(false, 2, 1, a[:5], 3, &p, 0, c, 4) }},
		{"short C", errShortSlice, func() { GemmPacked(false, 2, 1, a, 3, &p, 0, c[:7], 4) }},
		{"short M", errShortSlice, func() { GemmPackedMul(false, 2, 1, a, 3, &p, 0, c, 4, make([]float64, 7), 4, 1) }},
		{"ReLU negative m", errNegDim, func() { GemmPackedReLU(false, -1, 1, a, 3, &p, 0, c, 4, nil) }},
		{"ReLU short A", errShortSlice, func() { GemmPackedReLU(false, 2, 1, a[:5], 3, &p, 0, c, 4, nil) }},
		{"ReLU short C", errShortSlice, func() { GemmPackedReLU(false, 2, 1, a, 3, &p, 0, c[:7], 4, nil) }},
		{"ReLU short mask", errShortSlice, func() { GemmPackedReLU(false, 2, 1, a, 3, &p, 0, c, 4, make([]float64, 7)) }},
		{"rep 0", errNegDim, func() { GemmPackedMul(false, 2, 1, a, 3, &p, 0, c, 4, make([]float64, 8), 4, 0) }},
	}
	for _, tc := range cases {
		expectPanic(t, tc.name, tc.want, tc.f)
	}
}
