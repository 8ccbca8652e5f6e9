package perfgen

import (
	"fmt"
	"strings"
)

// cxxRoles returns the threads of two C++ servers: a cache whose frames
// perf printed demangled (templates, anonymous namespaces, lambdas) and a
// database shard whose frames it left mangled, with a WAL writer thread.
func cxxRoles(r *rng) []*role {
	return []*role{cacheRole(r), dbshardRole(r), walRole()}
}

func cacheRole(r *rng) *role {
	const bin = "/opt/cachesrv/bin/cachesrv"
	c := func(syms ...string) []frame { return in(bin, syms...) }
	const str = "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"
	sp := cat(in(libc, "clone3", "start_thread"), in(libstdcxx, "execute_native_thread_routine"),
		c("std::thread::_State_impl<std::thread::_Invoker<std::tuple<cachesrv::net::IoWorker::start()::{lambda()#1}> > >::_M_run",
			"cachesrv::net::IoWorker::loop", "cachesrv::net::EventLoop::runOnce"))
	namespaces := []string{"cachesrv::net", "cachesrv::proto", "cachesrv::cmd", "cachesrv::store",
		"cachesrv::repl", "cachesrv::metrics", "cachesrv::util"}
	classes := []string{"Connection", "RespParser", "RespWriter", "Dispatcher", "GetCommand", "SetCommand",
		"MGetCommand", "Shard", "LruList", "Slab", "Replicator", "Histogram", "Arena", "Expiry"}
	methods := []string{"onReadable", "onWritable", "parse", "parseBulk", "execute", "find", "insert",
		"erase", "touch", "evict", "write", "flush", "append", "record", "allocate",
		"hash", "compare", "dispatch", "serialize"}
	var app []frame
	for _, ns := range namespaces {
		for _, cl := range sample(r, classes, 6) {
			for _, me := range sample(r, methods, 4) {
				var s string
				switch x := r.Float64(); {
				case x < 0.12:
					s = fmt.Sprintf("%s::%s<%s, cachesrv::store::Value>::%s", ns, cl, str, me)
				case x < 0.2:
					s = fmt.Sprintf("%s::(anonymous namespace)::%s::%s", ns, cl, me)
				case x < 0.26:
					s = fmt.Sprintf("%s::%s::%s(%s const&)::{lambda(auto:1&)#1}::operator()<cachesrv::store::Value>", ns, cl, me, str)
				default:
					s = fmt.Sprintf("%s::%s::%s", ns, cl, me)
				}
				app = append(app, frame{bin, s})
			}
		}
	}
	shuffle(r, app)
	ht := fmt.Sprintf("std::_Hashtable<%[1]s, std::pair<%[1]s const, cachesrv::store::Value>, "+
		"std::allocator<std::pair<%[1]s const, cachesrv::store::Value> >, std::__detail::_Select1st, "+
		"std::equal_to<%[1]s >, std::hash<%[1]s >, std::__detail::_Mod_range_hashing, "+
		"std::__detail::_Default_ranged_hash, std::__detail::_Prime_rehash_policy, "+
		"std::__detail::_Hashtable_traits<true, false, true> >", str)
	lib := cat(c(ht+"::_M_find_before_node", ht+"::find", ht+"::_M_rehash",
		"std::vector<char, std::allocator<char> >::_M_realloc_insert<char const&>",
		str+"::_M_append", str+"::_M_mutate", str+"::_M_replace",
		"std::unique_ptr<cachesrv::store::Node, std::default_delete<cachesrv::store::Node> >::~unique_ptr",
		"std::function<void (cachesrv::net::Connection&)>::operator()",
		"std::_Function_handler<void (cachesrv::net::Connection&), cachesrv::cmd::Dispatcher::install()::{lambda(cachesrv::net::Connection&)#3}>::_M_invoke",
		"absl::lts_20230802::container_internal::raw_hash_set<absl::lts_20230802::container_internal::FlatHashMapPolicy<std::basic_string_view<char, std::char_traits<char> >, unsigned long>, absl::lts_20230802::container_internal::StringHash, absl::lts_20230802::container_internal::StringEq, std::allocator<std::pair<std::basic_string_view<char, std::char_traits<char> > const, unsigned long> > >::find<std::basic_string_view<char, std::char_traits<char> > >"),
		in(libstdcxx, "std::_Rb_tree_increment", "std::_Rb_tree_insert_and_rebalance"))
	memFuncs := in(libc, "__memmove_avx_unaligned_erms", "__memcmp_avx2_movbe", "__memchr_avx2",
		"__strlen_avx2", "__memset_avx2_unaligned_erms")
	tail := func(r *rng) ([]frame, bool) {
		switch x := r.Float64(); {
		case x < 0.30:
			return []frame{zipfPick(r, memFuncs, 1)}, false
		case x < 0.45:
			f := upTo(cat(in(libstdcxx, "operator new"), in(libc, "malloc", "_int_malloc", "sysmalloc")), r.between(1, 4))
			if len(f) == 4 {
				f = cat(f, kchain(r, "pf_anon", 3))
			}
			return f, false
		case x < 0.52:
			return in(libc, "cfree@GLIBC_2.2.5", "_int_free")[:r.between(1, 2)], false
		case x < 0.60:
			return cat(in(libc, "pthread_mutex_lock@@GLIBC_2.2.5", "__lll_lock_wait"), kchain(r, "futex_wait", 4)), false
		case x < 0.66:
			return in(libstdcxx, "std::_Hash_bytes"), false
		case x < 0.78:
			return cat(in(libc, "__libc_recv"), kchain(r, "recvfrom", 3)), false
		case x < 0.90:
			return cat(in(libc, "__libc_send"), kchain(r, "sendto", 3)), false
		case x < 0.95:
			return cat(c("cachesrv::net::EventLoop::poll"), in(libc, "epoll_wait"), kchain(r, "epoll_wait", 6)), true
		}
		return []frame{{dso: bin}}, false
	}
	return newRole("io-worker-", 2800, []int{2811, 2812, 2813, 2814}, 0.10, sp, [][]frame{app, lib}, oneTail(tail), 10, 45, 20)
}

