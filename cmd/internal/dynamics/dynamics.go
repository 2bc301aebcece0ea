package dynamics

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/dsa"
	"github.com/hessrnn/hessrnn/rnn"
)

// Settings configures Summarise and DSADistances.
type Settings struct {
	// Fit configures the DSA fit of the rate trajectories.
	Fit dsa.FitSettings
	// Procrustes configures the DSA comparison.
	Procrustes dsa.ProcrustesSettings
	// Diagonal configures the optimised diagonal metric.
	Diagonal dsa.DiagonalSettings
}

// Summary is what the analysis keeps of one network.
type Summary struct {
	// Model is the DSA fit of the rate trajectories on the probes.
	Model *dsa.Model
	// Contraction is the contraction of the state Jacobians on the probes.
	Contraction rnn.Contraction
	// States stacks the rates r^t (t = 1..T) of every probe trajectory,
	// probe by probe and row by row, one row per step (M×N): the same rows
	// for every network given the same probes.
	States *mat.Dense
}

// Summarise runs net on the probe batches and returns its summary.
func Summarise(net *rnn.Network[float64], probes []*rnn.Batch[float64], s Settings) (Summary, error) {
	var trials []mat.Matrix
	var wss []*rnn.Workspace[float64]
	N := net.Cfg.N
	var rows [][]float64
	for _, b := range probes {
		ws := &rnn.Workspace[float64]{}
		if _, err := net.Forward(ws, b); err != nil {
			return Summary{}, err
		}
		tr, err := ws.Trajectory()
		if err != nil {
			return Summary{}, err
		}
		for row := 0; row < b.Size; row++ {
			x := mat.NewDense(b.Steps, N, nil)
			for t := 1; t <= b.Steps; t++ {
				r := tr.R(t)[row*N : (row+1)*N]
				x.SetRow(t-1, r)
				rows = append(rows, append([]float64(nil), r...))
			}
			trials = append(trials, x)
		}
		wss = append(wss, ws)
	}
	m, err := dsa.Fit(trials, s.Fit)
	if err != nil {
		return Summary{}, err
	}
	c, err := rnn.ContractionOf(net, s.Diagonal, wss...)
	if err != nil {
		return Summary{}, err
	}
	st := mat.NewDense(len(rows), N, nil)
	for i, r := range rows {
		st.SetRow(i, r)
	}
	return Summary{Model: m, Contraction: c, States: st}, nil
}

// DSADistances returns the Euclidean and angular DSA distance matrices of
// the models (n×n, symmetric, zero diagonal), computing the n(n−1)/2 pairs
// on up to GOMAXPROCS goroutines; each pair's result does not depend on the
// schedule. Models must have the same rank.
func DSADistances(ms []*dsa.Model, s dsa.ProcrustesSettings) (euc, ang *mat.SymDense, err error) {
	n := len(ms)
	euc, ang = mat.NewSymDense(n, nil), mat.NewSymDense(n, nil)
	type pair struct{ i, j int }
	var pairs []pair
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			pairs = append(pairs, pair{i, j})
		}
	}
	res := make([]dsa.Procrustes, len(pairs))
	errs := make([]error, len(pairs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				res[k], errs[k] = dsa.Compare(ms[pairs[k].i].A, ms[pairs[k].j].A, s)
			}
		}()
	}
	for k := range pairs {
		next <- k
	}
	close(next)
	wg.Wait()
	for k, p := range pairs {
		if errs[k] != nil {
			return nil, nil, fmt.Errorf("dynamics: DSA distance %d–%d: %w", p.i, p.j, errs[k])
		}
		euc.SetSym(p.i, p.j, res[k].Euclidean)
		ang.SetSym(p.i, p.j, res[k].Angular)
	}
	return euc, ang, nil
}

// GeometricDistances returns two geometric baselines between the state
// matrices (each M×N with the same rows, columns centred here): the
// angular Procrustes shape distance arccos(‖X̃ᵀỸ‖_*/(‖X̃‖_F‖Ỹ‖_F))
// (Williams et al. 2021; a metric, invariant to rotations of either state
// space) and 1 − linear CKA, CKA = ‖X̃ᵀỸ‖²_F/(‖X̃ᵀX̃‖_F‖ỸᵀỸ‖_F)
// (Kornblith et al. 2019).
func GeometricDistances(xs []*mat.Dense) (shape, cka *mat.SymDense, err error) {
	n := len(xs)
	shape, cka = mat.NewSymDense(n, nil), mat.NewSymDense(n, nil)
	cs := make([]*mat.Dense, n)
	gram := make([]float64, n)
	norm := make([]float64, n)
	for i, x := range xs {
		r, c := x.Dims()
		if i > 0 {
			if r0, c0 := xs[0].Dims(); r0 != r {
				return nil, nil, fmt.Errorf("dynamics: state matrix %d has %d rows, matrix 0 has %d (%d columns)", i, r, r0, c0)
			}
		}
		m := mat.DenseCopyOf(x)
		for j := 0; j < c; j++ {
			mean := 0.0
			for k := 0; k < r; k++ {
				mean += m.At(k, j)
			}
			mean /= float64(r)
			for k := 0; k < r; k++ {
				m.Set(k, j, m.At(k, j)-mean)
			}
		}
		cs[i] = m
		var g mat.Dense
		g.Mul(m.T(), m)
		gram[i] = mat.Norm(&g, 2)
		norm[i] = mat.Norm(m, 2)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var xy mat.Dense
			xy.Mul(cs[i].T(), cs[j])
			f := mat.Norm(&xy, 2)
			var svd mat.SVD
			nuc := math.NaN()
			if svd.Factorize(&xy, mat.SVDNone) {
				nuc = 0
				for _, v := range svd.Values(nil) {
					nuc += v
				}
			}
			den := norm[i] * norm[j]
			shape.SetSym(i, j, math.Acos(math.Max(-1, math.Min(1, nuc/den))))
			cka.SetSym(i, j, 1-f*f/(gram[i]*gram[j]))
		}
	}
	return shape, cka, nil
}
