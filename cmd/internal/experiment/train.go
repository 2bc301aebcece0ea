package experiment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/progress"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/eig"
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task"
	"github.com/hessrnn/hessrnn/rules"
)

// Env holds what runs in one process share: the loaded MNIST data (read
// once per directory) and the experiment name recorded in results. It is
// safe for concurrent use.
type Env struct {
	// Experiment is recorded in every result.
	Experiment string
	// Weights, when not empty, is a directory that receives the network's
	// parameters at every checkpoint as NumPy-readable NPZ files,
	// Weights/<run ID>/iter-NNNNNN.npz (written atomically).
	Weights string
	// FinalWeights, when not empty, is a directory that receives the final
	// parameters of every finished run as FinalWeights/<run ID>.npz
	// (written atomically; the dynamics experiment reads them back).
	FinalWeights string
	// DataCache is the file that caches the SHA-256 of data files
	// (task.IdentifyMNIST); "" hashes the files on every run.
	DataCache string

	// states, when set, makes the runs it names save their training state
	// or continue from a shorter run's (successive halving; continued.go).
	states *stateStore

	once sync.Once
	data *dataCache
}

// dataCache holds the loaded MNIST data by directory; Envs derived from one
// (the selection runs of an experiment) share it.
type dataCache struct {
	mu    sync.Mutex
	mnist map[string]*task.MNISTData
	ids   map[string]task.DataIdentity
}

// Identify returns the identity of the data directory dir (resolved by
// task.ResolveDataDir from a seqmnist.data setting), computed once per
// directory.
func (e *Env) Identify(explicit string) (task.DataIdentity, error) {
	dir, err := task.ResolveDataDir(explicit)
	if err != nil {
		return task.DataIdentity{}, err
	}
	c := e.cache()
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.ids[dir]; ok {
		return id, nil
	}
	id, err := task.IdentifyMNIST(dir, e.DataCache)
	if err != nil {
		return id, err
	}
	if c.ids == nil {
		c.ids = map[string]task.DataIdentity{}
	}
	c.ids[dir] = id
	return id, nil
}

// checkData records the identity of a seqmnist run's data in res and
// checks it against the run's configuration: the data set asked for and,
// when the command filled them in, the digest and image size the run ID
// was computed from.
func (e *Env) checkData(run config.Run, res *results.Result) error {
	id, err := e.Identify(run.SeqMNIST.Data)
	if err != nil {
		return err
	}
	res.Data = &id
	if err := task.CheckDataset(id, run.SeqMNIST.Dataset); err != nil {
		return err
	}
	s := run.SeqMNIST
	if s.DataSHA256 != "" && s.DataSHA256 != id.Digest() {
		return fmt.Errorf("the data in %s changed since the run was planned (sha256 %s, planned %s); run the command again", id.Dir, id.Digest()[:12], s.DataSHA256[:min(12, len(s.DataSHA256))])
	}
	if s.ImageRows != 0 && (s.ImageRows != id.Rows || s.ImageCols != id.Cols) {
		return fmt.Errorf("the images in %s are %d×%d, the run was planned for %d×%d", id.Dir, id.Rows, id.Cols, s.ImageRows, s.ImageCols)
	}
	return nil
}

// cache returns e's data cache, creating it on first use.
func (e *Env) cache() *dataCache {
	e.once.Do(func() {
		if e.data == nil {
			e.data = &dataCache{}
		}
	})
	return e.data
}

func (e *Env) loadMNIST(explicit string) (*task.MNISTData, error) {
	dir, err := task.ResolveDataDir(explicit)
	if err != nil {
		return nil, err
	}
	c := e.cache()
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.mnist[dir]; ok {
		return d, nil
	}
	d, err := task.LoadMNIST(dir)
	if err != nil {
		return nil, err
	}
	if c.mnist == nil {
		c.mnist = map[string]*task.MNISTData{}
	}
	c.mnist[dir] = d
	return d, nil
}

