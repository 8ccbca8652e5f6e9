package testenv

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Child is a program a test started: its stdin is a pipe the test writes
// to, and its stdout is read line by line, so the test can wait for the
// line a test program prints once its hot code runs ("ready").
type Child struct {
	*exec.Cmd
	// In is the write end of the program's stdin.
	In    io.WriteCloser
	lines chan string
}

// StartChild starts cmd, whose Stdin and Stdout must be unset; its stderr
// goes to the test's stderr unless set. It is killed and reaped when tb
// ends, if it has not exited by then.
func StartChild(tb testing.TB, cmd *exec.Cmd) *Child {
	tb.Helper()
	c := &Child{Cmd: cmd, lines: make(chan string, 16)}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	var err error
	if c.In, err = c.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	out, err := c.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	tb.Cleanup(func() {
		c.Process.Kill()
		c.Wait()
	})
	return c
}

// WaitLine waits, for at most a minute, for the program to print a line
// starting with prefix, and returns the rest of that line. It fails tb if
// the program exits or the minute passes first.
func (c *Child) WaitLine(tb testing.TB, prefix string) string {
	tb.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				tb.Fatalf("%s exited before printing %q", c.Path, prefix)
			}
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return rest
			}
		case <-timeout:
			tb.Fatalf("%s did not print %q in a minute", c.Path, prefix)
		}
	}
}

// Finish closes the program's stdin, reads the rest of its output and
// waits for it to exit; it fails tb if the program fails.
func (c *Child) Finish(tb testing.TB) {
	tb.Helper()
	c.In.Close()
	for range c.lines {
	}
	if err := c.Wait(); err != nil {
		tb.Fatalf("%s: %v", c.Path, err)
	}
}
