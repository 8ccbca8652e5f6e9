package flamegraph

import (
	"context"
	"testing"
)

// The browser helpers of the package's tests and its synthetic profiles,
// for its external tests (package flamegraph_test), which can fold other
// tools' output with collapse.
var (
	ServeSVG         = serveSVG
	BenchProfile200m = benchProfile200m
)

// Do runs chromedp actions in ctx and fails tb on error.
var Do = do

// Eval evaluates js in the page of ctx and returns its value as a T.
func Eval[T any](tb testing.TB, ctx context.Context, js string) T {
	tb.Helper()
	return eval[T](tb, ctx, js)
}
