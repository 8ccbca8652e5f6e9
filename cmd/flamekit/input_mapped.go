package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"syscall"
	"unsafe"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
)

// mappedFiles are the input files that readMapped mapped into memory, for
// guardMapped to tell their faults from others.
type mappedFiles []mappedFile

// mappedFile is a file mapped into memory.
type mappedFile struct {
	name string
	data []byte
}

// errInputShrank says a mapped input file got shorter while it was read.
var errInputShrank = errors.New("the file got shorter while it was read")

// readFile reads the named file, or stdin for "-", as readOne does, but
// maps a file of folded stacks when in.mapped is set (see readMapped).
func (in *inputFlags) readFile(name string, opts collapse.Options, stdin io.Reader) (*flamegraph.Profile, collapse.Stats, error) {
	if in.mapped != nil {
		p, err := in.mapped.readMapped(name, opts)
		if p != nil || err != nil {
			return p, collapse.Stats{Format: collapse.FormatFolded}, err
		}
	}
	return readOne(name, opts, stdin)
}

// readMapped reads a regular file of folded stacks in place: it maps the
// file into memory and parses it there, so the profile's stacks are parts
// of the mapping. That spares copying the file, and allocating (and
// faulting in) a page of memory for each 4 KiB of it: a quarter of what
// rendering a real capture costs. The mapping lasts until the end of the
// guardMapped call that reads it. It returns a nil profile, and the caller
// reads the file as usual, when the file cannot be mapped (not a regular
// file, empty), is gzipped, or is not folded stacks as collapse.Read would
// take it.
func (m *mappedFiles) readMapped(name string, opts collapse.Options) (*flamegraph.Profile, error) {
	switch opts.Format {
	case "", collapse.FormatAuto, collapse.FormatFolded:
	default:
		return nil, nil
	}
	if name == "-" {
		return nil, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil // as the usual reading reports it
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 || int64(int(st.Size())) != st.Size() {
		return nil, nil
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil
	}
	*m = append(*m, mappedFile{name, data}) // guarded from here on
	if !isFolded(data, opts) {
		*m = (*m)[:len(*m)-1]
		syscall.Munmap(data)
		return nil, nil
	}
	p, err := flamegraph.ParseString(unsafe.String(unsafe.SliceData(data), len(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// sniffSize is how much of its input collapse.Read looks at to detect the
// format, at first.
const sniffSize = 64 << 10

// errSniffed ends the input isFolded gives collapse.Read.
var errSniffed = errors.New("sniffed")

// isFolded reports whether collapse.Read reads data as folded stacks, not
// gzipped: Read detects the format from the start of data, and then stops
// at errSniffed. Input that needs more than the start to tell is not
// taken for folded here.
func isFolded(data []byte, opts collapse.Options) bool {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return false // gzip, which Read decompresses
	}
	if opts.Format == collapse.FormatFolded {
		return true
	}
	head := data[:min(len(data), sniffSize)]
	var r io.Reader = bytes.NewReader(head)
	if len(head) < len(data) {
		r = io.MultiReader(r, errReader{errSniffed})
	}
	_, stats, err := collapse.Read(r, opts)
	return stats.Format == collapse.FormatFolded && (err == nil || errors.Is(err, errSniffed))
}

// errReader fails every read with its error.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// guardMapped runs f, which maps files (readMapped) and reads them, and
// returns its error; then it unmaps them, so f must keep nothing of them.
// A mapped file that another program truncates faults when read (SIGBUS),
// which guardMapped turns into errInputShrank rather than a crash.
func (m *mappedFiles) guardMapped(f func() error) (err error) {
	defer m.unmap()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if fault, ok := r.(interface{ Addr() uintptr }); ok {
			if name, ok := m.holding(fault.Addr()); ok {
				err = fmt.Errorf("%s: %w", name, errInputShrank)
				return
			}
		}
		panic(r)
	}()
	return f()
}

// unmap unmaps the files.
func (m *mappedFiles) unmap() {
	for _, f := range *m {
		syscall.Munmap(f.data)
	}
	*m = nil
}

// holding returns the name of the mapped file at addr, if one is.
func (m mappedFiles) holding(addr uintptr) (string, bool) {
	for _, f := range m {
		start := uintptr(unsafe.Pointer(unsafe.SliceData(f.data)))
		if addr >= start && addr < start+uintptr(len(f.data)) {
			return f.name, true
		}
	}
	return "", false
}
