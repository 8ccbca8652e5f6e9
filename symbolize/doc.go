// Package symbolize turns instruction addresses into frames: function names,
// files and lines, inlined calls, from native ELF binaries (symbol tables,
// separate debug files, DWARF), Go binaries (pclntab, also when stripped), the
// kernel (kallsyms, modules, BPF programs) and JIT compilers (perf maps,
// jitdumps). It imports nothing else of flamekit but internal packages: an
// agent can symbolize without rendering.
//
// # Lifecycle
//
// A [Symbolizer], made by [New] from [Options], answers batches of
// addresses: [Symbolizer.File] those of an ELF file (link-time addresses or
// file offsets, as [AddressKind] says), [Symbolizer.Process] the runtime
// addresses of a process, through a snapshot of it, and [Symbolizer.Kernel]
// kernel addresses. Each address gets its frames ([Frame]), innermost first; one
// that nothing names gets a single frame of [KindUnknown] that keeps its
// [Module] and offset. [LookupOptions] asks for lines and inlined calls
// (DWARF costs more than symbol tables) and a [NameStyle]. [Symbolizer.Close]
// releases the cached tables; the Symbolizer may still be used after it.
//
// The lookups take a context: when it ends they stop and return its error,
// abandoning a download from debuginfod or the reading of a large DWARF,
// and they keep nothing read meanwhile (a table read without its debug
// file is read again by the next lookup). A Symbolizer is safe for
// concurrent use; lookups of one file take turns, as its tables load lazily.
//
// A process is named through a [Process], a snapshot of its address space
// taken while it runs, so that its addresses can be named after it exits:
//
//	SnapshotProcess → Update, Refresh (while it runs) → Exited → Close
//
// [SnapshotProcess] reads the process's mappings and holds open the files
// behind its executable ones (and copies its vDSO image), which stay
// readable after the process exits or the files are deleted or replaced;
// it holds the process's root directory, to read the JIT sources the
// process writes. [Process.Update] adds what the process mapped since
// (the libraries the dynamic loader maps after exec, dlopen, a jitdump);
// [Process.Refresh] reads its JIT sources again; [Process.Exited] reads
// them a last time (the JVM writes its perf map at exit) and lets go of the
// root directory; [Process.Close] releases the files. A snapshot taken after
// an exec [Process.Inherit]s the earlier one's code, for addresses sampled
// before the exec. [Process.Executable]
// tells whether an address may be code of the process, to cut a stack that
// a frame-pointer walk read into garbage.
//
// Snapshots of many processes map the same files (libc, the dynamic loader,
// one binary run again and again): they share one open descriptor per file,
// counted, so that a system-wide profiler watching thousands of short-lived
// processes holds a few files open, not thousands. Their vDSO images, the
// same for every process of a kernel, share one copy.
//
// # Sources, in the order they are tried
//
// The address of an ELF file is named by, in turn:
//
//  1. The Go pclntab of a Go binary, stripped or not (or without section
//     headers): the function, its file and line, and the calls inlined
//     there, for Go 1.16 and later.
//  2. The symbol table, .symtab; without one, the dynamic symbols (.dynsym)
//     together with the .symtab of a separate debug file, found by build-id
//     (.build-id/xx/rest.debug under [Options.DebugDirs]), by
//     .gnu_debuglink (beside the binary, in its .debug directory, or under
//     the debug directories; the CRC must match) or, failing those, by
//     asking debuginfod servers ([Options.DebuginfodURLs]) for the
//     build-id; without any, the .symtab of its MiniDebugInfo
//     (.gnu_debugdata). PLT stubs are named "func@plt". C++ and Rust names
//     are demangled, unless [NamesRaw] is asked.
//  3. With [LookupOptions.Lines], DWARF, the file's own or its debug
//     file's (found as above): file, line and column, and the inlined
//     calls, the outermost frame keeping the symbol table's name.
//
// A runtime address of a process is resolved through the snapshot's
// mappings: in a mapped file or the vDSO, it is named as a file offset of
// that file, as above. In JIT code, it is named by the process's jitdump
// (jit-PID.dump, which has source lines) when it has one, else by its perf
// map (/tmp/perf-PID.map), both read inside the process's root directory
// (a container's), without following a final symbolic link, and only when
// owned by the process's user or root ([ErrUnsafeFile]); a perf map older
// than the process is left alone. A jitdump writer that uses a C stdio
// stream (V8: fdopen, then setvbuf full buffering, which glibc gives a
// buffer of one block, 4 KiB) leaves the newest records in that buffer
// until it fills or the process exits: the code just optimized, which a
// short hot loop then runs for good, is named nowhere on disk. While the
// process lives (and this one may read its memory), those bytes are read
// from its memory, through glibc's list of open streams (_IO_list_all, an
// exported symbol) and the layout of struct _IO_FILE, part of glibc's ABI.
// Another C library (musl) or a static binary has no such symbol: then only
// the file is read. A file of a process that cannot be read leaves its
// addresses unnamed, and [Options.Logger] hears why, once per file.
//
// A kernel address is named by /proc/kallsyms, read on the first
// [Symbolizer.Kernel]: the functions of the kernel, of its modules
// ("[xfs]") and of its BPF programs ("[bpf]"), with the build-ids of the
// kernel and its modules from /sys. Unless this user may see the kernel's
// addresses, it fails with [ErrKernelAddressesHidden].
//
// # Caches
//
// Parsed files are cached by their identity, the GNU build-id, else device,
// inode, size and modification time, not by process: the processes running
// one binary share its tables. The cache is bounded by
// [Options.CacheBytes]; the least recently used files are dropped past it.
// Big tables (a Go pclntab, string tables) are mapped from their file
// rather than copied into the heap, and once a batch is done with a file,
// the pages its lookups made resident are let go (they stay in the page
// cache). The names given out are copies, which outlive the mapping: the
// tables of each file keep them in arenas, blocks of their own, rather than
// one allocation each among a collection's short-lived garbage, where they
// would pin mostly empty spans of the heap. Debug files downloaded from
// debuginfod are kept on disk ([Options.DebuginfodCacheDir]); lookups
// asking for one build-id at once share one download, and different
// build-ids download at the same time. A build-id no server has is
// remembered for the Symbolizer's life.
//
// # Parsers of the formats
//
// The readers of the formats (the Go pclntab, perf maps and jitdumps,
// kallsyms) are internal packages, not part of this API. A process's JIT
// files are only worth reading as a [Process] reads them: found through its
// mappings or by name inside its root directory, vetted (owner, age, the
// pid in a jitdump's header), refreshed as they grow and completed by what
// their writer has not flushed yet; and kallsyms as [Symbolizer.Kernel]
// reads it, with the build-ids of the kernel and its modules. Exported on
// their own, the parsers would make their representation of each format
// (symbol types, counts of bad records, the state of a growing file) an API
// to keep, for no caller that the entry points above do not serve.
package symbolize
