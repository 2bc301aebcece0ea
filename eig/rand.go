package eig

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
)

// seedStream is the fixed second word of every PCG stream in this package, so
// that a result depends only on Settings.Seed.
const seedStream = 0x6569672d68657373 // "eig-hess"

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seedStream))
}

// fillNormal fills v with independent standard normal values.
func fillNormal(r *rand.Rand, v []float64) {
	for i := range v {
		v[i] = r.NormFloat64()
	}
}

// fillRademacher fills v with independent ±1 values.
func fillRademacher(r *rand.Rand, v []float64) {
	for i := range v {
		if r.Uint64()&1 == 0 {
			v[i] = -1
		} else {
			v[i] = 1
		}
	}
}

// normalize scales v to unit norm and returns its former norm. A zero v is
// left unchanged.
func normalize(v []float64) float64 {
	nrm := floats.Norm(v, 2)
	if nrm > 0 {
		floats.Scale(1/nrm, v)
	}
	return nrm
}

// startVector returns the unit start vector of an iteration: a copy of given
// when it is non-nil, else standard normal values from rnd. what names the
// settings field in the errors for a non-finite or zero given vector.
func startVector(a *applier, what string, given []float64, rnd *rand.Rand) ([]float64, error) {
	v := make([]float64, a.n)
	if given != nil {
		copy(v, given)
		if err := a.check(v, 0); err != nil {
			nf := err.(*NotFiniteError)
			return nil, &ValueError{What: what, Index: nf.Index, Value: nf.Value, Reason: "not finite"}
		}
	} else {
		fillNormal(rnd, v)
	}
	if normalize(v) == 0 {
		return nil, &ValueError{What: what, Reason: "start vector is zero"}
	}
	return v, nil
}
