package unwind

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/procfs"
	"github.com/flamekit/flamekit/internal/testenv"
)

// startSleep starts a sleep process, a dynamically linked Debian binary
// mapping libc, and stops it when the test ends.
func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	sleep := testenv.RequireTool(t, "sleep", "coreutils")
	cmd := exec.Command(sleep, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait for the exec: until then the maps are the test binary's.
	for i := 0; i < 200; i++ {
		if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", cmd.Process.Pid)); exe == sleep {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := 0; i < 200; i++ {
		for _, o := range objectsOf(t, cmd.Process.Pid) {
			if strings.Contains(o.Path, "/libc.so") {
				return cmd
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("sleep (pid %d) never mapped libc", cmd.Process.Pid)
	return nil
}

// objectsOf reads the executable file mappings of process pid, the files
// opened by path and keyed by device and inode, as a snapshot would.
func objectsOf(t testing.TB, pid int) []Object {
	t.Helper()
	maps, err := procfs.ReadExecutableMaps(pid)
	if err != nil {
		t.Fatal(err)
	}
	var objs []Object
	for _, m := range maps {
		if !strings.HasPrefix(m.Path, "/") {
			continue
		}
		f, err := os.Open(m.Path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		objs = append(objs, Object{Start: m.Start, End: m.End, Offset: m.Offset, Path: m.Path,
			Key: fmt.Sprintf("%d:%d:%d", m.Major, m.Minor, m.Inode), File: f})
	}
	return objs
}

// recorder is a Loader that records its calls and checks their order.
type recorder struct {
	t      *testing.T
	loaded map[uint32]*Table
	procs  map[uint32]*Process
	calls  []string
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{t: t, loaded: map[uint32]*Table{}, procs: map[uint32]*Process{}}
}

func (l *recorder) LoadTable(t *Table) error {
	if l.loaded[t.ID] != nil {
		l.t.Errorf("table id %d loaded twice", t.ID)
	}
	l.loaded[t.ID] = t
	l.calls = append(l.calls, "load "+t.Path)
	return nil
}

func (l *recorder) UnloadTable(t *Table) {
	if l.loaded[t.ID] != t {
		l.t.Errorf("table %d (%s) unloaded but not loaded", t.ID, t.Path)
	}
	for _, p := range l.procs {
		for _, m := range p.Mappings {
			if m.Table == t {
				l.t.Errorf("table %s unloaded while pid %d maps it", t.Path, p.PID)
			}
		}
	}
	delete(l.loaded, t.ID)
	l.calls = append(l.calls, "unload "+t.Path)
}

func (l *recorder) SetProcess(p *Process) error {
	for _, m := range p.Mappings {
		if m.Table != nil && l.loaded[m.Table.ID] != m.Table {
			l.t.Errorf("pid %d set with table %s not loaded", p.PID, m.Table.Path)
		}
	}
	l.procs[p.PID] = p
	tables := 0
	for _, m := range p.Mappings {
		if m.Table != nil {
			tables++
		}
	}
	pending := ""
	if p.Pending {
		pending = " (pending)"
	}
	l.calls = append(l.calls, fmt.Sprintf("set %d with %d tables%s", p.PID, tables, pending))
	return nil
}

func (l *recorder) RemoveProcess(pid uint32) { delete(l.procs, pid) }

// TestAddProcessBias checks, on a real process, that the mappings of libc
// and of the executable get tables, and that their biases take a function's
// address in the process to the file's: the address of libc's own `write`
// symbol, plus the bias, is in the libc mapping, and its rule is found.
func TestAddProcessBias(t *testing.T) {
	cmd := startSleep(t)
	r := NewRegistry(Options{})
	defer r.Close()
	p, err := r.AddProcess(uint32(cmd.Process.Pid), objectsOf(t, cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var libc *Mapping
	for i, m := range p.Mappings {
		if m.Table != nil && strings.Contains(m.Table.Path, "/libc.so") {
			libc = &p.Mappings[i]
		}
	}
	if libc == nil {
		t.Fatalf("no libc mapping with a table in %+v", p.Mappings)
	}
	ef, err := elf.Open(libc.Table.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, err := ef.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range syms {
		if s.Name != "write" || s.Value == 0 {
			continue
		}
		found = true
		addr := s.Value + libc.Bias
		m, ok := p.Find(addr)
		if !ok || m != libc {
			t.Fatalf("write at %#x (file %#x + bias %#x) is not in libc's mapping %#x-%#x", addr, s.Value, libc.Bias, libc.Start, libc.End)
		}
		if _, ok := m.Table.CFI.Lookup(addr - m.Bias); !ok {
			t.Errorf("no rule for write at file address %#x", s.Value)
		}
	}
	if !found {
		t.Fatal("libc has no write symbol")
	}
	// Every mapping with a table: its start is in an executable segment.
	for _, m := range p.Mappings {
		if m.Table == nil {
			continue
		}
		if _, ok := m.Table.CFI.Lookup(m.Start - m.Bias); !ok {
			// The first bytes of a mapping may be headers; some rule
			// must be found within it.
			if _, ok := m.Table.CFI.Lookup(m.Table.CFI.Starts[len(m.Table.CFI.Starts)/2]); !ok || m.Table.CFI.Starts[len(m.Table.CFI.Starts)/2]+m.Bias >= m.End {
				t.Errorf("%s: its table's middle address %#x is outside its mapping %#x-%#x", m.Table.Path, m.Table.CFI.Starts[len(m.Table.CFI.Starts)/2]+m.Bias, m.Start, m.End)
			}
		}
	}
}

// TestTablesSharedAndReleased checks that two processes of one executable
// share every table, that the loader hears of each table once, before the
// processes using it and after the last of them goes, and that the bytes
// held go back to zero.
func TestTablesSharedAndReleased(t *testing.T) {
	a, b := startSleep(t), startSleep(t)
	r := NewRegistry(Options{Linger: 0})
	l := newRecorder(t)
	r.SetLoader(l)
	pa, err := r.AddProcess(uint32(a.Process.Pid), objectsOf(t, a.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	s1 := r.Stats()
	pb, err := r.AddProcess(uint32(b.Process.Pid), objectsOf(t, b.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	s2 := r.Stats()
	if s1.Tables < 2 || s2.Tables != s1.Tables || s2.Bytes != s1.Bytes || s2.Processes != 2 {
		t.Fatalf("stats after one process %+v, after two %+v: the second should share every table", s1, s2)
	}
	for i, m := range pa.Mappings {
		if m.Table != pb.Mappings[i].Table {
			t.Errorf("mapping %d: tables %p and %p differ", i, m.Table, pb.Mappings[i].Table)
		}
	}
	if len(l.loaded) != s1.Tables {
		t.Errorf("loader holds %d tables, registry %d", len(l.loaded), s1.Tables)
	}
	r.RemoveProcess(uint32(a.Process.Pid))
	if got := r.Stats(); got.Tables != s1.Tables {
		t.Errorf("one process left, but %d tables of %d held", got.Tables, s1.Tables)
	}
	r.RemoveProcess(uint32(b.Process.Pid))
	if got := r.Stats(); got.Tables != 0 || got.Bytes != 0 || got.Processes != 0 || len(l.loaded) != 0 || len(l.procs) != 0 {
		t.Errorf("after both exited: stats %+v, loader tables %d, processes %d; want all 0", got, len(l.loaded), len(l.procs))
	}
	r.Close()
	if _, err := r.AddProcess(1, nil); err != ErrClosed {
		t.Errorf("AddProcess after Close: %v, want ErrClosed", err)
	}
}

// TestLinger checks that a table no process maps stays for the linger
// time (a program run again reuses it) and is released after.
func TestLinger(t *testing.T) {
	a := startSleep(t)
	r := NewRegistry(Options{Linger: 50 * time.Millisecond})
	defer r.Close()
	pid := uint32(a.Process.Pid)
	p1, err := r.AddProcess(pid, objectsOf(t, a.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	r.RemoveProcess(pid)
	held := r.Stats().Tables
	if held == 0 {
		t.Fatal("tables released at once despite the linger time")
	}
	p2, _ := r.AddProcess(pid, objectsOf(t, a.Process.Pid))
	if p2.Mappings[0].Table != p1.Mappings[0].Table {
		t.Error("a process of the same files got new tables within the linger time")
	}
	r.RemoveProcess(pid)
	time.Sleep(60 * time.Millisecond)
	r.RemoveProcess(12345678) // any change sweeps
	r.AddProcess(12345678, nil)
	if got := r.Stats().Tables; got != 0 {
		t.Errorf("%d tables held after the linger time", got)
	}
}

// TestBudget checks that tables over the budget are not built into memory
// the registry does not have: the mappings get none, counted by reason.
func TestBudget(t *testing.T) {
	a := startSleep(t)
	r := NewRegistry(Options{Budget: 1000})
	defer r.Close()
	p, err := r.AddProcess(uint32(a.Process.Pid), objectsOf(t, a.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range p.Mappings {
		if m.Table != nil {
			t.Errorf("%#x-%#x has a table of %d bytes over a budget of 1000", m.Start, m.End, m.Table.CFI.Bytes())
		}
	}
	s := r.Stats()
	if s.NoTable[NoTableOverBudget] == 0 || s.Bytes != 0 {
		t.Errorf("stats %+v: want mappings over the budget counted and no bytes held", s)
	}
}

// TestKnownTablesFirst checks that a process whose files are not all read
// yet is set at once with the tables there are, then again with all of
// them; and that a process whose files are all known is set once.
func TestKnownTablesFirst(t *testing.T) {
	a, b := startSleep(t), startSleep(t)
	r := NewRegistry(Options{})
	defer r.Close()
	l := newRecorder(t)
	r.SetLoader(l)
	pa, err := r.AddProcess(uint32(a.Process.Pid), objectsOf(t, a.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	tables := 0
	for _, m := range pa.Mappings {
		if m.Table != nil {
			tables++
		}
	}
	var sets []string
	for _, c := range l.calls {
		if strings.HasPrefix(c, "set ") {
			sets = append(sets, c)
		}
	}
	want := []string{fmt.Sprintf("set %d with 0 tables (pending)", a.Process.Pid), fmt.Sprintf("set %d with %d tables", a.Process.Pid, tables)}
	if tables == 0 || !slices.Equal(sets, want) {
		t.Errorf("first process set as %q, want %q", sets, want)
	}
	if pa.Pending {
		t.Error("AddProcess returned mappings still pending")
	}
	l.calls = nil
	if _, err := r.AddProcess(uint32(b.Process.Pid), objectsOf(t, b.Process.Pid)); err != nil {
		t.Fatal(err)
	}
	if want := []string{fmt.Sprintf("set %d with %d tables", b.Process.Pid, tables)}; !slices.Equal(l.calls, want) {
		t.Errorf("a process of known files: loader calls %q, want %q", l.calls, want)
	}
}

// TestLoaderHoldsTheRules checks that the registry lets go of a table's
// rules once a loader has loaded it (a big program's are megabytes, which
// a continuous profiler would otherwise hold twice), keeping their packed
// size; and that once the loader is gone, the next process of those files
// gets tables with their rules again, for Walk.
func TestLoaderHoldsTheRules(t *testing.T) {
	a := startSleep(t)
	r := NewRegistry(Options{})
	defer r.Close()
	l := newRecorder(t)
	r.SetLoader(l)
	p, err := r.AddProcess(uint32(a.Process.Pid), objectsOf(t, a.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	tables := 0
	for _, m := range p.Mappings {
		if m.Table == nil {
			continue
		}
		tables++
		if m.Table.CFI != nil || m.Table.Words == 0 || l.loaded[m.Table.ID] != m.Table {
			t.Errorf("%s: loaded %v, rules held in user space %v, %d words packed; want loaded, not held, words > 0",
				m.Table.Path, l.loaded[m.Table.ID] == m.Table, m.Table.CFI != nil, m.Table.Words)
		}
	}
	if tables < 2 {
		t.Fatalf("%d mappings with tables, want the executable's and libc's", tables)
	}

	r.SetLoader(nil)
	if st := r.Stats(); st.Tables != 0 || st.Bytes != 0 {
		t.Errorf("after the loader went: %d tables of %d bytes held, want none (only it held their rules)", st.Tables, st.Bytes)
	}
	p, err = r.AddProcess(uint32(a.Process.Pid), objectsOf(t, a.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	withRules := 0
	for _, m := range p.Mappings {
		if m.Table != nil && m.Table.CFI != nil && m.Table.Words == m.Table.CFI.PackedWords() {
			withRules++
		}
	}
	if withRules != tables {
		t.Errorf("without a loader, %d mappings have tables with rules, want %d", withRules, tables)
	}
}
