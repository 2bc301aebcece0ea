package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gemmShape is one case of the gemm comparison matrix.
type gemmShape struct{ m, n, k int }

// gemmSmallShapes is the 0..17 cube, thinned so the test stays fast: every
// (m, n) pair in 0..17 occurs with every third k (every seventh with
// -short), plus k = 0 and 1 for all pairs.
func gemmSmallShapes() []gemmShape {
	step := 3
	if testing.Short() {
		step = 7
	}
	var s []gemmShape
	for m := 0; m <= 17; m++ {
		for n := 0; n <= 17; n++ {
			for k := 0; k <= 17; k++ {
				if (m+2*n+k)%step == 0 || k <= 1 {
					s = append(s, gemmShape{m, n, k})
				}
			}
		}
	}
	return s
}

// gemmLargeShapes mixes 64, 65 and 256 with small and edge sizes, and the
// RNN's shapes scaled down to test size (input projection k = 2 and 28,
// weight gradient k = 256).
var gemmLargeShapes = []gemmShape{
	{64, 64, 64}, {65, 65, 65}, {64, 65, 17}, {65, 64, 1}, {17, 65, 64},
	{256, 17, 3}, {3, 256, 17}, {13, 33, 256}, {256, 64, 2}, {256, 65, 28},
	{65, 256, 28}, {64, 64, 256}, {256, 256, 16}, {9, 31, 300}, {37, 70, 513},
}

// gemmAlphaBeta are the scalar pairs the matrix cycles through.
var gemmAlphaBeta = [][2]float64{{1, 0}, {-0.75, 1}, {2, 0.5}, {1, -1.5}, {0.5, 0}}

// gemmOperands builds guarded, randomly filled operands for one case; lda,
// ldb and ldc exceed the minimum by pad, and A, B, C start off elements past
// their guards. C is NaN when beta == 0 so that a read of C shows.
type gemmOperands[T Float] struct {
	tA, tB                       bool
	m, n, k                      int
	alpha, beta                  T
	aFull, a, bFull, b, cFull, c []T
	lda, ldb, ldc                int
	aRows, aCols, bRows, bCols   int
	a0, b0, c0                   []T // snapshots
	maskFull, mask               []T
	wantC, wantMask              []T
	bound                        []float64
}

func newGemmOperands[T Float](rnd *rand.Rand, tA, tB bool, s gemmShape, alpha, beta T, pad, off int, withMask bool) *gemmOperands[T] {
	o := &gemmOperands[T]{tA: tA, tB: tB, m: s.m, n: s.n, k: s.k, alpha: alpha, beta: beta}
	o.aRows, o.aCols = s.m, s.k
	if tA {
		o.aRows, o.aCols = s.k, s.m
	}
	o.bRows, o.bCols = s.k, s.n
	if tB {
		o.bRows, o.bCols = s.n, s.k
	}
	o.lda, o.ldb, o.ldc = max(o.aCols, 1)+pad, max(o.bCols, 1)+(pad+1)%3, max(s.n, 1)+pad+1
	o.aFull, o.a = guardedMatrix[T](o.aRows, o.aCols, o.lda, off)
	o.bFull, o.b = guardedMatrix[T](o.bRows, o.bCols, o.ldb, (off+3)%8)
	o.cFull, o.c = guardedMatrix[T](s.m, s.n, o.ldc, (off+5)%8)
	fillMatrix(rnd, o.a, o.aRows, o.aCols, o.lda)
	fillMatrix(rnd, o.b, o.bRows, o.bCols, o.ldb)
	if beta != 0 {
		fillMatrix(rnd, o.c, s.m, s.n, o.ldc)
	} else {
		for i := 0; i < s.m; i++ {
			for j := 0; j < s.n; j++ {
				o.c[i*o.ldc+j] = T(math.NaN())
			}
		}
	}
	o.a0, o.b0, o.c0 = clone(o.a), clone(o.b), clone(o.c)
	if withMask {
		o.maskFull, o.mask = guardedMatrix[T](s.m, s.n, o.ldc, (off+1)%8)
	}
	return o
}

