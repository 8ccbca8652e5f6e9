package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// checkPID reports a process that does not exist, so that recording it
// fails at once, whatever the backend.
func checkPID(pid int) error {
	if err := unix.Kill(pid, 0); errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("no process with PID %d", pid)
	}
	return nil
}

// commandStatus is the exit status a shell gives for a process that ended
// so: its exit code, or 128 plus the signal that killed it.
func commandStatus(st *os.ProcessState) int {
	if st == nil {
		return 0
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}

// recordTarget names what record profiled, for messages.
func recordTarget(pids, cgroup string, command []string) string {
	switch {
	case pids != "" && strings.Contains(pids, ","):
		return "processes " + pids
	case pids != "":
		return "process " + pids
	case cgroup != "":
		return "cgroup " + cgroup
	case len(command) > 0:
		return fmt.Sprintf("command %q", strings.Join(command, " "))
	}
	return "the whole system"
}
