// Package unwind keeps the unwind tables of the code that processes map,
// so that their user stacks can be walked without frame pointers: by the
// eBPF program, which finds them in BPF maps, and in user space, from a
// copy of the stack (the perf backend's PERF_SAMPLE_STACK_USER).
//
// # Tables are per file, shared
//
// A table (internal/cfi) is built once per file content, whatever the
// number of processes mapping it: every process maps libc, and a shell
// starting thousands of short-lived processes maps the same few files
// again and again. A file is known by its Key (its GNU build-id, else its
// device, inode, size and modification time), so the same library seen
// through two paths or in two containers is one table, and a file replaced
// on disk is a new one.
//
// A Registry holds the tables and the processes using them. AddProcess
// takes a process's executable mappings (from symbolize's snapshot),
// builds or reuses the table of each file, and works out each mapping's
// load bias (the process's address minus the file's own). RemoveProcess
// drops the process; a table no process maps any more is released once it
// has been idle for Options.Linger (so a program run again and again is
// not rebuilt each time), and at once when the memory budget needs room.
// Files without call frame information (hand-written assembly), anonymous
// and JIT code, and files over the budget get no table: their frames are
// walked by frame pointers. So is Go code: a Go binary's table is built
// from its .eh_frame alone, which describes the C code linked in (cgo),
// and not from the .debug_frame of its Go code, which keeps frame pointers
// and switches stacks (asmcgocall, systemstack) where its .debug_frame
// does not say so.
//
// # Loaders
//
// A Loader (the eBPF backend) is told, one call at a time and in order,
// which tables to load and unload and which processes map what: a table is
// loaded before the first process using it is set, and unloaded after the
// last one is removed. A table the loader cannot load is, for that
// loader's processes, no table: frame pointers.
//
// # Budget
//
// Options.Budget bounds the bytes of tables held (cfi.Table.Bytes: a
// libc's is about 290 KB, node's 3.7 MB); Options.MaxTables bounds their
// number (the eBPF backend's maps have a slot per table). Stats reports
// both, and the mappings left to frame pointers by either.
package unwind
