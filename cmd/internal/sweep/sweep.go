package sweep

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hessrnn/hessrnn/cmd/internal/config"
)

// axis is one dimension of the sweep: one or more keys whose values vary
// together.
type axis struct {
	keys   []string
	values [][]any // values[i][k] is the i-th value of keys[k]
}

func (a axis) len() int { return len(a.values) }

// axes lists the dimensions of spec in a fixed order: grid keys sorted by
// name, then the zip groups in file order.
func axes(spec config.SweepSpec) []axis {
	var out []axis
	keys := make([]string, 0, len(spec.Grid))
	for k := range spec.Grid {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := axis{keys: []string{k}}
		for _, v := range spec.Grid[k] {
			a.values = append(a.values, []any{v})
		}
		out = append(out, a)
	}
	for _, g := range spec.Zip {
		ks := make([]string, 0, len(g))
		for k := range g {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		n := len(g[ks[0]])
		a := axis{keys: ks}
		for i := range n {
			vals := make([]any, len(ks))
			for j, k := range ks {
				vals[j] = g[k][i]
			}
			a.values = append(a.values, vals)
		}
		out = append(out, a)
	}
	return out
}

// MaxRuns bounds the size of a sweep, so that a mistyped list cannot
// exhaust memory.
const MaxRuns = 1_000_000

// Expand returns every run of the sweep: the cartesian product of the grid
// keys and the zipped groups, each applied to base and resolved. The order
// is deterministic (the last axis varies fastest). Runs that resolve to the
// same ID are listed once. Each run is validated; an error names the
// combination.
func Expand(base config.Run, spec config.SweepSpec) ([]config.Run, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	ax := axes(spec)
	total := 1
	for _, a := range ax {
		total *= a.len()
		if total > MaxRuns {
			return nil, fmt.Errorf("sweep: more than %d runs (the product of the list lengths); split it into several sweeps", MaxRuns)
		}
	}
	idx := make([]int, len(ax))
	var out []config.Run
	seen := map[string]bool{}
	for {
		r := base
		var desc []string
		for d, a := range ax {
			for k, key := range a.keys {
				v := a.values[idx[d]][k]
				if err := r.Set(key, v); err != nil {
					return nil, fmt.Errorf("sweep: %v", err)
				}
				desc = append(desc, fmt.Sprintf("%s=%v", key, v))
			}
		}
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("sweep run {%s}: %s", strings.Join(desc, " "), config.OneLine(err))
		}
		r = r.Resolve()
		if id := r.ID(); !seen[id] {
			seen[id] = true
			out = append(out, r)
		}
		// Advance the odometer.
		d := len(ax) - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < ax[d].len() {
				break
			}
			idx[d] = 0
		}
		if d < 0 {
			return out, nil
		}
	}
}

func checkSpec(spec config.SweepSpec) error {
	for k, v := range spec.Grid {
		if len(v) == 0 {
			return fmt.Errorf("sweep: grid key %q has no values", k)
		}
	}
	for i, g := range spec.Zip {
		n := -1
		if len(g) == 0 {
			return fmt.Errorf("sweep: zip group %d is empty", i)
		}
		for k, v := range g {
			if len(v) == 0 || (n >= 0 && len(v) != n) {
				return fmt.Errorf("sweep: zip group %d: key %q has %d values, want the same non-zero length as the group's other keys", i, k, len(v))
			}
			n = len(v)
		}
	}
	return nil
}

// Shard selects the runs at positions i with i mod Count == Index.
type Shard struct {
	Index, Count int
}

// All is the shard holding every run.
var All = Shard{0, 1}

// String formats the shard as "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard parses "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("--shard %q: want i/n with 0 <= i < n, e.g. 0/4", s)
	}
	return Shard{i, n}, nil
}

// ShardFromEnv reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, with
// SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_STEP when set, so that arrays
// need not start at 0 or use consecutive IDs (--array=1-10, --array=0-30:3):
// the shard index is (ID − MIN)/STEP. ok is false when the variables are
// not set.
func ShardFromEnv(getenv func(string) string) (s Shard, ok bool, err error) {
	id, count := getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_ARRAY_TASK_COUNT")
	if id == "" && count == "" {
		return All, false, nil
	}
	optional := func(name string, def int) (int, error) {
		v := getenv(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%s=%q: not an integer", name, v)
		}
		return n, nil
	}
	lo, err := optional("SLURM_ARRAY_TASK_MIN", 0)
	if err != nil {
		return All, false, err
	}
	step, err := optional("SLURM_ARRAY_TASK_STEP", 1)
	if err != nil {
		return All, false, err
	}
	i, err1 := strconv.Atoi(id)
	n, err2 := strconv.Atoi(count)
	if err1 != nil || err2 != nil || n < 1 || step < 1 || i-lo < 0 || (i-lo)%step != 0 || (i-lo)/step >= n {
		return All, false, fmt.Errorf("SLURM_ARRAY_TASK_ID=%q, SLURM_ARRAY_TASK_COUNT=%q, SLURM_ARRAY_TASK_MIN=%q, SLURM_ARRAY_TASK_STEP=%q: want ID = MIN + k·STEP with 0 <= k < COUNT",
			id, count, getenv("SLURM_ARRAY_TASK_MIN"), getenv("SLURM_ARRAY_TASK_STEP"))
	}
	return Shard{(i - lo) / step, n}, true, nil
}

// Select returns the runs of this shard, in order.
func (s Shard) Select(runs []config.Run) []config.Run {
	var out []config.Run
	for i, r := range runs {
		if i%s.Count == s.Index {
			out = append(out, r)
		}
	}
	return out
}
