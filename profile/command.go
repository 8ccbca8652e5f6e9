package profile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// command is a profiled command and what was set up to follow it.
type command struct {
	cmd     *exec.Cmd
	sampler sampler
	cgroup  string // the cgroup made for it (BPF backend), removed at cleanup
	exited  chan struct{}
}

var cgroupSeq atomic.Uint64

// startCommand starts cmd so that it and every child it creates are
// sampled from their first instruction, with the sampler that start
// returns once cfg names the target:
//   - BPF: cmd starts inside a new cgroup v2, and the program keeps that
//     cgroup's samples (descendants included);
//   - perf: cmd starts stopped at its exec (ptrace), the per-thread events
//     (inherited by children) are opened on it, then it runs.
func startCommand(cmd *exec.Cmd, b Backend, cfg *samplerConfig, start func() (sampler, error)) (*command, error) {
	if cmd.Process != nil {
		return nil, errors.New("Options.Command was already started")
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	c := &command{cmd: cmd, exited: make(chan struct{})}
	var err error
	if b == BackendBPF {
		err = c.startInCgroup(cfg, start)
	} else {
		err = c.startTraced(cfg, start)
	}
	if err != nil {
		c.cleanup()
		return nil, err
	}
	return c, nil
}

func (c *command) startInCgroup(cfg *samplerConfig, start func() (sampler, error)) error {
	root, err := cgroup2Mount()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, fmt.Sprintf("flamekit-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return kindOf(ErrPermission, fmt.Errorf("making a cgroup for the command: %w", err))
	}
	c.cgroup = dir
	fd, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer fd.Close()
	if cfg.CgroupID, err = cgroupID(dir); err != nil {
		return err
	}
	if c.sampler, err = start(); err != nil {
		return err
	}
	c.cmd.SysProcAttr.UseCgroupFD = true
	c.cmd.SysProcAttr.CgroupFD = int(fd.Fd())
	if err := c.cmd.Start(); err != nil {
		c.sampler.close()
		return fmt.Errorf("starting the command: %w", err)
	}
	return nil
}

// startTraced starts the command stopped at its exec, opens the sampler on
// it, and lets it run. Ptrace requests must come from the thread that
// started the tracee, hence the locked thread.
func (c *command) startTraced(cfg *samplerConfig, start func() (sampler, error)) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c.cmd.SysProcAttr.Ptrace = true
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("starting the command: %w", err)
	}
	pid := c.cmd.Process.Pid
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		c.cmd.Process.Kill()
		return fmt.Errorf("the command did not stop at exec (%v): %w", ws, err)
	}
	cfg.PIDs = []uint32{uint32(pid)}
	var err error
	c.sampler, err = start()
	if derr := unix.PtraceDetach(pid); derr != nil && err == nil {
		err = fmt.Errorf("letting the command run: %w", derr)
	}
	if err != nil {
		c.cmd.Process.Kill()
		c.cmd.Wait()
		if c.sampler != nil {
			c.sampler.close()
		}
		return err
	}
	return nil
}

// wait waits for the command to exit.
func (c *command) wait() {
	c.cmd.Wait()
	close(c.exited)
}

// kill ends the command if it still runs.
func (c *command) kill() {
	select {
	case <-c.exited:
	default:
		if c.cmd.Process != nil {
			c.cmd.Process.Kill()
		}
	}
}

// cleanup removes the cgroup made for the command, once it is empty.
func (c *command) cleanup() {
	if c.cgroup != "" && os.Remove(c.cgroup) == nil {
		c.cgroup = ""
	}
}

// cgroup2Mount returns where the cgroup v2 hierarchy is mounted
// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems).
func cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "36 35 0:30 / /sys/fs/cgroup rw,... shared:9 - cgroup2 cgroup2 rw"
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields := strings.Fields(pre)
		if ok && len(fields) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
			return fields[4], nil
		}
	}
	return "", kindf(ErrNotSupported, "no cgroup v2 hierarchy is mounted")
}

// cgroupID returns the id of a cgroup v2 (the inode of its directory),
// given its path, absolute or relative to the cgroup2 mount.
func cgroupID(path string) (uint64, error) {
	if !filepath.IsAbs(path) {
		root, err := cgroup2Mount()
		if err != nil {
			return 0, err
		}
		path = filepath.Join(root, path)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("cgroup %s: %w", path, err)
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		return 0, fmt.Errorf("%s is not a cgroup v2 directory", path)
	}
	var s unix.Stat_t
	if err := unix.Stat(path, &s); err != nil {
		return 0, fmt.Errorf("cgroup %s: %w", path, err)
	}
	return s.Ino, nil
}
