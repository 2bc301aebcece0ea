package kernels

import (
	"fmt"
	"testing"
	"unsafe"
)

// traceBenchSizes are the n×m trace shapes: recurrent weights of 32 to
// 1024 units.
var traceBenchSizes = []int{32, 128, 256, 512, 1024}

// benchTrace measures Trace at every level and, as impl=copy, the memory
// bandwidth of the same traffic: the kernel reads and writes E and G once
// (bytes moved = 4·n·m·size; c, d, p, q and v are n or m elements and stay
// in L1), and impl=copy copies E to G and back, which also reads 2·n·m and
// writes 2·n·m elements over the same two buffers (see traceBenchCopy).
// impl=scal is a second bandwidth reference with exactly the kernel's access
// pattern: Scal(E, -1) and Scal(G, -1) at the detected level read and write
// E and G in place once each. Compare their MB/s.
func benchTrace[T Float](b *testing.B) {
	impls := append(mvBenchImpls()[:len(mvBenchImpls())-1], "copy", "scal")
	for _, impl := range impls {
		mvBenchImpl(b, impl, func(b *testing.B) {
			for _, n := range traceBenchSizes {
				m := n
				rnd := newRand(uint64(n))
				e, g := make([]T, n*m), make([]T, n*m)
				c, d, p, q, v := make([]T, n), make([]T, n), make([]T, n), make([]T, n), make([]T, m)
				for _, s := range [][]T{e, g, c, d, p, q, v} {
					fillRandom(rnd, s)
				}
				for i := range c {
					c[i] = 0.5 // keep E bounded over many iterations
				}
				var z T
				b.Run(fmt.Sprintf("m=%d/n=%d", n, m), func(b *testing.B) {
					b.SetBytes(4 * int64(n*m) * int64(unsafe.Sizeof(z)))
					b.ReportAllocs()
					switch impl {
					case "copy":
						for b.Loop() {
							traceBenchCopy(g, e)
							traceBenchCopy(e, g)
						}
					case "scal":
						restore, err := SetLevel(Detected())
						if err != nil {
							b.Fatal(err)
						}
						defer restore()
						for b.Loop() {
							Scal(e, -1)
							Scal(g, -1)
						}
					default:
						for b.Loop() {
							Trace(e, m, g, m, c, d, p, q, v)
						}
					}
					gemvSink += float64(g[0])
				})
			}
		})
	}
}

func BenchmarkStrace(b *testing.B) { benchTrace[float32](b) }
func BenchmarkDtrace(b *testing.B) { benchTrace[float64](b) }

// traceBenchCopy copies src to dst in 32 KiB pieces: small enough that
// memmove uses ordinary cached stores (it switches to non-temporal stores at
// 1 MiB, which would measure DRAM instead of the cache level the kernel runs
// in), large enough to run at full speed.
func traceBenchCopy[T Float](dst, src []T) {
	var z T
	chunk := 32 << 10 / int(unsafe.Sizeof(z))
	for k := 0; k < len(src); k += chunk {
		end := min(k+chunk, len(src))
		copy(dst[k:end], src[k:end])
	}
}
