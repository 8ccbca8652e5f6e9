package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/flamekit/flamekit/pmc"
)

// runStat counts events as perf stat does and prints the counts, on
// stderr (or -o's file) so that a counted command's stdout stays its own.
// Its exit status is the command's, or 128 plus the signal that ended
// counting.
func runStat(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f, err := parseStatFlags(args, stderr)
	if err != nil {
		return err
	}
	if err := f.resolveTarget(); err != nil { // a bad -C or -p fails now
		return err
	}
	w := stderr
	var o *output
	if f.out != "" {
		if o, err = openOutput(f.out, stdout); err != nil {
			return err
		}
		w = o.w
	}
	// Ctrl-C and SIGTERM end counting and the counts are printed; a
	// counted command gets the signal and ends counting when it exits.
	// (Notify also re-enables a SIGINT that a background shell made
	// ignored.)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	status, err := f.stat(w, statIO{stdin, stdout, stderr}, sigs)
	if o != nil {
		err = o.finish(err)
	}
	if err != nil {
		return err
	}
	if status != 0 {
		return exitStatus(status)
	}
	return nil
}

// stat counts (once, or -r times), writes the counts to w and returns the
// exit status.
func (f *statFlags) stat(w io.Writer, std statIO, sigs <-chan os.Signal) (int, error) {
	sf := newStatFormat(f)
	var cols *statColumns
	if f.set != nil && sf.table() {
		cols = &statColumns{set: f.set}
	}
	intervals := 0
	interval := func(d pmc.Reading, at, length time.Duration) {
		if cols != nil {
			io.WriteString(w, cols.row(d, true, at))
			return
		}
		if sf.table() && intervals%statHeaderEvery == 0 {
			io.WriteString(w, sf.intervalHeader(f.perCPU))
		}
		intervals++
		for _, l := range atInterval(statLines(d, length, f.perCPU), at) {
			io.WriteString(w, sf.line(l))
		}
	}
	var runs []*statRun
	for range f.repeat {
		run, err := f.countOnce(std, sigs, interval)
		if err != nil {
			return 0, err
		}
		runs = append(runs, run)
		if run.signalled {
			break // Ctrl-C ends the repeats too
		}
	}
	if f.interval == 0 {
		f.writeTotals(w, sf, cols, runs)
	}
	return runs[len(runs)-1].status(), nil
}

// writeTotals writes the counts of the runs (their mean, with -r), with
// the table's title and footer.
func (f *statFlags) writeTotals(w io.Writer, sf statFormat, cols *statColumns, runs []*statRun) {
	total := runs[0].total
	var noise []float64
	sum := statSummary{what: f.what(), runs: len(runs)}
	readings := make([]pmc.Reading, len(runs))
	var wall time.Duration
	for i, r := range runs {
		readings[i] = r.total
		sum.elapsed = append(sum.elapsed, r.elapsed)
		wall += r.elapsed
	}
	wall /= time.Duration(len(runs))
	if len(runs) > 1 {
		total, noise = meanOfRuns(readings)
	}
	if last := runs[len(runs)-1]; last.command != nil && !f.systemTarget() {
		sum.rusage, sum.user, sum.sys = true, last.command.UserTime(), last.command.SystemTime()
	}
	lines := statLines(total, wall, f.perCPU)
	if noise != nil {
		for i := range lines {
			lines[i].repeated, lines[i].noise = true, noise[i]
		}
	}
	if sf.table() {
		sum.writeHeader(w)
	}
	for _, l := range lines {
		io.WriteString(w, sf.line(l))
	}
	if sf.table() {
		if cols != nil {
			io.WriteString(w, "\n"+cols.row(total, false, 0))
		}
		sum.writeFooter(w)
	}
}
