package doclint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// repoRoot returns the directory of the hessrnn module's go.mod above the
// test's working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/hessrnn/hessrnn\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod of module github.com/hessrnn/hessrnn above the working directory")
		}
		dir = parent
	}
}

// goFiles maps each package directory under root (relative) to its
// non-test Go files, skipping hidden directories and testdata.
func goFiles(t *testing.T, root string) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			pkgs[rel] = append(pkgs[rel], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d package directories under %s", len(pkgs), root)
	}
	return pkgs
}

func TestEveryPackageHasDocGo(t *testing.T) {
	root := repoRoot(t)
	for dir, files := range goFiles(t, root) {
		var doc string
		for _, f := range files {
			if filepath.Base(f) == "doc.go" {
				doc = f
			}
		}
		if doc == "" {
			t.Errorf("%s: no doc.go", dir)
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), doc, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			t.Errorf("%s: %v", doc, err)
			continue
		}
		if f.Doc == nil {
			t.Errorf("%s: doc.go has no package comment", dir)
		}
	}
}

func TestExportedIdentifiersHaveDocComments(t *testing.T) {
	root := repoRoot(t)
	var missing []string
	checked := 0
	for _, files := range goFiles(t, root) {
		for _, p := range files {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if ast.IsGenerated(f) {
				continue
			}
			rel, _ := filepath.Rel(root, p)
			report := func(pos token.Pos, what string) {
				missing = append(missing, rel+":"+strconv.Itoa(fset.Position(pos).Line)+": "+what)
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if !d.Name.IsExported() || (d.Recv != nil && !exportedRecv(d.Recv)) {
						continue
					}
					checked++
					if d.Doc == nil {
						report(d.Pos(), "func "+d.Name.Name)
					}
				case *ast.GenDecl:
					for _, s := range d.Specs {
						switch s := s.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() {
								checked++
								if d.Doc == nil && s.Doc == nil {
									report(s.Pos(), "type "+s.Name.Name)
								}
							}
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if n.IsExported() {
									checked++
									if d.Doc == nil && s.Doc == nil && s.Comment == nil {
										report(n.Pos(), d.Tok.String()+" "+n.Name)
									}
								}
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s: exported, without a doc comment", m)
	}
	if checked < 100 {
		t.Errorf("checked only %d exported identifiers: is the walk finding the tree?", checked)
	}
}

// exportedRecv reports whether a method's receiver type is exported (a
// method of an unexported type is not part of the API).
func exportedRecv(recv *ast.FieldList) bool {
	if recv == nil || len(recv.List) == 0 {
		return false
	}
	t := recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	id, ok := t.(*ast.Ident)
	return ok && id.IsExported()
}
