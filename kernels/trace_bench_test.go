package kernels

import (
	"fmt"
	"github.com/hessrnn/hessrnn/internal/bench/paired"
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
				e, g, c, d, p, q, v := traceBenchOperands[T](n)
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

// BenchmarkTracePaired times Trace at every level this CPU supports
// against three bandwidth references over the same E and G, in alternating
// windows (see paired.Run), at the shapes 256×256 and 1024×1024.
// Bytes-moved model: the kernel reads and writes every element of E and G
// once, 4·n·m·size bytes; c, d, p, q (n elements each) and v (m) stay in
// L1 and are not counted. References, timed with the same byte count:
//   - rmw: Scal(E, -1) then Scal(G, -1) at the detected level: one in-place
//     read-modify-write stream at a time, the fastest pattern;
//   - rmwrow: Scal(-1) on row i of E, then row i of G, for each i: the
//     kernel's own pattern (two in-place streams interleaved) without its
//     arithmetic. At 256 columns it mostly measures the cost of one Scal
//     call per row: Scal over E alone in 1 KiB calls also runs at about
//     half of rmw on Zen 5, so it is no memory bound;
//   - copy: copy E to G and G to E in 32 KiB pieces (traceBenchCopy), a
//     STREAM-copy-like reference.
//
// Metrics: <impl>-GB/s (fastest window) and <impl>/rmw (median paired
// ratio to rmw; the target is >= 0.8 of measured bandwidth).
//
// E and G are separate allocations, so at these sizes both start on a page
// boundary and E[i, j] and G[i, j] share their address bits below 4 KiB, as
// with any two traces allocated by make. That does not slow the kernel: on
// Zen 5 offsetting G by 64 to 2048 bytes changed float32 256×256 by less
// than 3%.
func BenchmarkTracePaired(b *testing.B) {
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprintf("type=float32/n=%d", n), func(b *testing.B) { pairedTrace[float32](b, n) })
		b.Run(fmt.Sprintf("type=float64/n=%d", n), func(b *testing.B) { pairedTrace[float64](b, n) })
	}
}

func pairedTrace[T Float](b *testing.B, n int) {
	m := n
	e, g, c, d, p, q, v := traceBenchOperands[T](n)
	det := Detected()
	atLevel := func(l Level, f func()) func(int) {
		return func(reps int) {
			restore, err := SetLevel(l)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			for range reps {
				f()
			}
		}
	}
	names := []string{"rmw", "rmwrow", "copy"}
	fns := []func(int){
		atLevel(det, func() { Scal(e, -1); Scal(g, -1) }),
		atLevel(det, func() {
			for i := 0; i < n; i++ {
				Scal(e[i*m:(i+1)*m], -1)
				Scal(g[i*m:(i+1)*m], -1)
			}
		}),
		paired.Repeat(func() { traceBenchCopy(g, e); traceBenchCopy(e, g) }),
	}
	for _, l := range Levels() {
		if l <= det {
			names = append(names, l.String())
			fns = append(fns, atLevel(l, func() { Trace(e, m, g, m, c, d, p, q, v) }))
		}
	}
	var z T
	paired.Run(b, names, fns, 4*float64(n*m)*float64(unsafe.Sizeof(z)), "GB/s")
	gemvSink += float64(g[0])
}

// traceBenchOperands returns random operands of an n×n trace: E and G, the
// row coefficients c (all 0.5, which keeps E bounded over many iterations),
// d, p, q and the column vector v.
func traceBenchOperands[T Float](n int) (e, g, c, d, p, q, v []T) {
	rnd := newRand(uint64(n))
	e, g = make([]T, n*n), make([]T, n*n)
	c, d, p, q, v = make([]T, n), make([]T, n), make([]T, n), make([]T, n), make([]T, n)
	for _, s := range [][]T{e, g, c, d, p, q, v} {
		fillRandom(rnd, s)
	}
	for i := range c {
		c[i] = 0.5
	}
	return e, g, c, d, p, q, v
}
