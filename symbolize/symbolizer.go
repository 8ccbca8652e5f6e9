package symbolize

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Options configures a Symbolizer. The zero value works: names from the
// files themselves and from /usr/lib/debug, a 256 MiB cache, no network.
type Options struct {
	// CacheBytes bounds the memory held by parsed symbol tables. The least
	// recently used files are dropped past it. 0 means 256 MiB. Tables
	// that stay in their files (Go pclntabs, string tables) are mapped, and
	// count at their mapped size, though only the pages lookups read are
	// resident, and only until the lookups are done.
	CacheBytes int64
	// DebugDirs are searched for separate debug files, by build-id and by
	// .gnu_debuglink. nil means {"/usr/lib/debug"}.
	DebugDirs []string
	// DebuginfodURLs are debuginfod servers asked for a debug file by
	// build-id when none is on disk. nil means the space-separated list in
	// $DEBUGINFOD_URLS; an empty, non-nil slice turns debuginfod off.
	DebuginfodURLs []string
	// DebuginfodCacheDir keeps downloaded debug files. "" means
	// $XDG_CACHE_HOME/flamekit/debuginfod (or ~/.cache/...).
	DebuginfodCacheDir string
	// DebuginfodTimeout bounds each request. 0 means 30 seconds.
	DebuginfodTimeout time.Duration
	// Logger receives a debug message for each file of a process whose
	// addresses cannot be named (it cannot be opened or read, or is not an
	// ELF file, or has no symbols), once per file: Process gives its
	// addresses unnamed frames and no error. nil means silence.
	Logger *slog.Logger
}

// NameStyle says how function names are written.
type NameStyle uint8

// The name styles.
const (
	NamesDemangled NameStyle = iota // C++ and Rust names demangled in full (the default)
	NamesShort                      // demangled without parameters, C++ template or Rust generic arguments, for flame graphs
	NamesRaw                        // as the symbol table has them
)

// LookupOptions tunes one batch call.
type LookupOptions struct {
	// Lines adds file:line and inlined frames from DWARF or the Go pclntab.
	// It costs more: without it, names come from symbol tables only (Go
	// binaries still give file:line, which their pclntab makes cheap).
	Lines bool
	// Names selects demangled (default), short or raw names.
	Names NameStyle
}

// AddressKind says what the addresses given to [Symbolizer.File] are.
type AddressKind uint8

// The kinds of file address.
const (
	// VirtualAddress is a link-time address, as in the ELF symbol table
	// (what addr2line and llvm-symbolizer take).
	VirtualAddress AddressKind = iota
	// FileOffset is an offset in the file, as a mapping's address minus its
	// start plus its offset.
	FileOffset
)

// Symbolizer turns addresses into frames. It caches parsed files by their
// identity (build-id, else device, inode, size and modification time), not by
// process, so the processes running one binary share its tables. It is safe
// for concurrent use.
type Symbolizer struct {
	opts   Options
	native nativeOptions
	cache  *objectCache

	kernelOnce sync.Once
	kernel     *kernel
	kernelErr  error

	reportMu sync.Mutex
	reported map[reportKey]bool // the unreadable files the Logger was told about
}

// reportKey names a file the Logger was told about.
type reportKey struct {
	path string
	key  fileKey
}

// maxReported bounds the files remembered as reported: past it, the
// record starts anew, and a file may be reported again.
const maxReported = 4096

// New returns a Symbolizer. Close releases what it holds.
func New(opts Options) *Symbolizer {
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 256 << 20
	}
	if opts.DebugDirs == nil {
		opts.DebugDirs = []string{"/usr/lib/debug"}
	}
	return &Symbolizer{
		opts:   opts,
		native: nativeOptions{DebugDirs: opts.DebugDirs, Debuginfod: newDebuginfod(opts)},
		cache:  newObjectCache(opts.CacheBytes),
	}
}

// Close releases the cached files. The Symbolizer may still be used
// afterwards: it opens files again as needed.
func (s *Symbolizer) Close() error {
	s.cache.closeAll()
	return nil
}

// newDebuginfod returns the debuginfod client the options ask for, or nil.
func newDebuginfod(opts Options) *debuginfodClient {
	c := newDebuginfodClientFromEnv()
	if opts.DebuginfodURLs != nil {
		if len(opts.DebuginfodURLs) == 0 {
			return nil
		}
		if c == nil {
			c = &debuginfodClient{CacheDir: defaultDebuginfodCacheDir(), Timeout: defaultDebuginfodTimeout}
		}
		c.URLs = opts.DebuginfodURLs
	}
	if c == nil {
		return nil
	}
	if opts.DebuginfodCacheDir != "" {
		c.CacheDir = opts.DebuginfodCacheDir
	}
	if opts.DebuginfodTimeout > 0 {
		c.Timeout = opts.DebuginfodTimeout
	}
	return c
}

