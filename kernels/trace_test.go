package kernels

import (
	"fmt"
	"math"
	"testing"
)

// traceCase is one trace-kernel comparison: an n×m trace with leading
// dimensions m+ldePad and m+ldgPad, slices at element offset off.
type traceCase struct {
	n, m, ldePad, ldgPad, off int
	seed                      uint64
	special                   uint8 // bit 0: NaN in E, 1: Inf in v, 2: Inf in G, 3: NaN in c
}

// traceKernel is the signature of Trace and of the assembly kernels behind
// it.
type traceKernel[T Float] func(e []T, lde int, g []T, ldg int, c, d, p, q, v []T)

// runTraceCase compares Trace at the active level with traceGeneric.
func runTraceCase[T Float](t testing.TB, tc traceCase) {
	t.Helper()
	runTraceCaseWith(t, tc, Trace[T])
}

// runTraceCaseWith compares kernel with traceGeneric.
func runTraceCaseWith[T Float](t testing.TB, tc traceCase, kernel traceKernel[T]) {
	t.Helper()
	rnd := newRand(tc.seed)
	n, m := tc.n, tc.m
	lde, ldg := max(m, 1)+tc.ldePad, max(m, 1)+tc.ldgPad
	efull, e := guardedMatrix[T](n, m, lde, tc.off)
	gfull, g := guardedMatrix[T](n, m, ldg, (tc.off+5)%8)
	fillMatrix(rnd, e, n, m, lde)
	fillMatrix(rnd, g, n, m, ldg)
	vecs := make([][]T, 5) // c, d, p, q, v
	fulls := make([][]T, 5)
	for k := range vecs {
		l := n
		if k == 4 {
			l = m
		}
		fulls[k], vecs[k] = guardedVector[T](l, (tc.off+k)%8)
		fillRandom(rnd, vecs[k])
	}
	c, d, p, q, v := vecs[0], vecs[1], vecs[2], vecs[3], vecs[4]
	if n > 0 && m > 0 {
		i, j := rnd.IntN(n), rnd.IntN(m)
		if tc.special&1 != 0 {
			e[i*lde+j] = T(math.NaN())
		}
		if tc.special&2 != 0 {
			v[rnd.IntN(m)] = T(math.Inf(-1))
		}
		if tc.special&4 != 0 {
			g[rnd.IntN(n)*ldg+rnd.IntN(m)] = T(math.Inf(1))
		}
		if tc.special&8 != 0 {
			c[rnd.IntN(n)] = T(math.NaN())
		}
	}
	e0, g0 := clone(e), clone(g)
	snap := make([][]T, 5)
	for k := range fulls {
		snap[k] = clone(fulls[k])
	}
	wantE, wantG := clone(e), clone(g)
	traceGeneric(wantE, lde, wantG, ldg, c, d, p, q, v)

	kernel(e, lde, g, ldg, c, d, p, q, v)

	name := fmt.Sprintf("n=%d/m=%d/lde=%d/ldg=%d/off=%d", n, m, lde, ldg, tc.off)
	checkMatrixGuards(t, name+" E", efull, e, n, m, lde)
	checkMatrixGuards(t, name+" G", gfull, g, n, m, ldg)
	for k, s := range []string{"c", "d", "p", "q", "v"} {
		checkUnchanged(t, name+" "+s, fulls[k], snap[k])
	}
	be, bg := make([]float64, m), make([]float64, m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			ce := math.Abs(float64(c[i]) * float64(e0[i*lde+j]))
			dv := math.Abs(float64(d[i]) * float64(v[j]))
			be[j] = tolBound[T](2, 2, ce+dv)
			bg[j] = tolBound[T](2, 4, math.Abs(float64(g0[i*ldg+j]))+math.Abs(float64(p[i]))*(ce+dv)+math.Abs(float64(q[i])*float64(v[j])))
		}
		checkClose(t, fmt.Sprintf("%s E row %d", name, i), e[i*lde:i*lde+m], wantE[i*lde:i*lde+m], be)
		checkClose(t, fmt.Sprintf("%s G row %d", name, i), g[i*ldg:i*ldg+m], wantG[i*ldg:i*ldg+m], bg)
	}
}

func testTrace[T Float](t *testing.T) { testTraceWith(t, Trace[T]) }

// testTraceWith compares kernel with traceGeneric over the test lengths,
// shapes, offsets and special values.
func testTraceWith[T Float](t *testing.T, kernel traceKernel[T]) {
	s := uint64(0)
	run := func(n, m, ldePad, ldgPad, off int, special uint8) {
		s++
		runTraceCaseWith(t, traceCase{n, m, ldePad, ldgPad, off, s, special}, kernel)
	}
	// Long rows: every length, tails and unrolls.
	for _, n := range []int{1, 3} {
		for k, m := range testLengths {
			run(n, m, k%3, (k+1)%4, k%8, 0)
		}
	}
	// Shapes 0..17 × 0..17 plus 64, 65, 256.
	k := 0
	for _, n := range testDims {
		for _, m := range testDims {
			run(n, m, k%5, (k+2)%3, k%8, 0)
			k++
		}
	}
	// Every offset, and special values.
	for off := range testOffsets {
		for sp := uint8(0); sp < 16; sp++ {
			run(5, 37, 1, 3, off, sp)
		}
	}
}

func TestTrace(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testTrace[float32])
		t.Run("float64", testTrace[float64])
	})
}

