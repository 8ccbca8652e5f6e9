package jit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// MaxTail bounds the bytes read as a jitdump's tail: the part of a
// record at the file's end and what the writer holds unflushed (one block,
// 4 KiB, for a glibc stream).
const MaxTail = 1 << 20

// ReadTail reads what follows the last whole record of the file f, whose
// size is end: the rest of the file, then unflushed, the bytes the writer
// wrote but its C library still buffers (at most [MaxTail] in all). The
// records read become j's tail, which Lookup asks first; the
// [Jitdump.Refresh] that finds them in the file, once the writer flushed
// them, makes them j's own. The tail replaces the previous one. One with a
// record of an impossible size or an unknown id names nothing: its bytes
// were read while the writer moved them to the file.
func (j *Jitdump) ReadTail(f io.ReaderAt, end int64, unflushed []byte) error {
	j.tail = nil
	rest := end - j.offset
	if j.stopped || rest < 0 || rest+int64(len(unflushed)) > MaxTail {
		return nil
	}
	head := make([]byte, rest)
	if n, err := f.ReadAt(head, j.offset); n < len(head) {
		return fmt.Errorf("jitdump: tail: %w", err)
	}
	t := &Jitdump{order: j.order, offset: j.offset, base: j}
	r := bufio.NewReader(io.MultiReader(bytes.NewReader(head), bytes.NewReader(unflushed)))
	if err := t.readRecords(r); err != nil {
		return err
	}
	if !t.stopped && t.unknown == 0 && len(t.codes) > 0 {
		j.tail = t
	}
	return nil
}

// HasTail reports whether j holds records read past the file's last whole
// record by [Jitdump.ReadTail], which the file does not have yet.
func (j *Jitdump) HasTail() bool { return j.tail != nil }
