package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/rnn/task"
)

// Schema is the version of the result file format.
const Schema = 1

// Num is a float64 that survives JSON: NaN encodes as null and ±Inf as the
// strings "Inf" and "-Inf"; null decodes as NaN.
type Num float64

// NaN returns a Num holding NaN, the value for "not measured".
func NaN() Num { return Num(math.NaN()) }

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return []byte("null"), nil
	case math.IsInf(f, 1):
		return []byte(`"Inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Num) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*n = Num(math.NaN())
		return nil
	case `"Inf"`:
		*n = Num(math.Inf(1))
		return nil
	case `"-Inf"`:
		*n = Num(math.Inf(-1))
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("results: bad number %s", b)
	}
	*n = Num(f)
	return nil
}

// State is the outcome of a run.
type State string

// The run states. Finished and Diverged are final: a resumed sweep skips
// them. Failed runs (an error that is not a property of the run, e.g.
// missing data) are run again.
const (
	Finished State = "finished"
	Diverged State = "diverged"
	Failed   State = "failed"
)

// Status is a run's state with its details.
type Status struct {
	State State `json:"state"`
	// Step is the iteration at which the run diverged.
	Step int `json:"step,omitempty"`
	// Reason explains a divergence or holds the error of a failed run.
	Reason string `json:"reason,omitempty"`
}

// Final reports whether a resumed sweep may skip a run with this status.
func (s Status) Final() bool { return s.State == Finished || s.State == Diverged }

// Versions records the software that produced a result.
type Versions struct {
	Module   string `json:"module"`
	Revision string `json:"revision,omitempty"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
}

// CurrentVersions returns the versions of this binary.
func CurrentVersions() Versions {
	v := Versions{Module: "(devel)", Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v.Module = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Revision = s.Value
			}
		}
	}
	return v
}

// Lambda is one leading-eigenvalue estimate of the W_rec Hessian.
type Lambda struct {
	// Value is the signed leading eigenvalue (Rayleigh quotient).
	Value Num `json:"value" csv:"max"`
	// Iterations is the number of solver iterations (Hessian-vector products).
	Iterations int `json:"iterations"`
	// Residual is ‖Hv − λv‖.
	Residual Num `json:"residual"`
	// Converged reports whether the solver met its tolerance.
	Converged bool `json:"converged"`
}

// Checkpoint is one row of a run's trajectory.
type Checkpoint struct {
	Iteration int `json:"iteration"`
	// LR is the learning rate in force.
	LR Num `json:"lr"`
	// Loss is the task's data loss on the training set at this iteration,
	// without the L2 term.
	Loss Num `json:"loss"`
	// TrainMetric and TestMetric are accuracy (seqmnist, dms) or MSE (patterngen).
	TrainMetric Num `json:"train_metric"`
	TestMetric  Num `json:"test_metric"`
	// Gap is the generalisation gap as the task defines it.
	Gap Num `json:"gap"`
	// Lambda is the leading Hessian eigenvalue.
	Lambda Lambda `json:"lambda_max" csv:"lambda"`
	// Alpha, Cos and EpsRatio are the Eq. 6 diagnostics of the rule's update
	// against the exact gradient: α = ⟨ĝ,g⟩/‖g‖², cos∠(ĝ,g) and ‖ε‖/‖g‖.
	// They are NaN for BPTT.
	Alpha    Num `json:"alpha"`
	Cos      Num `json:"cos"`
	EpsRatio Num `json:"eps_ratio"`
	// AlignEps and AlignG are the energy fractions of ε and g in the top-k
	// Hessian eigenspace (Fig. 10); NaN when not measured.
	AlignEps Num `json:"align_eps"`
	AlignG   Num `json:"align_g"`
	// WallSeconds is the time since the start of the run.
	WallSeconds float64 `json:"wall_seconds"`
}

