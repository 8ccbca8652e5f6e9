package flamegraph

import (
	_ "embed"
	"strings"
)

//go:embed flamegraph.js
var scriptSource string

// script is the embedded JavaScript as written into SVGs: indentation and
// comment lines removed.
var script = compactScript(scriptSource)

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
