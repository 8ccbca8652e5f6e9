package flamegraph

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed flamegraph.js
var scriptSource string

// script returns the embedded JavaScript as written into SVGs: indentation
// and comment lines removed. It is made the first time an SVG is rendered,
// not when the package is initialised: a command that renders nothing
// (`flamekit collapse`) would spend 0.07 ms on it, the most of flamekit's
// own package initialisers.
var script = sync.OnceValue(func() string { return compactScript(scriptSource) })

func compactScript(src string) string {
	var b strings.Builder
	b.Grow(len(src))
	for line := range strings.Lines(src) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
