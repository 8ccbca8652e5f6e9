package perfgen

import "fmt"

// pythonRole is CPython 3.11 running a script: the eval loop and the C
// functions it calls, recursing.
func pythonRole() *role {
	const bin = "/usr/bin/python3.11"
	p := func(syms ...string) []frame { return in(bin, syms...) }
	sp := cat(p("_start"), in(libc, "__libc_start_main_impl", "__libc_start_call_main"),
		p("Py_BytesMain", "Py_RunMain", "pymain_run_python.constprop.0",
			"_PyRun_AnyFileObject", "_PyRun_SimpleFileObject", "run_mod",
			"run_eval_code_obj", "PyEval_EvalCode", "_PyEval_EvalFrameDefault"))
	pool := p(
		"_PyEval_EvalFrameDefault", "_PyFunction_Vectorcall", "_PyEval_Vector",
		"_PyObject_MakeTpCall", "method_vectorcall_O", "method_vectorcall_FASTCALL_KEYWORDS",
		"cfunction_vectorcall_FASTCALL_KEYWORDS", "_PyObject_Call", "slot_tp_call",
		"builtin_sorted", "list_sort_impl", "unsafe_object_compare", "PyObject_RichCompare",
		"do_richcompare", "dict_subscript", "_PyDict_GetItem_KnownHash", "_Py_dict_lookup",
		"unicodekeys_lookup_unicode", "PyObject_GetAttr", "_PyObject_GenericGetAttrWithDict",
		"_PyType_Lookup", "slot_tp_getattr_hook", "vectorcall_method", "list_extend",
		"listextend", "PyIter_Next", "gen_iternext", "gen_send_ex2", "json_encode",
		"encoder_listencode_obj", "encoder_listencode_dict", "scanstring_unicode",
		"_sre_SRE_Pattern_match", "sre_ucs1_match", "long_add", "float_mul",
		"PyNumber_Add", "binary_op1", "unicode_concatenate", "PyUnicode_Append")
	leaves := p("_PyObject_Malloc", "pymalloc_alloc", "_Py_Dealloc",
		"list_dealloc", "dict_dealloc", "unicode_hash", "PyUnicode_New",
		"_PyLong_FromSTwoDigits", "insertdict", "gc_collect_main",
		"visit_decref", "subtract_refs", "_PyFrame_Clear", "_PyEval_EvalFrameDefault")
	tail := func(r *rng) ([]frame, bool) {
		switch x := r.Float64(); {
		case x < 0.8:
			return []frame{zipfPick(r, leaves, 1)}, false
		case x < 0.9:
			return cat([]frame{zipfPick(r, leaves, 1)}, kchain(r, "pf_anon", 3)), false
		}
		return cat(in(libc, "__GI___libc_read"), kchain(r, "read_sock", 3)), false
	}
	ro := newRole("python3", 6100, []int{6100}, 0.06, sp, [][]frame{pool}, oneTail(tail), 14, 60, 30)
	ro.recursion = true
	return ro
}

// nodeRole is a Node.js 20 server: libuv and V8 frames of node, then JIT
// frames ("JS:*fn file:line:col", "Builtin:...") from its perf map.
func nodeRole(r *rng) *role {
	const pid = 7010
	const bin = "/usr/bin/node"
	jit := fmt.Sprintf("/tmp/perf-%d.map", pid)
	n := func(syms ...string) []frame { return in(bin, syms...) }
	nj := func(syms ...string) []frame { return in(jit, syms...) }
	sp := cat(in(libc, "__libc_start_call_main"), n("node::Start",
		"node::NodeMainInstance::Run", "node::SpinEventLoop", "uv_run",
		"uv__io_poll", "uv__stream_io", "uv__read",
		"node::LibuvStreamWrap::OnUvRead",
		"node::EmitToJSStreamListener::OnStreamRead",
		"node::StreamBase::CallJSOnreadMethod", "node::InternalMakeCallback",
		"v8::internal::Execution::Call",
		"v8::internal::(anonymous namespace)::Invoke"),
		nj("Builtin:JSEntry", "Builtin:JSEntryTrampoline",
			"JS:~onStreamRead node:internal/stream_base_commons:166:22"))
	files := []string{"server", "router", "orders", "db", "render", "auth", "util", "cache"}
	funcs := []string{"handle", "route", "parseBody", "query", "render", "serialize", "validate",
		"lookup", "format", "merge", "emit", "next", "dispatch", "resolve"}
	var pool []frame
	for _, f := range files {
		for _, fn := range sample(r, funcs, 6) {
			pool = append(pool, frame{jit, fmt.Sprintf("JS:%s%s /srv/app/lib/%s.js:%d:%d",
				pick(r, []string{"*", "~"}), fn, f, r.between(5, 400), r.between(3, 40))})
		}
	}
	pool = append(pool, nj("Builtin:InterpreterEntryTrampoline", "Builtin:ArrayPrototypeMap",
		"Builtin:JsonStringify", "Builtin:StringPrototypeReplace",
		"Builtin:KeyedLoadIC_Megamorphic", "Builtin:Call_ReceiverIsAny",
		"Builtin:CallFunction_ReceiverIsAny", "Builtin:AsyncFunctionAwaitResolveClosure",
		"JS:~processTicksAndRejections node:internal/process/task_queues:67:35",
		"JS:*emit node:events:460:44")...)
	leaves := cat(n("v8::internal::JsonStringifier::Serialize_<false>",
		"v8::internal::Heap::AllocateRaw", "v8::internal::Scavenger::ScavengeObject",
		"v8::internal::Runtime_StringToNumber", "v8::internal::String::SlowFlatten",
		"v8::internal::LookupIterator::State"),
		nj("Builtin:StringAdd_CheckNone", "Builtin:RecordWriteSaveFP"), []frame{{dso: jit}})
	ro := newRole("node", pid, []int{pid}, 0.04, sp, [][]frame{pool},
		oneTail(func(r *rng) ([]frame, bool) { return []frame{zipfPick(r, leaves, 1)}, false }), 20, 55, 32)
	ro.recursion = true
	return ro
}

