package profile

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// command is a profiled command and what was set up to follow it.
type command struct {
	cmd     *exec.Cmd
	sampler sampler.Sampler
	cgroup  string // the cgroup made for it (BPF backend), removed at cleanup
	exited  chan struct{}
	log     *slog.Logger // says that the cgroup was left
}

// startCommand starts cmd so that it and every child it creates are
// sampled from their first instruction, with the sampler that start
// returns once cfg names the target:
//   - BPF: cmd starts inside a new cgroup v2, and the program keeps that
//     cgroup's samples (descendants included);
//   - perf: cmd starts stopped at its exec (ptrace), the per-thread events
//     (inherited by children) are opened on it, then it runs.
//
// log says when the command's cgroup cannot be removed.
func startCommand(cmd *exec.Cmd, b Backend, cfg *sampler.Config, log *slog.Logger, start func() (sampler.Sampler, error)) (*command, error) {
	if cmd.Process != nil {
		return nil, errors.New("Options.Command was already started")
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	c := &command{cmd: cmd, exited: make(chan struct{}), log: log}
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
	dir, err := makeCommandCgroup(root)
	if err != nil {
		return err
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

// hasExited reports whether the command exited (and was waited for).
func (c *command) hasExited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// cleanup removes the cgroup made for the command. The command must have
// exited, been killed or never started: cleanup waits up to
// cgroupRemoveTimeout for it to exit and for the kernel to let it go from
// the cgroup. A cgroup that still holds processes then (a child the
// command left running) is left, and the log says so, once.
func (c *command) cleanup() {
	if c.cgroup == "" {
		return
	}
	deadline := time.Now().Add(cgroupRemoveTimeout)
	var err error
	if c.cmd.Process != nil {
		select {
		case <-c.exited:
		case <-time.After(cgroupRemoveTimeout):
			err = fmt.Errorf("the command has not exited %v after it was killed", cgroupRemoveTimeout)
		}
	}
	if err == nil {
		err = removeCgroup(c.cgroup, deadline)
	}
	if err != nil {
		c.log.Warn("profile: the command's cgroup is left", "cgroup", c.cgroup, "err", err)
	}
	c.cgroup = ""
}
