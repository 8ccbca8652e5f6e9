package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestRecordPageFaultEvents samples a program that touches fresh pages on
// page faults, named as perf names the software event and as the software
// PMU's config=2, by period and by frequency: its page-touching function
// carries the samples.
func TestRecordPageFaultEvents(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.BuildC(t, "gcc", "pagetouch", []string{"testdata/pagetouch.c"}, "-g", "-O1", "-fno-omit-frame-pointer")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-e", "page-faults", "-c", "64"},
		{"-e", "software/config=2/", "-F", "999"},
		{"-e", "faults:u", "-c", "64"},
		// Stack copies (--unwind auto) lose samples of a fault every 2 µs
		// on the perf backend's rings: frame pointers keep them all.
		{"--backend", "perf", "--unwind", "fp", "-e", "page-faults", "-c", "64"},
	} {
		what := strings.Join(args, " ")
		out := filepath.Join(dir, "faults.folded")
		r := runCLI(t, dir, "", append(append([]string{"record", "-o", out}, args...), "--", bin, "8")...)
		if r.code != 0 {
			t.Fatalf("record %s: exit %d: %q", what, r.code, r.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var total, touching int
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			n, err := strconv.Atoi(line[strings.LastIndexByte(line, ' ')+1:])
			if err != nil {
				t.Fatalf("record %s: bad folded line %q", what, line)
			}
			total += n
			if strings.Contains(line, "touch_fresh_pages") {
				touching += n
			}
		}
		if touching*2 < total {
			t.Errorf("record %s: touch_fresh_pages has %d of %d samples:\n%.2000s", what, touching, total, b)
		}
		// By period, the samples count the faults: 8 rounds of 16384
		// fresh pages, one sample each 64 faults.
		if slices.Contains(args, "-c") && (touching < 2048*95/100 || touching > 2048*110/100) {
			t.Errorf("record %s: touch_fresh_pages has %d samples, want about 2048 (131072 faults / 64)", what, touching)
		}
		os.Remove(out)
	}
}

// TestRecordEventErrors names events record cannot sample: a PMU without
// an overflow interrupt and a hardware event on a machine without a PMU
// fail at once with one line saying why; a misspelt event names the close
// ones.
func TestRecordEventErrors(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, dir, "", "record", "-e", "L1-dcache-lod-misses", "-o", "x.folded", "--", "true")
	r.wantFailure(t, "record -e L1-dcache-lod-misses", 1, `unknown event "L1-dcache-lod-misses"`, "L1-dcache-load-misses")
	testenv.RequireFile(t, "/sys/bus/event_source/devices/msr/events/tsc", "the msr PMU (CONFIG_PERF_EVENTS_MSR)")
	r = runCLI(t, dir, "", "record", "-e", "msr/tsc/", "-o", "x.folded", "--", "true")
	r.wantFailure(t, "record -e msr/tsc/", 1, `"msr/tsc/"`, "msr PMU has no overflow interrupt", "counted but not sampled")
	wantFiles(t, "record -e msr/tsc/", dir)
	if _, err := os.Stat("/sys/bus/event_source/devices/cpu"); err == nil {
		return // a machine with a PMU: the next case is for one without
	}
	testenv.RequireRoot(t)
	for _, ev := range []string{"cycles", "L1-dcache-load-misses", "r003c"} {
		r = runCLI(t, dir, "", "record", "-e", ev, "-o", "x.folded", "--", "true")
		r.wantFailure(t, "record -e "+ev, 1, `event "`+ev+`"`, "this machine exposes no PMU for it", "not supported")
	}
	wantFiles(t, "record -e cycles", dir)
}
