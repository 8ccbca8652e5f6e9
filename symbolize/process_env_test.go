package symbolize

import (
	"bufio"
	"debug/elf"
	"io"
	"os"
	"os/exec"
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

// child is a started process with its stdin and stdout.
type child struct {
	*exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startChild starts a program in dir; it is killed when the test ends.
func startChild(t *testing.T, dir string, env []string, name string, args ...string) *child {
	t.Helper()
	c := &child{Cmd: exec.Command(name, args...), lines: make(chan string, 16)}
	c.Dir, c.Stderr = dir, os.Stderr
	c.Env = append(os.Environ(), env...)
	var err error
	if c.stdin, err = c.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		c.Process.Kill()
		c.Wait()
	})
	return c
}

// waitLine waits for the child to print a line starting with prefix.
func (c *child) waitLine(t *testing.T, prefix string) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("%s exited before printing %q", c.Path, prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return
			}
		case <-timeout:
			t.Fatalf("%s did not print %q in 60 s", c.Path, prefix)
		}
	}
}

// finish closes the child's stdin and waits for it to exit.
func (c *child) finish(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	for range c.lines {
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("%s: %v", c.Path, err)
	}
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
