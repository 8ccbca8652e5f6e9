package profile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/pmc"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// checkMessage fails unless err's message starts with want and carries
// the package prefix once and each backend's name at most once.
func checkMessage(t *testing.T, err error, want string) {
	t.Helper()
	msg := err.Error()
	if !strings.HasPrefix(msg, want) {
		t.Errorf("error %q, want it to start with %q", msg, want)
	}
	for sub, most := range map[string]int{"profile:": 1, "bpf backend": 0, "perf backend:": 0, "bpf:": 1, "perf:": 1} {
		if n := strings.Count(msg, sub); n > most {
			t.Errorf("%q %d times in %q", sub, n, msg)
		}
	}
}

// TestSentinelsShared checks that the sentinels are internal/perfevent's
// (and so every flamekit package's): errors.Is finds them in errors of
// either package without translation.
func TestSentinelsShared(t *testing.T) {
	if ErrPermission != perfevent.ErrPermission || ErrNotSupported != perfevent.ErrNotSupported {
		t.Errorf("profile's sentinels (%v, %v) are not perfevent's (%v, %v)", ErrPermission, ErrNotSupported, perfevent.ErrPermission, perfevent.ErrNotSupported)
	}
	if !errors.Is(ErrNotSupported, errors.ErrUnsupported) {
		t.Error("ErrNotSupported is not errors.ErrUnsupported")
	}
}

// TestParseErrors parses an unknown event, backend and unwinding: each is
// ErrNotSupported, and says so with the package prefix once.
func TestParseErrors(t *testing.T) {
	_, err := ParseEvent("no-such-event")
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("error %v is not ErrNotSupported", err)
	}
	if !errors.Is(err, pmc.ErrUnknownEvent) {
		t.Errorf("error %v is not pmc.ErrUnknownEvent", err)
	}
	checkMessage(t, err, `profile: not supported: unknown event "no-such-event"`)
	_, err = ParseBackend("dtrace")
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("error %v is not ErrNotSupported", err)
	}
	checkMessage(t, err, `profile: not supported: unknown backend "dtrace" (want auto, bpf or perf)`)
	_, err = ParseUnwind("lbr")
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("error %v is not ErrNotSupported", err)
	}
	checkMessage(t, err, `profile: not supported: unknown unwinding "lbr" (want auto, fp or cfi)`)
	for s, want := range map[string]Unwind{"": UnwindAuto, "auto": UnwindAuto, "fp": UnwindFramePointers, "CFI": UnwindCFI, "dwarf": UnwindCFI} {
		if got, err := ParseUnwind(s); err != nil || got != want {
			t.Errorf("ParseUnwind(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
}

// TestStartNoProcess asks every backend to profile a process that is gone:
// Start fails at once with ErrNoProcess, naming the PID.
func TestStartNoProcess(t *testing.T) {
	testenv.RequireRoot(t)
	pid := samplertest.DeadPID(t)
	for _, b := range []Backend{BackendAuto, BackendBPF, BackendPerf} {
		t.Run(b.String(), func(t *testing.T) {
			s, err := Start(context.Background(), Options{PIDs: []int{os.Getpid(), pid}, Backend: b})
			if err == nil {
				s.Close()
				t.Fatalf("Start profiled PID %d, which does not exist", pid)
			}
			if !errors.Is(err, ErrNoProcess) {
				t.Errorf("error %v is not ErrNoProcess", err)
			}
			checkMessage(t, err, fmt.Sprintf("profile: no process %d", pid))
		})
	}
}

// TestAutoUnsupportedEventCommand profiles a command on an event neither
// backend can open: the error says why each refused, once. (The perf
// attempt used to inherit the cgroup the BPF attempt had made, and said "a
// cgroup and PIDs together".)
func TestAutoUnsupportedEventCommand(t *testing.T) {
	testenv.RequireRoot(t)
	// A software event the kernel does not have: refused everywhere.
	cmd := exec.Command(testenv.RequireTool(t, "true", "apt-get install coreutils"))
	s, err := Start(context.Background(), Options{Event: "software/config=1000/", Command: cmd})
	if err == nil {
		s.Close()
		t.Fatal("Start recorded an event the kernel does not have")
	}
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("error %v is not ErrNotSupported", err)
	}
	checkMessage(t, err, `profile: event "software/config=1000/": the software PMU does not support it: no backend could record: bpf: `)
	msg := err.Error()
	if !strings.Contains(msg, "; perf: ") || strings.Count(msg, "the event is not supported here") != 2 {
		t.Errorf("error %q does not say that each backend found the event unsupported", msg)
	}
	t.Log(msg)
}

// autoPermChildEnv makes TestAutoPermissionChild run.
const autoPermChildEnv = "FLAMEKIT_AUTO_PERMISSION_CHILD"

// TestAutoPermission profiles the whole system as nobody: BPF and perf
// both refuse, and the error says why each did, once.
func TestAutoPermission(t *testing.T) {
	testenv.RequireRoot(t) // to become nobody
	out := samplertest.RunAsNobody(t, "TestAutoPermissionChild", autoPermChildEnv)
	if !strings.Contains(string(out), "AUTOPERM ") {
		t.Fatalf("no result line from the child:\n%s", out)
	}
	t.Logf("child:\n%s", out)
}

// TestAutoPermissionChild is the child of TestAutoPermission.
func TestAutoPermissionChild(t *testing.T) {
	if os.Getenv(autoPermChildEnv) == "" {
		t.Skip("run by TestAutoPermission")
	}
	s, err := Start(context.Background(), Options{})
	if err == nil {
		s.Close()
		t.Fatalf("uid %d profiled the whole system", os.Geteuid())
	}
	if !errors.Is(err, ErrPermission) {
		t.Errorf("error %v is not ErrPermission", err)
	}
	checkMessage(t, err, "profile: no backend could record: bpf: ")
	msg := err.Error()
	if !strings.Contains(msg, "CAP_BPF") || !strings.Contains(msg, "; perf: ") || !strings.Contains(msg, "CAP_PERFMON") {
		t.Errorf("error %q does not say what each backend needs", msg)
	}
	fmt.Printf("AUTOPERM uid=%d: %v\n", os.Geteuid(), err)
}