// derive returns an independent seed for stream s of a run seed
// (splitmix64 finaliser of the pair).
func derive(seed, s uint64) uint64 {
	z := seed*0x9e3779b97f4a7c15 + s*0xbf58476d1ce4e5b9 + 0x94d049bb133111eb
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Seed streams derived from the run seed.
const (
	streamFeedback = 1
	streamHessian  = 2
	streamTopK     = 3
	streamFlatness = 4
	// streamFinalBatches seeds the start vectors of the extra final
	// Hessian batches (finalLambda).
	streamFinalBatches = 5
)

// Train runs one training run and returns its result. It returns nil when
// ctx is cancelled before the run completes. rec (may be nil) observes each
// iteration. The result is a pure function of run: wall-clock times are the
// only fields that differ between repetitions.
func (e *Env) Train(ctx context.Context, run config.Run, rec progress.Recorder) *results.Result {
	run = run.Resolve()
	if rec == nil {
		rec = progress.Discard
	}
	res := results.New(run, e.Experiment, kernels.Active().String())
	if err := run.Validate(); err != nil {
		res.Status = results.Status{State: results.Failed, Reason: config.OneLine(err)}
		return res
	}
	var ok bool
	if run.Model.Precision == "float32" {
		ok = train[float32](ctx, e, run, rec, res)
	} else {
		ok = train[float64](ctx, e, run, rec, res)
	}
	if !ok {
		return nil
	}
	return res
}

// makeTask builds the run's task in precision T.
func makeTask[T kernels.Float](e *Env, run config.Run) (task.Task[T], error) {
	switch run.Task {
	case config.PatternGen:
		p := run.PatternGen
		return task.NewPattern[T](task.PatternConfig{N: run.Model.N, In: p.NIn, Steps: p.Steps, InputStd: p.InputStd,
			InputSeed: p.TaskSeed, NoiseMin: p.SigmaMin, NoiseMax: p.SigmaMax, NoiseDraws: p.TestDraws}, run.Seed)
	case config.DMS:
		d := run.DMS
		return task.NewDMS[T](task.DMSConfig{NALIF: d.NALIF, NPlain: run.Model.N - d.NALIF, Beta: d.Beta, TauA: d.TauA,
			CueSteps: d.CueSteps, Delay: d.Delay, TrainDelayMin: d.MinDelay, TestDelayMin: d.Delay, TestDelayMax: d.MaxDelay}, run.Seed)
	case config.SeqMNIST:
		data, err := e.loadMNIST(run.SeqMNIST.Data)
		if err != nil {
			return nil, err
		}
		s := run.SeqMNIST
		return task.NewSeqMNIST[T](data, task.SeqMNISTConfig{Pixelwise: s.PixelByPixel, N: run.Model.N, BatchSize: run.Train.BatchSize,
			ValidationFraction: s.ValidationFraction, TestFraction: s.TestFraction, TestNoiseStd: s.TestNoise, HessianBatchSize: s.HessianBatch}, run.Seed)
	}
	return nil, fmt.Errorf("unknown task %q", run.Task)
}

// netConfig returns the network configuration of the run for a task shape.
func netConfig(run config.Run, sh task.Shape, loss rnn.Loss) rnn.Config {
	c := rnn.Config{In: sh.In, N: run.Model.N, Out: sh.Out, Leak: run.Model.Leak, Init: run.Model.Scheme(),
		Seed: run.Seed, Loss: loss, L2: run.Model.L2}
	if sh.Beta != nil {
		c.Beta = append([]float64(nil), sh.Beta...)
		c.TauA = run.DMS.TauA
	}
	return c
}

func ruleSettings(run config.Run) (rules.Settings, error) {
	k, err := config.ParseRule(run.Rule)
	if err != nil {
		return rules.Settings{}, err
	}
	fb, err := rules.ParseFeedbackDist(run.Train.Feedback)
	if err != nil {
		return rules.Settings{}, err
	}
	s := rules.Settings{Kind: k, Window: run.Train.TruncK, Feedback: fb, FeedbackSeed: derive(run.Seed, streamFeedback)}
	if k == rules.MatchedBPTT && run.Train.AlphaMode == "constant" {
		s.MatchedAlpha = run.Train.Alpha
	}
	return s, nil
}

// predictor computes readouts with a network for task evaluation, by the
// forward pass without the trajectory (rnn.Network.Infer: bitwise the
// readouts of Forward, in O(B·N) memory).
type predictor[T kernels.Float] struct {
	net *rnn.Network[T]
	inf rnn.Inference[T]
}

func (p *predictor[T]) Outputs(b *rnn.Batch[T], y []T) error {
	_, err := p.net.Infer(&p.inf, b, y)
	return err
}

// diverged reports whether err is a divergence of the network or a rule.
func diverged(err error) bool {
	var d *rnn.ErrDiverged
	return errors.As(err, &d) || errors.Is(err, eig.ErrNotFinite)
}

// wrecBlock returns the W_rec range of a layout.
func wrecBlock(l rnn.Layout) rnn.Range { return l.Blocks[rnn.WRec] }

func train[T kernels.Float](ctx context.Context, e *Env, run config.Run, rec progress.Recorder, res *results.Result) bool {
	start, cpu := time.Now(), processCPUSeconds()
	defer func() {
		res.WallSeconds = time.Since(start).Seconds()
		if c := processCPUSeconds(); c > 0 {
			res.CPUSeconds = c - cpu
		}
	}()
	fail := func(err error) bool {
		res.Status = results.Status{State: results.Failed, Reason: config.OneLine(err)}
		return true
	}
	if run.Task == config.SeqMNIST {
		if err := e.checkData(run, res); err != nil {
			return fail(err)
		}
	}
	tk, err := makeTask[T](e, run)
	if err != nil {
		return fail(err)
	}
	// The float64 task for curvature: the training task itself when it is
	// float64 (curvature reads only its Hessian batches, which are drawn
	// afresh from the seed and checkpoint; the MNIST images are shared
	// either way, never copied).
	tk64, ok := any(tk).(task.Task[float64])
	if !ok {
		if tk64, err = makeTask[float64](e, run); err != nil {
			return fail(err)
		}
	}
	res.Metric = tk.Metric().String()
	cfg := netConfig(run, tk.Shape(), tk.Loss())
	net, err := rnn.New[T](cfg)
	if err != nil {
		return fail(err)
	}
	if sc := run.Model.RecScale; sc != 1 {
		w := net.Block(rnn.WRec)
		for i := range w {
			w[i] *= T(sc)
		}
	}
	rs, err := ruleSettings(run)
	if err != nil {
		return fail(err)
	}
	rule, err := rules.New[T](rs, cfg)
	if err != nil {
		return fail(err)
	}
	exact, err := rules.New[T](rules.Settings{Kind: rules.BPTT}, cfg)
	if err != nil {
		return fail(err)
	}
	okind, err := rules.ParseOptimizerKind(run.Train.Optimizer)
	if err != nil {
		return fail(err)
	}
	opt, err := rules.NewOptimizer[T](rules.OptimizerSettings{Kind: okind, Momentum: run.Train.Momentum, Beta1: run.Train.Beta1,
		Beta2: run.Train.Beta2, Eps: run.Train.Eps, ClipNorm: run.Train.ClipNorm}, net.NumParams())
	if err != nil {
		return fail(err)
	}
	skind, err := rules.ParseScheduleKind(run.Train.Schedule)
	if err != nil {
		return fail(err)
	}
	sched := rules.Schedule{Kind: skind, LR: run.Train.LR, Factor: run.Train.DecayFactor, Every: run.Train.DecayEvery, Total: run.Train.Iterations}
	if err := sched.Validate(); err != nil {
		return fail(err)
	}

	iters, every := run.Train.Iterations, run.Hessian.Every
	dir := make([]T, net.NumParams())
	grad := make([]T, net.NumParams())
	pred := &predictor[T]{net: net}
	ck := 0 // checkpoint counter, for Hessian batches and seeds
	scoreOnly := run.Train.ScoreOnly
	testEvery := run.Train.TestAt != config.TestAtEnd
	var warm *mat.Dense // the previous checkpoint's eigenvector(s), for warm starts
	var alphas []float64
	divergeAt := func(it int, reason string) bool {
		res.Status = results.Status{State: results.Diverged, Step: it, Reason: reason}
		res.Final.Iterations = it
		return true
	}
	first := 0           // the first iteration: 0, or where a continued run's saved state stands
	var last *trainState // the state before the latest checkpoint, for a run that saves it
	if st, from, err := e.states.load(run, res.ID); err != nil {
		return fail(err)
	} else if st != nil {
		if warm, err = restoreState(st, net, opt); err != nil {
			return fail(fmt.Errorf("continuing %s: %w", from, err))
		}
		first, ck, alphas = st.Iteration, st.Checkpoint, st.Alphas
		res.Trajectory, res.TestCurve, res.ContinuedFrom = st.Trajectory, st.TestCurve, from
	}
	for it := first; ; it++ {
		if ctx.Err() != nil {
			return false
		}
		if e.states.saves(res.ID) && (it%every == 0 || it == iters) {
			last = takeState(it, net, opt, ck, warm, res, alphas)
		}
		var cp *results.Checkpoint
		var vecs *mat.Dense
		// Early stopping at a test metric is checked on its own grid
		// (train.stop_every), independent of the Hessian checkpoints; a
		// grid point that reaches the target becomes the last checkpoint.
		onGrid := run.Train.StopEvery > 0 && it > 0 && it%run.Train.StopEvery == 0 && it != iters
		reached := false
		if onGrid && it%every != 0 {
			// The test set only, as Generalization scores it.
			tests := tk.Tests()
			if len(tests) == 0 {
				return fail(fmt.Errorf("task %s has no test set", tk.Name()))
			}
			sc, err := task.Evaluate[T](pred, tests[0], tk.Loss(), tk.Metric())
			if err != nil {
				if diverged(err) {
					return divergeAt(it, err.Error())
				}
				return fail(err)
			}
			res.TestCurve = append(res.TestCurve, results.TestPoint{Iteration: it, TestMetric: results.Num(sc.Metric)})
			reached = stopEarly(run, tk.Metric(), sc.Metric)
		}
		// A score-only run (train.score_only) has one checkpoint, the last,
		// without curvature.
		if (it%every == 0 && !scoreOnly) || it == iters || reached {
			// The test set is scored where it is needed before the
			// curvature, as before test_at existed; a plateau found at
			// this checkpoint is scored after it (below).
			atEnd := it == iters || reached
			evalHere := atEnd || ck%max(1, run.Train.EvalEvery) == 0
			what := measure{train: evalHere, test: atEnd || (onGrid && it%every == 0) || (testEvery && evalHere), curvature: !scoreOnly}
			c, err := checkpoint(run, tk, tk64, net, pred, it, ck, sched.Rate(min(it, iters-1)), start, warm, what)
			if err != nil {
				if diverged(err) {
					return divergeAt(it, err.Error())
				}
				return fail(err)
			}
			ck++
			warm = c.warm
			if e.Weights != "" {
				if err := saveWeights(e.Weights, res.ID, it, net); err != nil {
					return fail(err)
				}
			}
			res.Trajectory = append(res.Trajectory, c.Checkpoint)
			cp, vecs = &res.Trajectory[len(res.Trajectory)-1], c.vectors
			if onGrid && it%every == 0 {
				res.TestCurve = append(res.TestCurve, results.TestPoint{Iteration: it, TestMetric: c.TestMetric})
				reached = stopEarly(run, tk.Metric(), float64(c.TestMetric))
			}
			plateau := plateaued(run, res.Trajectory)
			if plateau && !what.test {
				if err := scoreTest(tk, pred, cp); err != nil {
					if diverged(err) {
						return divergeAt(it, err.Error())
					}
					return fail(err)
				}
			}
			if it == iters || reached || plateau {
				res.Final.Iterations, res.Final.Plateaued = it, plateau
				break
			}
		}
		b, err := tk.TrainBatch(it)
		if err != nil {
			return fail(err)
		}
		loss, err := rule.Direction(net, b, dir)
		if err != nil {
			if diverged(err) {
				return divergeAt(it, err.Error())
			}
			return fail(err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) || loss > run.Train.DivergeLoss {
			return divergeAt(it, fmt.Sprintf("training loss %g exceeds train.diverge_loss %g", loss, run.Train.DivergeLoss))
		}
		if cp != nil && run.Kind() != rules.BPTT {
			if _, err := exact.Direction(net, b, grad); err != nil {
				if diverged(err) {
					return divergeAt(it, err.Error())
				}
				return fail(err)
			}
			wr := wrecBlock(net.Layout)
			ghat, g := dir[wr.Off:wr.Off+wr.Len], grad[wr.Off:wr.Off+wr.Len]
			a := rules.Align(ghat, g)
			cp.Alpha, cp.Cos, cp.EpsRatio = results.Num(a.Alpha), results.Num(a.Cos), results.Num(a.EpsRel)
			alphas = append(alphas, a.Alpha)
			if vecs != nil {
				eps := make([]float64, len(g))
				gg := make([]float64, len(g))
				for i := range g {
					gg[i] = float64(g[i])
					eps[i] = float64(ghat[i]) - a.Alpha*float64(g[i])
				}
				k := run.Hessian.AlignK
				if ae, err := eig.Alignment(vecs, min(k, vecs.RawMatrix().Cols), eps); err == nil {
					cp.AlignEps = results.Num(ae)
				}
				if ag, err := eig.Alignment(vecs, min(k, vecs.RawMatrix().Cols), gg); err == nil {
					cp.AlignG = results.Num(ag)
				}
			}
		}
		opt.Step(net.Params, dir, sched.Rate(it))
		rec.Step(it+1, loss)
	}
	res.Status = results.Status{State: results.Finished}
	if last != nil {
		if err := e.states.write(res.ID, last); err != nil {
			return fail(err)
		}
	}
	end := res.Trajectory[len(res.Trajectory)-1]
	res.Final.Loss, res.Final.TrainMetric, res.Final.TestMetric, res.Final.Gap = end.Loss, end.TrainMetric, end.TestMetric, end.Gap
	if scoreOnly {
		res.Status.Reason = ScoreOnlyNote
		if err := validationLoss(tk, pred, res); err != nil {
			return fail(err)
		}
		return true
	}
	if err := scoreExtraTests(tk, pred, res); err != nil {
		if diverged(err) {
			return divergeAt(res.Final.Iterations, err.Error())
		}
		return fail(err)
	}
	lb, err := finalLambda(run, tk64, net, ck-1, end.Lambda, warm)
	if err != nil {
		if diverged(err) {
			return divergeAt(res.Final.Iterations, err.Error())
		}
		return fail(err)
	}
	res.Final.LambdaBatches, res.Final.LambdaMax = lb, lb.Mean
	if err := validationLoss(tk, pred, res); err != nil {
		return fail(err)
	}
	if len(alphas) > 0 {
		s := 0.0
		for _, a := range alphas {
			s += a
		}
		res.Final.MeanAlpha = results.Num(s / float64(len(alphas)))
	}
	if g, err := gradNorm(tk64, net, ck-1); err == nil {
		res.Final.GradNorm = results.Num(g)
	} else if !diverged(err) {
		return fail(err)
	}
	if err := finalExtras(run, tk64, net, ck, res); err != nil {
		if diverged(err) {
			return divergeAt(res.Final.Iterations, err.Error())
		}
		return fail(err)
	}
	if e.FinalWeights != "" {
		if err := saveFinalWeights(e.FinalWeights, res.ID, net); err != nil {
			return fail(err)
		}
	}
	return true
}

// FinalWeightsFile is where Env.FinalWeights puts a run's final parameters.
func FinalWeightsFile(dir, id string) string { return filepath.Join(dir, id+".npz") }

// saveFinalWeights writes net's parameters to FinalWeightsFile(dir, id).
func saveFinalWeights[T kernels.Float](dir, id string, net *rnn.Network[T]) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("final weights: %w", err)
	}
	var buf bytes.Buffer
	if err := rnn.SaveNPZ(&buf, net); err != nil {
		return fmt.Errorf("final weights: %w", err)
	}
	if err := results.WriteFileAtomic(FinalWeightsFile(dir, id), buf.Bytes()); err != nil {
		return fmt.Errorf("final weights: %w", err)
	}
	return nil
}

