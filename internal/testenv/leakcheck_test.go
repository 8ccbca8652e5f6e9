package testenv

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"
)

// TestEveryPackageChecksLeaks checks that every flamekit package with tests
// runs them through Main (or Run), so none leaves descriptors or
// goroutines behind unnoticed.
func TestEveryPackageChecksLeaks(t *testing.T) {
	for _, p := range flamekitPackages(t) {
		files := append(append([]string{}, p.TestGoFiles...), p.XTestGoFiles...)
		if len(files) > 0 && !checksLeaks(t, p.Dir, files) {
			t.Errorf("%s has tests but no TestMain calling testenv.Main: add main_test.go with\n\tfunc TestMain(m *testing.M) { testenv.Main(m) }", rel(p.ImportPath))
		}
	}
}

// TestChecksLeaks checks checksLeaks on test files with and without the
// TestMain it looks for.
func TestChecksLeaks(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"none_test.go":  "package p\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
		"plain_test.go": "package p\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestMain(m *testing.M) { os.Exit(m.Run()) }\n",
		"main_test.go":  "package p\n\nimport (\n\t\"testing\"\n\n\t\"github.com/flamekit/flamekit/internal/testenv\"\n)\n\nfunc TestMain(m *testing.M) { testenv.Main(m) }\n",
		"run_test.go":   "package p\n\nimport (\n\t\"os\"\n\t\"testing\"\n\n\t\"github.com/flamekit/flamekit/internal/testenv\"\n)\n\nfunc TestMain(m *testing.M) {\n\tcode := testenv.Run(m)\n\tos.Exit(code)\n}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		files []string
		want  bool
	}{
		{[]string{"none_test.go"}, false},
		{[]string{"none_test.go", "plain_test.go"}, false},
		{[]string{"none_test.go", "main_test.go"}, true},
		{[]string{"run_test.go"}, true},
	} {
		if got := checksLeaks(t, dir, c.files); got != c.want {
			t.Errorf("%v: checksLeaks %v, want %v", c.files, got, c.want)
		}
	}
}

// checksLeaks reports whether one of the test files in dir has a TestMain
// that calls testenv.Main or testenv.Run (Main or Run in this package).
func checksLeaks(t *testing.T, dir string, files []string) bool {
	t.Helper()
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Name.Name != "TestMain" || fn.Recv != nil || fn.Body == nil {
				continue
			}
			found := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				switch fun := call.Fun.(type) {
				case *ast.SelectorExpr:
					if x, ok := fun.X.(*ast.Ident); ok && x.Name == "testenv" && (fun.Sel.Name == "Main" || fun.Sel.Name == "Run") {
						found = true
					}
				case *ast.Ident:
					if f.Name.Name == "testenv" && (fun.Name == "Main" || fun.Name == "Run") {
						found = true
					}
				}
				return !found
			})
			if found {
				return true
			}
		}
	}
	return false
}
