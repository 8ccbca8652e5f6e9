package symbolize

import (
	"fmt"
	"io"
)

// MappedObject is an executable file mapping of a snapshotted process, with
// what an unwinder needs to find the file's unwind tables and where the
// process has them: the mapping, the file's bytes and its identity.
type MappedObject struct {
	Start, End, Offset uint64 // the mapping, as /proc/PID/maps has it
	// Path is the file as the process saw it; "[vdso]" for the vDSO.
	Path string
	// Key identifies the file's contents across processes: its GNU
	// build-id when it has one, else its device, inode, size and
	// modification time. Equal keys, equal bytes.
	Key string
	// File reads the file, held open by the snapshot until Close; nil
	// when the file could not be opened.
	File io.ReaderAt
}

// MappedObjects returns the executable file mappings of the snapshot (the
// vDSO included; anonymous and JIT code excluded), sorted by start.
func (p *Process) MappedObjects() []MappedObject {
	maps := p.mappings()
	out := make([]MappedObject, 0, len(maps))
	for _, m := range maps {
		if m.file == nil {
			continue
		}
		o := MappedObject{Start: m.Start, End: m.End, Offset: m.Offset, Path: m.file.path}
		if m.file.err == nil {
			o.File, o.Key = m.file.r, m.file.key.String()
		}
		out = append(out, o)
	}
	return out
}

// String is the key as MappedObject.Key has it.
func (k fileKey) String() string {
	if k.buildID != "" {
		return "build-id " + k.buildID
	}
	return fmt.Sprintf("file %d:%d size %d mtime %d", k.dev, k.inode, k.size, k.mtime)
}