// saveWeights writes net's parameters to dir/id/iter-NNNNNN.npz atomically.
func saveWeights[T kernels.Float](dir, id string, it int, net *rnn.Network[T]) error {
	d := filepath.Join(dir, id)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	var buf bytes.Buffer
	if err := rnn.SaveNPZ(&buf, net); err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	path := filepath.Join(d, fmt.Sprintf("iter-%06d.npz", it))
	if err := results.WriteFileAtomic(path, buf.Bytes()); err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	return nil
}

// stopEarly reports whether the test metric has reached run.Train.StopAtTest
// (checked on the train.stop_every grid after the first update).
func stopEarly(run config.Run, m task.Metric, test float64) bool {
	if run.Train.StopAtTest == 0 || math.IsNaN(test) {
		return false
	}
	if m.HigherIsBetter() {
		return test >= run.Train.StopAtTest
	}
	return test <= run.Train.StopAtTest
}

// plateaued reports whether a plateau-stopped run has reached its plateau
// at the last checkpoint of traj (spec §5.4): the training loss and λ_max
// of every checkpoint in the last PlateauWindow of the iterations are
// within PlateauTol (relative) of the current values. The window must
// reach back at least one checkpoint interval.
func plateaued(run config.Run, traj []results.Checkpoint) bool {
	if run.Train.Stop != config.StopPlateau || len(traj) < 2 {
		return false
	}
	now := traj[len(traj)-1]
	from := float64(now.Iteration) * (1 - run.Train.PlateauWindow)
	if from > float64(traj[len(traj)-2].Iteration) {
		return false // the window holds no earlier checkpoint yet
	}
	near := func(v, ref results.Num) bool {
		return finite(v) && finite(ref) && math.Abs(float64(v-ref)) <= run.Train.PlateauTol*math.Abs(float64(ref))
	}
	for _, c := range traj[:len(traj)-1] {
		if float64(c.Iteration) < from {
			continue
		}
		if !near(c.Loss, now.Loss) || !near(c.Lambda.Value, now.Lambda.Value) {
			return false
		}
	}
	return true
}

