package profile

import (
	"fmt"
	"strings"

	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/symbolize"
)

// Unwind names a way of walking user stacks.
type Unwind uint8

// The ways of walking user stacks. Kernel stacks are walked by the
// kernel's own unwinder whatever the choice.
const (
	// UnwindAuto walks by call frame information (.eh_frame) where a
	// mapped file has it, by frame pointers elsewhere (Go code stripped
	// of .debug_frame, JIT code, hand-written assembly), switching
	// between them within a stack.
	UnwindAuto Unwind = iota
	// UnwindFramePointers walks by frame pointers only: cheaper, but
	// stacks through code built without them (Debian's libc, most -O2 C
	// and C++) are cut short, and a frameless leaf's caller is skipped.
	UnwindFramePointers
	// UnwindCFI is UnwindAuto; it is the name users who ask for CFI by
	// name expect.
	UnwindCFI
)

// String returns "auto", "fp" or "cfi".
func (u Unwind) String() string {
	switch u {
	case UnwindFramePointers:
		return "fp"
	case UnwindCFI:
		return "cfi"
	}
	return "auto"
}

// ParseUnwind parses "auto", "fp" (or "frame-pointers") or "cfi" (or
// "dwarf").
func ParseUnwind(s string) (Unwind, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return UnwindAuto, nil
	case "fp", "frame-pointers", "framepointers":
		return UnwindFramePointers, nil
	case "cfi", "dwarf", "eh_frame":
		return UnwindCFI, nil
	}
	return UnwindAuto, fmt.Errorf("profile: %w: unknown unwinding %q (want auto, fp or cfi)", ErrNotSupported, s)
}

// unwindObjects are a snapshot's mapped files as the unwind registry takes
// them.
func unwindObjects(snap *symbolize.Process) []unwind.Object {
	mos := snap.MappedObjects()
	objs := make([]unwind.Object, len(mos))
	for i, m := range mos {
		objs[i] = unwind.Object{Start: m.Start, End: m.End, Offset: m.Offset, Path: m.Path, Key: m.Key, File: m.File}
	}
	return objs
}

// addUnwind gives the unwind registry the mappings of a snapshot just
// taken or updated (from the unwind queue's goroutine).
func (s *Session) addUnwind(snap *symbolize.Process) {
	if s.unwindQ != nil {
		s.unwindQ.add(snap)
	}
}

// removeUnwind tells the unwind registry that process pid is gone.
func (s *Session) removeUnwind(pid int) {
	if s.unwindQ != nil {
		s.unwindQ.remove(pid)
	}
}
