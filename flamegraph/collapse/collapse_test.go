package collapse_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph/collapse"
)

func ExampleRead() {
	// bcc's `profile -f` output is folded stacks; Read recognises it.
	in := strings.NewReader(`busyprog;main;spin_leaf 175
busyprog;main;do_syscalls;getppid;-;entry_SYSCALL_64_after_hwframe_[k];do_syscall_64_[k] 31
`)
	p, stats, err := collapse.Read(in, collapse.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(stats.Format, len(p.Stacks), p.Total())
	// Output: folded 2 206
}

func ExampleBpftrace() {
	// Output of bpftrace -e 'profile:hz:99 { @[kstack, ustack, comm] = count(); }'
	in := strings.NewReader(`Attaching 2 probes...


@[
    __task_pid_nr_ns+77
    __ia32_sys_getppid+38
    do_syscall_64+113
    entry_SYSCALL_64_after_hwframe+118
, 
    getppid+7
    main+91
    __libc_start_call_main+122
, busyprog]: 3
@[, 
    spin_leaf+31
    main+81
    __libc_start_call_main+122
, busyprog]: 99
`)
	p, _, err := collapse.Bpftrace(in, collapse.BpftraceOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.WriteTo(os.Stdout)
	// Output:
	// busyprog;__libc_start_call_main+122;main+81;spin_leaf+31 99
	// busyprog;__libc_start_call_main+122;main+91;getppid+7;-;entry_SYSCALL_64_after_hwframe+118;do_syscall_64+113;__ia32_sys_getppid+38;__task_pid_nr_ns+77 3
}

func ExamplePprof() {
	f, err := os.Open("testdata/pprof/inlineprog-cpu.pb.gz")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	p, _, err := collapse.Pprof(f, collapse.PprofOptions{SampleType: "samples"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p.WriteTo(os.Stdout)
	// Output:
	// runtime.main;main.main;main.spinOuter 4
	// runtime.main;main.main;main.spinOuter;main.mixInlined_[i] 36
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]collapse.Format{
		"": collapse.FormatAuto, "auto": collapse.FormatAuto, "perf": collapse.FormatPerf,
		"PPROF": collapse.FormatPprof, "bpftrace": collapse.FormatBpftrace, "Folded": collapse.FormatFolded,
	} {
		if got, err := collapse.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := collapse.ParseFormat("dtrace")
	if !errors.Is(err, collapse.ErrUnknownFormat) || !strings.Contains(err.Error(), "bpftrace") {
		t.Errorf("ParseFormat(dtrace): %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("just some words\n"))
	zw.Close()
	for name, in := range map[string]string{
		"prose":          "Hello, world.\n",
		"binary":         "\x00\x01\x02\x03\xff\xfe",
		"gzipped prose":  gz.String(),
		"gzip, cut":      gz.String()[:5],
		"a folded error": "main;x\n",
	} {
		p, st, err := collapse.Read(strings.NewReader(in), collapse.Options{})
		if err == nil || p != nil || st.Format != "" {
			t.Errorf("%s: Read = %v, %q, %v; want an error", name, p, st.Format, err)
			continue
		}
		if name != "gzip, cut" && !errors.Is(err, collapse.ErrUnknownFormat) {
			t.Errorf("%s: %v does not wrap ErrUnknownFormat", name, err)
		}
	}
	if _, _, err := collapse.Read(strings.NewReader("a 1\n"), collapse.Options{Format: "svg"}); !errors.Is(err, collapse.ErrUnknownFormat) {
		t.Errorf("Format svg: %v", err)
	}
	// Empty input, or only comments and blank lines, is an empty profile.
	for _, in := range []string{"", "\n\n", "# nothing\n \n"} {
		p, st, err := collapse.Read(strings.NewReader(in), collapse.Options{})
		if err != nil || st.Format != collapse.FormatFolded || len(p.Stacks) != 0 {
			t.Errorf("Read(%q) = %v, %q, %v; want an empty folded profile", in, p, st.Format, err)
		}
	}
	// An explicit format skips detection: prose read as folded is all
	// skipped lines, not an error.
	p, st, err := collapse.Read(strings.NewReader("Hello, world.\n"), collapse.Options{Format: collapse.FormatFolded})
	if err != nil || st.Format != collapse.FormatFolded || p.Skipped.Lines != 1 {
		t.Errorf("prose as folded: %v, %q, %v", p, st.Format, err)
	}
	// Format names are case-insensitive here too.
	p, st, err = collapse.Read(strings.NewReader("a;b 2\n"), collapse.Options{Format: "Folded"})
	if err != nil || st.Format != collapse.FormatFolded || p.Total() != 2 {
		t.Errorf("Format Folded: %v, %q, %v", p, st.Format, err)
	}
	// Options reach the reader.
	data, err := os.ReadFile("testdata/pprof/inlineprog-cpu.pb.gz")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = collapse.Read(bytes.NewReader(data), collapse.Options{Pprof: collapse.PprofOptions{SampleType: "nope"}})
	if !errors.Is(err, collapse.ErrSampleType) {
		t.Errorf("pprof options not passed on: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{
		"testdata/bpftrace/maps-mixed.txt",
		"testdata/bcc/profile-fda.folded",
		"testdata/pprof/inlineprog-cpu.pb.gz",
	} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("go  9193 [000]   369.957111:    1001001 cpu-clock: \n\tffffffff81bdb11c iowrite16+0xc ([kernel.kallsyms])\n\n"))
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, st, err := collapse.Read(bytes.NewReader(data), collapse.Options{})
		if err != nil {
			return
		}
		if p == nil || st.Format == "" || st.Format == collapse.FormatAuto {
			t.Fatalf("Read = %v, %q", p, st.Format)
		}
	})
}