// validationLoss records the loss on the validation split of tasks that
// have one (seqMNIST): the learning-rate selection criterion there (spec
// §5.4). Other tasks leave it NaN.
func validationLoss[T kernels.Float](tk task.Task[T], pred *predictor[T], res *results.Result) error {
	res.Final.ValLoss = results.NaN()
	v, ok := tk.(interface{ Validation() task.Set[T] })
	if !ok {
		return nil
	}
	sc, err := task.Evaluate[T](pred, v.Validation(), tk.Loss(), tk.Metric())
	if err != nil {
		return err
	}
	res.Final.ValLoss = results.Num(sc.Loss)
	return nil
}

// checkpointState is a checkpoint with the top-k eigenvectors kept for the
// alignment diagnostics of the same iteration, and the eigenvector(s) the
// next checkpoint's solver starts from.
type checkpointState struct {
	results.Checkpoint
	vectors *mat.Dense
	warm    *mat.Dense
}

// measure says what a checkpoint computes: the training set's loss and
// metric, the test set (the gap; it needs the training metric) and the
// curvature (λ_max).
type measure struct {
	train, test, curvature bool
}

// ScoreOnlyNote is the status reason of a finished score-only run.
const ScoreOnlyNote = "score only (train.score_only, a fixed-budget selection run): no λ_max and no evaluation before the last iteration; training does not depend on them, so the final losses are those of the full run"

