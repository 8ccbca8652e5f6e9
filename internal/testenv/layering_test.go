package testenv

import (
	"fmt"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// layerTable is the one-way import rule of docs/design.md: what the code
// of each part of flamekit may import from flamekit, and what its tests may
// import besides. "X/..." is X and every package under it, "*" anything.
//
// Every package may also import its own internal packages (profile may
// import profile/internal/...), and those follow their owner's row: a
// package under profile/internal/ may import what profile may. The tests of
// every package may also import testSupport, the package they test and its
// owner. The tests' own extra imports: flamegraph's benchmarks render the
// perf script output perfgen writes, read by collapse; perfgen's tests
// check that collapse reads what it writes.
const layerTable = `
package             | its code may import                      | its tests may also import
flamegraph          |                                          | flamegraph/collapse, internal/perfgen
flamegraph/collapse | flamegraph                               |
symbolize           | internal/...                             |
pmc                 | internal/...                             |
profile             | symbolize, flamegraph, pmc, internal/... | flamegraph/collapse
profile/profiletest | profile, flamegraph                      |
scope               | flamegraph/..., profile                  | internal/perfgen, symbolize
fleet               | profile                                  |
internal/...        | internal/...                             |
internal/cfi        | internal/errs                            |
internal/unwind     | internal/cfi                             | internal/procfs
internal/perfgen    | internal/...                             | flamegraph, flamegraph/collapse
internal/cmd/...    | *                                        |
cmd/...             | *                                        |
examples/...        | *                                        |
`

// testSupport is what any package's tests may import.
var testSupport = []string{"internal/testenv", "internal/testenv/browser", "internal/testenv/handlertest", "internal/golden"}

// layer is a row of layerTable.
type layer struct {
	pkg         string
	code, tests []string
}

// layers parses layerTable.
func layers(t *testing.T) []layer {
	t.Helper()
	var ls []layer
	lines := strings.Split(strings.TrimSpace(layerTable), "\n")
	for _, line := range lines[1:] {
		cols := strings.Split(line, "|")
		if len(cols) != 3 {
			t.Fatalf("layerTable: %q does not have three columns", line)
		}
		ls = append(ls, layer{pkg: strings.TrimSpace(cols[0]), code: list(cols[1]), tests: list(cols[2])})
	}
	return ls
}

// list splits a column of layerTable at its commas.
func list(col string) []string {
	var l []string
	for _, s := range strings.Split(col, ",") {
		if s = strings.TrimSpace(s); s != "" {
			l = append(l, s)
		}
	}
	return l
}

// matches reports whether the package path (relative to the module)
// matches pattern: the same path, "X/..." for X or a package under it, or
// "*".
func matches(pattern, path string) bool {
	if pattern == "*" || pattern == path {
		return true
	}
	tree, ok := strings.CutSuffix(pattern, "/...")
	return ok && (path == tree || strings.HasPrefix(path, tree+"/"))
}

// owner returns the package whose internal tree holds path, or path
// itself: profile for profile/internal/sampler.
func owner(path string) string {
	if i := strings.Index(path, "/internal/"); i >= 0 {
		return path[:i]
	}
	return path
}

// layerOf returns the row for the package path: the row naming it, else
// the row of the narrowest tree holding it.
func layerOf(ls []layer, path string) (layer, bool) {
	best, found := layer{}, false
	for _, l := range ls {
		if l.pkg == path {
			return l, true
		}
		if matches(l.pkg, path) && (!found || len(l.pkg) > len(best.pkg)) {
			best, found = l, true
		}
	}
	return best, found
}

// mayImport reports whether a package (path, relative to the module) may
// import imp: in its code, or, when test is set, in its tests.
func mayImport(l layer, path, imp string, test bool) bool {
	if strings.HasPrefix(imp, owner(path)+"/internal/") {
		return true
	}
	allowed := l.code
	if test {
		if imp == path || imp == owner(path) {
			return true
		}
		allowed = slices.Concat(l.code, l.tests, testSupport)
	}
	return slices.ContainsFunc(allowed, func(p string) bool { return matches(p, imp) })
}

// forbiddenImports checks the flamekit imports of each package against
// the table, and returns one message per import it forbids, and per
// package it has no row for.
func forbiddenImports(ls []layer, pkgs []listedPackage) []string {
	var msgs []string
	for _, p := range pkgs {
		path := rel(p.ImportPath)
		l, ok := layerOf(ls, owner(path))
		if !ok {
			msgs = append(msgs, fmt.Sprintf("%s has no row in layerTable: add one, and the package to docs/design.md", path))
			continue
		}
		for _, imports := range []struct {
			list  []string
			files []string
			test  bool
		}{
			{p.Imports, nil, false},
			{p.TestImports, p.TestGoFiles, true},
			{p.XTestImports, p.XTestGoFiles, true},
		} {
			for _, imp := range imports.list {
				r := rel(imp)
				if r == "" || mayImport(l, path, r, imports.test) {
					continue
				}
				what, allowed := "code", l.code
				if imports.test {
					what, allowed = "tests", slices.Concat(l.code, l.tests, testSupport)
				}
				allowed = append(allowed, owner(path)+"/internal/...")
				msgs = append(msgs, fmt.Sprintf("%s imports %s%s, which the %s of %s may not: row %q of layerTable allows only %s",
					path, r, importedAt(p.Dir, imports.files, imp), what, path, l.pkg, strings.Join(allowed, ", ")))
			}
		}
	}
	return msgs
}

// importedAt returns " at FILE:LINE" for the first of the Go files in dir
// that imports imp, or "" when none does or the files are not given; the
// package's own files when files is nil.
func importedAt(dir string, files []string, imp string) string {
	if dir == "" {
		return ""
	}
	codeOnly := files == nil
	if codeOnly {
		files, _ = filepath.Glob(filepath.Join(dir, "*.go"))
	} else {
		files = slices.Clone(files)
		for i, f := range files {
			files[i] = filepath.Join(dir, f)
		}
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if codeOnly && strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, spec := range f.Imports {
			if p, _ := strconv.Unquote(spec.Path.Value); p == imp {
				pos := fset.Position(spec.Pos())
				return fmt.Sprintf(" at %s:%d", filepath.Base(pos.Filename), pos.Line)
			}
		}
	}
	return ""
}

// TestLayering checks every import between flamekit's packages against
// the one-way rule of layerTable.
func TestLayering(t *testing.T) {
	for _, msg := range forbiddenImports(layers(t), flamekitPackages(t)) {
		t.Error(msg)
	}
}

// TestLayeringForbids checks the rule on made-up packages: it refuses
// imports that break it, in internal packages that do not exist yet too,
// and allows a package's own internal packages.
func TestLayeringForbids(t *testing.T) {
	pkg := func(path string, imports, xtest []string) listedPackage {
		p := listedPackage{ImportPath: module + "/" + path}
		for _, i := range imports {
			p.Imports = append(p.Imports, module+"/"+i)
		}
		for _, i := range xtest {
			p.XTestImports = append(p.XTestImports, module+"/"+i)
		}
		return p
	}
	allowed := []listedPackage{
		pkg("profile/internal/sampler", []string{"profile/internal/ring", "symbolize", "internal/perfevent"}, nil),
		pkg("symbolize/internal/elfsym", []string{"internal/demangle", "symbolize/internal/mmap"}, []string{"symbolize/internal/elfsym", "symbolize", "internal/testenv"}),
		pkg("flamegraph/collapse/internal/perfscript", []string{"flamegraph"}, nil),
		pkg("flamegraph", nil, []string{"flamegraph/collapse", "internal/golden"}),
		pkg("cmd/flamekit", []string{"profile", "symbolize/internal/elfsym"}, nil),
	}
	ls := layers(t)
	if msgs := forbiddenImports(ls, allowed); len(msgs) > 0 {
		t.Errorf("allowed imports were refused:\n%s", strings.Join(msgs, "\n"))
	}
	forbidden := map[string]listedPackage{
		"symbolize imports flamegraph, which the code of symbolize may not":                         pkg("symbolize", []string{"flamegraph"}, nil),
		"symbolize/internal/elfsym imports profile, which the code of symbolize/internal/elfsym":    pkg("symbolize/internal/elfsym", []string{"profile"}, nil),
		"flamegraph imports internal/procfs, which the code of flamegraph may not":                  pkg("flamegraph", []string{"internal/procfs"}, nil),
		"flamegraph/collapse imports symbolize, which the tests of flamegraph/collapse may not":     pkg("flamegraph/collapse", nil, []string{"symbolize"}),
		"internal/procfs imports symbolize, which the code of internal/procfs may not":              pkg("internal/procfs", []string{"symbolize"}, nil),
		"profile/internal/sampler imports flamegraph/collapse, which the code of profile/internal/": pkg("profile/internal/sampler", []string{"flamegraph/collapse"}, nil),
		"tools/lint has no row in layerTable":                                                       pkg("tools/lint", nil, nil),
	}
	for want, p := range forbidden {
		msgs := forbiddenImports(ls, []listedPackage{p})
		if len(msgs) != 1 || !strings.HasPrefix(msgs[0], want) {
			t.Errorf("%s: got %q, want one message starting %q", p.ImportPath, msgs, want)
		}
	}
}

// TestRenderingNeedsNoEBPF checks what docs/design.md promises users of
// flamegraph and collapse: rendering and reading other tools' output never
// link the eBPF library.
func TestRenderingNeedsNoEBPF(t *testing.T) {
	for _, p := range flamekitPackages(t) {
		if !matches("flamegraph/...", rel(p.ImportPath)) {
			continue
		}
		for _, d := range p.Deps {
			if matches("github.com/cilium/ebpf/...", d) {
				t.Errorf("%s depends on %s", rel(p.ImportPath), d)
			}
		}
	}
}
