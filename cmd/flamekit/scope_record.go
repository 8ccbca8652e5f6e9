package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/scope"
)

// runRecording records as flamekit record does, with record's flags (and
// its parsing, target checks and session loop), every sample with its
// time, and shows the recording.
func (f *scopeFlags) runRecording(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	rf, err := parseRecordFlags(args, stderr)
	if err != nil {
		return err
	}
	if err := f.checkGraph(&rf.graph); err != nil {
		return err
	}
	o, err := openOutput(f.out, stdout)
	if err != nil {
		return err
	}
	rec, cmd, err := recordTimed(rf, stdin, stdout, stderr)
	if err != nil {
		return o.finish(err)
	}
	p, err := scope.FromRecording(rec, profile.FoldOptions{TID: rf.perThread})
	if err != nil {
		return o.finish(fmt.Errorf("no timed samples from %s: %w", recordTarget(rf.pids, rf.cgroup, rf.command), err))
	}
	if rf.graph.opts.Title == "" && f.format == "html" {
		rf.graph.opts.Title = "flamekit scope: " + recordTarget(rf.pids, rf.cgroup, rf.command)
	}
	if err := o.finish(f.write(o, p, &rf.graph, stderr)); err != nil {
		return err
	}
	sayTimedLost(stderr, rec)
	return commandExit(cmd)
}

// recordTimed records with rf's options, every sample with its time, until
// rf's duration ends, the command exits or a signal comes, and returns the
// recording and the command it ran, if any.
func recordTimed(rf *recordFlags, stdin io.Reader, stdout, stderr io.Writer) (*profile.Profile, *exec.Cmd, error) {
	opts, cmd, err := rf.sessionOptions(stdin, stdout, stderr)
	if err != nil {
		return nil, nil, err
	}
	opts.Timed = true
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	s, err := profile.Start(context.Background(), opts)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	var parts []*profile.Profile
	if err := recordUntil(s, rf.dur, cmd, sigs, stderr, func(p *profile.Profile) { parts = append(parts, p) }); err != nil {
		return nil, nil, err
	}
	return profile.Merge(parts...), cmd, nil
}

// sayTimedLost tells stderr what scope's recording rec lost: samples (or
// blocks) the backend dropped, and timed samples that did not reach what
// scope shows.
func sayTimedLost(stderr io.Writer, rec *profile.Profile) {
	sayLost(stderr, "scope", rec.Lost, rec.Total(), rec.Backend)
	if n := rec.Failures[profile.FailureTimedRingFull] + rec.Failures[profile.FailureTimedBacklogFull]; n > 0 {
		fmt.Fprintf(stderr, "flamekit scope: %d samples lost from the timed log are not shown\n", n)
	}
}

// commandExit returns the exit status of the recorded command, if it
// failed, as the error that makes it flamekit's.
func commandExit(cmd *exec.Cmd) error {
	if cmd != nil {
		if status := commandStatus(cmd.ProcessState); status != 0 {
			return exitStatus(status)
		}
	}
	return nil
}