// testTraceBatch checks TraceBatch against a loop of Trace calls at the
// same level, bit for bit, with E and the padded G inside guard regions at
// several offsets, so a batch item that writes outside its own trace
// matrix or outside G's rows fails.
func testTraceBatch[T Float](t *testing.T) {
	rnd := newRand(5)
	for k, sh := range [][3]int{{1, 3, 5}, {4, 7, 33}, {3, 16, 16}, {2, 0, 4}, {2, 4, 0}, {3, 5, 70}, {2, 9, 129}} {
		batch, n, m := sh[0], sh[1], sh[2]
		off := k % 8
		efull, e := guardedVector[T](batch*n*m, off)
		ldg := m + 2
		gfull, g := guardedMatrix[T](n, m, ldg, (off+3)%8)
		fillRandom(rnd, e)
		fillMatrix(rnd, g, n, m, ldg)
		c, d, p, q := make([]T, batch*n), make([]T, batch*n), make([]T, batch*n), make([]T, batch*n)
		v := make([]T, batch*m)
		for _, s := range [][]T{c, d, p, q, v} {
			fillRandom(rnd, s)
		}
		e2, g2 := clone(e), clone(g)
		TraceBatch(batch, e, g, ldg, c, d, p, q, v)
		for b := 0; b < batch; b++ {
			Trace(e2[b*n*m:(b+1)*n*m], max(m, 1), g2, ldg, c[b*n:(b+1)*n], d[b*n:(b+1)*n], p[b*n:(b+1)*n], q[b*n:(b+1)*n], v[b*m:(b+1)*m])
		}
		name := fmt.Sprintf("batch=%d/n=%d/m=%d/off=%d", batch, n, m, off)
		checkGuards(t, name+" E", efull, e)
		checkMatrixGuards(t, name+" G", gfull, g, n, m, ldg)
		checkUnchanged(t, name+" E", e, e2)
		checkUnchanged(t, name+" G", g, g2)
	}
}

func TestTraceBatch(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		t.Run("float32", testTraceBatch[float32])
		t.Run("float64", testTraceBatch[float64])
	})
}

func TestTracePanics(t *testing.T) {
	const n, m = 3, 4
	e, g := make([]float64, n*m), make([]float64, n*m)
	c, v := make([]float64, n), make([]float64, m)
	expectPanic(t, "Trace len(d)", errLength, func() { Trace(e, m, g, m, c, c[:2], c, c, v) })
	expectPanic(t, "Trace len(p)", errLength, func() { Trace(e, m, g, m, c, c, c[:2], c, v) })
	expectPanic(t, "Trace len(q)", errLength, func() { Trace(e, m, g, m, c, c, c, c[:2], v) })
	expectPanic(t, "Trace lde", errBadLd, func() { Trace(e, m-1, g, m, c, c, c, c, v) })
	expectPanic(t, "Trace ldg", errBadLd, func() { Trace(e, m, g, m-1, c, c, c, c, v) })
	expectPanic(t, "Trace short E", errShortSlice, func() { Trace(e[:n*m-1], m, g, m, c, c, c, c, v) })
	expectPanic(t, "Trace short G", errShortSlice, func() { Trace(e, m, g[:n*m-1], m, c, c, c, c, v) })
	expectPanic(t, "TraceBatch batch<0", errNegDim, func() { TraceBatch(-1, e, g, m, c, c, c, c, v) })
	expectPanic(t, "TraceBatch c%batch", errLength, func() { TraceBatch(2, e, g, m, c, c, c, c, v) })
	expectPanic(t, "TraceBatch len(d)", errLength, func() { TraceBatch(1, e, g, m, c, c[:2], c, c, v) })
	expectPanic(t, "TraceBatch short E", errLength, func() { TraceBatch(1, e[:n*m-1], g, m, c, c, c, c, v) })
}

func TestTraceAllocs(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		const n, m = 17, 33
		e, g := make([]float32, n*m), make([]float32, n*m)
		c, v := make([]float32, n), make([]float32, m)
		ed, gd := make([]float64, n*m), make([]float64, n*m)
		cd, vd := make([]float64, n), make([]float64, m)
		if a := testing.AllocsPerRun(10, func() { Trace(e, m, g, m, c, c, c, c, v) }); a != 0 {
			t.Errorf("strace: %v allocations per run, want 0", a)
		}
		if a := testing.AllocsPerRun(10, func() { Trace(ed, m, gd, m, cd, cd, cd, cd, vd) }); a != 0 {
			t.Errorf("dtrace: %v allocations per run, want 0", a)
		}
		if a := testing.AllocsPerRun(10, func() { TraceBatch(1, ed, gd, m, cd, cd, cd, cd, vd) }); a != 0 {
			t.Errorf("TraceBatch: %v allocations per run, want 0", a)
		}
	})
}

// FuzzTrace compares the trace kernel at every supported level with
// traceGeneric on fuzzed shapes, strides, offsets, values and special
// values.
func FuzzTrace(f *testing.F) {
	f.Add(uint8(3), uint16(37), uint8(0), uint8(0), uint8(0), uint64(1), uint8(0), false)
	f.Add(uint8(1), uint16(4099), uint8(1), uint8(2), uint8(3), uint64(2), uint8(0), true)
	f.Add(uint8(17), uint16(17), uint8(5), uint8(0), uint8(7), uint64(3), uint8(15), false)
	f.Add(uint8(0), uint16(5), uint8(0), uint8(0), uint8(1), uint64(4), uint8(0), true)
	f.Fuzz(func(t *testing.T, n uint8, m uint16, ldePad, ldgPad, off uint8, seed uint64, special uint8, single bool) {
		tc := traceCase{int(n % 40), int(m % 5000), int(ldePad % 9), int(ldgPad % 9), int(off % 8), seed, special}
		for _, l := range Levels() {
			if l > Detected() {
				continue
			}
			restore, err := SetLevel(l)
			if err != nil {
				t.Fatal(err)
			}
			if single {
				runTraceCase[float32](t, tc)
			} else {
				runTraceCase[float64](t, tc)
			}
			restore()
		}
	})
}
