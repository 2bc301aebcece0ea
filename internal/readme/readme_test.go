package readme

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// root is the repository root, two levels above this package.
const root = "../.."

// goBlocks returns the ```go fenced blocks of a Markdown file, each
// without its fences, and the line each starts on.
func goBlocks(md string) (blocks []string, lines []int) {
	var cur []string
	in, start := false, 0
	for i, line := range strings.Split(md, "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```go":
			in, start, cur = true, i+2, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n"))
			lines = append(lines, start)
		case in:
			cur = append(cur, line)
		}
	}
	return blocks, lines
}

// snippets returns what a README block may copy from one example file: the
// body of each Example function (dedented by one tab, without its
// "// Output:" comment), and every run of consecutive other top-level
// declarations with their doc comments (the user's own types an example
// needs).
func snippets(t *testing.T, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	text := func(from, to token.Pos) string {
		return string(src[fset.Position(from).Offset:fset.Position(to).Offset])
	}
	var out, run []string
	flush := func() {
		for i := range run {
			for j := i; j < len(run); j++ {
				out = append(out, strings.Join(run[i:j+1], "\n\n"))
			}
		}
		run = nil
	}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			continue
		}
		fn, ok := d.(*ast.FuncDecl)
		if ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Example") {
			flush()
			body := text(fn.Body.Lbrace+1, fn.Body.Rbrace)
			if i := strings.Index(body, "\n\t// Output:"); i >= 0 {
				body = body[:i]
			}
			var lines []string
			for _, l := range strings.Split(strings.Trim(body, "\n"), "\n") {
				lines = append(lines, strings.TrimPrefix(l, "\t"))
			}
			out = append(out, strings.Join(lines, "\n"))
			continue
		}
		from := d.Pos()
		if g, ok := d.(*ast.GenDecl); ok && g.Doc != nil {
			from = g.Doc.Pos()
		}
		if ok && fn.Doc != nil {
			from = fn.Doc.Pos()
		}
		run = append(run, text(from, d.End()))
	}
	flush()
	return out
}

// TestREADMEGoBlocksAreExamples checks that every Go block of README.md is
// a copy of an example's body (or of the declarations beside it), so that
// the README cannot drift from code that compiles and whose output is
// checked.
func TestREADMEGoBlocksAreExamples(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, lines := goBlocks(string(md))
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go block")
	}
	known := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), "example") && strings.HasSuffix(d.Name(), "_test.go") {
			for _, s := range snippets(t, path) {
				known[s] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		if !known[strings.TrimRight(b, "\n ")] {
			t.Errorf("README.md:%d: this ```go block is not the body of an Example function (nor declarations of an example_test.go file); copy it from the example it shows:\n%s", lines[i], b)
		}
	}
}

func TestGoBlocks(t *testing.T) {
	md := "text\n```go\na := 1\n\nb := 2\n```\n```sh\nls\n```\n```go\nx()\n```\n"
	blocks, lines := goBlocks(md)
	want := []string{"a := 1\n\nb := 2", "x()"}
	if len(blocks) != len(want) || lines[0] != 3 || lines[1] != 11 {
		t.Fatalf("blocks %q at lines %v", blocks, lines)
	}
	for i := range want {
		if !bytes.Equal([]byte(blocks[i]), []byte(want[i])) {
			t.Errorf("block %d = %q, want %q", i, blocks[i], want[i])
		}
	}
}

// modulePath is the import path of the repository's root module.
const modulePath = "github.com/hessrnn/hessrnn"

// importsOf returns the module's packages that the non-test Go files of
// the package in dir import, without cmd/internal/..., sorted. Files of
// every build tag and architecture count.
func importsOf(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no Go files (%v)", dir, err)
	}
	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			if rest, ok := strings.CutPrefix(p, modulePath+"/"); ok && !strings.HasPrefix(rest, "cmd/internal/") {
				seen[rest] = true
			}
		}
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// TestREADMEImportGraph checks the README's table of imports between the
// module's packages against the source, so the drawn architecture cannot
// drift from the real one.
func TestREADMEImportGraph(t *testing.T) {
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const header = "```text\npackage            imports\n"
	i := strings.Index(string(md), header)
	if i < 0 {
		t.Fatalf("README.md has no import table (a ```text block starting %q)", header[8:])
	}
	table := string(md[i+len(header):])
	table = table[:strings.Index(table, "```")]
	rows := 0
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("README.md import table: bad row %q", line)
		}
		want := f[1:]
		if len(want) == 1 && want[0] == "-" {
			want = nil
		}
		got := importsOf(t, f[0])
		if !slices.Equal(got, want) {
			t.Errorf("README.md says %s imports %v; its source imports %v", f[0], want, got)
		}
		rows++
	}
	// The layering the project keeps: eig stays independent of the network.
	if got := importsOf(t, "eig"); len(got) != 0 {
		t.Errorf("eig imports %v; it must import no hessrnn package", got)
	}
	if rows < 5 {
		t.Errorf("README.md import table has %d rows", rows)
	}
}
