package profile

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// command is a profiled command and what was set up to follow it.
type command struct {
	cmd     *exec.Cmd
	sampler sampler.Sampler
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
func startCommand(cmd *exec.Cmd, b Backend, cfg *sampler.Config, start func() (sampler.Sampler, error)) (*command, error) {
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

func (c *command) startInCgroup(cfg *sampler.Config, start func() (sampler.Sampler, error)) error {
	root, err := sampler.Cgroup2Mount()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, fmt.Sprintf("flamekit-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return sampler.Mark(ErrPermission, fmt.Errorf("making a cgroup for the command: %w", err))
	}
	c.cgroup = dir
	fd, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer fd.Close()
	if cfg.CgroupID, err = sampler.CgroupID(dir); err != nil {
		return err
	}
	if c.sampler, err = start(); err != nil {
		return err
	}
	c.cmd.SysProcAttr.UseCgroupFD = true
	c.cmd.SysProcAttr.CgroupFD = int(fd.Fd())
	if err := c.cmd.Start(); err != nil {
		c.sampler.Close()
		return fmt.Errorf("starting the command: %w", err)
	}
	return nil
}

// startTraced starts the command stopped at its exec, opens the sampler on
// it, and lets it run. Ptrace requests must come from the thread that
// started the tracee, hence the locked thread.
func (c *command) startTraced(cfg *sampler.Config, start func() (sampler.Sampler, error)) error {
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
			c.sampler.Close()
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
