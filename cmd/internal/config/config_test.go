package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rules"
)

func TestDefaultsValidateForEveryTaskAndRule(t *testing.T) {
	for _, task := range Tasks() {
		for _, rule := range Rules() {
			r := Default()
			r.Task, r.Rule = task, rule
			if err := r.Validate(); err != nil {
				t.Errorf("%s/%s: %v", task, rule, err)
			}
		}
	}
}

func TestResolveTaskDefaults(t *testing.T) {
	tests := []struct {
		task, rule          string
		n, iters, batch, ev int
	}{
		{SeqMNIST, "bptt", 128, 10000, 256, 250},
		{SeqMNIST, "three-factor", 128, 16000, 256, 400},
		// Plateau stopping (spec §5.4): the cap is the budget, a checkpoint every cap/100.
		{PatternGen, "bptt", 100, 20000, 0, 200},
		{DMS, "mdgl", 100, 20000, 0, 200},
	}
	for _, tc := range tests {
		r := Default()
		r.Task, r.Rule = tc.task, tc.rule
		r = r.Resolve()
		if r.Model.N != tc.n || r.Train.Iterations != tc.iters || r.Train.BatchSize != tc.batch || r.Hessian.Every != tc.ev {
			t.Errorf("%s/%s: got N=%d iters=%d batch=%d every=%d, want %d %d %d %d", tc.task, tc.rule,
				r.Model.N, r.Train.Iterations, r.Train.BatchSize, r.Hessian.Every, tc.n, tc.iters, tc.batch, tc.ev)
		}
	}
	r := Default()
	r.Rule = "tbptt"
	if got := r.Resolve().Train.TruncK; got != 50 {
		t.Errorf("tbptt on patterngen: trunc_k = %d, want T = 50", got)
	}
	r.Train.Schedule = "step"
	if got := r.Resolve().Train.DecayEvery; got != PlateauCap/30 {
		t.Errorf("step schedule decay_every = %d, want %d", got, PlateauCap/30)
	}
	r.Train.Stop = StopFixed
	if got := r.Resolve(); got.Train.Iterations != 2000 || got.Hessian.Every != 100 {
		t.Errorf("fixed stopping: iterations %d, every %d, want 2000, 100", got.Train.Iterations, got.Hessian.Every)
	}
}

func TestIDStability(t *testing.T) {
	base := Default()
	id := base.ID()
	if !strings.HasPrefix(id, "patterngen-bptt-s1-") || len(id) != len("patterngen-bptt-s1-")+12 {
		t.Fatalf("unexpected ID form %q", id)
	}
	if base.ID() != id {
		t.Fatal("ID not deterministic")
	}
	same := []struct {
		name string
		mod  func(*Run)
	}{
		{"explicit defaults resolved", func(r *Run) { *r = r.Resolve() }},
		{"data path", func(r *Run) { r.SeqMNIST.Data = "/somewhere/else" }},
		{"other task's settings", func(r *Run) { r.DMS.Delay = 20; r.SeqMNIST.TestNoise = 0.3 }},
	}
	for _, tc := range same {
		r := base
		tc.mod(&r)
		if r.ID() != id {
			t.Errorf("%s changed the ID: %s vs %s", tc.name, r.ID(), id)
		}
	}
	differ := []struct {
		name string
		mod  func(*Run)
	}{
		{"lr", func(r *Run) { r.Train.LR = 0.02 }},
		{"seed", func(r *Run) { r.Seed = 2 }},
		{"own task setting", func(r *Run) { r.PatternGen.SigmaMax = 0.6 }},
		{"hessian method", func(r *Run) { r.Hessian.Method = "power" }},
		{"precision", func(r *Run) { r.Model.Precision = "float32" }},
	}
	seen := map[string]string{id: "base"}
	for _, tc := range differ {
		r := base
		tc.mod(&r)
		if prev, dup := seen[r.ID()]; dup {
			t.Errorf("%s gives the same ID as %s", tc.name, prev)
		}
		seen[r.ID()] = tc.name
	}
}

