package kernels

import (
	"strconv"
	"testing"

	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/floats"
)

// level1BenchSizes are the vector lengths of the level-1 benchmarks: the
// RNN's hidden sizes up to a parameter vector that no longer fits in L2.
var level1BenchSizes = []int{64, 256, 1024, 4096, 65536}

// level1Sink keeps benchmarked results alive.
var level1Sink float64

// level1Bench is one benchmarked kernel: bytes moved per element, our
// exported function and, when gonum has the same operation, gonum's. Each
// builder receives n and returns the function to time.
type level1Bench struct {
	bytesPerElem int
	ours         func(n int) func()
	gonum        func(n int) func()
}

// run emits sub-benchmarks impl=<generic|avx2|avx512|gonum>/n=….
func (lb level1Bench) run(b *testing.B) {
	impls := []string{}
	for _, l := range Levels() {
		if l <= Detected() {
			impls = append(impls, l.String())
		}
	}
	if lb.gonum != nil {
		impls = append(impls, "gonum")
	}
	for _, impl := range impls {
		b.Run("impl="+impl, func(b *testing.B) {
			build := lb.ours
			if impl == "gonum" {
				build = lb.gonum
			} else {
				l, _ := ParseLevel(impl)
				restore, err := SetLevel(l)
				if err != nil {
					b.Fatal(err)
				}
				defer restore()
			}
			for _, n := range level1BenchSizes {
				b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
					f := build(n)
					b.SetBytes(int64(lb.bytesPerElem * n))
					b.ReportAllocs()
					for b.Loop() {
						f()
					}
				})
			}
		})
	}
}

// benchVecs returns k random vectors of length n.
func benchVecs[T Float](n, k int) [][]T {
	rnd := newRand(uint64(n))
	v := make([][]T, k)
	for i := range v {
		v[i] = make([]T, n)
		fillRandom(rnd, v[i])
	}
	return v
}

func sizeOf[T Float]() int {
	if is32[T]() {
		return 4
	}
	return 8
}

func BenchmarkSdot(b *testing.B) {
	level1Bench{8,
		func(n int) func() {
			v := benchVecs[float32](n, 2)
			return func() { level1Sink += float64(Dot(v[0], v[1])) }
		},
		func(n int) func() {
			v := benchVecs[float32](n, 2)
			return func() { level1Sink += float64(gonum.Implementation{}.Sdot(n, v[0], 1, v[1], 1)) }
		}}.run(b)
}

func BenchmarkDdot(b *testing.B) {
	level1Bench{16,
		func(n int) func() {
			v := benchVecs[float64](n, 2)
			return func() { level1Sink += Dot(v[0], v[1]) }
		},
		func(n int) func() {
			v := benchVecs[float64](n, 2)
			return func() { level1Sink += gonum.Implementation{}.Ddot(n, v[0], 1, v[1], 1) }
		}}.run(b)
}

func BenchmarkSaxpy(b *testing.B) {
	level1Bench{12,
		func(n int) func() {
			v := benchVecs[float32](n, 2)
			return func() { Axpy(v[1], 1e-3, v[0]) }
		},
		func(n int) func() {
			v := benchVecs[float32](n, 2)
			return func() { gonum.Implementation{}.Saxpy(n, 1e-3, v[0], 1, v[1], 1) }
		}}.run(b)
}

func BenchmarkDaxpy(b *testing.B) {
	level1Bench{24,
		func(n int) func() {
			v := benchVecs[float64](n, 2)
			return func() { Axpy(v[1], 1e-3, v[0]) }
		},
		func(n int) func() {
			v := benchVecs[float64](n, 2)
			return func() { gonum.Implementation{}.Daxpy(n, 1e-3, v[0], 1, v[1], 1) }
		}}.run(b)
}

func BenchmarkSscal(b *testing.B) {
	level1Bench{8,
		func(n int) func() {
			v := benchVecs[float32](n, 1)
			return func() { Scal(v[0], 1) }
		},
		func(n int) func() {
			v := benchVecs[float32](n, 1)
			return func() { gonum.Implementation{}.Sscal(n, 1, v[0], 1) }
		}}.run(b)
}

func BenchmarkDscal(b *testing.B) {
	level1Bench{16,
		func(n int) func() {
			v := benchVecs[float64](n, 1)
			return func() { Scal(v[0], 1) }
		},
		func(n int) func() {
			v := benchVecs[float64](n, 1)
			return func() { gonum.Implementation{}.Dscal(n, 1, v[0], 1) }
		}}.run(b)
}

// benchAxpyTo: the gonum row is floats.AddScaledTo (float64 only).
func benchAxpyTo[T Float](b *testing.B) {
	lb := level1Bench{bytesPerElem: 3 * sizeOf[T](), ours: func(n int) func() {
		v := benchVecs[T](n, 3)
		return func() { AxpyTo(v[2], 1e-3, v[0], v[1]) }
	}}
	if !is32[T]() {
		lb.gonum = func(n int) func() {
			v := benchVecs[float64](n, 3)
			return func() { floats.AddScaledTo(v[2], v[1], 1e-3, v[0]) }
		}
	}
	lb.run(b)
}

func BenchmarkSaxpyTo(b *testing.B) { benchAxpyTo[float32](b) }
func BenchmarkDaxpyTo(b *testing.B) { benchAxpyTo[float64](b) }

func benchScaledDiff[T Float](b *testing.B) {
	level1Bench{bytesPerElem: 3 * sizeOf[T](), ours: func(n int) func() {
		v := benchVecs[T](n, 3)
		return func() { ScaledDiff(v[2], 500, v[0], v[1]) }
	}}.run(b)
}

func BenchmarkSscaledDiff(b *testing.B) { benchScaledDiff[float32](b) }
func BenchmarkDscaledDiff(b *testing.B) { benchScaledDiff[float64](b) }

// benchReLU times ReLU with a mask: read src, write dst and mask.
func benchReLU[T Float](b *testing.B) {
	level1Bench{bytesPerElem: 3 * sizeOf[T](), ours: func(n int) func() {
		v := benchVecs[T](n, 3)
		return func() { ReLU(v[1], v[2], v[0]) }
	}}.run(b)
}

func BenchmarkSrelu(b *testing.B) { benchReLU[float32](b) }
func BenchmarkDrelu(b *testing.B) { benchReLU[float64](b) }

// benchMul: the gonum row is floats.MulTo (float64 only).
func benchMul[T Float](b *testing.B) {
	lb := level1Bench{bytesPerElem: 3 * sizeOf[T](), ours: func(n int) func() {
		v := benchVecs[T](n, 3)
		return func() { Mul(v[2], v[0], v[1]) }
	}}
	if !is32[T]() {
		lb.gonum = func(n int) func() {
			v := benchVecs[float64](n, 3)
			return func() { floats.MulTo(v[2], v[0], v[1]) }
		}
	}
	lb.run(b)
}

func BenchmarkSmul(b *testing.B) { benchMul[float32](b) }
func BenchmarkDmul(b *testing.B) { benchMul[float64](b) }
