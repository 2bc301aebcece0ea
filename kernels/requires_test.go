package kernels

import (
	"bufio"
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

// TestRequiresCoveredByLevel checks every TEXT of every generated .s file:
// the level its suffix names must cover its "// Requires:" features, and
// each function bound directly into tables[l] must need only features of
// level l. Go functions bound in the table whose names carry a level suffix
// must not be bound below that level.
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
	const pkg = "github.com/hessrnn/hessrnn/kernels."
	bound := 0
	for l := range tables {
		v := reflect.ValueOf(tables[l])
		for i := range v.NumField() {
			fv := v.Field(i)
			field := v.Type().Field(i).Name
			if fv.Kind() != reflect.Func || fv.IsNil() {
				t.Errorf("tables[%s].%s is not set", Level(l), field)
				continue
			}
			name := runtime.FuncForPC(fv.Pointer()).Name()
			name = strings.TrimSuffix(strings.TrimPrefix(name, pkg), ".abi0")
			if sl, ok := symbolLevel(name); ok && sl > Level(l) {
				t.Errorf("tables[%s].%s = %s, a %s function", Level(l), field, name, sl)
			}
			f, ok := byName[name]
			if !ok {
				continue
			}
			bound++
			missing, _ := missingFeatures(f.requires, Level(l))
			if len(missing) > 0 {
				t.Errorf("tables[%s].%s = %s, which requires %v", Level(l), field, name, missing)
			}
		}
	}
	if bound == 0 {
		t.Error("no assembly function found in the dispatch tables; the check is not looking at them")
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
