//go:build !linux

package perfscript

// hugePageBytes returns an empty slice of capacity n: there is no
// madvise(MADV_HUGEPAGE) here.
func hugePageBytes(n int) []byte { return make([]byte, 0, n) }
