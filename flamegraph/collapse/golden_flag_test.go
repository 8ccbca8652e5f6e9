package collapse

import "flag"

// update rewrites the golden files in testdata instead of comparing with
// them: go test ./flamegraph/collapse -update. Bpftrace's own goldens are
// rewritten from its output; those of stackcollapse-perf.pl and
// stackcollapse-bpftrace.pl are regenerated from the FlameGraph checkout at
// $FLAMEGRAPH_DIR (see internal/golden).
var update = flag.Bool("update", false, "rewrite the golden files in testdata (the FlameGraph scripts' from the checkout at $FLAMEGRAPH_DIR)")
