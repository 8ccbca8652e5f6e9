package perfevent

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recordHeaderSize is the size of struct perf_event_header.
const recordHeaderSize = 8

// Ring is the mmap ring buffer an event writes its records into. It is
// read by one goroutine at a time.
type Ring struct {
	mem     []byte
	meta    *unix.PerfEventMmapPage
	data    []byte
	scratch []byte // a record that wraps around the end, copied out
}

// Mmap maps a ring buffer of dataPages pages (a power of two) for e.
func (e *Event) Mmap(dataPages int) (*Ring, error) {
	if dataPages <= 0 || dataPages&(dataPages-1) != 0 {
		return nil, fmt.Errorf("perfevent: ring of %d pages: not a power of two", dataPages)
	}
	page := os.Getpagesize()
	mem, err := unix.Mmap(e.fd, 0, (1+dataPages)*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("perfevent: mmap %d pages: %w", 1+dataPages, err)
	}
	meta := (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))
	off, size := uint64(page), uint64(dataPages*page)
	if meta.Data_offset != 0 {
		off, size = meta.Data_offset, meta.Data_size
	}
	return &Ring{mem: mem, meta: meta, data: mem[off : off+size]}, nil
}

// Read calls fn with each record written since the last Read, oldest
// first, then hands the space back to the kernel. The slice passed to fn
// is valid only during the call. A record whose size is impossible ends
// the read: the rest of the buffer is skipped and Read returns an error
// wrapping ErrMalformed.
func (r *Ring) Read(fn func(rec []byte)) error {
	head := atomic.LoadUint64(&r.meta.Data_head) // acquire: records before head are written
	tail := atomic.LoadUint64(&r.meta.Data_tail)
	var err error
	for head-tail >= recordHeaderSize {
		var hdr [recordHeaderSize]byte
		r.copyOut(hdr[:], tail)
		size := uint64(binary.LittleEndian.Uint16(hdr[6:]))
		if size < recordHeaderSize || size > head-tail {
			err = fmt.Errorf("%w: size %d with %d bytes left", ErrMalformed, size, head-tail)
			tail = head
			break
		}
		fn(r.record(tail, size))
		tail += size
	}
	atomic.StoreUint64(&r.meta.Data_tail, tail) // release: the kernel may reuse the space
	return err
}

// record returns the size bytes at position pos, in place when contiguous,
// else copied into the scratch buffer.
func (r *Ring) record(pos, size uint64) []byte {
	mask := uint64(len(r.data) - 1)
	start := pos & mask
	if start+size <= uint64(len(r.data)) {
		return r.data[start : start+size]
	}
	if uint64(cap(r.scratch)) < size {
		r.scratch = make([]byte, size)
	}
	b := r.scratch[:size]
	r.copyOut(b, pos)
	return b
}

// copyOut copies len(b) bytes from position pos, wrapping around the end.
func (r *Ring) copyOut(b []byte, pos uint64) {
	start := pos & uint64(len(r.data)-1)
	n := copy(b, r.data[start:])
	copy(b[n:], r.data)
}

// Close unmaps the ring buffer; it is safe to call twice.
func (r *Ring) Close() error {
	if r.mem == nil {
		return nil
	}
	err := unix.Munmap(r.mem)
	r.mem, r.meta, r.data = nil, nil, nil
	if err != nil {
		return fmt.Errorf("perfevent: munmap: %w", err)
	}
	return nil
}
