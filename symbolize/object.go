package symbolize

import (
	"container/list"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/flamekit/flamekit/symbolize/internal/gopclntab"
	"golang.org/x/sys/unix"
)

// object is one opened ELF file with the tables that name its addresses: the
// Go pclntab when it has one, and the native symbol tables and DWARF.
type object struct {
	mu     sync.Mutex // serialises lookups, whose tables load lazily
	module Module
	file   io.Closer // the object's own handle on the file; nil for in-memory images
	maps   *fileMaps // sections mapped from file
	elf    *elf.File
	gotab  *gopclntab.Table
	goc    gopclntab.Cache   // for gotab's lookups
	gof    []gopclntab.Frame // gotab's frames, before they are made Frames
	names  symNames          // native's demangled names
	native *nativeTable      // nil until needed in a Go binary
	// What reading the native tables later takes, and whether that failed.
	path     string
	nopts    nativeOptions
	noNative bool
	touched  bool // lookups have read the mapped tables since evict

	// Guarded by the cache's lock.
	keys []fileKey
	refs int
	size int64
	elem *list.Element
}

// ErrNotELF reports a file that is not an ELF object: it does not start
// with the ELF magic number (it is too short, or a directory, or something
// else). It comes wrapped with the package prefix and the file's path:
// "symbolize: /etc/hostname: not an ELF file".
var ErrNotELF = errors.New("not an ELF file")

// openObject reads the tables of the ELF file r. closer, if not nil, is
// closed with the object. A separate debug file is looked for until ctx
// ends: an object opened after that must not be kept.
func openObject(ctx context.Context, r io.ReaderAt, closer io.Closer, path string, nopts nativeOptions) (*object, error) {
	ef, err := newELFFile(r)
	if err != nil {
		return nil, fmt.Errorf("symbolize: %s: %w", path, err)
	}
	f, _ := r.(*os.File)
	o := &object{file: closer, elf: ef, maps: newFileMaps(f), module: Module{Path: path, BuildID: buildID(ef)}, path: path, nopts: nopts}
	// A damaged pclntab leaves the symbol tables to name the file.
	if o.gotab, _ = gopclntab.Open(ef, o.maps); o.gotab != nil {
		o.goc.Copy = len(o.maps.maps) > 0 // frames must not point into the mapping
		return o, nil                     // the symbol tables are read when the pclntab fails to name an address
	}
	if o.native, err = newNativeTable(ctx, ef, f, path, nopts); err != nil {
		o.maps.release()
		return nil, fmt.Errorf("symbolize: %s: %w", path, err)
	}
	return o, nil
}

// newELFFile reads the ELF headers of r, or returns ErrNotELF when r does
// not start with the ELF magic number (rather than debug/elf's "bad magic
// number '[114 111 111 116]'" or a bare EOF).
func newELFFile(r io.ReaderAt) (*elf.File, error) {
	var magic [len(elf.ELFMAG)]byte
	n, err := r.ReadAt(magic[:], 0)
	if n < len(magic) || string(magic[:]) != elf.ELFMAG {
		if err == nil || errors.Is(err, io.EOF) || errors.Is(err, unix.EISDIR) {
			return nil, ErrNotELF
		}
		return nil, err
	}
	return elf.NewFile(r)
}

// nativeTable returns the symbol tables, reading them on first use in a Go
// binary (whose pclntab names almost everything). nil when there are none,
// or when ctx ended while they were read (the next call reads them again).
// o.mu is held.
func (o *object) nativeTable(ctx context.Context) *nativeTable {
	if o.native == nil && !o.noNative {
		t, err := newNativeTable(ctx, o.elf, o.maps.f, o.path, o.nopts)
		switch {
		case ctx.Err() != nil: // perhaps without its debug file
			if t != nil {
				t.close()
			}
		case err != nil:
			o.noNative = true
		default:
			o.native = t
		}
	}
	return o.native
}

// lookup appends the frames at a link-time address, with names in
// opts.Names's style.
func (o *object) lookup(ctx context.Context, vaddr uint64, opts LookupOptions, dst []Frame) []Frame {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lookupLocked(ctx, vaddr, opts, dst)
}

// lookupAll answers a batch of link-time addresses or file offsets, taking
// the lock once and keeping every frame in one backing array. It stops with
// ctx's error when ctx ends.
func (o *object) lookupAll(ctx context.Context, addrs []uint64, kind AddressKind, opts LookupOptions) ([][]Frame, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	order := addressOrder(addrs)
	var b frameBatch
	b.grow(len(addrs))
	for k := range addrs {
		if err := checkContext(ctx, k); err != nil {
			return nil, err
		}
		a := addrs[k]
		if order != nil {
			a = addrs[order[k]]
		}
		if kind == FileOffset {
			b.frames = o.lookupOffsetLocked(ctx, a, opts, o.module, b.frames)
		} else {
			b.frames = o.lookupLocked(ctx, a, opts, b.frames)
		}
		b.next()
	}
	return b.split(order), nil
}

