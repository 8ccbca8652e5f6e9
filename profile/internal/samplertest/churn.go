package samplertest

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// churnLoop starts /bin/true one after another, as fast as it can, counting
// them; SIGTERM prints the count and ends it. Each process lives for its own
// start and exit only (about 0.8 ms on a machine with fast page tables, 4 ms
// on a virtual machine that traps them), less than the samplers' 10 ms
// announcement batch. Started ten at a time, they lived ten times longer
// on the slow machine (50 ms), long enough to be announced as they should.
const churnLoop = `n=0
trap 'echo $n; exit 0' TERM
while :; do
	/bin/true
	n=$((n+1))
done`

// Churn is a shell starting short-lived processes all the time, as a build
// or a CI host does.
type Churn struct {
	cmd *exec.Cmd
	out strings.Builder
}

// StartChurn starts a churn, stopped (and its processes killed) when tb
// ends if Stop was not called.
func StartChurn(tb testing.TB) *Churn {
	tb.Helper()
	sh := testenv.RequireTool(tb, "sh", "apt-get install dash")
	testenv.RequireTool(tb, "true", "apt-get install coreutils")
	c := &Churn{cmd: exec.Command(sh, "-c", churnLoop)}
	c.cmd.Stdout = &c.out
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL) // the loop and its children
			c.cmd.Wait()
		}
	})
	return c
}

// PID is the churn shell's pid, the process group of every process it
// starts.
func (c *Churn) PID() int { return c.cmd.Process.Pid }

// Stop ends the churn and returns the processes it started.
func (c *Churn) Stop(tb testing.TB) int {
	tb.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.cmd.Wait(); err != nil {
		tb.Fatalf("churn: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(c.out.String()))
	if err != nil {
		tb.Fatalf("churn printed %q", c.out.String())
	}
	return n
}
