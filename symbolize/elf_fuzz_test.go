package symbolize

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"testing"
)

// FuzzNativeTable feeds damaged ELF files to newNativeTable and lookup (with
// and without lines) and the other ELF readers: they may fail, never panic
// or hang. The seeds are the small binaries of testdata/native (see
// make-seeds.sh), whole and truncated.
func FuzzNativeTable(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "native", "seed-*"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, n := range []int{64, 512, len(data) / 2, len(data) - 100} {
			if n > 0 && n < len(data) {
				f.Add(data[:n])
			}
		}
	}
	empty := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		ef, err := elf.NewFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		buildID(ef)
		debugLink(ef)
		for _, p := range ef.Progs {
			fileOffsetToVaddr(ef, p.Off)
		}
		tab, err := newNativeTable(context.Background(), ef, nil, "", nativeOptions{DebugDirs: []string{empty}})
		if err != nil {
			return
		}
		var fr []Frame
		for i, s := range tab.syms {
			if i > 200 {
				break
			}
			for _, a := range []uint64{s.addr, s.addr + uint64(s.size())/2, s.addr - 1} {
				fr, _ = tab.lookup(a, false, fr[:0])
				fr, _ = tab.lookup(a, true, fr[:0])
			}
		}
		for _, s := range ef.Sections {
			if s.Flags&elf.SHF_EXECINSTR != 0 {
				fr, _ = tab.lookup(s.Addr+s.Size/3, true, fr[:0])
			}
		}
		tab.sizeBytes()
	})
}