// frameBatch builds the answers to a batch of addresses in one backing
// array: append an address's frames to frames, then call next.
type frameBatch struct {
	frames []Frame
	ends   []int // where each answered address's frames end
}

// grow makes room for n addresses of about one frame each.
func (b *frameBatch) grow(n int) {
	b.frames = slices.Grow(b.frames, n+n/4)
	b.ends = slices.Grow(b.ends, n)
}

// next ends the current address's frames.
func (b *frameBatch) next() { b.ends = append(b.ends, len(b.frames)) }

// split returns each address's frames. order, when not nil, is the order
// in which the addresses were answered, as addressOrder gives it.
func (b *frameBatch) split(order []int32) [][]Frame {
	out := make([][]Frame, len(b.ends))
	start := 0
	for k, end := range b.ends {
		i := k
		if order != nil {
			i = int(order[k])
		}
		out[i] = b.frames[start:end:end]
		start = end
	}
	return out
}

// lookupLocked is lookup with o.mu held.
func (o *object) lookupLocked(ctx context.Context, vaddr uint64, opts LookupOptions, dst []Frame) []Frame {
	n := len(dst)
	ok := false
	o.touched = true
	if o.gotab != nil {
		// A fault reading the mapped pclntab means the file was cut
		// short under us: the symbol tables name what they can.
		if guardMapped(func() { o.gof, ok = o.gotab.Lookup(vaddr, opts.Lines, o.gof[:0], &o.goc) }) {
			o.gotab, ok = nil, false
		}
		if ok {
			for _, f := range o.gof {
				dst = append(dst, Frame{Function: f.Function, File: f.File, Line: f.Line, Inlined: f.Inlined, Kind: KindGo})
			}
		}
	}
	if !ok && o.nativeTable(ctx) != nil {
		dst, ok = o.native.lookupNamed(ctx, vaddr, opts.Lines, opts.Names, &o.names, dst)
	}
	if !ok {
		return append(dst[:n], o.unknownAt(vaddr))
	}
	if !opts.Lines && len(dst)-n > 1 {
		// Inlined frames come with lines: keep the function that holds
		// the code, as a symbol table names it.
		dst = append(dst[:n], dst[len(dst)-1])
		dst[n].Inlined = false
	}
	off, _ := o.vaddrToOffset(vaddr)
	for i := n; i < len(dst); i++ {
		dst[i].Module = o.module
		dst[i].Offset = off
	}
	return dst
}

// lookupOffset appends the frames at a file offset, as part of module (the
// file as the caller knows it).
func (o *object) lookupOffset(ctx context.Context, off uint64, opts LookupOptions, module Module, dst []Frame) []Frame {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lookupOffsetLocked(ctx, off, opts, module, dst)
}

// lookupOffsetLocked is lookupOffset with o.mu held.
func (o *object) lookupOffsetLocked(ctx context.Context, off uint64, opts LookupOptions, module Module, dst []Frame) []Frame {
	n := len(dst)
	if vaddr, ok := o.offsetToVaddr(off); ok {
		dst = o.lookupLocked(ctx, vaddr, opts, dst)
	} else {
		dst = append(dst, o.unknown(off))
	}
	for i := n; i < len(dst); i++ {
		dst[i].Module = module
	}
	return dst
}

// unknownAt is the frame of a link-time address no table names.
func (o *object) unknownAt(vaddr uint64) Frame {
	off, _ := o.vaddrToOffset(vaddr)
	return Frame{Module: o.module, Offset: off}
}

// unknown is the frame of a file offset outside every loadable segment.
func (o *object) unknown(off uint64) Frame {
	return Frame{Module: o.module, Offset: off}
}

func (o *object) offsetToVaddr(off uint64) (uint64, bool) {
	return fileOffsetToVaddr(o.elf, off)
}

// vaddrToOffset maps a link-time address to its file offset through the
// PT_LOAD segment that holds it.
func (o *object) vaddrToOffset(vaddr uint64) (uint64, bool) {
	for _, p := range o.elf.Progs {
		if p.Type == elf.PT_LOAD && vaddr >= p.Vaddr && vaddr-p.Vaddr < p.Filesz {
			return vaddr - p.Vaddr + p.Off, true
		}
	}
	return 0, false
}

// evict lets go of the pages of the mapped tables that lookups have made
// resident in this process. They stay in the page cache, but each page
// read (and, through the kernel's fault-around, its neighbours) would
// otherwise count in this process's RSS for as long as the object lives:
// most of a large string table once a few hundred names are read. The
// cache calls it when a caller is done with the object.
func (o *object) evict() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.touched {
		return
	}
	o.touched = false
	o.maps.evict()
	if o.native != nil {
		for _, m := range o.native.maps {
			m.evict()
		}
	}
}

