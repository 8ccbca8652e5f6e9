package profile

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/pmc"
)

// TestParseEventFromPMC checks that ParseEvent takes any event pmc names:
// aliases, cache events, PMU terms, modifiers; the clocks count
// nanoseconds.
func TestParseEventFromPMC(t *testing.T) {
	testenv.RequireFile(t, "/sys/bus/event_source/devices/software/type", "a kernel with perf events and sysfs mounted")
	for _, c := range []struct {
		name   string
		typ    uint32
		config uint64
		unit   string
	}{
		{"", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK, "nanoseconds"},
		{"task-clock", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_TASK_CLOCK, "nanoseconds"},
		{"cpu-clock:u", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK, "nanoseconds"},
		{"page-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS, "events"},
		{"faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS, "events"},
		{"software/config=2/", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS, "events"},
		{"cs", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES, "events"},
		{"L1-dcache-load-misses", unix.PERF_TYPE_HW_CACHE, 0x10000, "events"},
		{"cycles:pp", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CPU_CYCLES, "events"},
	} {
		ev, err := ParseEvent(c.name)
		if err != nil {
			t.Errorf("ParseEvent(%q): %v", c.name, err)
			continue
		}
		want := c.name
		if want == "" {
			want = "cpu-clock"
		}
		if ev.Name != want || ev.Type != c.typ || ev.Config != c.config || ev.Unit != c.unit || ev.PMC.Name != want {
			t.Errorf("ParseEvent(%q) = %+v", c.name, ev)
		}
	}
	if ev, _ := ParseEvent("cycles:pp"); ev.PMC.Precise != 2 {
		t.Errorf("cycles:pp has precision %d", ev.PMC.Precise)
	}
}

// TestStartUnsampleable starts sessions on events that cannot be sampled:
// each fails at once, before opening anything, with ErrNotSupported saying
// why.
func TestStartUnsampleable(t *testing.T) {
	testenv.RequireFile(t, "/sys/bus/event_source/devices/msr/events/tsc", "the msr PMU (CONFIG_PERF_EVENTS_MSR)")
	cases := []struct {
		opts Options
		says string
	}{
		{Options{Event: "msr/tsc/"}, `event "msr/tsc/": the msr PMU has no overflow interrupt: its events can be counted but not sampled`},
		{Options{Event: "page-faults:G"}, "modifiers G, H, I, D and S do not apply to sampling"},
		{Options{Event: "page-faults:D"}, "modifiers G, H, I, D and S do not apply to sampling"},
		{Options{Event: "cpu-clock:S"}, "modifiers G, H, I, D and S do not apply to sampling"},
		{Options{Event: "cpu-clock:h"}, "counts neither user nor kernel mode"},
	}
	for _, c := range cases {
		c.opts.Self = true
		s, err := Start(context.Background(), c.opts)
		if err == nil {
			s.Close()
			t.Errorf("Start on %s succeeded", c.opts.Event)
			continue
		}
		if !errors.Is(err, ErrNotSupported) {
			t.Errorf("Start on %s: %v is not ErrNotSupported", c.opts.Event, err)
		}
		checkMessage(t, err, "profile: not supported: ")
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("Start on %s: %q does not say %q", c.opts.Event, err, c.says)
		}
	}
	_, err := Start(context.Background(), Options{Event: "cpu-clock:u", KernelOnly: true, Self: true})
	if err == nil || !strings.Contains(err.Error(), `the modifiers of event "cpu-clock:u" exclude the mode UserOnly or KernelOnly keeps`) {
		t.Errorf("cpu-clock:u with KernelOnly: %v", err)
	}
}

// TestStartHardwareWithoutPMU samples a hardware event on a machine that
// exposes no CPU PMU (as this test's virtual machines): ErrNotSupported
// naming the event and saying so. On a machine with one, the event
// samples.
func TestStartHardwareWithoutPMU(t *testing.T) {
	testenv.RequireRoot(t)
	_, statErr := os.Stat("/sys/bus/event_source/devices/cpu")
	hasPMU := statErr == nil
	for _, event := range []string{"cycles", "instructions:u", "LLC-load-misses"} {
		cmd := exec.Command(testenv.RequireTool(t, "true", "apt-get install coreutils"))
		s, err := Start(context.Background(), Options{Event: event, Command: cmd})
		if hasPMU {
			if err != nil {
				t.Errorf("Start on %s with a PMU: %v", event, err)
			} else {
				s.Close()
			}
			continue
		}
		if err == nil {
			s.Close()
			t.Fatalf("Start on %s succeeded without a PMU", event)
		}
		if !errors.Is(err, ErrNotSupported) || !errors.Is(err, pmc.ErrNotSupported) {
			t.Errorf("Start on %s: %v is not ErrNotSupported", event, err)
		}
		checkMessage(t, err, `profile: event "`+event+`": this machine exposes no PMU for it`)
	}
}
