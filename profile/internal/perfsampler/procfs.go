package perfsampler

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// threadsOf lists the thread ids of process pid.
func threadsOf(pid uint32) ([]uint32, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, fmt.Errorf("threads of %d: %w", pid, err)
	}
	tids := make([]uint32, 0, len(ents))
	for _, e := range ents {
		if n, err := strconv.ParseUint(e.Name(), 10, 32); err == nil {
			tids = append(tids, uint32(n))
		}
	}
	return tids, nil
}

// readComm returns the command name of pid, or "" when it is gone.
func readComm(pid uint32) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}
