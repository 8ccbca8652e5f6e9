package bpfsampler

// The causes the CFI unwinder counts in Stats.Failures (with
// Config.Unwind), each once per sample it applies to. The first three
// count samples whose stack was still walked to its end, by frame pointers
// for some frames; the last three count samples whose user stack was cut.
const (
	// FailureUnwindUnknownProcess counts samples of a process whose
	// mappings the unwinder did not have yet (its first samples, before
	// the session's snapshot of it; short-lived processes): its whole
	// user stack was walked by frame pointers.
	FailureUnwindUnknownProcess = "unwind-unknown-process"
	// FailureUnwindNoTable counts samples with a frame in code without
	// call frame information (a mapping without a table: Go, JIT or
	// anonymous code, a file over the table budget; or an address no FDE
	// covers), unwound by its frame pointer.
	FailureUnwindNoTable = "unwind-no-table"
	// FailureUnwindUnsupported counts samples with a frame whose rule
	// the unwinder does not evaluate (a DWARF expression other than the
	// PLT's and the signal trampoline's; a CFA in a register other than
	// rsp and rbp past the first frame), unwound by its frame pointer.
	FailureUnwindUnsupported = "unwind-unsupported-rule"
	// FailureUnwindBadFrame counts samples whose user stack was cut at a
	// frame whose CFA or frame pointer was not above its stack pointer.
	FailureUnwindBadFrame = "unwind-bad-frame"
	// FailureUnwindReadFault counts samples whose user stack was cut
	// where the stack could not be read (a bad address, or a page not in
	// memory: BPF programs cannot fault pages in).
	FailureUnwindReadFault = "unwind-read-fault"
	// FailureUnwindDepthLimit counts samples whose user stack had more
	// frames than a stack holds (127): the outermost are missing.
	FailureUnwindDepthLimit = "unwind-depth-limit"
)
