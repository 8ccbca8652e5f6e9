package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/profile"
)

// offCPUFlags are record's flags of off-CPU, wakeup and wall-clock
// recording.
type offCPUFlags struct {
	offCPU, wakeups, wall bool
	minBlock, maxBlock    time.Duration
	state, threads        string
}

// register registers the flags on fs.
func (o *offCPUFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.offCPU, "off-cpu", false, "record where threads block instead of where they run: stacks weighted by microseconds off CPU")
	fs.BoolVar(&o.wakeups, "wakeups", false, "with each blocked stack, the stack of the thread that woke it, after a \"--\" frame, its frames marked _[w] (implies --off-cpu; bpf backend)")
	fs.BoolVar(&o.wall, "wall", false, "record on-CPU samples and off-CPU time together, in microseconds: blocked stacks end in an [off-cpu] frame")
	fs.DurationVar(&o.minBlock, "min-block", 0, "leave out blocks shorter than `DURATION` (--off-cpu, --wall)")
	fs.DurationVar(&o.maxBlock, "max-block", 0, "leave out blocks longer than `DURATION` (0: no bound)")
	fs.StringVar(&o.state, "state", "any", "task states counted as blocked: any, interruptible (sleeps: pipes, sockets, locks, nanosleep) or uninterruptible (disk I/O)")
	fs.StringVar(&o.threads, "threads", "all", "threads whose blocks count: all, user or kernel")
}

// apply sets the off-CPU options of opts. set tells which flags the
// command line gave. Flags that contradict each other are usage errors;
// the others are profile.Start's to check.
func (o *offCPUFlags) apply(opts *profile.Options, set map[string]bool) error {
	if o.wakeups {
		o.offCPU = true
	}
	switch {
	case o.wall && o.offCPU:
		return fmt.Errorf("%w: --wall records off-CPU time already: give --wall or --off-cpu (--wakeups), not both", errUsage)
	case (o.offCPU || o.wall) && set["F"] && set["c"]:
		return fmt.Errorf("%w: give -F or -c, not both", errUsage)
	case o.offCPU && (set["e"] || set["F"] || set["c"]):
		return fmt.Errorf("%w: --off-cpu records blocked time, not samples of an event: -e, -F and -c apply to --wall and CPU profiles", errUsage)
	}
	var err error
	if opts.Block.State, err = profile.ParseBlockState(o.state); err != nil {
		return fmt.Errorf("%w: --state %q: want any, interruptible or uninterruptible", errUsage, o.state)
	}
	if opts.Block.Threads, err = profile.ParseThreads(o.threads); err != nil {
		return fmt.Errorf("%w: --threads %q: want all, user or kernel", errUsage, o.threads)
	}
	switch {
	case !o.offCPU && !o.wall && (set["min-block"] || set["max-block"] || set["state"] || set["threads"]):
		return fmt.Errorf("%w: --min-block, --max-block, --state and --threads filter blocked time: give --off-cpu, --wakeups or --wall", errUsage)
	case o.minBlock < 0 || o.maxBlock < 0:
		return fmt.Errorf("%w: --min-block and --max-block take positive durations", errUsage)
	case o.maxBlock > 0 && o.minBlock > o.maxBlock:
		return fmt.Errorf("%w: --min-block %v is longer than --max-block %v: no block would be recorded", errUsage, o.minBlock, o.maxBlock)
	case o.wall && !clockEvent(opts.Event):
		return fmt.Errorf("%w: --wall adds on-CPU time to blocked time: -e must be cpu-clock or task-clock, not %q", errUsage, opts.Event)
	}
	opts.Block.Min, opts.Block.Max = o.minBlock, o.maxBlock
	switch {
	case o.offCPU:
		opts.Mode, opts.Event, opts.Frequency, opts.Period = profile.ModeOffCPU, "", 0, 0
	case o.wall:
		opts.Mode = profile.ModeWall
	}
	opts.Wakeups = o.wakeups
	return nil
}

// mode is the mode the flags record in.
func (o *offCPUFlags) mode() profile.Mode {
	switch {
	case o.offCPU || o.wakeups:
		return profile.ModeOffCPU
	case o.wall:
		return profile.ModeWall
	}
	return profile.ModeCPU
}

// graphDefaults gives the flame graph flags the command line left unset
// the defaults of the mode: title, count name and palette.
func (o *offCPUFlags) graphDefaults(g *graphFlags, set map[string]bool) {
	title, countName, colors := profile.FlameGraphDefaults(o.mode(), o.wakeups)
	if !set["title"] && title != "" {
		g.opts.Title = title
	}
	if !set["countname"] && countName != "" {
		g.opts.CountName = countName
	}
	if !set["colors"] && !set["color"] {
		g.colors = colors.String() // parsed by g.check
	}
}

// foldOptions are the options to fold a recording's stacks with: the
// chain palette marks waker frames itself (see profile.Profile.Folded), so
// a flame graph in it is folded without annotations.
func (o *offCPUFlags) foldOptions(perThread bool, format string, colors flamegraph.Palette) profile.FoldOptions {
	return profile.FoldOptions{TID: perThread, NoAnnotations: o.wakeups && format == "svg" && colors == flamegraph.PaletteChain}
}

// clockEvent reports whether the event, when it parses, counts time
// (cpu-clock, task-clock): an event that does not parse is
// profile.Start's to report.
func clockEvent(name string) bool {
	ev, err := profile.ParseEvent(name)
	return err != nil || ev.Unit == "nanoseconds"
}
