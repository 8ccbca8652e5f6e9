package testenv

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// module is flamekit's module path.
const module = "github.com/flamekit/flamekit"

// listedPackage is what `go list -json` says about one of flamekit's
// packages, the fields these tests read.
type listedPackage struct {
	ImportPath   string
	Dir          string
	Imports      []string // of its code
	TestImports  []string // of its tests in the package
	XTestImports []string // of its tests in PACKAGE_test
	Deps         []string // of its code, transitively
	TestGoFiles  []string
	XTestGoFiles []string
}

// rel returns path relative to the module ("profile", "internal/bpf"), or
// "" for a package outside flamekit.
func rel(path string) string {
	if path == module {
		return "."
	}
	r, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return ""
	}
	return r
}

var (
	listOnce sync.Once
	listed   []listedPackage
	listErr  error
)

// flamekitPackages lists flamekit's packages with `go list -json`.
func flamekitPackages(t *testing.T) []listedPackage {
	t.Helper()
	goTool := RequireTool(t, "go", "install Go")
	listOnce.Do(func() {
		out, err := exec.Command(goTool, "list", "-json", module+"/...").Output()
		if err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				err = errors.New(string(exit.Stderr))
			}
			listErr = err
			return
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for {
			var p listedPackage
			if err := dec.Decode(&p); err == io.EOF {
				break
			} else if err != nil {
				listErr = err
				return
			}
			listed = append(listed, p)
		}
	})
	if listErr != nil {
		t.Fatalf("go list: %v", listErr)
	}
	return listed
}
