package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
)

// The CSV columns are derived from the result structs, so that a field
// added to Checkpoint or Final is a column without further code:
//
//   - every exported scalar field (Num, float64, int, bool, string) of
//     Checkpoint is a per-checkpoint column and every one of Final a
//     per-run column prefixed "final_";
//   - the column name is the field's csv tag, else its JSON name;
//     `csv:"-"` leaves a field out, and slices are left out;
//   - a nested struct, or a pointer to one, contributes its fields with its
//     name and "_" as a prefix (Checkpoint.Lambda, tagged csv:"lambda",
//     gives lambda_max, lambda_iterations, ...); a nil pointer gives empty
//     cells;
//   - Final.ExtraTests, whose sets depend on the task, adds after the
//     config columns one column per set named by any exported run and per
//     scalar field of SetScore (ExtraTestColumns), so that an export
//     without extra test sets has exactly CSVHeader.

// column is one CSV column read from a struct value by field index path.
type column struct {
	name  string
	index []int
}

// structColumns returns the columns of the scalar fields of t, in
// declaration order, with names prefixed by prefix.
func structColumns(t reflect.Type, prefix string, index []int) []column {
	var out []column
	for i := range t.NumField() {
		f := t.Field(i)
		name := csvName(f)
		if name == "" {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			out = append(out, structColumns(f.Type, prefix+name+"_", idx)...)
		case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
			out = append(out, structColumns(f.Type.Elem(), prefix+name+"_", idx)...)
		case isScalar(f.Type.Kind()):
			out = append(out, column{name: prefix + name, index: idx})
		}
	}
	return out
}

// isScalar reports whether a field of kind k is one CSV cell.
func isScalar(k reflect.Kind) bool {
	return k == reflect.Float64 || k == reflect.Int || k == reflect.Bool || k == reflect.String
}

// csvName is the column name of f: its csv tag, else its JSON name, else
// its Go name; "" for unexported fields and `csv:"-"`.
func csvName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	if tag, ok := f.Tag.Lookup("csv"); ok {
		if tag == "-" {
			return ""
		}
		return tag
	}
	if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" {
		if tag == "-" {
			return ""
		}
		return tag
	}
	return f.Name
}

// cell formats the field of v at c.
func (c column) cell(v reflect.Value) string {
	f, err := v.FieldByIndexErr(c.index)
	if err != nil { // through a nil pointer
		return ""
	}
	switch f.Kind() {
	case reflect.Float64:
		return fnum(f.Float())
	case reflect.Int:
		return strconv.FormatInt(f.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(f.Bool())
	case reflect.String:
		return f.String()
	}
	return ""
}

var (
	checkpointColumns = structColumns(reflect.TypeOf(Checkpoint{}), "", nil)
	finalColumns      = structColumns(reflect.TypeOf(Final{}), "final_", nil)
)

// idColumns identify a run and its status; they precede the checkpoint's
// columns.
var idColumns = []string{
	"run_id", "experiment", "task", "rule", "label", "seed", "optimizer", "lr0", "schedule", "n",
	"status", "diverged_step", "metric",
}

// CSVHeader is the header of the tidy CSV export: identification and
// status, the checkpoint's values (the fields of Checkpoint), the final
// values (the fields of Final, prefixed "final_"), then every setting of the
// run as "config.<key>" (the keys of "hessrnn run --list-keys"), so that any
// swept setting can be grouped on.
var CSVHeader = csvHeader()

func csvHeader() []string {
	out := append([]string(nil), idColumns...)
	for _, c := range checkpointColumns {
		out = append(out, c.name)
	}
	for _, c := range finalColumns {
		out = append(out, c.name)
	}
	return append(out, configColumns()...)
}

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

// setScoreColumns are the per-set columns of an extra test set, without
// their prefix.
var setScoreColumns = structColumns(reflect.TypeOf(SetScore{}), "", nil)

// ExtraTestColumns returns the CSV columns of the extra test set named set:
// "final_" + the name with "-" as "_" + "_" + each scalar field of SetScore
// but Set (test-clean: final_test_clean_metric, final_test_clean_loss,
// final_test_clean_gap).
func ExtraTestColumns(set string) []string {
	var out []string
	for _, c := range setScoreColumns {
		if c.name == "set" {
			continue
		}
		out = append(out, "final_"+strings.ReplaceAll(set, "-", "_")+"_"+c.name)
	}
	return out
}

// extraSets returns the names of the extra test sets of runs, in order of
// first appearance.
func extraSets(runs []*Result) []string {
	var out []string
	for _, r := range runs {
		for _, s := range r.Final.ExtraTests {
			if !slices.Contains(out, s.Set) {
				out = append(out, s.Set)
			}
		}
	}
	return out
}

// extraCells formats the ExtraTestColumns of each of sets for f: empty
// cells for a set f has not.
func extraCells(f Final, sets []string) []string {
	var out []string
	for _, set := range sets {
		sc, ok := f.ExtraTest(set)
		v := reflect.ValueOf(sc)
		for _, c := range setScoreColumns {
			if c.name == "set" {
				continue
			}
			if ok {
				out = append(out, c.cell(v))
			} else {
				out = append(out, "")
			}
		}
	}
	return out
}

// WriteCSV writes one row per run and checkpoint (a run without
// checkpoints gets one row with empty per-checkpoint columns). Missing
// values (NaN) are empty cells, which pandas and R read as NA. The header
// is CSVHeader followed by the ExtraTestColumns of every extra test set of
// the runs.
func WriteCSV(w io.Writer, runs []*Result) error {
	cw := csv.NewWriter(w)
	sets := extraSets(runs)
	header := slices.Clone(CSVHeader)
	for _, s := range sets {
		header = append(header, ExtraTestColumns(s)...)
	}
	if err := cw.Write(header); err != nil {
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
		fv := reflect.ValueOf(r.Final)
		var tail []string
		for _, col := range finalColumns {
			tail = append(tail, col.cell(fv))
		}
		tail = append(tail, configCells(c)...)
		tail = append(tail, extraCells(r.Final, sets)...)
		rows := r.Trajectory
		if len(rows) == 0 {
			row := append(append([]string{}, head...), make([]string, len(checkpointColumns))...)
			if err := cw.Write(append(row, tail...)); err != nil {
				return err
			}
			continue
		}
		for _, cp := range rows {
			row := append([]string{}, head...)
			cv := reflect.ValueOf(cp)
			for _, col := range checkpointColumns {
				row = append(row, col.cell(cv))
			}
			if err := cw.Write(append(row, tail...)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

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