func (o *gemmOperands[T]) opA(i, l int) T {
	if o.tA {
		return o.a[l*o.lda+i]
	}
	return o.a[i*o.lda+l]
}

func (o *gemmOperands[T]) opB(l, j int) T {
	if o.tB {
		return o.b[j*o.ldb+l]
	}
	return o.b[l*o.ldb+j]
}

// reference computes the generic twin's result on copies, and the error
// bound of each element: 2·(k+2)·eps·(|alpha|·Σ|a||b| + |beta·C|).
func (o *gemmOperands[T]) reference(relu bool) {
	o.wantC = clone(o.c0)
	if relu {
		if o.mask != nil {
			o.wantMask = make([]T, len(o.mask))
			copy(o.wantMask, o.mask)
		}
		gemmReLUGeneric(o.tA, o.tB, o.m, o.n, o.k, o.alpha, o.a0, o.lda, o.b0, o.ldb, o.beta, o.wantC, o.ldc, o.wantMask)
	} else {
		gemmGeneric(o.tA, o.tB, o.m, o.n, o.k, o.alpha, o.a0, o.lda, o.b0, o.ldb, o.beta, o.wantC, o.ldc)
	}
	o.bound = make([]float64, len(o.c))
	for i := 0; i < o.m; i++ {
		for j := 0; j < o.n; j++ {
			var s float64
			if o.alpha != 0 {
				for l := 0; l < o.k; l++ {
					s += math.Abs(float64(o.opA(i, l)) * float64(o.opB(l, j)))
				}
				s *= math.Abs(float64(o.alpha))
			}
			if o.beta != 0 {
				s += math.Abs(float64(o.beta) * float64(o.c0[i*o.ldc+j]))
			}
			o.bound[i*o.ldc+j] = tolBound[T](2, o.k+2, s)
		}
	}
}

// check compares the result with the reference and checks guards, padding
// and read-only inputs.
func (o *gemmOperands[T]) check(t *testing.T, name string) {
	t.Helper()
	checkMatrixGuards(t, name+" C", o.cFull, o.c, o.m, o.n, o.ldc)
	checkUnchanged(t, name+" A", o.a, o.a0)
	checkUnchanged(t, name+" B", o.b, o.b0)
	for i := 0; i < o.m; i++ {
		row := i * o.ldc
		checkClose(t, fmt.Sprintf("%s C row %d", name, i), o.c[row:row+o.n], o.wantC[row:row+o.n], o.bound[row:row+o.n])
	}
	if o.mask == nil {
		return
	}
	checkMatrixGuards(t, name+" mask", o.maskFull, o.mask, o.m, o.n, o.ldc)
	for i := 0; i < o.m; i++ {
		for j := 0; j < o.n; j++ {
			p := i*o.ldc + j
			// The mask must follow C as computed; against the reference it
			// may differ only where C is within the bound of zero.
			want := T(0)
			if o.c[p] > 0 {
				want = 1
			}
			if o.mask[p] != want {
				t.Fatalf("%s: mask[%d,%d] = %v for C = %v", name, i, j, o.mask[p], o.c[p])
			}
			if o.mask[p] != o.wantMask[p] && math.Abs(float64(o.wantC[p])) > o.bound[p] {
				t.Fatalf("%s: mask[%d,%d] = %v, reference %v (C %v, reference %v)", name, i, j, o.mask[p], o.wantMask[p], o.c[p], o.wantC[p])
			}
		}
	}
}

