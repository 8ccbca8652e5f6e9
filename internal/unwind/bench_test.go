package unwind

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/procfs"
	"github.com/flamekit/flamekit/internal/testenv"
)

// machineObjects reads the executable file mappings of every process on
// the machine, keyed by device and inode, each file opened once by path.
func machineObjects(b *testing.B) map[uint32][]Object {
	b.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	files := map[string]*os.File{}
	b.Cleanup(func() {
		for _, f := range files {
			f.Close()
		}
	})
	procs := map[uint32][]Object{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		maps, err := procfs.ReadExecutableMaps(pid)
		if err != nil {
			continue // exited, or a kernel thread
		}
		var objs []Object
		for _, m := range maps {
			if !strings.HasPrefix(m.Path, "/") || m.Deleted {
				continue
			}
			key := fmt.Sprintf("%d:%d:%d", m.Major, m.Minor, m.Inode)
			f, ok := files[key]
			if !ok {
				if f, err = os.Open(m.Path); err != nil {
					continue
				}
				files[key] = f
			}
			objs = append(objs, Object{Start: m.Start, End: m.End, Offset: m.Offset, Path: m.Path, Key: key, File: f})
		}
		procs[uint32(pid)] = objs
	}
	return procs
}

// BenchmarkSystemWideStart adds every process running on the machine to a
// new registry, as a system-wide recording does when it has sampled each
// of them: the tables of every distinct file are built once. It reports
// the processes, the tables, their bytes, and the mappings left to frame
// pointers.
func BenchmarkSystemWideStart(b *testing.B) {
	testenv.RequireRoot(b)
	procs := machineObjects(b)
	var st Stats
	for b.Loop() {
		r := NewRegistry(Options{})
		for pid, objs := range procs {
			if _, err := r.AddProcess(pid, objs); err != nil {
				b.Fatal(err)
			}
		}
		st = r.Stats()
		r.Close()
	}
	b.ReportMetric(float64(st.Processes), "processes")
	b.ReportMetric(float64(st.Tables), "tables")
	b.ReportMetric(float64(st.Bytes)/(1<<20), "table-MiB")
	var none uint64
	for _, n := range st.NoTable {
		none += n
	}
	b.ReportMetric(float64(none), "mappings-without-table")
}

// BenchmarkAddKnownProcess adds a process whose files are all known
// already, as a process of an executable run again and again is: the
// per-process cost once tables are built.
func BenchmarkAddKnownProcess(b *testing.B) {
	objs := machineObjects(b)[uint32(os.Getpid())]
	r := NewRegistry(Options{Linger: time.Hour})
	defer r.Close()
	if _, err := r.AddProcess(1, objs); err != nil {
		b.Fatal(err)
	}
	pid := uint32(2)
	for b.Loop() {
		if _, err := r.AddProcess(pid, objs); err != nil {
			b.Fatal(err)
		}
		r.RemoveProcess(pid)
	}
}
