package experiment

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// fullBatchNote is LambdaBatches.Note for tasks whose Hessian batch is the
// same data at every checkpoint.
const fullBatchNote = "full-batch task: every Hessian batch is the training batch, so λ_max is computed once (SE 0)"

// finalLambda measures λ_max at the final weights on hessian.final_batches
// independent Hessian batches (issue 13) and returns their values, mean and
// standard error. The first value is the final checkpoint's (batch ck,
// already computed: last); the others use the Hessian batches ck+1, ck+2, …,
// which training never reached, so each is a fresh draw (for seqMNIST a new
// validation minibatch, METHOD.md §4.7). When batches ck and ck+1 are the same
// data (pattern generation and DMS, full-batch), every batch is, so the one
// value is returned with n_batches 1 and a note. warm (may be nil) is the
// final checkpoint's eigenvector, used as a warm start like along training.
func finalLambda[T kernels.Float](run config.Run, tk64 task.Task[float64], net *rnn.Network[T], ck int, last results.Lambda, warm *mat.Dense) (*results.LambdaBatches, error) {
	vals := []float64{float64(last.Value)}
	lb := &results.LambdaBatches{}
	if run.Hessian.FinalBatches > 1 {
		b0, err := tk64.HessianBatch(ck)
		if err != nil {
			return nil, err
		}
		b1, err := tk64.HessianBatch(ck + 1)
		if err != nil {
			return nil, err
		}
		if sameBatch(b0, b1) {
			lb.Note = fullBatchNote
		} else {
			for j := 1; j < run.Hessian.FinalBatches; j++ {
				v, err := batchLambda(run, tk64, net, ck+j, derive(run.Seed, streamFinalBatches)+uint64(j), warm)
				if err != nil {
					return nil, err
				}
				vals = append(vals, v)
			}
		}
	}
	lb.NBatches = len(vals)
	for _, v := range vals {
		lb.Values = append(lb.Values, results.Num(v))
	}
	mean := stat.Mean(vals, nil)
	lb.Mean, lb.SE = results.Num(mean), 0
	if len(vals) > 1 {
		lb.SE = results.Num(stat.StdDev(vals, nil) / math.Sqrt(float64(len(vals))))
	}
	return lb, nil
}

// batchLambda is the leading eigenvalue of the W_rec Hessian on Hessian
// batch k by the run's method (power, or Lanczos otherwise).
func batchLambda[T kernels.Float](run config.Run, tk64 task.Task[float64], net *rnn.Network[T], k int, seed uint64, warm *mat.Dense) (float64, error) {
	_, hvp, err := wrecHVP(tk64, net, k)
	if err != nil {
		return 0, err
	}
	op := hvp.Operator()
	h := run.Hessian
	var x0 []float64
	if warm != nil && h.WarmStart > 0 {
		// The leading vector only: the first column of a top-k block.
		if x0, err = eig.WarmStart(mat.DenseCopyOf(warm.Slice(0, warm.RawMatrix().Rows, 0, 1)), h.WarmStart, seed); err != nil {
			return 0, err
		}
	}
	// Power iteration only when the checkpoints use it (method power, no align_k).
	r, err := leadingEigen(op, h, h.Method == "power" && h.AlignK == 0, seed, x0)
	if err != nil {
		return 0, err
	}
	return r.Values[0], nil
}

// sameBatch reports whether two batches hold the same data.
func sameBatch[T kernels.Float](a, b *rnn.Batch[T]) bool {
	return a.Size == b.Size && a.Steps == b.Steps && a.In == b.In && a.Out == b.Out &&
		slices.Equal(a.X, b.X) && slices.Equal(a.Y, b.Y) && slices.Equal(a.Labels, b.Labels)
}
