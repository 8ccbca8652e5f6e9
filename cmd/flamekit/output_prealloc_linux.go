package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// writeOffset returns where the next write to f goes, when f is a regular
// file not opened with O_APPEND.
func writeOffset(f *os.File) (int64, bool) {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return 0, false
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil || flags&unix.O_APPEND != 0 {
		return 0, false
	}
	off, err := f.Seek(0, io.SeekCurrent)
	return off, err == nil
}

// allocate reserves n bytes of f's blocks from off, keeping its size, and
// reports whether it could.
func allocate(f *os.File, off, n int64) bool {
	return unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_KEEP_SIZE, off, n) == nil
}
