package experiment

import (
	"context"
	"math"
	"testing"

	"gonum.org/v1/gonum/stat"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task"
	"github.com/hessrnn/hessrnn/rules"
)

// TestFinalLambdaFullBatch: a full-batch task's Hessian batches are all the
// training batch, so the final λ_max is the final checkpoint's, computed
// once, with n_batches 1, SE 0 and the reason recorded.
func TestFinalLambdaFullBatch(t *testing.T) {
	var e Env
	for _, rule := range []string{rules.BPTT.String(), rules.MDGL.String()} {
		run := tiny(rule, 3)
		res := e.Train(context.Background(), run, nil)
		if res.Status.State != results.Finished {
			t.Fatalf("%s: %+v", rule, res.Status)
		}
		lb := res.Final.LambdaBatches
		last := res.Trajectory[len(res.Trajectory)-1].Lambda.Value
		if lb == nil || lb.NBatches != 1 || len(lb.Values) != 1 || lb.Values[0] != last || lb.Mean != last || lb.SE != 0 || lb.Note != fullBatchNote {
			t.Fatalf("%s: lambda_batches %+v, last λ %v", rule, lb, last)
		}
		if res.Final.LambdaMax != last {
			t.Errorf("%s: final λ_max %v, want %v", rule, res.Final.LambdaMax, last)
		}
	}
}

// varyingHessian is a task whose Hessian batch k is the training batch with
// its inputs scaled by 1 + k/10, so that every checkpoint index gives
// different data, as for seqMNIST's validation minibatches.
type varyingHessian struct{ task.Task[float64] }

func (v varyingHessian) HessianBatch(k int) (*rnn.Batch[float64], error) {
	b, err := v.Task.HessianBatch(k)
	if err != nil {
		return nil, err
	}
	for i := range b.X {
		b.X[i] *= 1 + float64(k)/10
	}
	return b, nil
}

// TestFinalLambdaBatches checks the minibatch path: n values, the first the
// final checkpoint's, each the λ_max of its own batch (against a cold
// Lanczos with a tighter tolerance), and the mean and standard error.
func TestFinalLambdaBatches(t *testing.T) {
	var e Env
	run := tiny(rules.BPTT.String(), 1)
	run.Hessian.FinalBatches = 4
	run = run.Resolve()
	pt, err := makeTask[float64](&e, run)
	if err != nil {
		t.Fatal(err)
	}
	tk := varyingHessian{pt}
	net, err := rnn.New[float64](netConfig(run, tk.Shape(), tk.Loss()))
	if err != nil {
		t.Fatal(err)
	}
	const ck = 7
	ref := make([]float64, run.Hessian.FinalBatches)
	for j := range ref {
		_, hvp, err := wrecHVP[float64](tk, net, ck+j)
		if err != nil {
			t.Fatal(err)
		}
		r, err := eig.Leading(hvp.Operator(), eig.LanczosSettings{Tol: 1e-10, Seed: 99})
		if err != nil {
			t.Fatal(err)
		}
		ref[j] = r.Values[0]
	}
	last := results.Lambda{Value: results.Num(ref[0]), Converged: true}
	lb, err := finalLambda[float64](run, tk, net, ck, last, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lb.NBatches != len(ref) || len(lb.Values) != len(ref) || lb.Note != "" {
		t.Fatalf("lambda_batches %+v", lb)
	}
	for j, v := range lb.Values {
		if math.Abs(float64(v)-ref[j]) > 1e-6*math.Abs(ref[j]) {
			t.Errorf("batch %d: λ %v, want %v", j, v, ref[j])
		}
		if j > 0 && v == lb.Values[j-1] {
			t.Errorf("batches %d and %d give the same λ %v", j-1, j, v)
		}
	}
	vals := make([]float64, len(lb.Values))
	for j, v := range lb.Values {
		vals[j] = float64(v)
	}
	mean, sd := stat.MeanStdDev(vals, nil)
	if math.Abs(float64(lb.Mean)-mean) > 1e-12*mean || math.Abs(float64(lb.SE)-sd/2) > 1e-12*mean || !(lb.SE > 0) {
		t.Errorf("mean %v SE %v, want %v and %v", lb.Mean, lb.SE, mean, sd/2)
	}
}

// TestFinalLambdaSeqMNIST runs a short real seqMNIST run: the final λ_max is
// the mean over 5 different validation minibatches. It needs the MNIST
// files (HESSRNN_DATA or the shared folder) and skips without them.
func TestFinalLambdaSeqMNIST(t *testing.T) {
	dir := mnistDir(t)
	var e Env
	run := config.Default()
	run.Task, run.SeqMNIST.Data = config.SeqMNIST, dir
	run.Model.N, run.Train.BatchSize, run.SeqMNIST.HessianBatch = 32, 64, 64
	run.Train.Iterations, run.Hessian.Every = 20, 10
	res := e.Train(context.Background(), run, nil)
	if res.Status.State != results.Finished {
		t.Fatalf("%+v", res.Status)
	}
	lb := res.Final.LambdaBatches
	if lb == nil || lb.NBatches != 5 || lb.Note != "" || !(lb.SE > 0) || res.Final.LambdaMax != lb.Mean {
		t.Fatalf("lambda_batches %+v, final λ %v", lb, res.Final.LambdaMax)
	}
	if last := res.Trajectory[len(res.Trajectory)-1].Lambda.Value; lb.Values[0] != last {
		t.Errorf("first batch λ %v, want the final checkpoint's %v", lb.Values[0], last)
	}
	t.Logf("final λ_max over 5 validation batches: %v, mean %v ± %v", lb.Values, lb.Mean, lb.SE)
}
