package experiment

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/mat"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rules"
)

// Continuation of runs (successive halving): a run at a lower iteration cap
// is the first part of the run with the same settings at a higher cap (at a
// constant rate, with plateau stopping looking back from the current
// iteration: TestRungIsPrefix), so the longer run can start where the
// shorter one stopped instead of from scratch. A run that saves its state
// keeps, in memory, its training state just before each checkpoint and
// writes the last one when it finishes (at its cap or its plateau); the
// longer run restores it and goes on from that iteration, recomputing that
// checkpoint. Its trajectory and final values are then those of a run from
// scratch (TestContinuedRunIsExact).

// trainState is a run's training state just before the checkpoint of
// iteration Iteration: the parameters and optimiser state after Iteration
// updates, the checkpoint counter, the eigen-solver's warm start and what
// the result holds so far.
type trainState struct {
	Iteration  int
	Params     []float64
	Opt        rules.OptimizerState
	Checkpoint int
	WarmRows   int
	WarmCols   int
	Warm       []float64
	Trajectory []results.Checkpoint
	TestCurve  []results.TestPoint
	Alphas     []float64
}

// stateStore says which runs save their final training state and which
// continue from another run's, and where the states are kept.
type stateStore struct {
	dir  string
	save map[string]bool       // run IDs that save their state
	from map[string]config.Run // run ID -> the shorter run it continues
}

func (s *stateStore) path(id string) string { return filepath.Join(s.dir, id+".state") }

// saves reports whether the run with this ID saves its state.
func (s *stateStore) saves(id string) bool { return s != nil && s.save[id] }

// takeState copies the training state before the checkpoint of iteration it.
func takeState[T kernels.Float](it int, net *rnn.Network[T], opt rules.Optimizer[T], ck int, warm *mat.Dense, res *results.Result, alphas []float64) *trainState {
	st := &trainState{Iteration: it, Params: make([]float64, len(net.Params)), Opt: opt.State(), Checkpoint: ck,
		Trajectory: append([]results.Checkpoint(nil), res.Trajectory...), TestCurve: append([]results.TestPoint(nil), res.TestCurve...),
		Alphas: append([]float64(nil), alphas...)}
	for i, p := range net.Params {
		st.Params[i] = float64(p)
	}
	if warm != nil {
		raw := warm.RawMatrix()
		st.WarmRows, st.WarmCols = raw.Rows, raw.Cols
		st.Warm = make([]float64, 0, raw.Rows*raw.Cols)
		for i := range raw.Rows {
			st.Warm = append(st.Warm, raw.Data[i*raw.Stride:i*raw.Stride+raw.Cols]...)
		}
	}
	return st
}

// write saves the state of the run with this ID.
func (s *stateStore) write(id string, st *trainState) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		return fmt.Errorf("training state of %s: %w", id, err)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("training state of %s: %w", id, err)
	}
	if err := results.WriteFileAtomic(s.path(id), buf.Bytes()); err != nil {
		return fmt.Errorf("training state of %s: %w", id, err)
	}
	return nil
}

// load returns the saved state run continues from and that run's ID, or
// nil when run continues from none or its state is not there (the run then
// starts from scratch). The shorter run must differ from run in its
// iteration cap only.
func (s *stateStore) load(run config.Run, id string) (*trainState, string, error) {
	if s == nil {
		return nil, "", nil
	}
	prev, ok := s.from[id]
	if !ok {
		return nil, "", nil
	}
	prev = prev.Resolve()
	same := prev
	same.Train.Iterations = run.Train.Iterations
	if same.Hash() != run.Hash() || prev.Train.Iterations > run.Train.Iterations {
		return nil, "", fmt.Errorf("run %s cannot continue %s: the settings differ in more than a lower iteration cap", id, prev.ID())
	}
	b, err := os.ReadFile(s.path(prev.ID()))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	var st trainState
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&st); err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.path(prev.ID()), err)
	}
	if st.Iteration > run.Train.Iterations || st.Iteration < 0 {
		return nil, "", fmt.Errorf("%s: state at iteration %d, outside [0, %d]", s.path(prev.ID()), st.Iteration, run.Train.Iterations)
	}
	return &st, prev.ID(), nil
}

// restoreState puts a saved state into the network and the optimiser and
// returns the eigen-solver's warm start.
func restoreState[T kernels.Float](st *trainState, net *rnn.Network[T], opt rules.Optimizer[T]) (*mat.Dense, error) {
	if len(st.Params) != len(net.Params) {
		return nil, fmt.Errorf("saved state has %d parameters, the network %d", len(st.Params), len(net.Params))
	}
	if err := opt.SetState(st.Opt); err != nil {
		return nil, err
	}
	for i, p := range st.Params {
		net.Params[i] = T(p)
	}
	if st.Warm == nil {
		return nil, nil
	}
	if len(st.Warm) != st.WarmRows*st.WarmCols || st.WarmRows == 0 {
		return nil, fmt.Errorf("saved warm start %d×%d holds %d values", st.WarmRows, st.WarmCols, len(st.Warm))
	}
	return mat.NewDense(st.WarmRows, st.WarmCols, append([]float64(nil), st.Warm...)), nil
}
