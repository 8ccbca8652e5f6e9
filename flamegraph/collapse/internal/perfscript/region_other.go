//go:build !linux

package perfscript

// mapRegion returns nil: a region's tables are made on the heap.
func mapRegion(int) []byte { return nil }

// unmapRegion does nothing: mapRegion maps nothing.
func unmapRegion([]byte) {}
