package flamegraph

import "flag"

// update rewrites the golden files in testdata instead of comparing with
// them: go test ./flamegraph -update. The goldens of flamegraph.pl's output
// are regenerated from the FlameGraph checkout at $FLAMEGRAPH_DIR (see
// internal/golden).
var update = flag.Bool("update", false, "rewrite the golden files in testdata (flamegraph.pl's from the checkout at $FLAMEGRAPH_DIR)")
