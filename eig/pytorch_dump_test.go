package eig_test

// The operators of BenchmarkSeqMNISTLeading for the PyTorch comparison
// (bench/pytorch/eig_bench.py): the network, the batch and reference
// values (loss, gradient, one Hessian-vector product, our eigenvalues) as
// NPZ and JSON files.

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/floats"

	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/rnn"
)

// dumpEnv names the directory TestDumpSeqMNISTOperator writes to.
const dumpEnv = "HESSRNN_DUMP_OPERATOR"

// benchPowerSeed is the PowerSettings.Seed of BenchmarkSeqMNISTLeading.
const benchPowerSeed = 1

// powerStart returns the unit start vector of eig.Power with the given
// seed in dimension n: the iterate of a single step on the identity.
func powerStart(t testing.TB, n int, seed uint64) []float64 {
	id := eig.Func{N: n, F: func(dst, src []float64) { copy(dst, src) }}
	r, err := eig.Power(id, eig.PowerSettings{Seed: seed, MaxIter: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r.Vector(0)
}

// eigRef is the JSON summary of one operator written by
// TestDumpSeqMNISTOperator.
type eigRef struct {
	Scale    float64 `json:"scale"`
	Loss     float64 `json:"loss"`
	GradNorm float64 `json:"grad_norm"`
	// GradNormWRec is the norm of the W_rec block of the gradient.
	GradNormWRec float64 `json:"grad_norm_wrec"`
	// HVNorm is ‖H·start‖ for the unit start vector of the check file.
	HVNorm float64 `json:"hv_norm"`
	// Lambda and Lambda2 are the two eigenvalues of largest magnitude
	// (Lanczos at residual 1e-10·‖H‖).
	Lambda  float64 `json:"lambda"`
	Lambda2 float64 `json:"lambda2"`
	// Power is eig.Power at the paper's setting from the start vector of
	// the check file, eig.Power's start for Seed 1, as in the benchmark.
	Power powerRef `json:"power"`
	// Lanczos is eig.Leading at its default (residual 1e-6·‖H‖, Seed 1).
	Lanczos lanczosRef `json:"lanczos"`
	// LanczosPaper is Lanczos with the paper's rule (ValueChange 1e-6),
	// LanczosTol3 at residual 1e-3·‖H‖.
	LanczosPaper lanczosRef `json:"lanczos_paper"`
	LanczosTol3  lanczosRef `json:"lanczos_tol1e-3"`
}

type powerRef struct {
	Abs      float64 `json:"abs"`
	Rayleigh float64 `json:"rayleigh"`
	Applies  int     `json:"applies"`
}

type lanczosRef struct {
	Value   float64 `json:"value"`
	Applies int     `json:"applies"`
}

// TestDumpSeqMNISTOperator writes, when HESSRNN_DUMP_OPERATOR=dir is set,
// for each W_rec scale s of BenchmarkSeqMNISTLeading:
//
//	dir/seqmnist_wrec<s>_net.npz    the network (rnn.SaveNPZ, float64)
//	dir/seqmnist_wrec<s>_batch.npz  x (T×B×In, float64), labels (T×B, int64)
//	dir/seqmnist_wrec<s>_check.npz  grad_<block> (the loss gradient per
//	                                block), start (the unit N×N start
//	                                vector of eig.Power with Seed 1),
//	                                hv (H·start)
//	dir/seqmnist_wrec<s>_ref.json   eigRef
//
// Otherwise it is skipped.
func TestDumpSeqMNISTOperator(t *testing.T) {
	dir := os.Getenv(dumpEnv)
	if dir == "" {
		t.Skipf("set %s=dir to write the seqMNIST-size operators for bench/pytorch/eig_bench.py", dumpEnv)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, scale := range seqMNISTScales {
		net, batch := seqMNISTNet(t, scale)
		h, err := rnn.NewHVP(net, batch, rnn.SetWRec, nil)
		if err != nil {
			t.Fatal(err)
		}
		op := h.Operator()
		n := net.Cfg.N
		base := filepath.Join(dir, "seqmnist_wrec"+strconv.FormatFloat(scale, 'g', -1, 64))

		if err := rnn.SaveNPZFile(base+"_net.npz", net); err != nil {
			t.Fatal(err)
		}
		labels := make([]int64, len(batch.Labels))
		for i, l := range batch.Labels {
			labels[i] = int64(l)
		}
		if err := writeNPZFile(base+"_batch.npz", []rnn.NPYArray{
			{Name: "x", Data: batch.X, Shape: []int{batch.Steps, batch.Size, batch.In}},
			{Name: "labels", Data: labels, Shape: []int{batch.Steps, batch.Size}},
		}); err != nil {
			t.Fatal(err)
		}

		grad := h.Grad()
		var check []rnn.NPYArray
		for _, bl := range []rnn.Block{rnn.WIn, rnn.WRec, rnn.WOut, rnn.BOut} {
			r := net.Layout.Blocks[bl]
			shape := []int{r.Rows, r.Cols}
			if bl == rnn.BOut {
				shape = []int{r.Len}
			}
			check = append(check, rnn.NPYArray{Name: "grad_" + bl.String(), Data: grad[r.Off : r.Off+r.Len], Shape: shape})
		}
		start := powerStart(t, op.Dim(), benchPowerSeed)
		hv := make([]float64, op.Dim())
		op.Apply(hv, start)
		check = append(check, rnn.NPYArray{Name: "start", Data: start, Shape: []int{n, n}}, rnn.NPYArray{Name: "hv", Data: hv, Shape: []int{n, n}})
		if err := writeNPZFile(base+"_check.npz", check); err != nil {
			t.Fatal(err)
		}

		wr := net.Layout.Blocks[rnn.WRec]
		ref := eigRef{Scale: scale, Loss: h.Loss(), GradNorm: floats.Norm(grad, 2),
			GradNormWRec: floats.Norm(grad[wr.Off:wr.Off+wr.Len], 2), HVNorm: floats.Norm(hv, 2)}
		lz, err := eig.Lanczos(op, 2, eig.LanczosSettings{Which: eig.LargestMagnitude, Tol: 1e-10, Seed: 99})
		if err != nil || lz.Status != eig.Converged {
			t.Fatal(err, lz.Status)
		}
		ref.Lambda, ref.Lambda2 = lz.Values[0], lz.Values[1]
		pr, err := eig.Power(op, eig.PowerSettings{Seed: benchPowerSeed})
		if err != nil || !pr.Converged() {
			t.Fatal(err, pr.Status)
		}
		ref.Power = powerRef{Abs: pr.Abs, Rayleigh: pr.Values[0], Applies: pr.Applies}
		ps, err := eig.Power(op, eig.PowerSettings{Start: start})
		if err != nil || ps.Applies != pr.Applies || math.Abs(ps.Abs-pr.Abs) > 1e-12*pr.Abs {
			t.Fatalf("Power from its own start vector: %v, %d applies, |λ| %v; from Seed %d: %d, %v", err, ps.Applies, ps.Abs, benchPowerSeed, pr.Applies, pr.Abs)
		}
		for _, l := range []struct {
			dst *lanczosRef
			set eig.LanczosSettings
		}{{&ref.Lanczos, eig.LanczosSettings{Seed: 1}}, {&ref.LanczosPaper, eig.LanczosSettings{Seed: 1, ValueChange: 1e-6}},
			{&ref.LanczosTol3, eig.LanczosSettings{Seed: 1, Tol: 1e-3}}} {
			r, err := eig.Leading(op, l.set)
			if err != nil || r.Status != eig.Converged {
				t.Fatal(err, r.Status)
			}
			*l.dst = lanczosRef{Value: r.Values[0], Applies: r.Applies}
		}
		js, err := json.MarshalIndent(ref, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base+"_ref.json", append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("W_rec×%v: loss %.17g, ‖grad‖ %.17g, λ %.17g, power %d applies, written to %s_*", scale, ref.Loss, ref.GradNorm, ref.Lambda, ref.Power.Applies, base)
	}
}

// writeNPZFile writes the arrays to the named file with rnn.WriteNPZ.
func writeNPZFile(path string, arrays []rnn.NPYArray) error {
	var buf bytes.Buffer
	if err := rnn.WriteNPZ(&buf, arrays...); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