func testGemmMatrix[T Float](t *testing.T, relu bool) {
	rnd := newRand(1)
	small := gemmSmallShapes()
	shapes := append(small, gemmLargeShapes...)
	ci := 0
	for combo, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		tA, tB := tr[0], tr[1]
		for si, s := range shapes {
			// With -short (the race run) each large shape runs with one
			// of the four transpose combinations, in turn.
			if testing.Short() && si >= len(small) && (si-len(small))%4 != combo {
				continue
			}
			ci++
			ab := gemmAlphaBeta[ci%len(gemmAlphaBeta)]
			pad, off := ci%3, ci%8
			o := newGemmOperands[T](rnd, tA, tB, s, T(ab[0]), T(ab[1]), pad, off, relu && ci%2 == 0)
			o.reference(relu)
			name := fmt.Sprintf("tA=%v/tB=%v/m=%d/n=%d/k=%d/alpha=%v/beta=%v/off=%d", tA, tB, s.m, s.n, s.k, ab[0], ab[1], off)
			if relu {
				GemmReLU(tA, tB, s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, o.c, o.ldc, o.mask)
			} else {
				Gemm(tA, tB, s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, o.c, o.ldc)
			}
			o.check(t, name)
			if t.Failed() {
				return
			}
		}
	}
}

// TestGemm compares Gemm with gemmGeneric at every level over the shape ×
// transpose × offset × leading-dimension matrix, with NaN guards around and
// between the rows of C, beta == 0 over a NaN-filled C, and read-only inputs
// checked unchanged.
func TestGemm(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", func(t *testing.T) { testGemmMatrix[float32](t, false) })
		t.Run("float64", func(t *testing.T) { testGemmMatrix[float64](t, false) })
	})
}

// TestGemmReLU compares the fused GemmReLU with gemmReLUGeneric, mask
// included, and checks that it equals Gemm followed by ReLU at the same
// level bit for bit.
func TestGemmReLU(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", func(t *testing.T) { testGemmMatrix[float32](t, true); testGemmReLUSame[float32](t) })
		t.Run("float64", func(t *testing.T) { testGemmMatrix[float64](t, true); testGemmReLUSame[float64](t) })
	})
}

func testGemmReLUSame[T Float](t *testing.T) {
	rnd := newRand(2)
	for _, s := range []gemmShape{{256, 128, 28}, {70, 65, 33}, {256, 256, 256}} {
		for _, beta := range []T{0, 1} {
			o := newGemmOperands[T](rnd, false, true, s, 1, beta, 0, 0, true)
			c2 := clone(o.c)
			GemmReLU(false, true, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, beta, o.c, o.ldc, o.mask)
			Gemm(false, true, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, beta, c2, o.ldc)
			mask2 := make([]T, len(c2))
			reluRows(c2, o.ldc, mask2, 0, s.m, 0, s.n)
			for i := 0; i < s.m; i++ {
				for j := 0; j < s.n; j++ {
					p := i*o.ldc + j
					if !sameBits(o.c[p], c2[p]) || o.mask[p] != mask2[p] {
						t.Fatalf("%v beta=%v [%d,%d]: GemmReLU %v mask %v, Gemm+ReLU %v mask %v", s, beta, i, j, o.c[p], o.mask[p], c2[p], mask2[p])
					}
				}
			}
		}
	}
}

// TestGemmSpecial checks alpha == 0 (C scaled by beta, NaN in A and B not
// propagated, as in BLAS), k == 0, alpha == 0 with beta == 1 (C untouched,
// even NaN), and that NaN and Inf in A, B or C propagate like the generic
// twin.
func TestGemmSpecial(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testGemmSpecial[float32])
		t.Run("float64", testGemmSpecial[float64])
	})
}