// ctxCheckEvery is how many addresses a batch names between looks at its
// context.
const ctxCheckEvery = 256

// checkContext returns ctx's error, prefixed, when ctx has ended; it looks
// at the k-th address of a batch, and every ctxCheckEvery addresses after.
func checkContext(ctx context.Context, k int) error {
	if k%ctxCheckEvery != 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("symbolize: %w", err)
	}
	return nil
}

// File symbolizes addresses of one ELF file, given as link-time virtual
// addresses or as file offsets. Each address gets at least one frame,
// innermost first; one that cannot be named has Kind KindUnknown and keeps
// Module and Offset. It stops when ctx ends, returning ctx's error: a
// download from debuginfod, or the reading of a large DWARF, is abandoned.
func (s *Symbolizer) File(ctx context.Context, path string, addrs []uint64, kind AddressKind, opts LookupOptions) ([][]Frame, error) {
	if err := checkContext(ctx, 0); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("symbolize: %w", err)
	}
	defer f.Close()
	key, err := statKey(f)
	if err != nil {
		return nil, err
	}
	obj, err := s.cache.getFile(ctx, f, key, path, s.native)
	if err != nil {
		return nil, err
	}
	defer s.cache.release(obj)
	out, err := obj.lookupAll(ctx, addrs, kind, opts)
	if err == nil {
		err = checkContext(ctx, 0) // a lookup may have been cut short
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Process symbolizes runtime addresses of a process, through a snapshot of
// its address space taken while it ran (so it may have exited since):
// native and Go frames of its files and vDSO, and JIT frames from its perf
// map or jitdump. Addresses that nothing names get a KindUnknown frame with
// the mapping's path and the file offset (or the address itself, for
// anonymous memory); a file that cannot be read is said to Options.Logger.
// It stops when ctx ends, returning ctx's error.
func (s *Symbolizer) Process(ctx context.Context, p *Process, addrs []uint64, opts LookupOptions) ([][]Frame, error) {
	objs := map[*mappedFile]*object{}
	defer func() {
		for _, o := range objs {
			if o != nil {
				s.cache.release(o)
			}
		}
	}()
	var b frameBatch
	b.grow(len(addrs))
	for k, a := range addrs {
		if err := checkContext(ctx, k); err != nil {
			return nil, err
		}
		r := p.resolve(a)
		switch r.kind {
		case addrFile:
			o, seen := objs[r.file]
			if !seen {
				var err error
				if o, err = s.cache.getMapped(ctx, r.file, s.native); err != nil && ctx.Err() == nil {
					s.reportUnreadable(r.file, err)
				}
				objs[r.file] = o // nil: the file cannot be read
			}
			if o == nil {
				b.frames = append(b.frames, Frame{Module: r.file.module(), Offset: r.offset})
			} else {
				b.frames = o.lookupOffset(ctx, r.offset, opts, r.file.module(), b.frames)
			}
		case addrJIT:
			b.frames = append(b.frames, r.frame)
		default:
			f := Frame{Offset: a}
			if r.mapping != nil {
				f.Module.Path = r.mapping.Path
			}
			b.frames = append(b.frames, f)
		}
		b.next()
	}
	if err := checkContext(ctx, 0); err != nil {
		return nil, err
	}
	return b.split(nil), nil
}

// reportUnreadable tells the Logger, once per file, why the addresses of a
// file of a process go unnamed.
func (s *Symbolizer) reportUnreadable(mf *mappedFile, err error) {
	if s.opts.Logger == nil {
		return
	}
	k := reportKey{path: mf.path, key: mf.key}
	s.reportMu.Lock()
	seen := s.reported[k]
	if !seen {
		if s.reported == nil || len(s.reported) >= maxReported {
			s.reported = map[reportKey]bool{}
		}
		s.reported[k] = true
	}
	s.reportMu.Unlock()
	if !seen {
		s.opts.Logger.Debug("symbolize: a file of a process cannot be read", "path", mf.path, "err", err)
	}
}

// Kernel symbolizes kernel addresses from /proc/kallsyms (read once, on the
// first call): the kernel's functions, its modules' and BPF programs'. It
// fails with ErrKernelAddressesHidden when kallsyms shows no addresses, and
// with ctx's error when ctx has ended.
func (s *Symbolizer) Kernel(ctx context.Context, addrs []uint64, opts LookupOptions) ([][]Frame, error) {
	if err := checkContext(ctx, 0); err != nil {
		return nil, err
	}
	s.kernelOnce.Do(func() { s.kernel, s.kernelErr = loadKernel() })
	if s.kernelErr != nil {
		return nil, s.kernelErr
	}
	var b frameBatch
	b.grow(len(addrs))
	for _, a := range addrs {
		b.frames = append(b.frames, s.kernel.lookup(a))
		b.next()
	}
	return b.split(nil), nil
}