// checkpoint evaluates the metrics and the leading Hessian eigenvalue: the
// training set when what.train or what.test, the test set when what.test
// (what is not measured is NaN), λ_max when what.curvature (otherwise
// NaN). When hessian.warm_start > 0 and prev (the previous
// checkpoint's warm field) is not nil, the solver starts from
// eig.WarmStart(prev, …) instead of a random vector; the random component
// is drawn from the checkpoint's seed, so the result stays a function of
// the run's configuration and seed.
func checkpoint[T kernels.Float](run config.Run, tk task.Task[T], tk64 task.Task[float64], net *rnn.Network[T], pred *predictor[T], it, ck int, lr float64, start time.Time, prev *mat.Dense, what measure) (checkpointState, error) {
	c := checkpointState{Checkpoint: results.Checkpoint{Iteration: it, LR: results.Num(lr),
		Alpha: results.NaN(), Cos: results.NaN(), EpsRatio: results.NaN(), AlignEps: results.NaN(), AlignG: results.NaN(),
		TestMetric: results.NaN(), Gap: results.NaN()}}
	c.Loss, c.TrainMetric = results.NaN(), results.NaN()
	if what.train || what.test {
		tr, err := task.Evaluate[T](pred, tk.TrainEval(), tk.Loss(), tk.Metric())
		if err != nil {
			return c, err
		}
		c.Loss, c.TrainMetric = results.Num(tr.Loss), results.Num(tr.Metric)
	}
	if what.test {
		if err := scoreTest(tk, pred, &c.Checkpoint); err != nil {
			return c, err
		}
	}
	if !what.curvature {
		c.Lambda = results.Lambda{Value: results.NaN(), Residual: results.NaN()}
		c.WallSeconds = time.Since(start).Seconds()
		return c, nil
	}
	_, hvp, err := wrecHVP(tk64, net, ck)
	if err != nil {
		return c, err
	}
	op := hvp.Operator()
	seed := derive(run.Seed, streamHessian) + uint64(ck)
	h := run.Hessian
	var x0 []float64 // nil: a random start from seed
	if prev != nil && h.WarmStart > 0 {
		if x0, err = eig.WarmStart(prev, h.WarmStart, seed); err != nil {
			return c, err
		}
	}
	var r eig.Result
	switch {
	case h.AlignK > 0:
		k := min(h.AlignK, op.Dim())
		r, err = eig.Lanczos(op, k, eig.LanczosSettings{Which: eig.LargestMagnitude, Tol: h.Tol, Seed: seed, Start: x0, MaxApplies: max(h.MaxIter, 20*(2*k+32))})
		c.vectors = r.Vectors
	default:
		r, err = leadingEigen(op, h, h.Method == "power", seed, x0)
	}
	if err != nil {
		return c, err
	}
	c.Lambda = results.Lambda{Value: results.Num(r.Values[0]), Iterations: r.Applies, Residual: results.Num(r.Residuals[0]), Converged: r.Converged()}
	c.warm = r.Vectors
	c.WallSeconds = time.Since(start).Seconds()
	return c, nil
}