// mangle returns the Itanium mangled name of a method: _ZN, the nested
// names with their lengths, E, then the parameter types.
func mangle(parts []string, method, params string, isConst bool) string {
	var b strings.Builder
	b.WriteString("_ZN")
	if isConst {
		b.WriteByte('K')
	}
	for _, p := range append(append([]string(nil), parts...), method) {
		fmt.Fprintf(&b, "%d%s", len(p), p)
	}
	b.WriteString("E")
	b.WriteString(params)
	return b.String()
}

const dbshard = "/opt/dbshard/bin/dbshard"

func dbshardRole(r *rng) *role {
	d := func(syms ...string) []frame { return in(dbshard, syms...) }
	params := []string{"v", "m", "l", "i", "b", "PKc", "PKcm", "RKl", "Pv", "PKvm",
		"RKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE",
		"St17basic_string_viewIcSt11char_traitsIcEE", "RKNS0_6RecordE", "jPh"}
	namespaces := [][]string{{"dbshard", "storage"}, {"dbshard", "wal"}, {"dbshard", "rpc"},
		{"dbshard", "index"}, {"dbshard", "compaction"}, {"dbshard", "cache"}}
	classes := []string{"BTree", "Page", "Writer", "Segment", "Server", "Handler", "Iterator", "Merger",
		"BlockCache", "Bloom", "Codec", "TxnManager"}
	methods := []string{"insert", "lookup", "seek", "next", "append", "sync", "handle", "decode",
		"encode", "split", "merge", "maybeFlush", "readBlock", "checksum", "commit"}
	var app []frame
	for _, ns := range namespaces {
		for _, cl := range sample(r, classes, 6) {
			for _, me := range sample(r, methods, 4) {
				ps := strings.Join(sample(r, params, r.between(1, 2)), "")
				app = append(app, frame{dbshard, mangle(append(append([]string(nil), ns...), cl), me, ps, r.chance(0.2))})
			}
		}
	}
	lib := cat(d(
		"_ZNSt6vectorIcSaIcEE17_M_realloc_insertIJRKcEEEvN9__gnu_cxx17__normal_iteratorIPcS1_EEDpOT_",
		"_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_appendEPKcm",
		"_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_mutateEmmPKcm",
		"_ZN6snappy8RawCompressEPKcmPcPm", "_ZN6snappy13RawUncompressEPKcmPc",
		"_ZN4absl12lts_2023080213base_internal8SpinLock4lockEv",
		"_ZNSt8_Rb_treeIlSt4pairIKlN7dbshard7storage4PageEESt10_Select1stIS5_ESt4lessIlESaIS5_EE4findERS1_",
		"_ZN7dbshard4util5crc32EjPKhm"), in(libstdcxx, "_ZSt18_Rb_tree_incrementPSt18_Rb_tree_node_base"))
	sp := cat(in(libc, "clone3", "start_thread"), in(libstdcxx, "execute_native_thread_routine"),
		d("_ZNSt6thread11_State_implINS_8_InvokerISt5tupleIJZN7dbshard3rpc6Server5startEvEUlvE_EEEEE6_M_runEv",
			"_ZN7dbshard3rpc6Server10workerLoopEv"))
	memFuncs := in(libc, "__memmove_avx_unaligned_erms", "__memcmp_avx2_movbe", "__memset_avx2_unaligned_erms")
	hot := d("_ZN7dbshard4util5crc32EjPKhm", "_ZN6snappy8RawCompressEPKcmPcPm")
	tail := func(r *rng) ([]frame, bool) {
		switch x := r.Float64(); {
		case x < 0.35:
			return []frame{zipfPick(r, memFuncs, 1)}, false
		case x < 0.5:
			return cat(in(libstdcxx, "_Znwm"), in(libc, "malloc", "_int_malloc"))[:r.between(1, 3)], false
		case x < 0.6:
			return cat(in(libc, "__pread64"), kchain(r, "pf_file", 3)), false
		case x < 0.7:
			return cat(in(libc, "pthread_mutex_lock@@GLIBC_2.2.5", "__lll_lock_wait"), kchain(r, "futex_wait", 4)), false
		case x < 0.8:
			return kchain(r, "timer", 3), false
		}
		return []frame{zipfPick(r, hot, 1)}, false
	}
	return newRole("dbshard", 2950, []int{2960, 2961, 2962, 2963}, 0.04, sp, [][]frame{app, lib}, oneTail(tail), 10, 40, 18)
}

func walRole() *role {
	sp := cat(in(libc, "clone3", "start_thread"), in(libstdcxx, "execute_native_thread_routine"),
		in(dbshard, "_ZNSt6thread11_State_implINS_8_InvokerISt5tupleIJZN7dbshard3wal6Writer5startEvEUlvE_EEEEE6_M_runEv",
			"_ZN7dbshard3wal6Writer3runEv", "_ZN7dbshard3wal6Writer10flushGroupEv"))
	tail := func(r *rng) ([]frame, bool) {
		if r.chance(0.6) {
			return cat(in(libc, "fdatasync"), kchain(r, "fsync", 4)), true
		}
		return cat(in(libc, "__GI___libc_write"), kchain(r, "write_file", 4)), true
	}
	return newRole("wal-writer", 2950, []int{2970}, 0.01, sp, [][]frame{nil}, oneTail(tail), 10, 30, 14)
}
