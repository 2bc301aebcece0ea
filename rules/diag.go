package rules

import (
	"math"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// Alignment compares an approximate update direction ĝ with the exact
// gradient g through the decomposition of paper Eq. 6, ĝ = α g + ε with
// ⟨ε, g⟩ = 0. All fields are NaN when g = 0.
type Alignment struct {
	// Alpha is the relative step length ⟨ĝ, g⟩/‖g‖².
	Alpha float64
	// Cos is the cosine of the angle θ between ĝ and g.
	Cos float64
	// EpsRel is ‖ε‖/‖g‖ with ε = ĝ − α g.
	EpsRel float64
	// NormRatio is ‖ĝ‖/‖g‖.
	NormRatio float64
	// Kappa is the smallest condition number of a symmetric positive-definite
	// metric M with M g = ĝ, (1 + sin θ)/(1 − sin θ); +Inf when cos θ <= 0
	// (no such M exists).
	Kappa float64
}

// BlockAlignment is the Alignment of one parameter block.
type BlockAlignment struct {
	Block rnn.Block
	Alignment
}

// Align computes the Eq. 6 decomposition of ghat against g. It panics if the
// lengths differ. Sums are accumulated in float64.
func Align[T kernels.Float](ghat, g []T) Alignment {
	if len(ghat) != len(g) {
		panic("rules: Align length mismatch")
	}
	return alignFromDots(dots(ghat, g))
}

// dots returns ⟨ĝ, g⟩, ‖g‖² and ‖ĝ‖² accumulated in float64 (len(g) terms).
func dots[T kernels.Float](ghat, g []T) (hg, gg, hh float64) {
	for i := range g {
		a, b := float64(ghat[i]), float64(g[i])
		gg += b * b
		hh += a * a
		hg += a * b
	}
	return hg, gg, hh
}

func alignFromDots(hg, gg, hh float64) Alignment {
	if gg == 0 {
		n := math.NaN()
		return Alignment{n, n, n, n, n}
	}
	a := Alignment{Alpha: hg / gg, NormRatio: math.Sqrt(hh / gg)}
	// ‖ε‖² = ‖ĝ‖² − ⟨ĝ,g⟩²/‖g‖², clamped against rounding.
	a.EpsRel = math.Sqrt(max(hh-hg*hg/gg, 0) / gg)
	if hh == 0 {
		a.Cos = 0
	} else {
		a.Cos = hg / math.Sqrt(gg*hh)
		a.Cos = max(-1, min(1, a.Cos))
	}
	a.Kappa = KappaFromCos(a.Cos)
	return a
}

// KappaFromCos returns (1 + sin θ)/(1 − sin θ) for cos θ = c, the smallest
// condition number of a symmetric positive-definite M mapping a vector to
// another at angle θ; +Inf for c <= 0.
func KappaFromCos(c float64) float64 {
	if !(c > 0) {
		return math.Inf(1)
	}
	s := math.Sqrt(max(0, 1-c*c))
	return (1 + s) / (1 - s)
}

// AlignBlocks returns the overall alignment of ghat against g, two
// parameter vectors laid out by l, and the alignment of every block of l in
// layout order. It panics if the lengths differ from l.Total.
func AlignBlocks[T kernels.Float](ghat, g []T, l rnn.Layout) (Alignment, []BlockAlignment) {
	if len(ghat) != len(g) || len(g) != l.Total {
		panic("rules: AlignBlocks length mismatch")
	}
	per := make([]BlockAlignment, len(l.Blocks))
	var GG, HH, HG float64
	for k, r := range l.Blocks {
		hg, gg, hh := dots(ghat[r.Off:r.Off+r.Len], g[r.Off:r.Off+r.Len])
		per[k] = BlockAlignment{Block: rnn.Block(k), Alignment: alignFromDots(hg, gg, hh)}
		GG, HH, HG = GG+gg, HH+hh, HG+hg
	}
	return alignFromDots(HG, GG, HH), per
}
