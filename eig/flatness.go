package eig

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// flatnessCheck validates w against op and returns its dimensions.
func flatnessCheck(op Operator, w mat.Matrix) (int, int, error) {
	nr, nc := w.Dims()
	if op.Dim() != nr*nc {
		return 0, 0, &DimError{What: "operator (relative flatness of an N×M weight matrix needs Dim = N·M)", Got: op.Dim(), Want: nr * nc}
	}
	for s := 0; s < nr; s++ {
		for c := 0; c < nc; c++ {
			if v := w.At(s, c); math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, 0, &ValueError{What: "W (row-major)", Index: s*nc + c, Value: v, Reason: "not finite"}
			}
		}
	}
	return nr, nc, nil
}

// RelativeFlatness returns the relative flatness (Petzka et al. 2021;
// METHOD.md §4.6) of the N×M weight matrix W, where op is the Hessian with respect to
// W flattened row-major (parameter index s·M + j for W_sj):
//
//	κ = Σ_{s,s'} ⟨w_s, w_s'⟩ Tr(H_{s,s'}),   Tr(H_{s,s'}) = Σ_j H_{(s,j),(s',j)}
//
// with w_s row s of W. It is computed exactly as κ = Σ_c Σ_j v_cjᵀ H v_cj
// with (v_cj)_{(s,j')} = W_sc δ_{jj'}, which takes M² operator
// applications (N² for a square W_rec), M at a time through ApplyBlock when
// op is a BlockOperator. The result has StdErr 0.
func RelativeFlatness(op Operator, w mat.Matrix, rec Recorder) (Estimate, error) {
	nr, nc, err := flatnessCheck(op, w)
	if err != nil {
		return Estimate{}, err
	}
	a := newApplier(op, MethodFlatness, rec)
	dim := nr * nc
	v := mat.NewDense(nc, dim, nil)
	hv := mat.NewDense(nc, dim, nil)
	var kappa float64
	for c := 0; c < nc; c++ {
		// Row j of v is v_cj.
		v.Zero()
		for j := 0; j < nc; j++ {
			row := v.RawRowView(j)
			for s := 0; s < nr; s++ {
				row[s*nc+j] = w.At(s, c)
			}
		}
		if err := a.applyBlock(hv, v); err != nil {
			return Estimate{}, err
		}
		for j := 0; j < nc; j++ {
			kappa += floats.Dot(v.RawRowView(j), hv.RawRowView(j))
		}
		if err := a.record(Progress{Iter: c + 1, Value: kappa, Residual: math.NaN()}); err != nil {
			return Estimate{}, err
		}
	}
	return Estimate{Estimate: kappa, Applies: a.applies}, nil
}

// RelativeFlatnessHutchinson estimates the relative flatness κ of
// RelativeFlatness without bias from Probes samples vᵀHv with
//
//	v = (W z) ζᵀ,  i.e. v_(s,j) = (Wz)_s ζ_j,
//
// where z and ζ are independent Rademacher M-vectors. Since
// v = Σ_{c,j} z_c ζ_j v_cj and E[z_c z_c' ζ_j ζ_j'] = δ_cc' δ_jj',
// E[vᵀHv] = Σ_{c,j} v_cjᵀ H v_cj = κ. Each probe costs one application.
func RelativeFlatnessHutchinson(op Operator, w mat.Matrix, settings HutchinsonSettings) (Estimate, error) {
	p, err := checkProbes("HutchinsonSettings.Probes", settings.Probes, 100)
	if err != nil {
		return Estimate{}, err
	}
	nr, nc, err := flatnessCheck(op, w)
	if err != nil {
		return Estimate{}, err
	}
	a := newApplier(op, MethodFlatness, settings.Recorder)
	rnd := newRand(settings.Seed)
	z := make([]float64, nc)
	zeta := make([]float64, nc)
	u := mat.NewVecDense(nr, nil)
	v := make([]float64, nr*nc)
	hv := make([]float64, nr*nc)
	return sampleMean(a, p, func() (float64, error) {
		fillRademacher(rnd, z)
		fillRademacher(rnd, zeta)
		u.MulVec(w, mat.NewVecDense(nc, z))
		for s := 0; s < nr; s++ {
			us := u.AtVec(s)
			for j := 0; j < nc; j++ {
				v[s*nc+j] = us * zeta[j]
			}
		}
		if err := a.apply(hv, v); err != nil {
			return 0, err
		}
		return floats.Dot(v, hv), nil
	})
}
