package perfgen

import "fmt"

// goRoles returns the threads of a Go HTTP and gRPC service: goroutines
// serving requests, GC mark workers and the idle scheduler.
func goRoles(r *rng) []*role {
	const pid = 3120
	const bin = "/usr/local/bin/api-server"
	g := func(syms ...string) []frame { return in(bin, syms...) }
	tids := sequence(pid, 14)
	spines := []spine{
		{0.70, g("runtime.goexit.abi0", "net/http.(*conn).serve",
			"net/http.serverHandler.ServeHTTP",
			"net/http.(*ServeMux).ServeHTTP", "net/http.HandlerFunc.ServeHTTP",
			"github.com/acme/api/internal/middleware.Logging.func1",
			"net/http.HandlerFunc.ServeHTTP",
			"github.com/acme/api/internal/middleware.Auth.func1",
			"net/http.HandlerFunc.ServeHTTP")},
		{0.15, g("runtime.goexit.abi0",
			"github.com/acme/api/internal/queue.(*Consumer).Run.func1",
			"github.com/acme/api/internal/queue.(*Consumer).loop",
			"github.com/acme/api/internal/queue.(*Consumer).handle")},
		{0.15, g("runtime.goexit.abi0",
			"google.golang.org/grpc.(*Server).serveStreams.func2.1",
			"google.golang.org/grpc.(*Server).handleStream",
			"google.golang.org/grpc.(*Server).processUnaryRPC",
			"github.com/acme/api/gen/orderpb._OrderService_Get_Handler",
			"google.golang.org/grpc.chainUnaryInterceptors.func1",
			"github.com/acme/api/internal/rpc.(*server).Get")},
	}
	pkgs := []string{"handler", "service", "store", "auth", "billing", "catalog", "cache", "search",
		"notify", "geo", "ratelimit"}
	types := []string{"(*OrderHandler)", "(*Service)", "(*Store)", "(*Repo)", "(*Client)", "(*Cache)",
		"(*Index)", "(*Validator)", "(*Encoder)", "(*Pool)", "Handler", "Config"}
	methods := []string{"Get", "List", "Create", "Update", "Delete", "Validate", "Encode", "Decode",
		"Process", "Load", "Flush", "Lookup", "Resolve", "Authorize", "Compute",
		"Render", "Query", "Scan", "Merge", "Apply"}
	var app []frame
	for _, p := range pkgs {
		for _, t := range sample(r, types, 5) {
			for _, m := range sample(r, methods, 5) {
				s := fmt.Sprintf("github.com/acme/api/internal/%s.%s.%s", p, t, m)
				if r.chance(0.15) {
					s += fmt.Sprintf(".func%d", r.between(1, 3))
				}
				app = append(app, frame{bin, s})
			}
		}
	}
	shuffle(r, app)
	lib := g(
		"encoding/json.Marshal", "encoding/json.(*encodeState).marshal",
		"encoding/json.(*encodeState).reflectValue", "encoding/json.structEncoder.encode",
		"encoding/json.sliceEncoder.encode", "encoding/json.arrayEncoder.encode",
		"encoding/json.ptrEncoder.encode", "encoding/json.mapEncoder.encode",
		"encoding/json.stringEncoder", "encoding/json.appendString[go.shape.string]",
		"encoding/json.Unmarshal", "encoding/json.(*decodeState).unmarshal",
		"encoding/json.(*decodeState).value", "encoding/json.(*decodeState).object",
		"encoding/json.(*decodeState).array", "encoding/json.(*decodeState).literalStore",
		"encoding/json.checkValid", "encoding/json.stateInString",
		"database/sql.(*DB).QueryContext", "database/sql.(*DB).query",
		"database/sql.(*DB).queryDC", "database/sql.(*Rows).Next",
		"database/sql.(*Rows).nextLocked", "database/sql.convertAssignRows",
		"github.com/jackc/pgx/v5/pgconn.(*PgConn).ExecParams",
		"github.com/jackc/pgx/v5/pgconn.(*PgConn).receiveMessage",
		"github.com/jackc/pgx/v5/pgproto3.(*Frontend).Receive",
		"github.com/jackc/pgx/v5/stdlib.(*Rows).Next", "github.com/jackc/pgx/v5.(*baseRows).Scan",
		"net/http.(*response).Write", "net/http.(*response).write", "bufio.(*Writer).Write",
		"bufio.(*Writer).Flush", "net/http.checkConnErrorWriter.Write",
		"crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).writeRecordLocked",
		"crypto/tls.(*halfConn).encrypt", "crypto/internal/fips140/aes/gcm.(*GCM).Seal",
		"crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).readRecordOrCCS",
		"crypto/tls.(*halfConn).decrypt", "compress/gzip.(*Writer).Write",
		"compress/flate.(*compressor).write", "compress/flate.(*compressor).deflate",
		"compress/flate.(*compressor).findMatch", "hash/crc32.update",
		"fmt.Sprintf", "fmt.(*pp).doPrintf", "fmt.(*pp).printArg", "fmt.(*fmt).fmtInteger",
		"strconv.AppendInt", "strconv.formatBits", "strings.(*Builder).WriteString",
		"strings.Join", "strings.genSplit", "bytes.(*Buffer).Write", "bytes.(*Buffer).grow",
		"sort.Sort", "sort.pdqsort", "slices.SortFunc[go.shape.[]string,go.shape.string]",
		"slices.pdqsortCmpFunc[go.shape.string]", "regexp.(*Regexp).MatchString",
		"regexp.(*Regexp).doExecute", "regexp.(*Regexp).backtrack", "time.Time.Format",
		"time.Time.AppendFormat", "context.(*cancelCtx).Done", "sync.(*Mutex).Lock",
		"sync.(*Pool).Get", "sync.(*RWMutex).RLock", "log/slog.(*Logger).log",
		"log/slog.(*JSONHandler).Handle", "log/slog.(*handleState).appendAttr",
		"reflect.Value.Field", "reflect.Value.Interface", "reflect.packEface",
		"google.golang.org/protobuf/internal/impl.(*MessageInfo).marshal",
		"google.golang.org/protobuf/internal/impl.(*MessageInfo).sizePointer",
		"google.golang.org/protobuf/proto.MarshalOptions.marshal")
	runtimePaths := [][]string{
		{"runtime.newobject", "runtime.mallocgc", "runtime.mallocgcSmallScanNoHeader",
			"runtime.(*mcache).nextFree", "runtime.(*mcache).refill",
			"runtime.(*mcentral).cacheSpan", "runtime.(*mcentral).grow", "runtime.(*mheap).alloc",
			"runtime.systemstack.abi0", "runtime.(*mheap).alloc.func1",
			"runtime.(*mheap).allocSpan", "runtime.(*mheap).initSpan"},
		{"runtime.makeslice", "runtime.mallocgc", "runtime.mallocgcSmallNoscan",
			"runtime.memclrNoHeapPointers"},
		{"runtime.growslice", "runtime.mallocgc", "runtime.deductAssistCredit",
			"runtime.gcAssistAlloc", "runtime.systemstack.abi0", "runtime.gcAssistAlloc.func1",
			"runtime.gcAssistAlloc1", "runtime.gcDrainN", "runtime.scanobject",
			"runtime.greyobject"},
		{"runtime.mapaccess2_faststr", "aeshashbody"},
		{"runtime.mapassign_faststr", "internal/runtime/maps.(*Map).PutSlot",
			"internal/runtime/maps.(*table).rehash", "internal/runtime/maps.(*table).grow"},
		{"runtime.concatstrings", "runtime.rawstringtmp", "runtime.rawstring",
			"runtime.mallocgc"},
		{"runtime.slicebytetostring", "runtime.mallocgc", "runtime.mallocgcSmallNoscan",
			"runtime.nextFreeFast"},
		{"runtime.memmove"}, {"runtime.memequal"}, {"indexbytebody"},
		{"runtime.morestack.abi0", "runtime.newstack", "runtime.copystack",
			"runtime.adjustframe", "runtime.(*unwinder).next", "runtime.findfunc"},
		{"runtime.gcWriteBarrier2", "gcWriteBarrier", "runtime.wbBufFlush",
			"runtime.systemstack.abi0", "runtime.wbBufFlush.func1", "runtime.wbBufFlush1",
			"runtime.findObject"},
		{"runtime.selectgo", "runtime.gopark", "runtime.mcall", "runtime.park_m",
			"runtime.schedule", "runtime.findRunnable", "runtime.stealWork",
			"runtime.runqsteal", "runtime.runqgrab"},
		{"runtime.chansend1", "runtime.chansend", "runtime.send", "runtime.goready",
			"runtime.systemstack.abi0", "runtime.goready.func1", "runtime.ready",
			"runtime.wakep", "runtime.startm", "runtime.notewakeup", "runtime.futexwakeup",
			"runtime.futex.abi0"},
	}
	inRuntime := func(r *rng) ([]frame, bool) {
		ch := zipfPick(r, runtimePaths, 0.9)
		k := r.between(1, len(ch))
		f := g(ch[:k]...)
		x := r.Float64()
		switch {
		case ch[k-1] == "runtime.futex.abi0":
			f = cat(f, kchain(r, "futex_wake", 3))
		case x < 0.08:
			f = cat(f, kchain(r, "pf_anon", 3))
		case x < 0.14:
			f = cat(f, kchain(r, "timer", 3))
		}
		return f, false
	}
	syscalls := func(r *rng) ([]frame, bool) {
		if r.chance(0.5) {
			return cat(g("net.(*conn).Read", "net.(*netFD).Read", "internal/poll.(*FD).Read",
				"internal/poll.ignoringEINTRIO", "syscall.Read", "syscall.read", "syscall.Syscall",
				"syscall.RawSyscall6", "internal/runtime/syscall.Syscall6"), kchain(r, "read_sock", 3)), false
		}
		return cat(g("net.(*conn).Write", "net.(*netFD).Write", "internal/poll.(*FD).Write",
			"internal/poll.ignoringEINTRIO", "syscall.Write", "syscall.write", "syscall.Syscall",
			"syscall.RawSyscall6", "internal/runtime/syscall.Syscall6"), kchain(r, "write_sock", 3)), false
	}
	clock := func(r *rng) ([]frame, bool) {
		f := g("time.Now", "runtime.nanotime1")
		if r.chance(0.5) {
			return append(f, frame{vdso, "__vdso_clock_gettime"}), false
		}
		return append(f, frame{dso: vdso}), false
	}
	hot := g("runtime.memmove", "aeshashbody", "runtime.memclrNoHeapPointers", "runtime.cmpstring", "runtime.duffcopy")
	leaf := func(r *rng) ([]frame, bool) { return []frame{pick(r, hot)}, false }
	serve := newRole("api-server", pid, tids, 0.14, nil, [][]frame{app, lib},
		[]weightedTail{{55, inRuntime}, {20, syscalls}, {5, clock}, {20, leaf}}, 14, 60, 30)
	serve.spines = spines

	gcw := g("runtime.goexit.abi0", "runtime.gcBgMarkWorker", "runtime.gcBgMarkWorker.func2",
		"runtime.systemstack.abi0", "runtime.gcDrain")
	gcp := g("runtime.markroot", "runtime.markrootBlock", "runtime.scanblock",
		"runtime.scanobject", "runtime.greyobject", "runtime.findObject",
		"runtime.(*gcWork).tryGet", "runtime.scanstack",
		"runtime.scanframeworker", "runtime.(*unwinder).next",
		"runtime.pcvalue", "runtime.step", "runtime.markBitsForAddr",
		"runtime.(*mspan).typePointersOfUnchecked",
		"runtime.typePointers.next", "runtime.(*gcBits).bitp",
		"runtime.spanOf", "runtime.(*gcWork).balance",
		"runtime.(*gcWork).put", "runtime.putfull", "runtime.(*lfstack).push")
	gc := newRole("api-server", pid, tids, 0.04, gcw, [][]frame{gcp}, oneTail(func(r *rng) ([]frame, bool) {
		f := []frame{zipfPick(r, gcp, 1)}
		if r.chance(0.05) {
			f = cat(f, kchain(r, "pf_anon", 3))
		}
		return f, false
	}), 10, 22, 12)
	gc.recursion = true

	sched := g("runtime.mstart.abi0", "runtime.mstart0", "runtime.mstart1", "runtime.schedule", "runtime.findRunnable")
	idle := func(r *rng) ([]frame, bool) {
		x := r.Float64()
		switch {
		case x < 0.45:
			return cat(g("runtime.netpoll", "internal/runtime/syscall.EpollWait",
				"internal/runtime/syscall.Syscall6"), kchain(r, "epoll_wait", 6)), true
		case x < 0.8:
			return cat(g("runtime.stopm", "runtime.mPark", "runtime.notesleep",
				"runtime.futexsleep", "runtime.futex.abi0"), kchain(r, "futex_wait", 6)), true
		}
		return cat(g("runtime.stealWork", "runtime.runqsteal", "runtime.runqgrab",
			"runtime.usleep.abi0"), kchain(r, "nanosleep", 4)), true
	}
	return []*role{serve, gc, newRole("api-server", pid, tids, 0.04, sched, [][]frame{nil}, oneTail(idle), 10, 30, 12)}
}