// scoreTest scores the task's test set (Tests()[0], the one that defines
// the gap, as task.Generalization does) into c, whose training metric is
// already set.
func scoreTest[T kernels.Float](tk task.Task[T], pred *predictor[T], c *results.Checkpoint) error {
	tests := tk.Tests()
	if len(tests) == 0 {
		return fmt.Errorf("task: %s has no test set", tk.Name())
	}
	sc, err := task.Evaluate[T](pred, tests[0], tk.Loss(), tk.Metric())
	if err != nil {
		return err
	}
	c.TestMetric = results.Num(sc.Metric)
	c.Gap = results.Num(tk.Metric().Gap(float64(c.TrainMetric), sc.Metric))
	return nil
}

// scoreExtraTests scores the final weights on the task's test sets after
// the first (seqMNIST: the clean test set) into res.Final.ExtraTests, whose
// TrainMetric is already set; a task with one test set records nothing.
func scoreExtraTests[T kernels.Float](tk task.Task[T], pred *predictor[T], res *results.Result) error {
	tests := tk.Tests()
	for _, set := range tests[min(1, len(tests)):] {
		sc, err := task.Evaluate[T](pred, set, tk.Loss(), tk.Metric())
		if err != nil {
			return fmt.Errorf("test set %s: %w", set.Name(), err)
		}
		res.Final.ExtraTests = append(res.Final.ExtraTests, results.SetScore{Set: set.Name(), Metric: results.Num(sc.Metric),
			Loss: results.Num(sc.Loss), Gap: results.Num(tk.Metric().Gap(float64(res.Final.TrainMetric), sc.Metric))})
	}
	return nil
}

