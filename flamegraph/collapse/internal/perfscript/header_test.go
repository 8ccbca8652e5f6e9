package perfscript

import "testing"

// TestSplitHeader reads the header forms of real captures: perf record -a
// ("comm  TID [CPU] time:"), without -a (no CPU column), with
// -F comm,pid,tid,... ("PID/TID"), comms with spaces and one-letter comms.
func TestSplitHeader(t *testing.T) {
	for _, tt := range []struct {
		line, comm, pid, tid string
	}{
		{"go  9193 [000]   369.957111:    1001001 cpu-clock: ", "go", "9193", ""},
		{"work 14895   715.517072:    1001001 cpu-clock: ", "work", "14895", ""},
		{"work 14895/14895   715.517072:    1001001 cpu-clock: ", "work", "14895", "14895"},
		{"V8 WorkerThread 24636/25607 [000] 94564.109216:     104345 cycles: ", "V8 WorkerThread", "24636", "25607"},
		{"w 24758   995.472553:    1001001 cpu-clock: ", "w", "24758", ""},
	} {
		comm, pid, tid, ok := splitHeader([]byte(tt.line))
		if !ok || string(comm) != tt.comm || string(pid) != tt.pid || string(tid) != tt.tid {
			t.Errorf("splitHeader(%q) = %q, %q, %q, %v; want %q, %q, %q", tt.line, comm, pid, tid, ok, tt.comm, tt.pid, tt.tid)
		}
	}
	for _, line := range []string{"", "x", " work 1 1.0: ev:", "this line is junk", "\tffffffff8103ce3b native_safe_halt ([kernel.kallsyms])"} {
		if _, _, _, ok := splitHeader([]byte(line)); ok {
			t.Errorf("splitHeader(%q) accepted a line that is no header", line)
		}
	}
}

// TestHeaderEvent reads the period and event at the end of headers, with
// and without a period, with modifiers and tracepoint names.
func TestHeaderEvent(t *testing.T) {
	for _, tt := range []struct {
		line, period, event string
		ok                  bool
	}{
		{"work 15623   760.516881:          1 page-faults: ", "1", "page-faults", true},
		{"go  9193 [000]   369.957111:    1001001 cpu-clock: ", "1001001", "cpu-clock", true},
		{"swapper     0 [000] 158665.570607: cycles:", "", "cycles", true},
		{"app 7/7 1.5: 3 cycles:u:", "3", "cycles:u", true},
		{"perf 1 2.0: 1 sched:sched_switch:", "1", "sched:sched_switch", true},
		{"a b 12 x", "", "", false},
		{"cmd 1/2 y:", "", "", false},
	} {
		period, event, ok := headerEvent([]byte(tt.line))
		if ok != tt.ok || string(period) != tt.period || string(event) != tt.event {
			t.Errorf("headerEvent(%q) = %q, %q, %v; want %q, %q, %v", tt.line, period, event, ok, tt.period, tt.event, tt.ok)
		}
	}
	for in, want := range map[string]float64{"": 1, "0": 1, "1": 1, "1001001": 1001001} {
		if got := parsePeriod([]byte(in)); got != want {
			t.Errorf("parsePeriod(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestUnit names what the counts of an event measure.
func TestUnit(t *testing.T) {
	for _, tt := range []struct {
		event    string
		weighted bool
		want     string
	}{
		{"cpu-clock", true, "nanoseconds"},
		{"cpu-clock:pppH", true, "nanoseconds"},
		{"task-clock", true, "nanoseconds"},
		{"cycles:u", true, "cycles"},
		{"sched:sched_switch", true, "sched:sched_switch"},
		{"page-faults", false, ""},
		{"", true, ""},
	} {
		if got := unit([]byte(tt.event), tt.weighted); got != tt.want {
			t.Errorf("unit(%q, %v) = %q, want %q", tt.event, tt.weighted, got, tt.want)
		}
	}
}
