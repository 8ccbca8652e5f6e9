package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/flamekit/flamekit/pmc"
)

// statRun is what one counting run measured.
type statRun struct {
	total     pmc.Reading
	elapsed   time.Duration
	command   *os.ProcessState // the command's end, when one ran
	signalled bool             // a signal ended counting (or was passed on to the command)
	signal    syscall.Signal   // that signal
}

// status is the exit status of the run, as perf stat's: the command's,
// or 128 plus the signal that ended counting of a target without one.
func (r *statRun) status() int {
	switch {
	case r.command != nil:
		return commandStatus(r.command)
	case r.signalled:
		return 128 + int(r.signal)
	}
	return 0
}

// statIO is where a counted command's standard streams go.
type statIO struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// countOnce counts the events on the target until the command exits, the
// processes of -p have all exited, or a signal comes (a command gets the
// signal and ends the run when it exits; a second signal kills it). With
// -I it passes each interval's counts to interval, with the time since
// counting started and the interval's length.
func (f *statFlags) countOnce(std statIO, sigs <-chan os.Signal, interval func(d pmc.Reading, at, length time.Duration)) (*statRun, error) {
	cmd, err := f.newCommand(std)
	if err != nil {
		return nil, err
	}
	target := f.target
	if !f.systemTarget() {
		target = pmc.Command(cmd)
	}
	start := time.Now()
	c, err := pmc.NewCounter(target, f.groups...)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if f.systemTarget() {
		if err := c.Enable(); err != nil {
			return nil, err
		}
		if cmd != nil {
			if err := cmd.Start(); err != nil {
				return nil, err
			}
		}
	}
	ended := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	switch {
	case cmd != nil:
		go func() {
			cmd.Wait()
			close(ended)
		}()
	case f.pids != "":
		go waitProcesses(f.pidList, ended, stop)
	}
	// A failure to read ends a command, which would run on uncounted.
	fail := func(err error) (*statRun, error) {
		if cmd != nil {
			cmd.Process.Kill()
			<-ended
		}
		return nil, err
	}
	run := &statRun{}
	var tick <-chan time.Time
	if f.interval > 0 {
		t := time.NewTicker(f.interval)
		defer t.Stop()
		tick = t.C
	}
	prev := pmc.Reading{Time: start}
	emit := func() error {
		r, err := c.Read()
		if err != nil {
			return err
		}
		interval(r.Sub(prev), r.Time.Sub(start), r.Time.Sub(prev.Time))
		prev = r
		return nil
	}
wait:
	for {
		select {
		case <-tick:
			if err := emit(); err != nil {
				return fail(err)
			}
		case <-ended:
			break wait
		case sig := <-sigs:
			switch {
			case cmd == nil:
				run.signalled, run.signal = true, sig.(syscall.Signal)
				break wait
			case run.signalled:
				cmd.Process.Kill()
			default:
				cmd.Process.Signal(sig)
				run.signalled, run.signal = true, sig.(syscall.Signal)
			}
		}
	}
	if f.interval > 0 {
		if err := emit(); err != nil {
			return fail(err)
		}
	}
	if run.total, err = c.Read(); err != nil {
		return fail(err)
	}
	run.elapsed = time.Since(start)
	if cmd != nil {
		run.command = cmd.ProcessState
	}
	return run, nil
}

// newCommand returns the command to run, or nil when none is given. A
// command that cannot run fails now, before counting starts.
func (f *statFlags) newCommand(std statIO) (*exec.Cmd, error) {
	if len(f.command) == 0 {
		return nil, nil
	}
	if _, err := exec.LookPath(f.command[0]); err != nil {
		return nil, err
	}
	cmd := exec.Command(f.command[0], f.command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = std.stdin, std.stdout, std.stderr
	return cmd, nil
}

// waitProcesses closes ended when every process of pids has exited, or
// returns when stop is closed.
func waitProcesses(pids []int, ended chan<- struct{}, stop <-chan struct{}) {
	t := time.NewTicker(statPollEvery)
	defer t.Stop()
	for {
		alive := false
		for _, pid := range pids {
			if processAlive(pid) {
				alive = true
				break
			}
		}
		if !alive {
			close(ended)
			return
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// statPollEvery is how often stat -p looks whether its processes exited.
const statPollEvery = 100 * time.Millisecond

// processAlive reports whether process pid runs: it exists and is not a
// zombie waiting for its parent.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// "pid (comm) S ...": the state follows the last ')'.
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ')' {
			return i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
		}
	}
	return false
}
