package pmc

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Hardware cache events are named cache-op-result as perf names them
// (L1-dcache-load-misses): the cache, then an operation and a result in
// either order, each optional (the operation defaults to load, the result to
// access). Their config is cache | op<<8 | result<<16.

// cacheNames are perf's names for the caches, by PERF_COUNT_HW_CACHE_* id,
// perf's name first.
var cacheNames = [][]string{
	unix.PERF_COUNT_HW_CACHE_L1D:  {"L1-dcache", "l1-d", "l1d", "L1-data"},
	unix.PERF_COUNT_HW_CACHE_L1I:  {"L1-icache", "l1-i", "l1i", "L1-instruction"},
	unix.PERF_COUNT_HW_CACHE_LL:   {"LLC", "L2"},
	unix.PERF_COUNT_HW_CACHE_DTLB: {"dTLB", "d-tlb", "Data-TLB"},
	unix.PERF_COUNT_HW_CACHE_ITLB: {"iTLB", "i-tlb", "Instruction-TLB"},
	unix.PERF_COUNT_HW_CACHE_BPU:  {"branch", "branches", "bpu", "btb", "bpc"},
	unix.PERF_COUNT_HW_CACHE_NODE: {"node"},
}

// cacheOps are perf's names for the operations: its name in a miss event's
// name first, its name in an access event's name second.
var cacheOps = [][]string{
	unix.PERF_COUNT_HW_CACHE_OP_READ:     {"load", "loads", "read"},
	unix.PERF_COUNT_HW_CACHE_OP_WRITE:    {"store", "stores", "write"},
	unix.PERF_COUNT_HW_CACHE_OP_PREFETCH: {"prefetch", "prefetches", "speculative-read", "speculative-load"},
}

// cacheResults are perf's names for the results, perf's name first.
var cacheResults = [][]string{
	unix.PERF_COUNT_HW_CACHE_RESULT_ACCESS: {"refs", "Reference", "ops", "access", "accesses"},
	unix.PERF_COUNT_HW_CACHE_RESULT_MISS:   {"misses", "miss"},
}

// cacheOpValid says which operations each cache has, as perf does (it
// rejects, say, L1-icache-stores).
var cacheOpValid = [][]bool{
	unix.PERF_COUNT_HW_CACHE_L1D:  {true, true, true},
	unix.PERF_COUNT_HW_CACHE_L1I:  {true, false, true},
	unix.PERF_COUNT_HW_CACHE_LL:   {true, true, true},
	unix.PERF_COUNT_HW_CACHE_DTLB: {true, true, true},
	unix.PERF_COUNT_HW_CACHE_ITLB: {true, false, false},
	unix.PERF_COUNT_HW_CACHE_BPU:  {true, false, false},
	unix.PERF_COUNT_HW_CACHE_NODE: {true, true, true},
}

// cacheEventNames returns the names perf lists for the hardware cache events
// (L1-dcache-loads, L1-dcache-load-misses, ...).
func cacheEventNames() []string {
	var names []string
	for c, cn := range cacheNames {
		for op, on := range cacheOps {
			if !cacheOpValid[c][op] {
				continue
			}
			names = append(names, cn[0]+"-"+on[1], cn[0]+"-"+on[0]+"-"+cacheResults[1][0])
		}
	}
	return names
}

// matchPrefix returns the index of the alias list whose name (compared
// case-insensitively) is the longest one that s starts with, followed by the
// end of s or a '-', and the rest of s after it.
func matchPrefix(s string, lists [][]string) (int, string, bool) {
	best, bestLen := -1, 0
	lower := strings.ToLower(s)
	for i, names := range lists {
		for _, n := range names {
			n = strings.ToLower(n)
			if len(n) > bestLen && strings.HasPrefix(lower, n) && (len(lower) == len(n) || lower[len(n)] == '-') {
				best, bestLen = i, len(n)
			}
		}
	}
	if best < 0 {
		return 0, s, false
	}
	return best, strings.TrimPrefix(s[bestLen:], "-"), true
}

// lookupCache returns the config of the hardware cache event perf calls
// name. found is false when name does not start with a cache's name; err
// reports a cache event perf would reject.
func lookupCache(name string) (config uint64, found bool, err error) {
	cache, rest, ok := matchPrefix(name, cacheNames)
	if !ok {
		return 0, false, nil
	}
	op, result := -1, -1
	for rest != "" {
		if i, r, ok := matchPrefix(rest, cacheOps); ok && op < 0 {
			op, rest = i, r
			continue
		}
		if i, r, ok := matchPrefix(rest, cacheResults); ok && result < 0 {
			result, rest = i, r
			continue
		}
		return 0, false, nil
	}
	if op < 0 {
		op = unix.PERF_COUNT_HW_CACHE_OP_READ
	}
	if result < 0 {
		result = unix.PERF_COUNT_HW_CACHE_RESULT_ACCESS
	}
	if !cacheOpValid[cache][op] {
		return 0, true, fmt.Errorf("%w %q: %s has no %s operation", ErrUnknownEvent, name, cacheNames[cache][0], cacheOps[op][0])
	}
	return uint64(cache) | uint64(op)<<8 | uint64(result)<<16, true, nil
}
