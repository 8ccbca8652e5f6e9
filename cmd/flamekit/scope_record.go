package main

import (
	"context"
	"fmt"
	"io"
	"os"
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
	opts, cmd, err := rf.sessionOptions(stdin, stdout, stderr)
	if err != nil {
		return err
	}
	opts.Timed = true
	o, err := openOutput(f.out, stdout)
	if err != nil {
		return err
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	s, err := profile.Start(context.Background(), opts)
	if err != nil {
		return o.finish(err)
	}
	defer s.Close()
	var parts []*profile.Profile
	if err := recordUntil(s, rf.dur, cmd, sigs, stderr, func(p *profile.Profile) { parts = append(parts, p) }); err != nil {
		return o.finish(err)
	}
	p, err := scope.FromRecording(profile.Merge(parts...), profile.FoldOptions{TID: rf.perThread})
	if err != nil {
		return o.finish(fmt.Errorf("no timed samples from %s: %w", recordTarget(rf.pids, rf.cgroup, rf.command), err))
	}
	if rf.graph.opts.Title == "" && f.format == "html" {
		rf.graph.opts.Title = "flamekit scope: " + recordTarget(rf.pids, rf.cgroup, rf.command)
	}
	if err := o.finish(f.write(o, p, &rf.graph, stderr)); err != nil {
		return err
	}
	if cmd != nil {
		if status := commandStatus(cmd.ProcessState); status != 0 {
			return exitStatus(status)
		}
	}
	return nil
}
