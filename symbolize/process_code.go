package symbolize

import "sort"

// Executable reports whether addr may be an instruction of the process: it
// lies in an executable mapping of the snapshot (a file, the vDSO, the
// anonymous memory where JIT compilers put their code) or in JIT code that a
// perf map or jitdump names. A return address of a stack that is not is
// garbage, such as a frame-pointer walk through code built without frame
// pointers reads; or it is in code mapped after the snapshot, which Update
// adds while the process lives.
func (p *Process) Executable(addr uint64) bool {
	maps := p.mappings()
	i := sort.Search(len(maps), func(i int) bool { return maps[i].End > addr })
	if i < len(maps) && maps[i].Start <= addr {
		return true
	}
	return p.resolve(addr).kind == addrJIT
}
