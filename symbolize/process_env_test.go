package symbolize

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// copyFile copies an executable into the test's temporary directory.
func copyFile(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// waitMapped waits until process pid has mapped path (after exec).
func waitMapped(t *testing.T, pid int, path string) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps"); err == nil && strings.Contains(string(b), path) {
			return
		}
	}
	t.Fatalf("pid %d never mapped %s", pid, path)
}

func buildIDOf(t *testing.T, path string) string {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	id := buildID(ef)
	if id == "" {
		t.Fatalf("%s has no build-id", path)
	}
	return id
}

// mapMemfd maps img executable from a memfd named name in this process.
func mapMemfd(t *testing.T, name string, img []byte) (addr uint64, unmap func()) {
	t.Helper()
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	if _, err := f.Write(img); err != nil {
		t.Fatal(err)
	}
	mem, err := unix.Mmap(fd, 0, len(img), unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem)))), func() { unix.Munmap(mem) }
}
