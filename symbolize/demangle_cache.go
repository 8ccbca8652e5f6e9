package symbolize

import (
	"runtime"
	"strings"
	"sync"
)

// demangleCache demangles the names of batches of frames, remembering the
// results: profiles name the same hot functions again and again, and
// demangling costs more than the lookup. Names not seen before are
// demangled on every CPU when there are many. It is safe for concurrent use.
type demangleCache struct {
	mu    sync.Mutex
	names [2]map[string]string // by mode (demangleFull, demangleShort): raw → demangled
	bytes int64
	limit int64 // past it the cache starts afresh
}

// parallelDemangle is how many new names make a batch worth spreading.
const parallelDemangle = 512

func newDemangleCache(limit int64) *demangleCache {
	return &demangleCache{limit: limit}
}

// mangled reports whether demangleName may change a name.
func mangled(name string) bool {
	return strings.HasPrefix(name, "_Z") || strings.HasPrefix(name, "_R")
}

// frames demangles, in place, the native frames of a batch.
func (c *demangleCache) frames(batch [][]Frame, style NameStyle) {
	if style == NamesRaw {
		return
	}
	mode := demangleFull
	if style == NamesShort {
		mode = demangleShort
	}
	c.mu.Lock()
	cache := c.names[mode]
	if cache == nil {
		cache = map[string]string{}
		c.names[mode] = cache
	}
	var todo []string
	seen := map[string]bool{}
	for _, fs := range batch {
		for _, f := range fs {
			if f.Kind == KindNative && mangled(f.Function) && !seen[f.Function] {
				if _, ok := cache[f.Function]; !ok {
					seen[f.Function] = true
					todo = append(todo, f.Function)
				}
			}
		}
	}
	c.mu.Unlock()

	done := make([]string, len(todo))
	workers := min(runtime.GOMAXPROCS(0), 1+len(todo)/parallelDemangle)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(todo); i += workers {
				done[i] = demangleName(todo[i], mode)
			}
		})
	}
	wg.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes > c.limit {
		c.names, c.bytes = [2]map[string]string{}, 0
		c.names[mode] = map[string]string{}
	}
	cache = c.names[mode]
	for i, raw := range todo {
		cache[raw] = done[i]
		c.bytes += int64(len(raw) + len(done[i]) + 64)
	}
	for _, fs := range batch {
		for i := range fs {
			if fs[i].Kind == KindNative && mangled(fs[i].Function) {
				if d, ok := cache[fs[i].Function]; ok {
					fs[i].Function = d
				} else {
					fs[i].Function = demangleName(fs[i].Function, mode)
				}
			}
		}
	}
}
