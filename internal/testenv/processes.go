package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// childProcesses returns the processes this process started that are
// still running, or exited but not waited for (zombies), from
// /proc/self/task/*/children.
func childProcesses() (map[int]bool, error) {
	files, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	pids := map[int]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread has exited
		}
		for _, field := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(field); err == nil {
				pids[pid] = true
			}
		}
	}
	return pids, nil
}

// processesSince returns the processes of ps that before did not have, in
// ascending order.
func processesSince(ps, before map[int]bool) []int {
	var pids []int
	for pid := range ps {
		if !before[pid] {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// describeProcess says what process pid runs and whether it is a zombie.
func describeProcess(pid int) string {
	s := fmt.Sprintf("process %d", pid)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(b) > 0 {
		s += ": " + strings.Join(strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"), " ")
	} else if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
		s += ": " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// PID (COMM) STATE ...; COMM may hold spaces and parentheses.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && strings.HasPrefix(string(b[i:]), ") Z") {
			s += " (exited, not waited for)"
		}
	}
	return s
}
