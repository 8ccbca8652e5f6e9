package procfs

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDirSelf reads this process through its /proc directory: the same
// maps, status, start time and namespace pid as the path-based readers.
func TestDirSelf(t *testing.T) {
	d, err := OpenDir(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	maps, err := d.ExecutableMaps()
	if err != nil || len(maps) == 0 {
		t.Fatalf("ExecutableMaps = %d mappings, %v", len(maps), err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range maps {
		found = found || m.Path == exe
	}
	if !found {
		t.Errorf("no executable mapping of %s in %+v", exe, maps)
	}
	st, err := d.Status()
	if err != nil || st.NSpid[len(st.NSpid)-1] != os.Getpid() {
		t.Errorf("Status = %+v, %v", st, err)
	}
	start, err := d.StartTime()
	stat, serr := os.ReadFile("/proc/self/stat")
	ticks, perr := ParseStatStartTime(stat)
	boot, berr := bootTime()
	want := boot.Add(time.Duration(ticks) * time.Second / userHZ)
	if err != nil || serr != nil || perr != nil || berr != nil || !start.Equal(want) {
		t.Errorf("StartTime = %v, %v; want %v (%v, %v, %v)", start, err, want, serr, perr, berr)
	}
	if nspid, err := d.OwnNSpid(); err != nil || nspid != os.Getpid() {
		t.Errorf("OwnNSpid = %d, %v", nspid, err)
	}
	if uid, err := d.Owner(); err != nil || uid != uint32(os.Geteuid()) {
		t.Errorf("Owner = %d, %v; want %d", uid, err, os.Geteuid())
	}
	if cwd, err := d.Readlink("cwd"); err != nil || cwd == "" {
		t.Errorf("Readlink(cwd) = %q, %v", cwd, err)
	}
	var ns unix.Stat_t
	if err := d.Stat("ns/pid", &ns); err != nil {
		t.Errorf("Stat(ns/pid): %v", err)
	}
}

// TestDirExited reads nothing through the directory of a process once it
// has been reaped, whatever its pid names by then.
func TestDirExited(t *testing.T) {
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if maps, err := d.ExecutableMaps(); err != nil || len(maps) == 0 {
		t.Fatalf("live: %d mappings, %v", len(maps), err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if maps, err := d.ExecutableMaps(); err == nil && len(maps) > 0 {
		t.Errorf("reaped: %d mappings read", len(maps))
	}
	if _, err := d.StartTime(); err == nil {
		t.Error("reaped: start time read")
	}
	if _, err := OpenDir(cmd.Process.Pid); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenDir of a reaped pid: %v, want fs.ErrNotExist", err)
	}
	if _, err := OpenDir(0); err == nil {
		t.Error("OpenDir(0) succeeded")
	}
}
