package results

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
)

// CSVHeader is the header of the tidy CSV export.
var CSVHeader = []string{
	"run_id", "experiment", "task", "rule", "label", "seed", "optimizer", "lr0", "schedule", "n",
	"status", "diverged_step", "metric",
	"iteration", "lr", "loss", "train_metric", "test_metric", "gap",
	"lambda_max", "lambda_iterations", "lambda_residual", "lambda_converged",
	"alpha", "cos", "eps_ratio", "align_eps", "align_g", "wall_seconds",
	"final_gap", "final_lambda_max", "final_test_metric",
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
		tail := []string{num(r.Final.Gap), num(r.Final.LambdaMax), num(r.Final.TestMetric)}
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
