package kernels

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// asmFunc is one TEXT symbol of a generated .s file.
type asmFunc struct {
	file     string
	name     string   // symbol without the package dot, e.g. sdotAVX2
	requires []string // names from the "// Requires:" line, as avo writes them
	body     []string // instruction lines
}

var textRE = regexp.MustCompile(`^TEXT\s+·(\w+)\(SB\)`)

// parseAsmFiles reads every *_amd64.s in the package directory.
func parseAsmFiles(t *testing.T) []asmFunc {
	t.Helper()
	files, err := filepath.Glob("*_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no *_amd64.s files found; run go generate in asm/")
	}
	var funcs []asmFunc
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var pending []string
		var cur *asmFunc
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(line, "// Requires:"):
				for _, r := range strings.Split(strings.TrimPrefix(line, "// Requires:"), ",") {
					pending = append(pending, strings.TrimSpace(r))
				}
			case textRE.MatchString(line):
				funcs = append(funcs, asmFunc{file: path, name: textRE.FindStringSubmatch(line)[1], requires: pending})
				cur = &funcs[len(funcs)-1]
				pending = nil
			case strings.HasPrefix(line, "// func "):
				pending = nil
			case cur != nil && line != "" && !strings.HasPrefix(line, "//"):
				cur.body = append(cur.body, line)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return funcs
}

// symbolLevel returns the level named by the suffix of an assembly or Go
// kernel symbol (…AVX2, …AVX512), or false when there is none.
func symbolLevel(name string) (Level, bool) {
	switch {
	case strings.HasSuffix(name, "AVX512"):
		return AVX512, true
	case strings.HasSuffix(name, "AVX2"):
		return AVX2, true
	}
	return Generic, false
}

// avoFeatureAliases maps the ISA names avo writes that cpuid does not know
// to the cpuid feature that provides the instructions. avo files the
// PREFETCHT0/T1/T2/NTA instructions under AMD's "MMX+" (extended MMX);
// Intel introduced them with SSE, and every amd64 CPU has both.
var avoFeatureAliases = map[string]string{"MMX+": "SSE"}

// missingFeatures returns the names in req that levelFeatures(l) lacks,
// and the names cpuid does not know.
func missingFeatures(req []string, l Level) (missing, unknown []string) {
	have := levelFeatures(l)
	for _, r := range req {
		name := r
		if a, ok := avoFeatureAliases[r]; ok {
			name = a
		}
		id := cpuid.ParseFeature(name)
		switch {
		case id == cpuid.UNKNOWN:
			unknown = append(unknown, r)
		case !slices.Contains(have, id):
			missing = append(missing, r)
		}
	}
	return missing, unknown
}

// walkFuncs calls visit for every function value reachable from v: func
// fields, elements of arrays and slices, and what pointers point to, with the
// field path (e.g. "sgemmMicro.kern").
func walkFuncs(v reflect.Value, path string, visit func(path string, fv reflect.Value)) {
	switch v.Kind() {
	case reflect.Func:
		visit(path, v)
	case reflect.Pointer:
		if !v.IsNil() {
			walkFuncs(v.Elem(), path, visit)
		}
	case reflect.Array, reflect.Slice:
		for i := range v.Len() {
			walkFuncs(v.Index(i), fmt.Sprintf("%s[%d]", path, i), visit)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			p := v.Type().Field(i).Name
			if path != "" {
				p = path + "." + p
			}
			walkFuncs(v.Field(i), p, visit)
		}
	}
}

// funcSymbol returns the name of the function fv holds, without the package
// path and ABI suffix: an assembly TEXT symbol such as "sgemmKernelAVX2",
// or a Go function such as "dotGeneric[...]".
func funcSymbol(fv reflect.Value) string {
	const pkg = "github.com/hessrnn/hessrnn/kernels."
	name := runtime.FuncForPC(fv.Pointer()).Name()
	return strings.TrimSuffix(strings.TrimPrefix(name, pkg), ".abi0")
}

// checkTables checks every function reachable from each level's table
// entry, the gemm micro-kernels, half-width kernels and packs included: a
// function whose name carries a level suffix must not be bound below that
// level, and an assembly function must need only features of the level it
// is bound at. Top-level func fields must be set. It returns the problems
// found and, per TEXT symbol, how many bindings reach it.
func checkTables(tabs []funcs, byName map[string]asmFunc) (problems []string, reached map[string]int) {
	reached = map[string]int{}
	for l := range tabs {
		lv := Level(l)
		walkFuncs(reflect.ValueOf(tabs[l]), "", func(path string, fv reflect.Value) {
			if fv.IsNil() {
				if !strings.Contains(path, ".") {
					problems = append(problems, fmt.Sprintf("tables[%s].%s is not set", lv, path))
				}
				return
			}
			name := funcSymbol(fv)
			if sl, ok := symbolLevel(name); ok && sl > lv {
				problems = append(problems, fmt.Sprintf("tables[%s].%s = %s, a %s function", lv, path, name, sl))
			}
			f, ok := byName[name]
			if !ok {
				return
			}
			reached[name]++
			if missing, _ := missingFeatures(f.requires, lv); len(missing) > 0 {
				problems = append(problems, fmt.Sprintf("tables[%s].%s = %s, which requires %v", lv, path, name, missing))
			}
		})
	}
	return problems, reached
}