// TestIDGolden pins the run IDs of a few configurations. Finished results
// are found by ID, so a change of the canonical encoding (a renamed or new
// field, a changed default) makes every existing sweep recompute from
// scratch. If that is intended, update the IDs here and say so in the
// release notes.
func TestIDGolden(t *testing.T) {
	r := Default()
	seq := r
	seq.Task = SeqMNIST
	dms := r
	dms.Task, dms.Rule, dms.Seed = DMS, "mdgl", 3
	for _, tc := range []struct {
		run  Run
		want string
	}{
		{r, "patterngen-bptt-s1-2352938c8128"},
		{seq, "seqmnist-bptt-s1-92f57b5be113"}, // train.test_at = end (evalfast) and train.eval_every = 4 (2026-12-07): the seqmnist defaults
		{dms, "dms-mdgl-s3-4fc963387924"},
	} {
		if got := tc.run.ID(); got != tc.want {
			t.Errorf("ID = %s, want %s: the canonical encoding changed, so existing results will not be found", got, tc.want)
		}
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		path  string
		value any
		check func(Run) bool
		err   string
	}{
		{"train.lr", "0.03", func(r Run) bool { return r.Train.LR == 0.03 }, ""},
		{"train.lr", int64(1), func(r Run) bool { return r.Train.LR == 1 }, ""},
		{"model.n", "64", func(r Run) bool { return r.Model.N == 64 }, ""},
		{"model.n", 32.0, func(r Run) bool { return r.Model.N == 32 }, ""},
		{"seed", "7", func(r Run) bool { return r.Seed == 7 }, ""},
		{"seed", int64(9), func(r Run) bool { return r.Seed == 9 }, ""},
		{"hessian.flatness", "true", func(r Run) bool { return r.Hessian.Flatness }, ""},
		{"rule", "mdgl", func(r Run) bool { return r.Rule == "mdgl" }, ""},
		{"train.lr", "fast", nil, `train.lr = "fast": not a number (want a number)`},
		{"model.n", 1.5, nil, "not a whole number"},
		{"seed", "-1", nil, "not a non-negative integer"},
		{"seed", int64(-1), nil, "negative"},
		{"rule", int64(3), nil, "not a string"},
		{"train.lrr", "1", nil, `unknown key "train.lrr" (did you mean "train.lr"?)`},
		{"lr", "abc", nil, `unknown key "lr" (did you mean "train.lr"?)`},
		{"iterations", "5", nil, `unknown key "iterations" (did you mean "train.iterations"?)`},
		{"rul", "bptt", nil, `unknown key "rul" (did you mean "rule"?)`},
		{"train", "1", nil, "unknown key"},
		{"nosuch.x", "1", nil, "allowed: task, rule, seed, model"},
	}
	for _, tc := range tests {
		r := Default()
		err := r.Set(tc.path, tc.value)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Set(%s, %v) error %v, want containing %q", tc.path, tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Set(%s, %v): %v", tc.path, tc.value, err)
			continue
		}
		if !tc.check(r) {
			t.Errorf("Set(%s, %v) did not take effect", tc.path, tc.value)
		}
		got, err := r.Get(tc.path)
		if err != nil || got == nil {
			t.Errorf("Get(%s) = %v, %v", tc.path, got, err)
		}
	}
}