func testGemmSpecial[T Float](t *testing.T) {
	rnd := newRand(3)
	nan, inf := T(math.NaN()), T(math.Inf(1))
	for _, tc := range []struct {
		name        string
		s           gemmShape
		alpha, beta float64
		poison      func(o *gemmOperands[T])
	}{
		{"alpha=0", gemmShape{9, 40, 5}, 0, 0.5, func(o *gemmOperands[T]) { o.a[0] = nan }},
		{"alpha=0/beta=0", gemmShape{9, 40, 5}, 0, 0, func(o *gemmOperands[T]) { o.b[0] = nan }},
		{"alpha=0/beta=1", gemmShape{9, 40, 5}, 0, 1, func(o *gemmOperands[T]) { o.c[3] = nan; o.a[1] = inf }},
		{"k=0", gemmShape{9, 40, 0}, 2, -1, func(o *gemmOperands[T]) {}},
		{"k=0/beta=0", gemmShape{9, 40, 0}, 2, 0, func(o *gemmOperands[T]) {}},
		{"NaN in A", gemmShape{20, 40, 30}, 1, 0, func(o *gemmOperands[T]) { o.a[o.lda*3+2] = nan }},
		{"Inf in B", gemmShape{20, 40, 30}, 1, 1, func(o *gemmOperands[T]) { o.b[o.ldb*2+5] = inf }},
		{"-Inf in B", gemmShape{20, 40, 30}, 1, 1, func(o *gemmOperands[T]) { o.b[o.ldb*4+33] = -inf }},
		{"NaN in C", gemmShape{20, 40, 30}, 1, 1, func(o *gemmOperands[T]) { o.c[o.ldc*7+39] = nan }},
		{"Inf in C", gemmShape{20, 40, 30}, 1, 0.5, func(o *gemmOperands[T]) { o.c[o.ldc*19+1] = inf }},
	} {
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				o := newGemmOperands[T](rnd, tA, tB, tc.s, T(tc.alpha), T(tc.beta), 1, 3, false)
				tc.poison(o)
				o.a0, o.b0, o.c0 = clone(o.a), clone(o.b), clone(o.c)
				o.reference(false)
				Gemm(tA, tB, tc.s.m, tc.s.n, tc.s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, o.c, o.ldc)
				name := fmt.Sprintf("%s/tA=%v/tB=%v", tc.name, tA, tB)
				o.check(t, name)
				if tc.alpha == 0 && tc.beta == 1 {
					checkUnchanged(t, name+" C", o.c, o.c0)
				}
			}
		}
	}
	// A NaN in A reaches its whole row of C; Inf*0 gives NaN.
	o := newGemmOperands[T](rnd, false, false, gemmShape{16, 48, 8}, 1, 0, 0, 0, false)
	o.a[5*o.lda+3] = nan
	o.b[0] = inf
	o.a[7*o.lda] = 0
	Gemm(false, false, 16, 48, 8, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
	for j := 0; j < 48; j++ {
		if v := o.c[5*o.ldc+j]; v == v {
			t.Fatalf("NaN in A row 5 not propagated to C[5,%d] = %v", j, v)
		}
	}
	if v := o.c[7*o.ldc]; v == v {
		t.Fatalf("0*Inf: C[7,0] = %v, want NaN", v)
	}
}

// TestGemmDeterministic checks that results are bitwise identical for
// GOMAXPROCS 1, 2 and 3 at sizes that run in parallel.
func TestGemmDeterministic(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testGemmDeterministic[float32])
		t.Run("float64", testGemmDeterministic[float64])
	})
}

func testGemmDeterministic[T Float](t *testing.T) {
	rnd := newRand(4)
	if Active() == Generic {
		t.Skip("the generic level is serial")
	}
	for _, s := range []gemmShape{{256, 128, 128}, {70, 300, 200}, {9, 520, 512}} {
		for _, tr := range [][2]bool{{false, true}, {true, false}} {
			o := newGemmOperands[T](rnd, tr[0], tr[1], s, 1.5, 0.25, 1, 2, false)
			var results [][]T
			for _, procs := range []int{1, 2, 3} {
				prev := runtime.GOMAXPROCS(procs)
				c := clone(o.c0)
				GemmReLU(tr[0], tr[1], s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, c, o.ldc, nil)
				runtime.GOMAXPROCS(prev)
				results = append(results, c)
			}
			for r := 1; r < len(results); r++ {
				for i := range results[0] {
					if !sameBits(results[0][i], results[r][i]) {
						t.Fatalf("%v tA=%v tB=%v: GOMAXPROCS %d differs from 1 at %d: %v vs %v", s, tr[0], tr[1], r+1, i, results[r][i], results[0][i])
					}
				}
			}
		}
	}
}