// topSpectrum returns the h.TopK eigenvalues of op of largest magnitude,
// in descending order of |λ| (at most op.Dim()−1 of them): the spectrum
// that spec §4.3's subspace iteration converges to, and whose magnitudes
// the power law of Fig. 7 is fitted to (§4.4). The largest algebraic
// eigenvalues would miss negative eigenvalues of large magnitude.
func topSpectrum(op eig.Operator, h config.Hessian, seed uint64) (eig.Result, error) {
	k := min(h.TopK, op.Dim()-1)
	return eig.Lanczos(op, k, eig.LanczosSettings{Which: eig.LargestMagnitude, Tol: math.Max(h.Tol, 1e-8), Seed: seed})
}

// leadingEigen is the leading eigenpair of op by power iteration (power)
// or Lanczos with the run's tolerance and iteration limit, from x0 (nil: a
// random start from seed).
func leadingEigen(op eig.Operator, h config.Hessian, power bool, seed uint64, x0 []float64) (eig.Result, error) {
	if power {
		p, err := eig.Power(op, eig.PowerSettings{Tol: h.Tol, MaxIter: h.MaxIter, Seed: seed, Start: x0})
		return p.Result, err
	}
	return eig.Leading(op, eig.LanczosSettings{Tol: h.Tol, Seed: seed, Start: x0, MaxApplies: max(h.MaxIter, 64)})
}

