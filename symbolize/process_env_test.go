package symbolize

import (
	"os"
	"testing"
)

// needEnv skips a test whose prerequisite (root, java, node, ...) is
// missing, or fails it when the CI environment variable is set: there the
// prerequisites must be installed.
func needEnv(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set but %s", why)
	}
	t.Skip(why)
}