// TestGemmAllocs checks that steady-state calls allocate nothing at
// GOMAXPROCS 1, where no size runs goroutines.
func TestGemmAllocs(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		rnd := newRand(5)
		// Every packing path: B transposed, B tall (k ≥ 256), A transposed
		// with n ≥ 256, edge strips.
		for _, s := range []gemmShape{{256, 128, 28}, {33, 17, 9}, {256, 128, 128}, {40, 260, 256}} {
			if s.m*s.n*s.k > 1<<20 && Active() == Generic {
				continue // no packing at the generic level, and slow
			}
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
				tA, tB := tr[0], tr[1]
				o := newGemmOperands[float32](rnd, tA, tB, s, 1, 0, 0, 0, true)
				prev := runtime.GOMAXPROCS(1)
				allocs := testing.AllocsPerRun(20, func() {
					GemmReLU(tA, tB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc, o.mask)
					Gemm(tA, tB, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, 1, o.c, o.ldc)
				})
				runtime.GOMAXPROCS(prev)
				if allocs != 0 {
					t.Errorf("%v tA=%v tB=%v: %v allocations per call, want 0", s, tA, tB, allocs)
				}
			}
		}
	})
}

// TestGemmPanics checks the documented panics.
func TestGemmPanics(t *testing.T) {
	a := make([]float32, 100)
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"m<0", errNegDim, func() { Gemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }},
		{"n<0", errNegDim, func() { Gemm(false, false, 2, -1, 2, 1, a, 2, a, 2, 0, a, 2) }},
		{"k<0", errNegDim, func() { Gemm(false, false, 2, 2, -1, 1, a, 2, a, 2, 0, a, 2) }},
		{"lda<k", errBadLd, func() { Gemm(false, false, 2, 2, 3, 1, a, 2, a, 3, 0, a, 3) }},
		{"lda<m tA", errBadLd, func() { Gemm(true, false, 3, 2, 2, 1, a, 2, a, 2, 0, a, 2) }},
		{"ldb<n", errBadLd, func() { Gemm(false, false, 2, 3, 2, 1, a, 2, a, 2, 0, a, 3) }},
		{"ldb<k tB", errBadLd, func() { Gemm(false, true, 2, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"ldc<n", errBadLd, func() { Gemm(false, false, 2, 3, 2, 1, a, 2, a, 3, 0, a, 2) }},
		{"short A", errShortSlice, func() { Gemm(false, false, 20, 2, 6, 1, a, 6, a, 2, 0, a, 2) }},
		{"short B", errShortSlice, func() { Gemm(false, true, 2, 20, 6, 1, a, 6, a, 6, 0, a, 20) }},
		{"short C", errShortSlice, func() { Gemm(false, false, 11, 10, 2, 1, a, 2, a, 10, 0, a, 10) }},
		{"short mask", errShortSlice, func() { GemmReLU(false, false, 4, 4, 2, 1, a, 2, a, 4, 0, a, 4, a[:10]) }},
		{"relu ldc<n", errBadLd, func() { GemmReLU(false, false, 4, 4, 2, 1, a, 2, a, 4, 0, a, 3, nil) }},
	} {
		expectPanic(t, tc.name, tc.want, tc.f)
	}
}

// FuzzGemm compares Gemm, and GemmReLU with and without a mask, at the
// active level with the generic twins on fuzzed shapes, transposes, scalars
// and data.
func FuzzGemm(f *testing.F) {
	f.Add(false, false, uint8(5), uint8(7), uint8(3), uint8(0), uint8(0), uint64(1))
	f.Add(true, true, uint8(33), uint8(17), uint8(28), uint8(2), uint8(5), uint64(2))
	f.Add(false, true, uint8(64), uint8(65), uint8(2), uint8(1), uint8(7), uint64(3))
	f.Add(false, true, uint8(19), uint8(70), uint8(28), uint8(0xc1), uint8(4), uint64(4))
	f.Add(true, false, uint8(16), uint8(64), uint8(9), uint8(0x82), uint8(1), uint64(5))
	f.Fuzz(func(t *testing.T, tA, tB bool, m8, n8, k8, ab8, off8 uint8, seed uint64) {
		s := gemmShape{int(m8 % 80), int(n8 % 80), int(k8 % 80)}
		ab := gemmAlphaBeta[int(ab8&0x3f)%len(gemmAlphaBeta)]
		// The top bits of ab8 select GemmReLU, with a mask when both are set.
		relu, withMask := ab8&0x80 != 0, ab8&0xc0 == 0xc0
		rnd := newRand(seed)
		fuzzGemmOne[float32](t, rnd, tA, tB, s, ab, int(off8), relu, withMask)
		fuzzGemmOne[float64](t, rnd, tA, tB, s, ab, int(off8), relu, withMask)
	})
}