// wrecHVP returns the float64 copy of net and its W_rec Hessian-vector
// product on the Hessian batch of checkpoint ck.
func wrecHVP[T kernels.Float](tk64 task.Task[float64], net *rnn.Network[T], ck int) (*rnn.Network[float64], *rnn.HVP[float64], error) {
	net64 := rnn.Convert[float64](net)
	hb, err := tk64.HessianBatch(ck)
	if err != nil {
		return nil, nil, err
	}
	hvp, err := rnn.NewHVP[float64](net64, hb, rnn.SetWRec, nil)
	if err != nil {
		return nil, nil, err
	}
	return net64, hvp, nil
}

// gradNorm returns ‖∇L‖, the norm of the exact gradient of the training
// loss over all parameters, of the float64 copy of net on the Hessian batch
// of checkpoint ck (the batch of that checkpoint's λ_max).
func gradNorm[T kernels.Float](tk64 task.Task[float64], net *rnn.Network[T], ck int) (float64, error) {
	net64 := rnn.Convert[float64](net)
	hb, err := tk64.HessianBatch(ck)
	if err != nil {
		return 0, err
	}
	var ws rnn.Workspace[float64]
	g := make([]float64, net64.NumParams())
	if _, err := net64.Gradient(&ws, hb, g); err != nil {
		return 0, err
	}
	return floats.Norm(g, 2), nil
}

// finalExtras computes the top-k spectrum with its power-law fit and the
// relative flatness at the final weights, when configured.
func finalExtras[T kernels.Float](run config.Run, tk64 task.Task[float64], net *rnn.Network[T], ck int, res *results.Result) error {
	h := run.Hessian
	if h.TopK == 0 && !h.Flatness {
		return nil
	}
	net64, hvp, err := wrecHVP(tk64, net, ck)
	if err != nil {
		return err
	}
	op := hvp.Operator()
	if h.TopK > 0 {
		r, err := topSpectrum(op, h, derive(run.Seed, streamTopK))
		if err != nil {
			return err
		}
		for _, v := range r.Values {
			res.Final.TopK = append(res.Final.TopK, results.Num(v))
		}
		if fit, err := eig.FitRank(r.Values); err == nil {
			res.Final.Gamma = results.Num(fit.Gamma)
		}
	}
	if h.Flatness {
		n := net64.Cfg.N
		w := mat.NewDense(n, n, append([]float64(nil), net64.Block(rnn.WRec)...))
		var est eig.Estimate
		if n <= 40 {
			est, err = eig.RelativeFlatness(op, w, nil)
		} else {
			est, err = eig.RelativeFlatnessHutchinson(op, w, eig.HutchinsonSettings{Probes: 200, Seed: derive(run.Seed, streamFlatness)})
		}
		if err != nil {
			return err
		}
		res.Final.Flatness = results.Num(est.Estimate)
	}
	return nil
}