func TestFieldsRoundTrip(t *testing.T) {
	fs := Fields()
	if len(fs) < 40 {
		t.Fatalf("only %d fields", len(fs))
	}
	for _, f := range fs {
		if FieldKind(f) == "" {
			t.Errorf("field %s has no kind", f)
		}
	}
	if FieldKind("train") != "" || FieldKind("x.y") != "" {
		t.Error("FieldKind accepted a non-field")
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		mod  func(*Run)
		want string
	}{
		{func(r *Run) { r.Task = "cifar" }, `task = "cifar": allowed values: seqmnist, patterngen, dms`},
		{func(r *Run) { r.Train.LR = 0 }, "train.lr = 0: allowed range (0, 100]"},
		{func(r *Run) { r.Train.LR = -1 }, "train.lr = -1: allowed range (0, 100]"},
		{func(r *Run) { r.Model.Leak = 1 }, "model.leak = 1: allowed range [0, 1)"},
		{func(r *Run) { r.Model.N = 1 }, "model.n = 1: allowed range [2, 4096]"},
		{func(r *Run) { r.Train.BatchSize = 8 }, "train.batch_size = 8: allowed only 0 for patterngen"},
		{func(r *Run) { r.Rule = "tbptt"; r.Train.TruncK = 51 }, "train.trunc_k = 51: allowed range [1, 50]"},
		{func(r *Run) { r.PatternGen.SigmaMax = 0.05 }, "patterngen.sigma_max = 0.05: allowed range [0.1, 1e+06]"},
		{func(r *Run) { r.Task = DMS; r.DMS.NALIF = 200 }, "dms.n_alif = 200: allowed range [1, 99]"},
		{func(r *Run) { r.Hessian.Method = "arnoldi" }, `hessian.method = "arnoldi": allowed values: lanczos, power`},
	}
	for _, tc := range tests {
		r := Default()
		tc.mod(&r)
		err := r.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want containing %q", err, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	good := `
experiment = "fig3"
task = "dms"
rule = "mdgl"
seed = 4
[model]
n = 60
[train]
lr = 0.003
[dms]
delay = 10
[sweep.grid]
rule = ["bptt", "three-factor"]
seed = [1, 2, 3]
[[sweep.zip]]
"train.lr" = [0.01, 0.03]
"train.schedule" = ["constant", "step"]
`
	f, err := Parse("good.toml", []byte(good), Default())
	if err != nil {
		t.Fatal(err)
	}
	if f.Experiment != "fig3" || f.Run.Task != DMS || f.Run.Rule != "mdgl" || f.Run.Seed != 4 || f.Run.Model.N != 60 ||
		f.Run.Train.LR != 0.003 || f.Run.DMS.Delay != 10 || f.Run.DMS.MaxDelay != 32 || f.Run.Train.Optimizer != "sgd" {
		t.Errorf("decoded %+v", f.Run)
	}
	if len(f.Sweep.Grid) != 2 || len(f.Sweep.Zip) != 1 || len(f.Sweep.Zip[0]["train.lr"]) != 2 {
		t.Errorf("sweep %+v", f.Sweep)
	}

	bad := []struct{ doc, want string }{
		{"[train]\nlrr = 0.1\n", `bad.toml: unknown key "train.lrr" (did you mean "train.lr"?); allowed: optimizer, lr,`},
		{"tsk = \"dms\"\n", `bad.toml: unknown key "tsk" (did you mean "task"?)`},
		{"[trian]\nlr = 0.1\n", `bad.toml: unknown key "trian.lr"`},
		{"[train]\nlr = \"fast\"\n", "bad.toml: "},
		{"[train]\nlr = -0.1\n", "bad.toml: train.lr = -0.1: allowed range (0, 100]"},
		{"[model]\nn = 1\n[train]\nlr = 1000\n", "bad.toml: model.n = 1: allowed range [2, 4096]; bad.toml: train.lr = 1000"},
		{"task = \n", "bad.toml:1: "},
		{"[sweep.grid]\n\"train.lrr\" = [1]\n", `bad.toml: sweep.grid."train.lrr": unknown key`},
		{"[sweep.grid]\nseed = []\n", `sweep.grid."seed": empty list`},
		{"[sweep.grid]\nseed = [\"a\"]\n", `sweep.grid."seed"[0]: seed = "a": not a non-negative integer`},
		{"[[sweep.zip]]\nseed = [1, 2]\nrule = [\"bptt\"]\n", "has 2 values, the group's other lists have 1"},
		{"[sweep.grid]\nseed = [1]\n[[sweep.zip]]\nseed = [2]\n", "also in sweep.grid"},
	}
	for _, tc := range bad {
		_, err := Parse("bad.toml", []byte(tc.doc), Default())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("doc %q: got %v, want containing %q", tc.doc, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("doc %q: error spans lines: %q", tc.doc, err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(p, []byte("rule = \"three-factor\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p)
	if err != nil || f.Run.Rule != "three-factor" {
		t.Fatalf("Load: %v %+v", err, f)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestSetString(t *testing.T) {
	r := Default()
	if err := r.SetString(" train.lr = 0.5 "); err != nil || r.Train.LR != 0.5 {
		t.Errorf("SetString: %v %v", err, r.Train.LR)
	}
	for _, bad := range []string{"train.lr", "=3", ""} {
		if err := r.SetString(bad); err == nil {
			t.Errorf("SetString(%q) accepted", bad)
		}
	}
}

func TestRuleLabels(t *testing.T) {
	want := map[string]string{"bptt": "BPTT", "three-factor": "Three-factor", "rf-three-factor": "RF Three-factor", "mdgl": "MDGL", "three-factor-theory": "Three-factor theory"}
	for r, l := range want {
		k, err := ParseRule(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := RuleLabel(k, 0); got != l {
			t.Errorf("RuleLabel(%s) = %q, want %q", r, got, l)
		}
	}
	if got := RuleLabel(rules.TBPTT, 4); got != "TBPTT(4)" {
		t.Errorf("TBPTT label %q", got)
	}
}

// TestParseEnums: the command's rule and init names are the rules.Kind and
// rnn.Init names, parsed exactly (no aliases, rtrl not run), with the
// field's error listing the allowed values.
func TestParseEnums(t *testing.T) {
	const allowedRules = "allowed values: bptt, three-factor, rf-three-factor, mdgl, tbptt, three-factor-theory"
	for _, tc := range []struct {
		name, s string
		parse   func(string) (int, error)
		want    int
		err     string
	}{
		{"rule", "bptt", parseRuleInt, int(rules.BPTT), ""},
		{"rule", "three-factor", parseRuleInt, int(rules.EProp), ""},
		{"rule", "rf-three-factor", parseRuleInt, int(rules.RFLO), ""},
		{"rule", "mdgl", parseRuleInt, int(rules.MDGL), ""},
		{"rule", "tbptt", parseRuleInt, int(rules.TBPTT), ""},
		{"rule", "three-factor-theory", parseRuleInt, int(rules.MatchedBPTT), ""},
		{"rule", "eprop", parseRuleInt, -1, `rule = "eprop": ` + allowedRules},
		{"rule", "rtrl", parseRuleInt, -1, `rule = "rtrl": ` + allowedRules},
		{"rule", "", parseRuleInt, -1, `rule = "": ` + allowedRules},
		{"init", "code", parseInitInt, int(rnn.InitCode), ""},
		{"init", "murray", parseInitInt, int(rnn.InitMurray), ""},
		{"init", "xavier", parseInitInt, -1, `model.init = "xavier": allowed values: code, murray`},
	} {
		got, err := tc.parse(tc.s)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("%s %q: got %d, %v; want %d, %q", tc.name, tc.s, got, err, tc.want, tc.err)
		}
	}
	for _, name := range Rules() {
		if k, err := rules.ParseKind(name); err != nil || k.String() != name {
			t.Errorf("rule name %q is not a rules.Kind name", name)
		}
	}
	for _, tc := range []struct {
		set  func(*Run)
		kind rules.Kind
		init rnn.Init
	}{
		{func(*Run) {}, rules.BPTT, rnn.InitCode},
		{func(r *Run) { r.Rule, r.Model.Init = "tbptt", "murray" }, rules.TBPTT, rnn.InitMurray},
		{func(r *Run) { r.Rule, r.Model.Init = "x", "y" }, -1, -1},
	} {
		r := Default()
		tc.set(&r)
		if r.Kind() != tc.kind || r.Model.Scheme() != tc.init {
			t.Errorf("rule %q init %q: Kind %v Scheme %v, want %v %v", r.Rule, r.Model.Init, r.Kind(), r.Model.Scheme(), tc.kind, tc.init)
		}
	}
}

func parseRuleInt(s string) (int, error) { k, err := ParseRule(s); return int(k), err }
func parseInitInt(s string) (int, error) { i, err := ParseInit(s); return int(i), err }

// TestRunLabel: a run's typed label and its text, the paper's label with
// the variant appended.
func TestRunLabel(t *testing.T) {
	for _, tc := range []struct {
		set  func(*Run)
		want Label
		text string
	}{
		{func(*Run) {}, Label{Rule: rules.BPTT}, "BPTT"},
		{func(r *Run) { r.Rule = "rf-three-factor"; r.Train.TruncK = 7 }, Label{Rule: rules.RFLO}, "RF Three-factor"},
		{func(r *Run) { r.Rule = "tbptt" }, Label{Rule: rules.TBPTT, K: 50}, "TBPTT(50)"},
		{func(r *Run) { r.Rule, r.Train.TruncK = "tbptt", 4 }, Label{Rule: rules.TBPTT, K: 4}, "TBPTT(4)"},
		{func(r *Run) { r.Rule, r.Train.Schedule = "three-factor", "step" }, Label{Rule: rules.EProp, Variant: Variant{Decay: true}}, "Three-factor [lr decay]"},
		{func(r *Run) { r.Train.Optimizer, r.Train.StopAtTest = "adam", 0.9 }, Label{Rule: rules.BPTT, Variant: Variant{Optimizer: "adam", EarlyStopped: true}}, "BPTT [adam] [early-stopped]"},
		{func(r *Run) { r.Rule, r.Train.Optimizer, r.Train.Schedule = "three-factor-theory", "momentum", "step" },
			Label{Rule: rules.MatchedBPTT, Variant: Variant{Optimizer: "momentum", Decay: true}}, "Three-factor theory [momentum] [lr decay]"},
	} {
		r := Default()
		tc.set(&r)
		if got := r.Label(); got != tc.want || got.String() != tc.text {
			t.Errorf("%s: Label() = %+v (%q), want %+v (%q)", r.Rule, got, got.String(), tc.want, tc.text)
		}
	}
}

// TestEverySettingHasASource checks that each key documents where its
// default comes from, with one of the spec's tags.
func TestEverySettingHasASource(t *testing.T) {
	tags := []string{"PAPER", "CODE", "REF", "SPEC", "PROTOCOL", "TOOL"}
	for _, k := range Fields() {
		s := Source(k)
		ok := false
		for _, tag := range tags {
			ok = ok || strings.HasPrefix(s, tag)
		}
		if !ok {
			t.Errorf("%s: source %q does not start with one of %v", k, s, tags)
		}
	}
	for k := range sources {
		if FieldKind(k) == "" {
			t.Errorf("source for unknown key %s", k)
		}
	}
}

// TestStopEvery checks the early-stopping grid: 50 when stopping at a test
// metric, and absent from the identity of runs that do not stop early (so
// their IDs stay as they were).
func TestStopEvery(t *testing.T) {
	for _, c := range []struct {
		stopAt   float64
		every    int
		want     int
		inIdent  bool
		validErr bool
	}{
		{0, 0, 0, false, false},
		{0.5, 0, DefaultStopEvery, true, false},
		{0.5, 20, 20, true, false},
		{0.5, -1, -1, true, true},
	} {
		r := Default()
		r.Train.StopAtTest, r.Train.StopEvery = c.stopAt, c.every
		res := r.Resolve()
		if res.Train.StopEvery != c.want {
			t.Errorf("stop_at_test %g, stop_every %d: resolved to %d, want %d", c.stopAt, c.every, res.Train.StopEvery, c.want)
		}
		if got := strings.Contains(string(r.Canonical()), "stop_every"); got != c.inIdent {
			t.Errorf("stop_at_test %g, stop_every %d: in the canonical encoding %v, want %v", c.stopAt, c.every, got, c.inIdent)
		}
		if err := r.Validate(); (err != nil) != c.validErr || (err != nil && !strings.Contains(err.Error(), "train.stop_every")) {
			t.Errorf("stop_every %d: validation error %v, want error %v naming train.stop_every", c.every, err, c.validErr)
		}
	}
}
