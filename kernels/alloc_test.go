package kernels

import "testing"

// TestAllocsLevel1 checks that the level-1 and elementwise kernels allocate
// nothing at any level (STYLE.md item 9).
func TestAllocsLevel1(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		const n = 131
		x64, y64, z64, m64 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		x32, y32, z32, m32 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		var s64 float64
		var s32 float32
		cases := []struct {
			name string
			f    func()
		}{
			{"Dot", func() { s64 += Dot(x64, y64); s32 += Dot(x32, y32) }},
			{"Axpy", func() { Axpy(y64, 0.5, x64); Axpy(y32, 0.5, x32) }},
			{"Scal", func() { Scal(x64, 1); Scal(x32, 1) }},
			{"AxpyTo", func() { AxpyTo(z64, 0.5, x64, y64); AxpyTo(z32, 0.5, x32, y32) }},
			{"ScaledDiff", func() { ScaledDiff(z64, 2, x64, y64); ScaledDiff(z32, 2, x32, y32) }},
			{"ReLU", func() { ReLU(z64, m64, x64); ReLU(z32, m32, x32); ReLU(z32, nil, x32) }},
			{"Mul", func() { Mul(z64, x64, y64); Mul(z32, x32, y32) }},
		}
		for _, c := range cases {
			if a := testing.AllocsPerRun(20, c.f); a != 0 {
				t.Errorf("%s: %v allocations per run", c.name, a)
			}
		}
		_, _ = s64, s32
	})
}
