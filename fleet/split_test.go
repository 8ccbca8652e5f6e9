package fleet

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	pprofile "github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

const fleetWork = `
#include <time.h>
volatile unsigned long sink;
__attribute__((noinline)) void fleet_hot(void) { for (unsigned long i = 0; i < 1000000; i++) sink += i * i; }
int main(void) {
	struct timespec t;
	do { fleet_hot(); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); } while (t.tv_sec < 1);
	return 0;
}
`

// recordFleetWork profiles a C program that burns a second of CPU in
// fleet_hot, named fleetwork.
func recordFleetWork(t *testing.T) *profile.Profile {
	t.Helper()
	return recordFleetWorkTB(t)
}

func recordFleetWorkTB(t testing.TB) *profile.Profile {
	t.Helper()
	testenv.RequireSelfProfiling(t)
	bin := testenv.BuildC(t, "gcc", "fleetwork", []string{testenv.WriteSource(t, "fleetwork.c", fleetWork)}, "-O0", "-fno-omit-frame-pointer")
	s, err := profile.Start(context.Background(), profile.Options{Command: exec.Command(bin), Frequency: 499, Backend: profile.BackendPerf})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-s.Done()
	p, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// What Split makes and the Pyroscope client pushes decodes, with
// Pyroscope's own API types, to the service's labels and a pprof of its
// samples that names its hot function.
func TestSplitPushesLabelledPprof(t *testing.T) {
	p := recordFleetWork(t)
	batches, err := Split(p, SplitOptions{Hostname: "host-1", Labels: map[string]string{"env": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	var work *Batch
	for _, b := range batches {
		if b.Service() == "fleetwork" {
			work = b
		}
	}
	if work == nil {
		t.Fatalf("no batch of service fleetwork among %d", len(batches))
	}
	f := newFakePyroscope(t)
	client, err := NewPyroscope(f.url, PyroscopeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Push(context.Background(), []*Batch{work}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	series := f.accepted
	f.mu.Unlock()
	if len(series) != 1 || len(series[0].Samples) != 1 {
		t.Fatalf("the backend got %d series, want 1 with 1 profile", len(series))
	}
	var names []string
	got := map[string]string{}
	for _, l := range series[0].Labels {
		names = append(names, l.Name)
		got[l.Name] = l.Value
	}
	// The process has exited, so it has no cgroup label.
	want := map[string]string{LabelName: "process_cpu", "env": "test", LabelHostname: "host-1", LabelServiceName: "fleetwork"}
	if !maps.Equal(got, want) || !slices.IsSorted(names) {
		t.Errorf("labels %v, want %v sorted by name", series[0].Labels, want)
	}
	raw := series[0].Samples[0]
	if raw.ID != work.ID || len(raw.ID) != 36 {
		t.Errorf("profile id %q, want the batch's UUID %q", raw.ID, work.ID)
	}
	pp, err := pprofile.ParseData(raw.RawProfile)
	if err != nil {
		t.Fatalf("the pushed pprof does not parse: %v", err)
	}
	if len(pp.SampleType) != 2 || pp.SampleType[1].Type != "cpu" || pp.SampleType[1].Unit != "nanoseconds" {
		t.Errorf("sample types %v, want samples/count and cpu/nanoseconds", pp.SampleType)
	}
	var all, hot int64
	for _, s := range pp.Sample {
		if c := s.Label["comm"]; len(c) != 1 || c[0] != "fleetwork" {
			t.Fatalf("a sample of comm %v in fleetwork's profile", c)
		}
		all += s.Value[0]
		for _, loc := range s.Location {
			if len(loc.Line) > 0 && loc.Line[0].Function.Name == "fleet_hot" {
				hot += s.Value[0]
				break
			}
		}
	}
	if all == 0 || hot < all*8/10 {
		t.Errorf("fleet_hot in %d of %d samples, want most", hot, all)
	}
}

// With a service name, every process's samples go into one batch.
func TestSplitOneServiceName(t *testing.T) {
	p := recordFleetWork(t)
	batches, err := Split(p, SplitOptions{ServiceName: "everything"})
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 1 || batches[0].Service() != "everything" {
		t.Fatalf("%d batches, want 1 of service everything", len(batches))
	}
	pp, err := pprofile.ParseData(batches[0].Pprof)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, s := range pp.Sample {
		n += s.Value[0]
	}
	if uint64(n) != p.Total() {
		t.Errorf("the batch has %d samples, the profile %d", n, p.Total())
	}
	if _, ok := batches[0].Labels[LabelHostname]; ok {
		t.Errorf("a hostname label without SplitOptions.Hostname: %v", batches[0].Labels)
	}
}

// A live process is named by its executable, not its comm (cut at 15
// bytes), and labelled with its cgroup; kernel threads are one service.
func TestLookupProcNamesTheExecutable(t *testing.T) {
	name := "a-rather-long-executable-name"
	bin := filepath.Join(t.TempDir(), name)
	data, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "60")
	testenv.StartChild(t, cmd)
	info := lookupProc(cmd.Process.Pid, name[:15])
	if info.executable != name {
		t.Errorf("executable %q, want %q", info.executable, name)
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	wantID, wantCgroup := parseCgroup(string(self))
	if info.containerID != wantID || info.cgroup != wantCgroup {
		t.Errorf("container %q cgroup %q, want %q %q (the test's own)", info.containerID, info.cgroup, wantID, wantCgroup)
	}
	if kthreadd := lookupProc(2, "kthreadd"); kthreadd.executable != KernelService {
		t.Errorf("pid 2 (kthreadd): %+v, want service %q", kthreadd, KernelService)
	}
	if gone := lookupProc(1<<30, "gone"); gone.executable != "gone" {
		t.Errorf("a process that does not exist: %+v, want its comm", gone)
	}
}

func TestParseCgroup(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ in, id, cgroup string }{
		{"0::/\n", "", ""},
		{"0::/user.slice/user-0.slice/session-3.scope\n", "", "/user.slice/user-0.slice/session-3.scope"},
		{"0::/system.slice/docker-" + id + ".scope\n", id, ""},
		{"0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id + ".scope\n", id, ""},
		{"0::/docker/" + id + "\n", id, ""},
		{"12:cpu,cpuacct:/docker/" + id + "\n", "", ""}, // cgroup v1 lines are not read
		{"0::/machine.slice/libpod-" + id + ".scope/container\n", "", "/machine.slice/libpod-" + id + ".scope/container"},
		{"", "", ""},
	} {
		gotID, gotCgroup := parseCgroup(tc.in)
		if gotID != tc.id || gotCgroup != tc.cgroup {
			t.Errorf("parseCgroup(%q) = %q, %q; want %q, %q", tc.in, gotID, gotCgroup, tc.id, tc.cgroup)
		}
	}
}

func FuzzParseCgroup(f *testing.F) {
	f.Add("0::/\n")
	f.Add("0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n")
	f.Add("12:cpu:/x\n0::/a/b\n")
	f.Fuzz(func(t *testing.T, s string) {
		id, cgroup := parseCgroup(s)
		if id != "" && cgroup != "" {
			t.Fatalf("both a container id %q and a cgroup %q", id, cgroup)
		}
		if id != "" && len(id) != 64 {
			t.Fatalf("container id %q", id)
		}
	})
}