// cc1Role is gcc's cc1, built without frame pointers: perf walks one to
// four frames, the first named, the rest [unknown], rooted at [unknown].
func cc1Role() *role {
	const bin = "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"
	funcs := []string{"c_parser_declaration_or_fndef", "c_parser_compound_statement_nostart",
		"c_parser_statement_after_labels", "c_parser_expr_no_commas",
		"ggc_internal_alloc", "htab_find_slot_with_hash", "bitmap_set_bit",
		"df_analyze", "df_worklist_dataflow", "execute_one_pass", "ira", "lra",
		"build_int_cst", "fold_binary_loc", "cpp_get_token_1", "_cpp_lex_token",
		"lex_identifier", "ht_lookup_with_hash", "_cpp_lex_direct"}
	stack := func(r *rng) ([]frame, bool) {
		var f []frame
		for range r.between(0, 3) {
			f = append(f, frame{dso: bin})
		}
		f = append(f, frame{bin, zipfPick(r, funcs, 1)})
		if r.chance(0.15) {
			f = cat(f, kchain(r, "pf_anon", 5))
		}
		return f, true
	}
	return newRole("cc1", 8810, []int{8810, 8822, 8835}, 0.03, []frame{{dso: unknown}}, [][]frame{nil}, oneTail(stack), 2, 20, 4)
}

// kworkerComm marks the role whose comm is made per tid, as the kernel
// names its workers.
const kworkerComm = "kworker/u16:2-e"

// kernelRoles returns the kernel-only threads: kworkers and the idle
// swapper.
func kernelRoles() []*role {
	kw := in(kern, "ret_from_fork_asm", "ret_from_fork", "kthread", "worker_thread", "process_one_work")
	work := [][]string{
		{"vmstat_update", "refresh_cpu_vm_stats"},
		{"blk_mq_run_work_fn", "blk_mq_run_hw_queue", "blk_mq_sched_dispatch_requests",
			"__blk_mq_sched_dispatch_requests", "blk_mq_dispatch_rq_list", "virtio_queue_rq",
			"virtqueue_add_sgs", "virtqueue_add_split"},
		{"wb_workfn", "wb_writeback", "__writeback_inodes_wb", "writeback_sb_inodes",
			"__writeback_single_inode", "do_writepages", "ext4_writepages",
			"ext4_do_writepages", "ext4_bio_write_folio"},
		{"flush_to_ldisc", "tty_port_default_receive_buf", "receive_buf",
			"n_tty_receive_buf_common"},
	}
	kwTail := func(r *rng) ([]frame, bool) {
		ch := pick(r, work)
		return in(kern, ch[:r.between(1, len(ch))]...), true
	}
	idle0 := in(kern, "common_startup_64", "x86_64_start_kernel", "x86_64_start_reservations",
		"start_kernel", "arch_call_rest_init", "rest_init", "cpu_startup_entry", "do_idle")
	idleN := in(kern, "common_startup_64", "start_secondary", "cpu_startup_entry", "do_idle")
	idleTail := func(r *rng) ([]frame, bool) {
		switch x := r.Float64(); {
		case x < 0.6:
			return in(kern, "default_idle_call", "default_idle", "pv_native_safe_halt"), true
		case x < 0.8:
			return in(kern, "cpuidle_idle_call", "cpuidle_enter", "cpuidle_enter_state",
				"acpi_idle_enter", "acpi_idle_do_entry", "acpi_safe_halt"), true
		}
		return in(kern, "default_idle_call", "default_idle", "pv_native_safe_halt",
			"asm_sysvec_apic_timer_interrupt", "sysvec_apic_timer_interrupt",
			"__irq_exit_rcu", "__do_softirq", "run_rebalance_domains",
			"rebalance_domains", "load_balance", "find_busiest_group",
			"update_sd_lb_stats.constprop.0")[:r.between(4, 12)], true
	}
	swapper := newRole("swapper", 0, []int{0}, 0.06, nil, [][]frame{nil}, oneTail(idleTail), 7, 24, 10)
	swapper.spines = []spine{{0.2, idle0}, {0.8, idleN}}
	return []*role{
		newRole(kworkerComm, 0, []int{112, 87, 9031}, 0.02, kw, [][]frame{nil}, oneTail(kwTail), 6, 20, 8),
		swapper,
	}
}