// Final holds the metrics at the end of training. Every field is a column
// of the CSV export ("final_" and its JSON name); a Num field absent from a
// result file reads as NaN (not measured), so files written before a field
// existed stay readable.
type Final struct {
	// Iterations is the iteration at which training stopped.
	Iterations int `json:"iterations"`
	// Plateaued reports that a plateau-stopped run (train.stop = plateau)
	// stopped on its plateau rather than at the iteration cap.
	Plateaued bool `json:"plateaued,omitempty"`
	// ValLoss is the loss on the validation split (seqMNIST; NaN
	// elsewhere), the learning-rate selection criterion there.
	ValLoss     Num `json:"val_loss"`
	Loss        Num `json:"loss"`
	TrainMetric Num `json:"train_metric"`
	TestMetric  Num `json:"test_metric"`
	// Gap is the generalisation gap (train − test accuracy, or test − train MSE).
	Gap       Num `json:"gap"`
	LambdaMax Num `json:"lambda_max"`
	// Gamma is the power-law decay coefficient of the top-k spectrum (Fig. 7).
	Gamma Num `json:"gamma"`
	// TopK holds the top-k eigenvalues (largest magnitude first), when computed.
	TopK []Num `json:"top_k,omitempty" csv:"-"`
	// Flatness is the relative flatness κ of W_rec (Fig. 8).
	Flatness Num `json:"flatness"`
	// MeanAlpha is the mean α over the checkpoints (NaN for BPTT).
	MeanAlpha Num `json:"mean_alpha"`
	// GradNorm is ‖∇L‖, the Euclidean norm of the exact gradient of the
	// training loss (with its L2 term) over all parameters at the final
	// weights, on the batch of the final checkpoint's λ_max.
	GradNorm Num `json:"grad_norm"`
	// LambdaBatches is λ_max at the final weights over independent Hessian
	// batches; LambdaMax is its mean. Nil for runs that did not finish.
	LambdaBatches *LambdaBatches `json:"lambda_batches,omitempty"`
	// ExtraTests scores the final weights on the task's test sets after the
	// first (Task.Tests()[1:], in that order; seqMNIST: "test-clean", the
	// test images without noise). TestMetric and Gap stay those of the
	// first set, which defines the paper's gap. Empty (absent from the
	// file) for tasks with one test set, for runs that did not finish and
	// for score-only runs. The CSV export has a column per set and field
	// (ExtraTestColumns).
	ExtraTests []SetScore `json:"extra_tests,omitempty" csv:"-"`
}

// SetScore is the score of the final weights on one named evaluation set.
type SetScore struct {
	// Set is the set's name (task.Set.Name()), e.g. "test-clean".
	Set string `json:"set"`
	// Metric and Loss are as task.Score's: the task metric and the data
	// loss (no L2 term) over the whole set.
	Metric Num `json:"metric"`
	Loss   Num `json:"loss"`
	// Gap is the generalisation gap of the final weights measured on this
	// set instead of the first test set (task.Metric.Gap of TrainMetric and
	// Metric).
	Gap Num `json:"gap"`
}

// ExtraTest returns the score on the extra test set named set and whether
// the run has one.
func (f Final) ExtraTest(set string) (SetScore, bool) {
	for _, s := range f.ExtraTests {
		if s.Set == set {
			return s, true
		}
	}
	return SetScore{}, false
}

// LambdaBatches is the final λ_max measured on several independent Hessian
// batches (hessian.final_batches; issue 13), because one batch of a
// minibatch task is a noisy estimate. The trajectory stays single-batch.
type LambdaBatches struct {
	// Values holds λ_max on each batch; Values[0] is the final
	// checkpoint's.
	Values []Num `json:"values"`
	// Mean is the mean of Values and SE its standard error, sd/√n with the
	// n−1 standard deviation (0 when n = 1).
	Mean Num `json:"mean"`
	SE   Num `json:"se"`
	// NBatches is len(Values).
	NBatches int `json:"n_batches"`
	// Note explains an NBatches below hessian.final_batches, e.g. a
	// full-batch task whose every Hessian batch is the same data.
	Note string `json:"note,omitempty"`
}

// TestPoint is the test metric at one iteration of the early-stopping grid
// (config Train.StopEvery).
type TestPoint struct {
	Iteration  int `json:"iteration"`
	TestMetric Num `json:"test_metric"`
}

