package bpfsampler

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
)

// bpfPermChildEnv makes TestBPFPermissionChild run.
const bpfPermChildEnv = "FLAMEKIT_BPF_PERMISSION_CHILD"

// TestBPFPermission runs this test binary as nobody and checks that the
// eBPF backend then fails with errs.ErrPermission and says what to do.
func TestBPFPermission(t *testing.T) {
	testenv.RequireRoot(t) // to become nobody
	out := samplertest.RunAsNobody(t, "TestBPFPermissionChild", bpfPermChildEnv)
	if !strings.Contains(string(out), "BPFPERM ") {
		t.Fatalf("no result line from the child:\n%s", out)
	}
	t.Logf("child:\n%s", out)
}

// TestBPFPermissionChild is the child of TestBPFPermission.
func TestBPFPermissionChild(t *testing.T) {
	if os.Getenv(bpfPermChildEnv) == "" {
		t.Skip("run by TestBPFPermission")
	}
	s, err := Start(samplertest.CPUClock(99))
	if err == nil {
		s.Close()
		t.Fatalf("uid %d started the eBPF backend", os.Geteuid())
	}
	if !errors.Is(err, errs.ErrPermission) || !strings.Contains(err.Error(), "CAP_BPF") {
		t.Fatalf("want ErrPermission naming CAP_BPF, got %v", err)
	}
	fmt.Printf("BPFPERM uid=%d: %v\n", os.Geteuid(), err)
}