func (o *object) sizeBytes() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := int64(4 << 10)
	if o.gotab != nil {
		n += o.gotab.SizeBytes()
	}
	if o.native != nil {
		n += o.native.sizeBytes() + o.names.sizeBytes()
	}
	n += o.goc.SizeBytes()
	return n
}

func (o *object) close() {
	if o.native != nil {
		o.native.close()
	}
	o.maps.release()
	if o.file != nil {
		o.file.Close()
	}
}

// objectCache holds opened objects, found by file identity (build-id, or
// device, inode, size and modification time), and drops the least recently
// used ones when their tables together pass a byte budget.
type objectCache struct {
	mu     sync.Mutex
	budget int64
	used   int64
	byKey  map[fileKey]*object
	lru    *list.List // of *object, most recent first; only objects not in use
}

func newObjectCache(budget int64) *objectCache {
	return &objectCache{budget: budget, byKey: map[fileKey]*object{}, lru: list.New()}
}

// statKey identifies an open file by device, inode, size and mtime.
func statKey(f *os.File) (fileKey, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fileKey{}, fmt.Errorf("symbolize: %s: %w", f.Name(), err)
	}
	return fileKey{dev: st.Dev, inode: st.Ino, size: st.Size, mtime: st.Mtim.Nano()}, nil
}

// getFile returns the object of an open file, found by its identity or
// opened with a descriptor of its own. Pair every get with a release. It
// fails with ctx's error when ctx ends while the object is opened.
func (c *objectCache) getFile(ctx context.Context, f *os.File, key fileKey, path string, nopts nativeOptions) (*object, error) {
	if o := c.acquire(key); o != nil {
		return o, nil
	}
	own, err := os.Open(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil {
		return nil, fmt.Errorf("symbolize: reopening %s: %w", path, err)
	}
	o, err := openObject(ctx, own, own, path, nopts)
	if err != nil {
		own.Close()
		return nil, err
	}
	return c.addOpened(ctx, o, key)
}

// getMapped returns the object of a file a process maps.
func (c *objectCache) getMapped(ctx context.Context, mf *mappedFile, nopts nativeOptions) (*object, error) {
	if mf.err != nil {
		return nil, mf.err
	}
	if mf.f != nil {
		return c.getFile(ctx, mf.f, mf.key, mf.path, nopts)
	}
	if o := c.acquire(mf.key); o != nil {
		return o, nil
	}
	o, err := openObject(ctx, mf.r, nil, mf.path, nopts)
	if err != nil {
		return nil, err
	}
	return c.addOpened(ctx, o, mf.key)
}

// addOpened caches an object just opened, unless ctx ended meanwhile: it
// may lack what a debuginfod server would have given it, and is closed.
func (c *objectCache) addOpened(ctx context.Context, o *object, key fileKey) (*object, error) {
	if err := ctx.Err(); err != nil {
		o.close()
		return nil, fmt.Errorf("symbolize: %w", err)
	}
	return c.add(o, key), nil
}

// add caches a newly opened object under key and its build-id, unless a
// copy with the same build-id is cached already (or another caller opened
// the same file meanwhile): then that one is used. The result is in use.
func (c *objectCache) add(o *object, key fileKey) *object {
	keys := []fileKey{key}
	if o.module.BuildID != "" && key.buildID == "" {
		keys = append(keys, fileKey{buildID: o.module.BuildID})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if prev := c.byKey[k]; prev != nil {
			o.close()
			c.take(prev)
			return prev
		}
	}
	o.keys = keys
	o.refs = 1
	for _, k := range keys {
		c.byKey[k] = o
	}
	return o
}

func (c *objectCache) acquire(key fileKey) *object {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.byKey[key]
	if o == nil {
		return nil
	}
	c.take(o)
	return o
}

// take marks o in use. c.mu is held.
func (c *objectCache) take(o *object) {
	if o.elem != nil {
		c.lru.Remove(o.elem)
		o.elem = nil
	}
	o.refs++
}

// release returns an object after use, which lets go of the pages its
// lookups mapped (evict). Unused objects enter the LRU list, and the
// oldest are closed while the cache is over budget.
func (c *objectCache) release(o *object) {
	o.evict()
	size := o.sizeBytes()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used += size - o.size
	o.size = size
	o.refs--
	if o.refs > 0 {
		return
	}
	o.elem = c.lru.PushFront(o)
	for c.used > c.budget && c.lru.Len() > 1 {
		old := c.lru.Remove(c.lru.Back()).(*object)
		old.elem = nil
		c.drop(old)
	}
}

// drop forgets and closes an unused object. c.mu is held.
func (c *objectCache) drop(o *object) {
	for _, k := range o.keys {
		if c.byKey[k] == o {
			delete(c.byKey, k)
		}
	}
	c.used -= o.size
	o.close()
}

// closeAll closes every object not in use.
func (c *objectCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > 0 {
		c.drop(c.lru.Remove(c.lru.Back()).(*object))
	}
}
