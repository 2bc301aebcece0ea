package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestGemmKBlockedBitwise checks the driver's blocking of long sums
// (runKBlocked: passes over blocks of kb rows of op(A)ᵀ and op(B), each
// continuing the micro-kernels' FMA chains from the partial sums the
// previous one stored in C) against one pass over the whole sum: C must
// agree bit for bit, the guards around C must be intact and A and B
// unchanged. Block sizes from 1 row to the default, sums of one to many
// blocks with and without a partial last one, every transpose pair, alpha
// 1 and others, shapes with full, half-width, four-row and partial edge
// tiles, padded leading dimensions and unaligned starts, operands with Inf,
// NaN and sums that overflow or cancel, one and two gemm threads, every
// level. Gemm itself (which blocks sums longer than kBlock with beta = 0
// and no ReLU) is checked the same way.
func TestGemmKBlockedBitwise(t *testing.T) {
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			restore, err := SetThreads(threads)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			forEachLevel(t, func(t *testing.T) {
				t.Run("float32", testGemmKBlocked[float32])
				t.Run("float64", testGemmKBlocked[float64])
			})
		})
	}
}

func testGemmKBlocked[T Float](t *testing.T) {
	mk := activeMicro[T]()
	if mk == nil {
		t.Skip("no micro-kernel at this level")
	}
	mr, nr := mk.mr, mk.nr
	kb := kBlock[T]()
	type tc struct {
		m, n, k, kb int
		special     int // 0 finite, 1 Inf and NaN in A, 2 huge values (overflow), 3 cancellation
	}
	cases := []tc{
		{m: 1, n: 1, k: 3, kb: 1},
		{m: 3, n: 70, k: 9, kb: 4},
		{m: mr + 4, n: nr/2 + 1, k: 23, kb: 5},
		{m: 4, n: nr, k: 64, kb: 16},
		{m: 3*mr + 4, n: 2*nr + 3, k: 100, kb: 33},
		{m: 17, n: 33, k: 70, kb: 7, special: 1},
		{m: 2 * mr, n: nr, k: 50, kb: 10, special: 2},
		{m: 9, n: 31, k: 61, kb: 8, special: 3},
		{m: 70, n: 28, k: kb + 1, kb: kb},
		{m: 37, n: 70, k: 2*kb + 13, kb: kb},
		{m: 128, n: 128, k: 3 * kb, kb: kb},
		{m: 128, n: 28, k: 5*kb + 7, kb: kb, special: 1},
	}
	rnd := newRand(47)
	for ci, c := range cases {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			for _, alpha := range []float64{1, -0.75, 1.3} {
				name := fmt.Sprintf("m=%d/n=%d/k=%d/kb=%d/special=%d/tA=%v/tB=%v/alpha=%v", c.m, c.n, c.k, c.kb, c.special, tr[0], tr[1], alpha)
				o := newGemmOperands[T](rnd, tr[0], tr[1], gemmShape{c.m, c.n, c.k}, T(alpha), 0, ci%3, ci%8, false)
				switch c.special {
				case 1:
					inf := T(math.Inf(1))
					for i := 0; i < len(o.a); i += 97 {
						o.a[i] = inf
					}
					o.a[len(o.a)/2] = T(math.NaN())
				case 2:
					// Partial sums near the largest finite value: some
					// overflow to ±Inf part-way through the sum.
					huge := 1e307
					if is32[T]() {
						huge = 1e37
					}
					for i := range o.a {
						o.a[i] *= T(huge)
					}
				case 3:
					// Every second row of op(A)ᵀ and op(B) cancels its predecessor.
					for l := 1; l < c.k; l += 2 {
						for i := 0; i < c.m; i++ {
							setOpA(o, i, l, -o.opA(i, l-1))
						}
					}
				}
				o.a0, o.b0 = clone(o.a), clone(o.b)
				want := clone(o.c)
				mk.pass(tr[0], tr[1], c.m, c.n, c.k, o.alpha, o.a, o.lda, o.b, o.ldb, 0, want, o.ldc, false, nil, false)
				copy(o.c, o.c0)
				mk.runKBlocked(tr[0], tr[1], c.m, c.n, c.k, c.kb, o.alpha, o.a, o.lda, o.b, o.ldb, o.c, o.ldc)
				for i := 0; i < c.m; i++ {
					checkExact(t, fmt.Sprintf("%s runKBlocked C row %d", name, i), o.c[i*o.ldc:i*o.ldc+c.n], want[i*o.ldc:i*o.ldc+c.n])
				}
				checkMatrixGuards(t, name+" runKBlocked C", o.cFull, o.c, c.m, c.n, o.ldc)
				checkUnchanged(t, name+" A", o.a, o.a0)
				checkUnchanged(t, name+" B", o.b, o.b0)
				if c.k > kb {
					copy(o.c, o.c0)
					Gemm(tr[0], tr[1], c.m, c.n, c.k, o.alpha, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
					for i := 0; i < c.m; i++ {
						checkExact(t, fmt.Sprintf("%s Gemm C row %d", name, i), o.c[i*o.ldc:i*o.ldc+c.n], want[i*o.ldc:i*o.ldc+c.n])
					}
					checkMatrixGuards(t, name+" Gemm C", o.cFull, o.c, c.m, c.n, o.ldc)
				}
				if t.Failed() {
					return
				}
			}
		}
	}
}

// setOpA sets op(A)(i, l) of o.
func setOpA[T Float](o *gemmOperands[T], i, l int, v T) {
	if o.tA {
		o.a[l*o.lda+i] = v
	} else {
		o.a[i*o.lda+l] = v
	}
}