// Result is everything recorded about one run.
type Result struct {
	Schema int    `json:"schema"`
	ID     string `json:"id"`
	// Experiment names the experiment the run belongs to (e.g. "fig3"):
	// the one that computed it.
	Experiment string `json:"experiment,omitempty"`
	// AlsoIn names the later experiments that reused the run (same
	// configuration) instead of computing it again, so that a report of
	// one of them finds it (see BelongsTo).
	AlsoIn   []string   `json:"also_in,omitempty"`
	Label    string     `json:"label"`
	Config   config.Run `json:"config"`
	Seed     uint64     `json:"seed"`
	Versions Versions   `json:"versions"`
	// SIMD is the active kernel level (kernels.Active()). Float64 results
	// agree across levels to about 1e-10; float32 training trajectories
	// differ (README, "Reproducibility across SIMD levels").
	SIMD string `json:"simd"`
	// Data is where a seqmnist run's data came from: the directory, the
	// data set recognised by the files' SHA-256 and the hashes.
	Data *task.DataIdentity `json:"data,omitempty"`
	// Metric names the metric: "accuracy" or "mse".
	Metric     string       `json:"metric"`
	Status     Status       `json:"status"`
	Trajectory []Checkpoint `json:"trajectory"`
	// TestCurve is the test metric on the early-stopping grid, for runs
	// that stop at a test metric (config Train.StopAtTest); empty otherwise.
	TestCurve []TestPoint `json:"test_curve,omitempty"`
	Final     Final       `json:"final"`
	// WallSeconds is the run's total time.
	WallSeconds float64 `json:"wall_seconds"`
	// CPUSeconds is the process's CPU time (user + system) over the run:
	// the run's own CPU time when it ran alone (--jobs 1), the share of
	// every concurrent run otherwise; 0 where it is not measured.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// ContinuedFrom is the ID of the shorter run (same settings, a lower
	// iteration cap) whose saved training state this run continued from
	// (successive halving's later rungs); the run's trajectory and final
	// values are those of a run from scratch, but WallSeconds and
	// CPUSeconds count the continuation only. Empty for a run from scratch.
	ContinuedFrom string `json:"continued_from,omitempty"`
}

// New returns a Result for run with its identity and versions filled in.
func New(run config.Run, experiment, simd string) *Result {
	run = run.Resolve()
	return &Result{
		Schema:     Schema,
		ID:         run.ID(),
		Experiment: experiment,
		Label:      run.Label().String(),
		Config:     run,
		Seed:       run.Seed,
		Versions:   CurrentVersions(),
		SIMD:       simd,
		Final:      unmeasured(),
	}
}

// unmeasured returns a Final whose Num fields are all NaN.
func unmeasured() Final {
	var f Final
	v := reflect.ValueOf(&f).Elem()
	nan := reflect.ValueOf(NaN())
	for i := range v.NumField() {
		if v.Field(i).Type() == nan.Type() {
			v.Field(i).Set(nan)
		}
	}
	return f
}

// UnmarshalJSON implements json.Unmarshaler: fields absent from b are NaN
// (Num) or zero, and unknown fields are an error, as for the whole result.
func (f *Final) UnmarshalJSON(b []byte) error {
	type plain Final // without the method
	p := plain(unmeasured())
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*f = Final(p)
	return nil
}

// BelongsTo reports whether the run belongs to the named experiment: it
// computed the run or reused it (AlsoIn).
func (r *Result) BelongsTo(experiment string) bool {
	if r.Experiment == experiment {
		return true
	}
	for _, e := range r.AlsoIn {
		if e == experiment {
			return true
		}
	}
	return false
}

// Experiments returns the experiments the run belongs to: Experiment, then
// AlsoIn.
func (r *Result) Experiments() []string {
	return append([]string{r.Experiment}, r.AlsoIn...)
}

// Marshal encodes r as indented JSON.
func (r *Result) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// SameOutcome reports whether a and b record the same computation: equal
// in everything except wall-clock times, software versions and AlsoIn. The e2e test
// uses it to compare a resumed sweep with an uninterrupted one.
func SameOutcome(a, b *Result) bool {
	ca, cb := *a, *b
	ca.WallSeconds, cb.WallSeconds = 0, 0
	ca.CPUSeconds, cb.CPUSeconds = 0, 0
	ca.Versions, cb.Versions = Versions{}, Versions{}
	ca.AlsoIn, cb.AlsoIn = nil, nil // bookkeeping of reuse, not the computation
	ca.Config.SeqMNIST.Data, cb.Config.SeqMNIST.Data = "", ""
	// The same data in another directory is the same computation.
	if (a.Data == nil) != (b.Data == nil) || a.Data != nil && a.Data.Digest() != b.Data.Digest() {
		return false
	}
	ca.Data, cb.Data = nil, nil
	ca.Trajectory = stripWall(a.Trajectory)
	cb.Trajectory = stripWall(b.Trajectory)
	ja, err1 := json.Marshal(ca)
	jb, err2 := json.Marshal(cb)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

func stripWall(cs []Checkpoint) []Checkpoint {
	out := make([]Checkpoint, len(cs))
	for i, c := range cs {
		c.WallSeconds = 0
		out[i] = c
	}
	return out
}
