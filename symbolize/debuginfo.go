package symbolize

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/ulikunitz/xz"
)

// findDebugFile looks for the separate debug file of ef, whose path is path,
// and opens it. It tries, in order: <dir>/.build-id/xx/rest.debug for each of
// opts.DebugDirs (the build-id must match); the .gnu_debuglink name in the
// binary's directory, its .debug/ subdirectory and <dir>/<binary's
// directory>/ under each debug dir (the CRC32 must match); then the debuginfod
// client, if any, which gives up when ctx ends. It returns nil when none is
// found.
func findDebugFile(ctx context.Context, ef *elf.File, path string, opts nativeOptions) *debugFile {
	id := buildID(ef)
	if len(id) > 2 {
		for _, dir := range opts.DebugDirs {
			p := filepath.Join(dir, ".build-id", id[:2], id[2:]+".debug")
			if f := openDebugFile(p, func(d *elf.File) bool { return buildID(d) == id }); f != nil {
				return f
			}
		}
	}
	if name, crc, ok := debugLink(ef); ok && path != "" {
		bindir := filepath.Dir(path)
		cands := []string{filepath.Join(bindir, name), filepath.Join(bindir, ".debug", name)}
		for _, dir := range opts.DebugDirs {
			cands = append(cands, filepath.Join(dir, bindir, name))
		}
		for _, p := range cands {
			if p == path {
				continue
			}
			if f := openDebugFile(p, func(*elf.File) bool { return fileCRC(p) == crc }); f != nil {
				return f
			}
		}
	}
	if opts.Debuginfod != nil && id != "" {
		if p, err := opts.Debuginfod.fetch(ctx, id); err == nil {
			if f := openDebugFile(p, func(d *elf.File) bool { return buildID(d) == id }); f != nil {
				return f
			}
		}
	}
	return nil
}

// debugFile is an open separate debug file.
type debugFile struct {
	*elf.File
	file *os.File
	path string
}

// Close closes the file.
func (d *debugFile) Close() error { return d.file.Close() }

// openDebugFile opens the ELF file at p when it exists and passes check.
func openDebugFile(p string, check func(*elf.File) bool) *debugFile {
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	ef, err := elf.NewFile(f)
	if err != nil || !check(ef) {
		f.Close()
		return nil
	}
	return &debugFile{File: ef, file: f, path: p}
}

// debugLink returns the file name and CRC32 of the .gnu_debuglink section.
func debugLink(ef *elf.File) (string, uint32, bool) {
	s := ef.Section(".gnu_debuglink")
	if s == nil {
		return "", 0, false
	}
	data, err := s.Data()
	if err != nil {
		return "", 0, false
	}
	i := bytes.IndexByte(data, 0)
	if i <= 0 {
		return "", 0, false
	}
	crcOff := align4(uint64(i) + 1)
	if crcOff+4 > uint64(len(data)) {
		return "", 0, false
	}
	name := string(data[:i])
	if name != filepath.Base(name) || name == "." || name == ".." {
		return "", 0, false // a link names a file, never a path
	}
	return name, ef.ByteOrder.Uint32(data[crcOff:]), true
}

// fileCRC returns the CRC32 (IEEE, as .gnu_debuglink uses) of a file's
// contents, 0 when it cannot be read.
func fileCRC(p string) uint32 {
	f, err := os.Open(p)
	if err != nil {
		return 0
	}
	defer f.Close()
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, f); err != nil {
		return 0
	}
	return h.Sum32()
}

// maxMiniDebugInfo bounds the decompressed size of a .gnu_debugdata section.
const maxMiniDebugInfo = 256 << 20

// errMiniDebugInfoTooLarge is wrapped when .gnu_debugdata decompresses to more
// than maxMiniDebugInfo bytes.
var errMiniDebugInfoTooLarge = errors.New("MiniDebugInfo too large")

// miniDebugInfo returns the ELF file held xz-compressed in the file's
// .gnu_debugdata section (MiniDebugInfo, as Fedora and others ship it: a
// .symtab with the local functions the .dynsym lacks), or nil when there is
// none.
func miniDebugInfo(ef *elf.File) (*elf.File, error) {
	s := ef.Section(".gnu_debugdata")
	if s == nil || s.Type == elf.SHT_NOBITS {
		return nil, nil
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("reading .gnu_debugdata: %w", err)
	}
	r, err := xz.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf(".gnu_debugdata: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(r, maxMiniDebugInfo+1))
	if err != nil {
		return nil, fmt.Errorf(".gnu_debugdata: %w", err)
	}
	if len(out) > maxMiniDebugInfo {
		return nil, fmt.Errorf(".gnu_debugdata: %w", errMiniDebugInfoTooLarge)
	}
	f, err := newELFFile(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf(".gnu_debugdata: %w", err)
	}
	return f, nil
}
