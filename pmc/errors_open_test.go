package pmc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOpenError explains a refused open: a hardware event on a tree
// without a cpu PMU says the machine exposes none, on the recorded Intel
// tree that its PMU does not support the event; other refusals name the
// event; errors other than not-supported pass unchanged.
func TestOpenError(t *testing.T) {
	refused := fmt.Errorf("perf_event_open: %w: %w", unix.ENOENT, ErrNotSupported)
	noPMU := Sysfs{Root: filepath.Join(t.TempDir(), "devices")}
	if err := os.MkdirAll(filepath.Join(noPMU.Root, "software"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(noPMU.Root, "software", "type"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cycles, _ := noPMU.ParseEvent("cycles:u")
	llc, _ := noPMU.ParseEvent("LLC-load-misses")
	raw, _ := noPMU.ParseEvent("r003c")
	sw, _ := noPMU.ParseEvent("software/config=1000/")
	intelCPU, err := recorded("intel").ParseEvent("cpu/event=0x3c/")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		tree Sysfs
		e    Event
		says string
	}{
		{noPMU, cycles, `event "cycles:u": this machine exposes no PMU for it (no cpu PMU under ` + noPMU.Root},
		{noPMU, llc, `event "LLC-load-misses": this machine exposes no PMU for it`},
		{noPMU, raw, `event "r003c": this machine exposes no PMU for it`},
		{recorded("intel"), cycles, `event "cycles:u": the CPU's PMU does not support it`},
		{recorded("intel"), intelCPU, `event "cpu/event=0x3c/": the CPU's PMU does not support it`},
		{noPMU, sw, `event "software/config=1000/": the software PMU does not support it`},
	}
	for _, c := range cases {
		err := c.tree.OpenError(c.e, refused)
		if !errors.Is(err, ErrNotSupported) || !errors.Is(err, unix.ENOENT) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v does not wrap ErrNotSupported and the errno", c.e.Name, err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, c.says) || !strings.HasSuffix(msg, refused.Error()) {
			t.Errorf("%s: %q, want it to start with %q", c.e.Name, msg, c.says)
		}
	}
	if err := noPMU.OpenError(cycles, unix.EACCES); err != unix.EACCES {
		t.Errorf("a permission error became %v", err)
	}
	if err := noPMU.OpenError(cycles, nil); err != nil {
		t.Errorf("no error became %v", err)
	}
}

// TestNoPMU: hardware events none of which opens on a tree without a cpu
// PMU are explained once, naming each; events of another kind, or a tree
// with a cpu PMU, are explained event by event instead.
func TestNoPMU(t *testing.T) {
	noPMU := Sysfs{Root: filepath.Join(t.TempDir(), "devices")}
	if err := os.MkdirAll(filepath.Join(noPMU.Root, "software"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(noPMU.Root, "software", "type"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	parse := func(tree Sysfs, list string) []Event {
		groups, err := tree.ParseEvents(list)
		if err != nil {
			t.Fatal(err)
		}
		var es []Event
		for _, g := range groups {
			es = append(es, g...)
		}
		return es
	}
	err := noPMU.noPMU(parse(noPMU, "cycles,{instructions,r003c}"))
	want := `this machine exposes no PMU for "cycles", "instructions", "r003c" (no cpu PMU under ` + noPMU.Root
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, ErrNotSupported) {
		t.Errorf("got %v, want %q... wrapping ErrNotSupported", err, want)
	}
	if err := noPMU.noPMU(parse(noPMU, "cycles,page-faults")); err != nil {
		t.Errorf("with a software event: %v", err)
	}
	if err := recorded("intel").noPMU(parse(recorded("intel"), "cycles")); err != nil {
		t.Errorf("with a cpu PMU: %v", err)
	}
}