func fuzzGemmOne[T Float](t *testing.T, rnd *rand.Rand, tA, tB bool, s gemmShape, ab [2]float64, off int, relu, withMask bool) {
	o := newGemmOperands[T](rnd, tA, tB, s, T(ab[0]), T(ab[1]), off%3, off%8, withMask)
	o.reference(relu)
	if relu {
		GemmReLU(tA, tB, s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, o.c, o.ldc, o.mask)
	} else {
		Gemm(tA, tB, s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, o.c, o.ldc)
	}
	o.check(t, fmt.Sprintf("%T relu=%v mask=%v", T(0), relu, withMask))
}

// TestGemmPack compares the packing of op(B) through the assembly packs
// (transposing for Bᵀ, plain for B) with the same packing done in Go,
// bit for bit, at every level that has them: k around multiples of the
// tile width, partial last strips, padded leading dimensions, and a guard
// after the strips.
func TestGemmPack(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		testGemmPack[float32](t)
		testGemmPack[float64](t)
	})
}

func testGemmPack[T Float](t *testing.T) {
	mk := activeMicro[T]()
	if mk == nil || mk.packT == nil || mk.packN == nil {
		t.Skip("no assembly packs at this level")
	}
	slow := *mk
	slow.packT, slow.packN = nil, nil
	rnd := newRand(3)
	const guard = 17
	for _, tB := range []bool{true, false} {
		for _, k := range []int{1, 3, 4, 7, 8, 9, 15, 16, 17, 28, 64, 65, 129} {
			for _, n := range []int{1, 3, mk.w, mk.nr - 1, mk.nr, mk.nr + 5, 3*mk.nr + 2} {
				for _, pad := range []int{0, 3} {
					ldb, rows := k+pad, n
					if !tB {
						ldb, rows = n+pad, k
					}
					b := make([]T, rows*ldb+pad)
					fillRandom(rnd, b)
					strips := (n + mk.nr - 1) / mk.nr
					got := make([]T, strips*k*mk.nr+guard)
					want := make([]T, len(got))
					for i := range got {
						got[i], want[i] = -7, -7
					}
					mk.packB(got, tB, n, k, b, ldb)
					slow.packB(want, tB, n, k, b, ldb)
					for i := range got {
						if !sameBits(got[i], want[i]) {
							t.Fatalf("tB=%v k=%d n=%d ldb=%d: element %d = %v, want %v", tB, k, n, ldb, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestGemmReLUSpecial checks the fused rectifier on the values where ReLU
// implementations differ: −0 (a zero row of A times alpha < 0) must become
// +0 with mask 0, NaN (from A, or C with beta ≠ 0) must stay NaN with mask
// 0, ±Inf (from B) must give +Inf with mask 1 or +0 with mask 0. The result
// must equal Gemm at the same level followed by reluGeneric bit for bit,
// with and without a mask, over full and edge tiles.
func TestGemmReLUSpecial(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testGemmReLUSpecial[float32])
		t.Run("float64", testGemmReLUSpecial[float64])
	})
}

func testGemmReLUSpecial[T Float](t *testing.T) {
	rnd := newRand(6)
	nan, inf := T(math.NaN()), T(math.Inf(1))
	for _, s := range []gemmShape{{16, 64, 9}, {19, 70, 9}} {
		for _, beta := range []T{0, 1} {
			for _, withMask := range []bool{true, false} {
				o := newGemmOperands[T](rnd, false, false, s, -1, beta, 0, 0, withMask)
				for l := 0; l < s.k; l++ {
					o.a[1*o.lda+l] = 0 // row 1: −0 before ReLU when beta == 0
					if s.m > 17 {
						o.a[17*o.lda+l] = 0 // the same in an edge tile
					}
				}
				o.a[2*o.lda+4] = nan       // row 2: NaN
				o.b[3*o.ldb+5] = inf       // column 5: ±Inf
				o.b[3*o.ldb+66%s.n] = -inf // another column: ∓Inf
				if beta != 0 {
					o.c[4*o.ldc+7] = nan // NaN from C
				}
				want := clone(o.c)
				GemmReLU(false, false, s.m, s.n, s.k, -1, o.a, o.lda, o.b, o.ldb, beta, o.c, o.ldc, o.mask)
				Gemm(false, false, s.m, s.n, s.k, -1, o.a, o.lda, o.b, o.ldb, beta, want, o.ldc)
				wantMask := make([]T, len(want))
				for i := 0; i < s.m; i++ {
					reluGeneric(want[i*o.ldc:i*o.ldc+s.n], wantMask[i*o.ldc:i*o.ldc+s.n], want[i*o.ldc:i*o.ldc+s.n])
				}
				if beta == 0 && !sameBits(want[1*o.ldc], 0) {
					t.Fatalf("test set-up: expected +0 after ReLU of −0, got %v", want[1*o.ldc])
				}
				for i := 0; i < s.m; i++ {
					for j := 0; j < s.n; j++ {
						p := i*o.ldc + j
						if !sameBits(o.c[p], want[p]) || (withMask && o.mask[p] != wantMask[p]) {
							var m T = -1
							if withMask {
								m = o.mask[p]
							}
							t.Fatalf("%v beta=%v mask=%v [%d,%d]: GemmReLU %v mask %v, want %v mask %v", s, beta, withMask, i, j, o.c[p], m, want[p], wantMask[p])
						}
					}
				}
				checkMatrixGuards(t, "C", o.cFull, o.c, o.m, o.n, o.ldc)
				if withMask {
					checkMatrixGuards(t, "mask", o.maskFull, o.mask, o.m, o.n, o.ldc)
				}
			}
		}
	}
}

// TestGemmLevelsAgree checks the documented accumulation order: the AVX2 and
// AVX-512 levels give the same bits (Gemm and GemmReLU with mask), over
// transposes, edge tiles, beta ≠ 0 and k on both sides of the unrolling.
func TestGemmLevelsAgree(t *testing.T) {
	if Detected() < AVX512 {
		t.Skip("needs a CPU with both assembly levels")
	}
	t.Run("float32", testGemmLevelsAgree[float32])
	t.Run("float64", testGemmLevelsAgree[float64])
}

func testGemmLevelsAgree[T Float](t *testing.T) {
	rnd := newRand(7)
	for _, s := range []gemmShape{{37, 70, 29}, {64, 96, 256}, {13, 33, 3}} {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			o := newGemmOperands[T](rnd, tr[0], tr[1], s, -0.75, 0.5, 1, 2, true)
			var cs, masks [2][]T
			for i, l := range []Level{AVX2, AVX512} {
				restore, err := SetLevel(l)
				if err != nil {
					t.Fatal(err)
				}
				cs[i], masks[i] = clone(o.c0), make([]T, len(o.c0))
				GemmReLU(tr[0], tr[1], s.m, s.n, s.k, o.alpha, o.a, o.lda, o.b, o.ldb, o.beta, cs[i], o.ldc, masks[i])
				restore()
			}
			for p := range cs[0] {
				if !sameBits(cs[0][p], cs[1][p]) || masks[0][p] != masks[1][p] {
					t.Fatalf("%v tA=%v tB=%v: element %d: avx2 %v (mask %v), avx512 %v (mask %v)", s, tr[0], tr[1], p, cs[0][p], masks[0][p], cs[1][p], masks[1][p])
				}
			}
		}
	}
}
