package symbolize

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileNotELF symbolizes files that are not ELF: the error is
// ErrNotELF, said in words with the path, not debug/elf's "bad magic
// number '[114 111 111 116]'" or a bare EOF.
func TestFileNotELF(t *testing.T) {
	dir := t.TempDir()
	paths := []string{dir}
	for name, content := range map[string]string{
		"text":  "a host name longer than sixteen bytes\n",
		"short": "root\n",
		"empty": "",
		"magic": "\x7fEL", // a prefix of the magic is not the magic
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	s := New(Options{})
	defer s.Close()
	for _, p := range paths {
		_, err := s.File(t.Context(), p, []uint64{1}, VirtualAddress, LookupOptions{})
		if !errors.Is(err, ErrNotELF) {
			t.Errorf("%s: error %v, want ErrNotELF", p, err)
			continue
		}
		if want := "symbolize: " + p + ": not an ELF file"; err.Error() != want {
			t.Errorf("%s: error %q, want %q", p, err, want)
		}
	}

	// An ELF file cut short is a damaged ELF file, not something else.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut")
	os.WriteFile(cut, b[:40], 0o644)
	_, err = s.File(t.Context(), cut, []uint64{1}, VirtualAddress, LookupOptions{})
	if err == nil || errors.Is(err, ErrNotELF) || strings.Count(err.Error(), "symbolize:") != 1 {
		t.Errorf("a cut ELF file: error %v, want a damaged-file error with one prefix", err)
	}
}
