package symbolize

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestProcessReportsUnreadableFile maps a file that is not ELF executable
// in this process and names an address in it twice: the address gets an
// unnamed frame of the file, and the Logger hears why, once.
func TestProcessReportsUnreadableFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-elf")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not an ELF file\n"), 512), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := unix.Mmap(int(f.Fd()), 0, 8192, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	addr := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem)))) + 0x10
	p := snapshot(t, os.Getpid())
	var log bytes.Buffer
	s := New(Options{Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	defer s.Close()
	for range 2 {
		frames, err := s.Process(t.Context(), p, []uint64{addr}, LookupOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if f := frames[0]; len(f) != 1 || f[0].Kind != KindUnknown || f[0].Module.Path != path || f[0].Offset != 0x10 {
			t.Errorf("frames at %#x: %+v; want an unnamed frame at offset 0x10 of %s", addr, f, path)
		}
	}
	if n := strings.Count(log.String(), "\n"); n != 1 || !strings.Contains(log.String(), path) || !strings.Contains(log.String(), "not an ELF file") {
		t.Errorf("the Logger heard %d lines; want one saying %s is not an ELF file:\n%s", n, path, log.String())
	}
}