// TestRequiresCoveredByLevel checks every TEXT of every generated .s file:
// the level its suffix names must cover its "// Requires:" features; every
// function reachable from tables[l] (checkTables) must need only features
// of level l; and every TEXT must be reachable from the tables, so that no
// assembly is bound where this check cannot see it.
func TestRequiresCoveredByLevel(t *testing.T) {
	funcs := parseAsmFiles(t)
	byName := map[string]asmFunc{}
	for _, f := range funcs {
		byName[f.name] = f
		l, ok := symbolLevel(f.name)
		if !ok {
			t.Errorf("%s: TEXT %s has no level suffix (AVX2, AVX512)", f.file, f.name)
			continue
		}
		missing, unknown := missingFeatures(f.requires, l)
		if len(unknown) > 0 {
			t.Errorf("%s: %s requires features cpuid does not know: %v", f.file, f.name, unknown)
		}
		if len(missing) > 0 {
			t.Errorf("%s: %s (level %s) requires %v, not in levelFeatures(%s)", f.file, f.name, l, missing, l)
		}
	}

	if !asmAvailable {
		return
	}
	problems, reached := checkTables(tables[:], byName)
	for _, p := range problems {
		t.Error(p)
	}
	for _, f := range funcs {
		if reached[f.name] == 0 {
			t.Errorf("%s: TEXT %s is reachable from no dispatch table entry: unused, or bound outside tables where TestRequiresCoveredByLevel cannot check it", f.file, f.name)
		}
	}
}

// TestCheckTablesMutations binds AVX-512 functions at the AVX2 level in a
// copy of the tables, one function pointer at a time, the way a slip in a
// F_bind_amd64.go file would: a top-level kernel, the gemm micro-kernel,
// its half-width twin, and a whole micro-kernel. checkTables must report
// each, naming the field, so that TestRequiresCoveredByLevel fails on this
// AVX-512 machine without running on an AVX2-only CPU.
func TestCheckTablesMutations(t *testing.T) {
	if !asmAvailable {
		t.Skip("no assembly in this build")
	}
	byName := map[string]asmFunc{}
	for _, f := range parseAsmFiles(t) {
		byName[f.name] = f
	}
	if problems, _ := checkTables(tables[:], byName); len(problems) > 0 {
		t.Fatalf("the real tables have problems: %v", problems)
	}
	for _, tc := range []struct {
		name   string
		mutate func(a2, a512 *funcs)
		field  string
	}{
		{"ddot", func(a2, a512 *funcs) { a2.ddot = a512.ddot }, "ddot"},
		{"gemm micro-kernel", func(a2, a512 *funcs) {
			mk := *a2.sgemmMicro
			mk.kern = a512.sgemmMicro.kern
			a2.sgemmMicro = &mk
		}, "sgemmMicro.kern"},
		{"gemm half-width kernel", func(a2, a512 *funcs) {
			mk := *a2.dgemmMicro
			mk.half = a512.dgemmMicro.half
			a2.dgemmMicro = &mk
		}, "dgemmMicro.half"},
		{"whole gemm micro-kernel", func(a2, a512 *funcs) {
			a2.sgemmMicro = a512.sgemmMicro
			a2.sgemm = a2.sgemmMicro.gemm
		}, "sgemmMicro.kern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tabs := tables
			tc.mutate(&tabs[AVX2], &tabs[AVX512])
			problems, _ := checkTables(tabs[:], byName)
			found := false
			for _, p := range problems {
				found = found || strings.HasPrefix(p, "tables[avx2]."+tc.field+" = ")
			}
			if !found {
				t.Errorf("no problem reported for tables[avx2].%s; got %v", tc.field, problems)
			}
		})
	}
}

// evexOnlyRE matches registers that only EVEX (AVX-512) encodings reach:
// ZMM, opmasks, and the vector registers 16..31.
var evexOnlyRE = regexp.MustCompile(`\b(Z\d+|K[1-7]|[XY](1[6-9]|2\d|3[01]))\b`)

// TestAVX2UsesVEXRegisters checks that no AVX2 function touches a register
// only AVX-512 has. avo's allocator may pick X16..X31 when registers run
// short, which would make an AVX2 kernel fault on an AVX2-only CPU even
// though its Requires line says AVX2.
func TestAVX2UsesVEXRegisters(t *testing.T) {
	for _, f := range parseAsmFiles(t) {
		if l, _ := symbolLevel(f.name); l != AVX2 {
			continue
		}
		for _, line := range f.body {
			if m := evexOnlyRE.FindString(line); m != "" {
				t.Errorf("%s: %s uses %s: %q", f.file, f.name, m, line)
				break
			}
		}
	}
}

// TestRequiresParser checks the parser on a known function, so the tests
// above cannot pass by reading nothing.
func TestRequiresParser(t *testing.T) {
	if _, err := os.Stat("level1_amd64.s"); err != nil {
		t.Skip("level1_amd64.s absent")
	}
	for _, f := range parseAsmFiles(t) {
		if f.name == "ddotAVX512" {
			if !slices.Contains(f.requires, "AVX512F") || len(f.body) == 0 {
				t.Errorf("ddotAVX512 parsed as requires=%v with %d lines", f.requires, len(f.body))
			}
			if missing, _ := missingFeatures(f.requires, AVX2); len(missing) == 0 {
				t.Error("ddotAVX512 would be accepted at AVX2")
			}
			return
		}
	}
	t.Error("ddotAVX512 not found in the generated assembly")
}
