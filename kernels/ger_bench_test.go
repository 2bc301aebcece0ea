package kernels

import (
	"fmt"
	"testing"
	"unsafe"

	"gonum.org/v1/gonum/blas/gonum"
)

func benchGer[T Float](b *testing.B) {
	for _, impl := range mvBenchImpls() {
		mvBenchImpl(b, impl, func(b *testing.B) {
			for _, n := range gemvBenchSizes {
				m := n
				a, x, y := make([]T, m*n), make([]T, m), make([]T, n)
				for k, s := range [][]T{a, x, y} {
					fillRandom(newRand(uint64(k)), s)
				}
				var z T
				b.Run(fmt.Sprintf("m=%d/n=%d", m, n), func(b *testing.B) {
					// A is read and written; x and y are read.
					b.SetBytes(int64(2*m*n+m+n) * int64(unsafe.Sizeof(z)))
					b.ReportAllocs()
					// alpha alternates sign so A stays bounded.
					alpha := T(1e-3)
					switch {
					case impl != "gonum":
						for b.Loop() {
							Ger(a, n, alpha, x, y)
							alpha = -alpha
						}
					case is32[T]():
						g, a32, x32, y32 := gonum.Implementation{}, f32(a), f32(x), f32(y)
						for b.Loop() {
							g.Sger(m, n, float32(alpha), x32, 1, y32, 1, a32, n)
							alpha = -alpha
						}
					default:
						g, a64, x64, y64 := gonum.Implementation{}, f64(a), f64(x), f64(y)
						for b.Loop() {
							g.Dger(m, n, float64(alpha), x64, 1, y64, 1, a64, n)
							alpha = -alpha
						}
					}
					mvReportFlops(b, 2*float64(m)*float64(n))
					gemvSink += float64(a[0])
				})
			}
		})
	}
}

func BenchmarkSger(b *testing.B) { benchGer[float32](b) }
func BenchmarkDger(b *testing.B) { benchGer[float64](b) }
