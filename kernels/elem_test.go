package kernels

import (
	"math"
	"testing"
)

// ewKernel describes an elementwise kernel dst[i] = f(alpha, dst[i],
// in[0][i], in[1][i], ...) for the comparison matrix of STYLE.md item 7.
// dst starts random, so kernels that read it (axpy, scal) are covered.
type ewKernel[T Float] struct {
	name string
	// nIn is the number of read-only inputs.
	nIn int
	// call runs the exported function at the active level; ref runs the
	// generic twin.
	call, ref func(dst []T, alpha T, in [][]T)
	// absTerms returns Σ|term| of element i, for the rounding bound of a
	// kernel that may round differently from its reference (FMA). nil
	// means the kernel must match its reference exactly (checkExact).
	absTerms func(dst0 []T, alpha T, in [][]T, i int) float64
	// aliases lists the inputs that may be dst itself; each is tested.
	aliases []int
}

// testElementwise compares k with its reference over testLengths ×
// testOffsets with guard regions and read-only checks, with finite inputs
// and with NaN/Inf/±0 sprinkled in, and with each allowed alias.
func testElementwise[T Float](t *testing.T, k ewKernel[T]) {
	rnd := newRand(uint64(len(k.name)))
	for _, special := range []bool{false, true} {
		for _, alias := range append([]int{-1}, k.aliases...) {
			for _, n := range testLengths {
				for _, off := range testOffsets {
					dstFull, dst := guardedVector[T](n, off)
					fillRandom(rnd, dst)
					if special {
						sprinkleSpecial(rnd, dst)
					}
					in := make([][]T, k.nIn)
					fulls := make([][]T, k.nIn)
					for j := range in {
						fulls[j], in[j] = guardedVector[T](n, (off+3*j+1)%8)
						fillRandom(rnd, in[j])
						if special {
							sprinkleSpecial(rnd, in[j])
						}
					}
					alpha := T(2*rnd.Float64() - 1)
					if alias >= 0 {
						in[alias] = dst
					}
					// Reference on copies, keeping the alias.
					dst0 := clone(dst)
					want := clone(dst)
					refIn := make([][]T, k.nIn)
					saved := make([][]T, k.nIn)
					for j := range in {
						saved[j] = clone(in[j])
						refIn[j] = saved[j]
						if j == alias {
							refIn[j] = want
						}
					}
					k.ref(want, alpha, refIn)
					k.call(dst, alpha, in)

					name := k.name + "/" + caseName(n, off)
					if alias >= 0 {
						name += "/alias"
					}
					if special {
						name += "/special"
					}
					if k.absTerms == nil {
						checkExact(t, name, dst, want)
					} else {
						bound := make([]float64, n)
						for i := range bound {
							bound[i] = tolBound[T](2, 1, k.absTerms(dst0, alpha, saved, i))
						}
						checkClose(t, name, dst, want, bound)
					}
					checkGuards(t, name+"/dst", dstFull, dst)
					for j := range in {
						if j != alias {
							checkUnchanged(t, name+"/in", in[j], saved[j])
							checkGuards(t, name+"/in", fulls[j], in[j])
						}
					}
					if t.Failed() {
						return
					}
				}
			}
		}
	}
}

// forTypes runs f as subtests float32 and float64.
func forTypes(t *testing.T, f32 func(*testing.T), f64 func(*testing.T)) {
	t.Run("float32", f32)
	t.Run("float64", f64)
}

func mulKernel[T Float]() ewKernel[T] {
	return ewKernel[T]{
		name: "Mul", nIn: 2,
		call:    func(dst []T, _ T, in [][]T) { Mul(dst, in[0], in[1]) },
		ref:     func(dst []T, _ T, in [][]T) { mulGeneric(dst, in[0], in[1]) },
		aliases: []int{0, 1},
	}
}

// reluNoMaskKernel is ReLU with a nil mask, in the elementwise harness.
func reluNoMaskKernel[T Float]() ewKernel[T] {
	return ewKernel[T]{
		name: "ReLU", nIn: 1,
		call:    func(dst []T, _ T, in [][]T) { ReLU(dst, nil, in[0]) },
		ref:     func(dst []T, _ T, in [][]T) { reluGeneric(dst, nil, in[0]) },
		aliases: []int{0},
	}
}

