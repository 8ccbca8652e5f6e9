//go:build !linux

package main

import "os"

// writeOffset reports false: files are written without preallocating.
func writeOffset(*os.File) (int64, bool) { return 0, false }

// allocate does nothing.
func allocate(*os.File, int64, int64) bool { return false }
