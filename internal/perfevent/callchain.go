package perfevent

// Call chain context markers (PERF_CONTEXT_*): every value at or above
// contextMax is a marker, not an address.
const (
	contextKernel = 0xffffffffffffff80 // PERF_CONTEXT_KERNEL
	contextUser   = 0xfffffffffffffe00 // PERF_CONTEXT_USER
	contextMax    = 0xfffffffffffff001 // PERF_CONTEXT_MAX, -4095
)

// SplitCallchain splits a sample's call chain at its context markers into
// the kernel and the user stack, each leaf first. Frames of other contexts
// (hypervisor, guest) and any before the first marker are dropped. The
// results may share chain's memory.
func SplitCallchain(chain []uint64) (kernel, user []uint64) {
	var cur *[]uint64
	start := 0
	flush := func(end int) {
		switch {
		case cur == nil || end <= start:
		case *cur == nil:
			*cur = chain[start:end:end]
		default:
			*cur = append(*cur, chain[start:end]...)
		}
	}
	for i, v := range chain {
		if v < contextMax {
			continue
		}
		flush(i)
		start = i + 1
		switch v {
		case contextKernel:
			cur = &kernel
		case contextUser:
			cur = &user
		default:
			cur = nil
		}
	}
	flush(len(chain))
	return kernel, user
}
