package profile

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// bpfPermChildEnv makes TestBPFPermissionChild run.
const bpfPermChildEnv = "FLAMEKIT_BPF_PERMISSION_CHILD"

// TestBPFPermission runs this test binary as nobody and checks that the
// eBPF backend then fails with ErrPermission and says what to do.
func TestBPFPermission(t *testing.T) {
	requireRoot(t) // to become nobody
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	dir, err := os.MkdirTemp("", "flamekit-bpf-") // t.TempDir's parent is private
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "profile.test")
	copyFile(t, os.Args[0], bin)
	cmd := exec.Command(bin, "-test.run=^TestBPFPermissionChild$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), bpfPermChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
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
	s, err := startBPF(cpuClock(99))
	if err == nil {
		s.close()
		t.Fatalf("uid %d started the eBPF backend", os.Geteuid())
	}
	if !errors.Is(err, ErrPermission) || !strings.Contains(err.Error(), "CAP_BPF") {
		t.Fatalf("want ErrPermission naming CAP_BPF, got %v", err)
	}
	fmt.Printf("BPFPERM uid=%d: %v\n", os.Geteuid(), err)
}
