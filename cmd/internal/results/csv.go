package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
)

// CSVHeader is the header of the tidy CSV export: identification and
// status, the checkpoint's values, the final values, then every setting of
// the run as "config.<key>" (the keys of "hessrnn run --list-keys"), so that
// any swept setting can be grouped on.
var CSVHeader = append([]string{
	"run_id", "experiment", "task", "rule", "label", "seed", "optimizer", "lr0", "schedule", "n",
	"status", "diverged_step", "metric",
	"iteration", "lr", "loss", "train_metric", "test_metric", "gap",
	"lambda_max", "lambda_iterations", "lambda_residual", "lambda_converged",
	"alpha", "cos", "eps_ratio", "align_eps", "align_g", "wall_seconds",
	"final_gap", "final_lambda_max", "final_test_metric",
}, configColumns()...)

func configColumns() []string {
	var out []string
	for _, f := range config.Fields() {
		out = append(out, "config."+f)
	}
	return out
}

// configCells formats every setting of c in the order of config.Fields.
func configCells(c config.Run) []string {
	var out []string
	for _, f := range config.Fields() {
		v, err := c.Get(f)
		cell := ""
		if err == nil {
			switch x := v.(type) {
			case float64:
				cell = fnum(x)
			default:
				cell = fmt.Sprint(x)
			}
		}
		out = append(out, cell)
	}
	return out
}

// WriteCSV writes one row per run and checkpoint (a run without
// checkpoints gets one row with empty per-checkpoint columns). Missing
// values (NaN) are empty cells, which pandas and R read as NA.
func WriteCSV(w io.Writer, runs []*Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, r := range runs {
		c := r.Config
		div := ""
		if r.Status.State == Diverged {
			div = strconv.Itoa(r.Status.Step)
		}
		head := []string{
			r.ID, r.Experiment, c.Task, c.Rule, r.Label, strconv.FormatUint(r.Seed, 10), c.Train.Optimizer,
			fnum(c.Train.LR), c.Train.Schedule, strconv.Itoa(c.Model.N),
			string(r.Status.State), div, r.Metric,
		}
		tail := append([]string{num(r.Final.Gap), num(r.Final.LambdaMax), num(r.Final.TestMetric)}, configCells(c)...)
		rows := r.Trajectory
		if len(rows) == 0 {
			row := append(append([]string{}, head...), make([]string, 16)...)
			if err := cw.Write(append(row, tail...)); err != nil {
				return err
			}
			continue
		}
		for _, cp := range rows {
			row := append([]string{}, head...)
			row = append(row,
				strconv.Itoa(cp.Iteration), num(cp.LR), num(cp.Loss), num(cp.TrainMetric), num(cp.TestMetric), num(cp.Gap),
				num(cp.Lambda.Value), strconv.Itoa(cp.Lambda.Iterations), num(cp.Lambda.Residual), strconv.FormatBool(cp.Lambda.Converged),
				num(cp.Alpha), num(cp.Cos), num(cp.EpsRatio), num(cp.AlignEps), num(cp.AlignG), fnum(cp.WallSeconds),
			)
			if err := cw.Write(append(row, tail...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func num(n Num) string { return fnum(float64(n)) }

func fnum(f float64) string {
	switch {
	case math.IsNaN(f):
		return ""
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