func TestMul(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		forTypes(t,
			func(t *testing.T) { testElementwise(t, mulKernel[float32]()) },
			func(t *testing.T) { testElementwise(t, mulKernel[float64]()) })
	})
}

func TestReLUNoMask(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		forTypes(t,
			func(t *testing.T) { testElementwise(t, reluNoMaskKernel[float32]()) },
			func(t *testing.T) { testElementwise(t, reluNoMaskKernel[float64]()) })
	})
}

func TestReLUMask(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		forTypes(t, testReLUMask[float32], testReLUMask[float64])
	})
}

// testReLUMask checks dst and mask exactly against reluGeneric, with dst
// distinct from src and dst == src, including NaN, ±Inf and ±0 inputs.
func testReLUMask[T Float](t *testing.T) {
	rnd := newRand(7)
	for _, inPlace := range []bool{false, true} {
		for _, n := range testLengths {
			for _, off := range testOffsets {
				srcFull, src := guardedVector[T](n, off)
				fillRandom(rnd, src)
				sprinkleSpecial(rnd, src)
				dstFull, dst := guardedVector[T](n, (off+5)%8)
				maskFull, mask := guardedVector[T](n, (off+2)%8)
				src0 := clone(src)
				wantDst, wantMask := make([]T, n), make([]T, n)
				reluGeneric(wantDst, wantMask, src0)
				name := "ReLU/" + caseName(n, off)
				if inPlace {
					ReLU(src, mask, src)
					checkExact(t, name+"/inplace", src, wantDst)
					checkGuards(t, name+"/src", srcFull, src)
				} else {
					ReLU(dst, mask, src)
					checkExact(t, name+"/dst", dst, wantDst)
					checkGuards(t, name+"/dst", dstFull, dst)
					checkUnchanged(t, name+"/src", src, src0)
					checkGuards(t, name+"/src", srcFull, src)
				}
				checkExact(t, name+"/mask", mask, wantMask)
				checkGuards(t, name+"/mask", maskFull, mask)
				if t.Failed() {
					return
				}
			}
		}
	}
}

// TestReLUSpecialValues pins the documented semantics at every level: NaN
// passes through with mask 0, -0 becomes +0, +Inf stays, -Inf becomes +0.
func TestReLUSpecialValues(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		nan := math.NaN()
		src := []float64{nan, math.Copysign(0, -1), 0, math.Inf(1), math.Inf(-1), -1, 2, math.SmallestNonzeroFloat32}
		wantDst := []float64{nan, 0, 0, math.Inf(1), 0, 0, 2, math.SmallestNonzeroFloat32}
		wantMask := []float64{0, 0, 0, 1, 0, 0, 1, 1}
		for _, n := range []int{len(src), 3 * len(src)} { // the vector and the tail paths
			s := make([]float64, 0, n)
			wd, wm := make([]float64, 0, n), make([]float64, 0, n)
			for len(s) < n {
				s = append(s, src...)
				wd = append(wd, wantDst...)
				wm = append(wm, wantMask...)
			}
			dst, mask := make([]float64, n), make([]float64, n)
			ReLU(dst, mask, s)
			checkExact(t, "dst", dst, wd)
			checkExact(t, "mask", mask, wm)
			s32 := make([]float32, n)
			for i := range s {
				s32[i] = float32(s[i])
			}
			d32, m32 := make([]float32, n), make([]float32, n)
			ReLU(d32, m32, s32)
			for i := range d32 {
				if !sameBits(float64(d32[i]), wd[i]) && !(d32[i] != d32[i] && wd[i] != wd[i]) || float64(m32[i]) != wm[i] {
					t.Errorf("float32 ReLU(%v) = %v, %v; want %v, %v", s32[i], d32[i], m32[i], wd[i], wm[i])
				}
			}
		}
	})
}

func TestPanicsElem(t *testing.T) {
	a, b := make([]float64, 3), make([]float64, 4)
	expectPanic(t, "ReLU dst", errLength, func() { ReLU(b, nil, a) })
	expectPanic(t, "ReLU mask", errLength, func() { ReLU(a, b, a) })
	expectPanic(t, "ReLU mask empty", errLength, func() { ReLU(a, []float64{}, a) })
	expectPanic(t, "Mul dst", errLength, func() { Mul(b, a, a) })
	expectPanic(t, "Mul a", errLength, func() { Mul(a, b, a) })
	expectPanic(t, "Mul b", errLength, func() { Mul(a, a, b) })
}
