package perfevent

import "golang.org/x/sys/unix"

// Indices of x86-64 registers in a sample's user registers
// (Record.UserRegs), as the kernel numbers them for sample_regs_user:
// enum perf_event_x86_regs of arch/x86/include/uapi/asm/perf_regs.h.
const (
	RegAX = iota
	RegBX
	RegCX
	RegDX
	RegSI
	RegDI
	RegBP
	RegSP
	RegIP
	RegFlags
	RegCS
	RegSS
	RegDS
	RegES
	RegFS
	RegGS
	RegR8
	RegR9
	RegR10
	RegR11
	RegR12
	RegR13
	RegR14
	RegR15
	// NumRegs is the number of x86-64 registers perf samples
	// (PERF_REG_X86_64_MAX), the length of Record.UserRegs.
	NumRegs
)

// UserRegsMask is the sample_regs_user of events with SampleOptions.UserRegs,
// and the registers ParseRecord decodes with PERF_SAMPLE_REGS_USER: the
// sixteen general registers and the instruction pointer. An unwinder needs
// rip, rsp and rbp at every sample, and in the first frame whichever
// register a rule names (rdi or rdx in glibc's __longjmp and setcontext,
// r10 in stack-realigning prologues); flags and segment registers are left
// out.
const UserRegsMask = 1<<RegAX | 1<<RegBX | 1<<RegCX | 1<<RegDX | 1<<RegSI | 1<<RegDI |
	1<<RegBP | 1<<RegSP | 1<<RegIP | 1<<RegR8 | 1<<RegR9 | 1<<RegR10 | 1<<RegR11 |
	1<<RegR12 | 1<<RegR13 | 1<<RegR14 | 1<<RegR15

// ABIs of a sample's user registers (Record.UserABI).
const (
	// ABINone: no user registers were recorded (a kernel thread).
	ABINone = unix.PERF_SAMPLE_REGS_ABI_NONE
	// ABI32: the task runs 32-bit code (compat mode); the registers are
	// its 32-bit ones.
	ABI32 = unix.PERF_SAMPLE_REGS_ABI_32
	// ABI64: an x86-64 task.
	ABI64 = unix.PERF_SAMPLE_REGS_ABI_64
)

// UserStackSize is the size of the user stack copy a sampler asks for with
// SampleOptions.UserStack: 16 KiB. perf record --call-graph dwarf copies
// 8 KiB by default, which cuts deep C stacks short of main: sampling Debian's
// gzip -9 and xz -9 (fed by head), 8% and 1.4% of the walks ran off the end
// of an 8 KiB copy, none off a 16 KiB one (python3, sqlite3 and perl fitted
// in both). A sample record stays a quarter of the 64 KiB the kernel allows.
// The copy is taken in the sampling interrupt and written into the ring
// buffer whole (the record has room for all of it, however little of the
// stack there is): at 999 Hz that is 16 MB/s per busy CPU, so rings must be
// bigger, or read more often, than for call chains alone.
const UserStackSize = 16 << 10
