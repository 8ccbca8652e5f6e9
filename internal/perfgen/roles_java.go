package perfgen

import (
	"fmt"
	"strings"
)

// javaRoles returns the threads of two JVMs: a Tomcat/Spring service with
// perf-map-agent JIT names (request threads, the poller, a scheduler, C2
// compiler and G1 GC threads) and a batch job whose perf map has the JDK's
// own -XX:+DumpPerfMapAtExit names.
func javaRoles(r *rng) []*role {
	const jpid = 4242
	jit := fmt.Sprintf("/tmp/perf-%d.map", jpid)
	j := func(syms ...string) []frame { return in(jit, syms...) }
	v := func(syms ...string) []frame { return in(libjvm, syms...) }

	threadBase := cat(in(libc, "clone3", "start_thread"), v("thread_native_entry", "Thread::call_run"))
	javaEntry := cat(threadBase, v("JavaThread::thread_main_inner", "thread_entry",
		"JavaCalls::call_virtual", "JavaCalls::call_virtual", "JavaCalls::call_helper"),
		j("StubRoutines (1)", "Ljava/lang/Thread;::run"))
	tomcat := cat(javaEntry, j(
		"Ljava/util/concurrent/ThreadPoolExecutor$Worker;::run",
		"Ljava/util/concurrent/ThreadPoolExecutor;::runWorker",
		"Lorg/apache/tomcat/util/threads/TaskThread$WrappingRunnable;::run",
		"Lorg/apache/tomcat/util/net/SocketProcessorBase;::run",
		"Lorg/apache/tomcat/util/net/NioEndpoint$SocketProcessor;::doRun",
		"Lorg/apache/coyote/AbstractProtocol$ConnectionHandler;::process",
		"Lorg/apache/coyote/AbstractProcessorLight;::process",
		"Lorg/apache/coyote/http11/Http11Processor;::service",
		"Lorg/apache/catalina/connector/CoyoteAdapter;::service",
		"Lorg/apache/catalina/core/StandardEngineValve;::invoke",
		"Lorg/apache/catalina/valves/ErrorReportValve;::invoke",
		"Lorg/apache/catalina/core/StandardHostValve;::invoke",
		"Lorg/apache/catalina/authenticator/AuthenticatorBase;::invoke",
		"Lorg/apache/catalina/core/StandardContextValve;::invoke",
		"Lorg/apache/catalina/core/StandardWrapperValve;::invoke",
		"Lorg/apache/catalina/core/ApplicationFilterChain;::doFilter",
		"Lorg/apache/catalina/core/ApplicationFilterChain;::internalDoFilter"))
	tomcatPoll := cat(javaEntry, j(
		"Lorg/apache/tomcat/util/net/NioEndpoint$Poller;::run",
		"Lsun/nio/ch/SelectorImpl;::select", "Lsun/nio/ch/SelectorImpl;::lockAndDoSelect",
		"Lsun/nio/ch/EPollSelectorImpl;::doSelect", "Lsun/nio/ch/EPoll;::wait"),
		in(libnio, "Java_sun_nio_ch_EPoll_wait"), in(libc, "epoll_wait"))
	spring := j(
		"Lorg/springframework/web/filter/OncePerRequestFilter;::doFilter",
		"Lorg/springframework/web/filter/RequestContextFilter;::doFilterInternal",
		"Lorg/springframework/web/filter/CharacterEncodingFilter;::doFilterInternal",
		"Lorg/springframework/web/filter/FormContentFilter;::doFilterInternal",
		"Lorg/springframework/security/web/FilterChainProxy;::doFilter",
		"Lorg/springframework/security/web/FilterChainProxy;::doFilterInternal",
		"Lorg/springframework/security/web/FilterChainProxy$VirtualFilterChain;::doFilter",
		"Lorg/springframework/security/web/authentication/AuthenticationFilter;::doFilterInternal",
		"Lorg/springframework/security/web/context/SecurityContextHolderFilter;::doFilter",
		"Ljavax/servlet/http/HttpServlet;::service",
		"Lorg/springframework/web/servlet/FrameworkServlet;::service",
		"Lorg/springframework/web/servlet/FrameworkServlet;::processRequest",
		"Lorg/springframework/web/servlet/FrameworkServlet;::doGet",
		"Lorg/springframework/web/servlet/FrameworkServlet;::doPost",
		"Lorg/springframework/web/servlet/DispatcherServlet;::doService",
		"Lorg/springframework/web/servlet/DispatcherServlet;::doDispatch",
		"Lorg/springframework/web/servlet/mvc/method/AbstractHandlerMethodAdapter;::handle",
		"Lorg/springframework/web/servlet/mvc/method/annotation/RequestMappingHandlerAdapter;::handleInternal",
		"Lorg/springframework/web/servlet/mvc/method/annotation/RequestMappingHandlerAdapter;::invokeHandlerMethod",
		"Lorg/springframework/web/servlet/mvc/method/annotation/ServletInvocableHandlerMethod;::invokeAndHandle",
		"Lorg/springframework/web/method/support/InvocableHandlerMethod;::invokeForRequest",
		"Lorg/springframework/web/method/support/InvocableHandlerMethod;::doInvoke",
		"Ljava/lang/reflect/Method;::invoke",
		"Ljdk/internal/reflect/DelegatingMethodAccessorImpl;::invoke",
		"Lorg/springframework/aop/framework/CglibAopProxy$DynamicAdvisedInterceptor;::intercept",
		"Lorg/springframework/aop/framework/ReflectiveMethodInvocation;::proceed",
		"Lorg/springframework/transaction/interceptor/TransactionInterceptor;::invoke",
		"Lorg/springframework/transaction/interceptor/TransactionAspectSupport;::invokeWithinTransaction",
		"Lorg/springframework/web/servlet/mvc/method/annotation/HttpEntityMethodProcessor;::handleReturnValue",
		"Lorg/springframework/web/servlet/mvc/method/annotation/AbstractMessageConverterMethodProcessor;::writeWithMessageConverters",
		"Lorg/springframework/http/converter/json/AbstractJackson2HttpMessageConverter;::writeInternal",
		"Interpreter")
	mods := []string{"order", "payment", "catalog", "cart", "user", "inventory", "pricing",
		"search", "shipping", "promo", "review", "tax"}
	kinds := []string{"Controller", "Service", "ServiceImpl", "Repository", "Mapper", "Validator",
		"Cache", "Assembler", "Client", "Calculator"}
	meths := []string{"get", "find", "findById", "list", "create", "update", "validate", "apply",
		"compute", "toDto", "fromEntity", "load", "save", "lambda$process$0",
		"lambda$list$1", "access$000", "map", "resolve", "check", "handle"}
	var app []frame
	for _, m := range mods {
		for _, k := range kinds {
			cls := strings.ToUpper(m[:1]) + m[1:] + k
			for _, me := range sample(r, meths, 6) {
				app = append(app, frame{jit, fmt.Sprintf("Lcom/acme/shop/%s/%s;::%s", m, cls, me)})
			}
		}
	}
	shuffle(r, app)
	jlib := j(
		"Ljava/util/HashMap;::get", "Ljava/util/HashMap;::getNode", "Ljava/util/HashMap;::putVal",
		"Ljava/util/HashMap;::resize", "Ljava/util/ArrayList;::add", "Ljava/util/ArrayList;::grow",
		"Ljava/util/stream/ReferencePipeline$3$1;::accept",
		"Ljava/util/stream/AbstractPipeline;::copyInto",
		"Ljava/util/stream/AbstractPipeline;::wrapAndCopyInto",
		"Ljava/util/stream/ReduceOps$ReduceOp;::evaluateSequential",
		"Ljava/util/ArrayList$ArrayListSpliterator;::forEachRemaining",
		"Ljava/util/concurrent/ConcurrentHashMap;::computeIfAbsent",
		"Ljava/util/concurrent/ConcurrentHashMap;::get", "Ljava/lang/String;::hashCode",
		"Ljava/lang/String;::equals", "Ljava/lang/StringLatin1;::hashCode",
		"Ljava/lang/StringBuilder;::append", "Ljava/lang/AbstractStringBuilder;::ensureCapacityInternal",
		"Ljava/util/Arrays;::copyOf", "Ljava/lang/Integer;::valueOf",
		"Ljava/time/format/DateTimeFormatter;::format", "Ljava/math/BigDecimal;::multiply",
		"Ljava/math/BigDecimal;::setScale", "Ljava/util/regex/Matcher;::find",
		"Ljava/util/regex/Pattern$Start;::match", "Ljava/util/regex/Pattern$CharPropertyGreedy;::match",
		"Ljava/util/TimSort;::sort", "Ljava/util/TimSort;::mergeAt", "Ljava/util/TimSort;::binarySort",
		"Lcom/fasterxml/jackson/databind/ObjectMapper;::writeValueAsString",
		"Lcom/fasterxml/jackson/databind/ObjectWriter;::writeValue",
		"Lcom/fasterxml/jackson/databind/ser/DefaultSerializerProvider;::serializeValue",
		"Lcom/fasterxml/jackson/databind/ser/BeanSerializer;::serialize",
		"Lcom/fasterxml/jackson/databind/ser/std/BeanSerializerBase;::serializeFields",
		"Lcom/fasterxml/jackson/databind/ser/BeanPropertyWriter;::serializeAsField",
		"Lcom/fasterxml/jackson/databind/ser/std/CollectionSerializer;::serializeContents",
		"Lcom/fasterxml/jackson/core/json/UTF8JsonGenerator;::writeString",
		"Lcom/fasterxml/jackson/core/json/UTF8JsonGenerator;::_writeStringSegment",
		"Lorg/hibernate/internal/SessionImpl;::find",
		"Lorg/hibernate/loader/ast/internal/SingleIdLoadPlan;::load",
		"Lorg/hibernate/sql/exec/internal/JdbcSelectExecutorStandardImpl;::list",
		"Lorg/hibernate/sql/results/internal/RowProcessingStateStandardImpl;::next",
		"Lorg/hibernate/engine/internal/StatefulPersistenceContext;::getEntity",
		"Lcom/zaxxer/hikari/pool/HikariProxyPreparedStatement;::executeQuery",
		"Lorg/postgresql/jdbc/PgPreparedStatement;::executeQuery",
		"Lorg/postgresql/jdbc/PgStatement;::executeInternal",
		"Lorg/postgresql/core/v3/QueryExecutorImpl;::execute",
		"Lorg/postgresql/core/v3/QueryExecutorImpl;::processResults",
		"Lorg/postgresql/core/PGStream;::receiveChar", "Interpreter")
	jleaf := j(
		"Ljava/util/HashMap;::getNode", "Ljava/lang/String;::hashCode",
		"Ljava/lang/StringLatin1;::indexOf", "Ljava/lang/String;::equals",
		"Ljava/util/Arrays;::fill", "Ljava/util/HashMap;::hash",
		"Ljava/lang/StringLatin1;::inflate", "Ljava/util/ArrayList;::iterator",
		"Lcom/fasterxml/jackson/core/json/UTF8JsonGenerator;::_writeStringSegment2",
		"Ljava/math/BigInteger;::multiplyToLen", "Ljava/lang/Object;::<init>",
		"Interpreter", "StubRoutines (2)", "vtable chunks", "itable stub")

	leaf := func(r *rng) ([]frame, bool) { return []frame{zipfPick(r, jleaf, 0.8)}, false }
	alloc := func(r *rng) ([]frame, bool) {
		f := cat(j("Ljava/util/Arrays;::copyOf"), v("OptoRuntime::new_array_C", "TypeArrayKlass::allocate_common",
			"MemAllocator::allocate", "MemAllocator::allocate_inside_tlab_slow",
			"G1CollectedHeap::allocate_new_tlab", "G1CollectedHeap::attempt_allocation_slow",
			"G1CollectedHeap::do_collection_pause", "VMThread::execute", "Monitor::wait",
			"PlatformMonitor::wait"), in(libc, "___pthread_cond_timedwait64", "__futex_abstimed_wait_common"))
		k := r.between(3, len(f))
		whole := k == len(f)
		f = f[:k]
		if whole && r.chance(0.8) {
			f = cat(f, kchain(r, "futex_wait", 3))
		}
		return f, false
	}
	lock := func(r *rng) ([]frame, bool) {
		return cat(v("SharedRuntime::complete_monitor_locking_C", "ObjectSynchronizer::enter",
			"ObjectMonitor::enter", "ObjectMonitor::EnterI", "os::PlatformEvent::park"),
			in(libc, "___pthread_cond_wait", "__futex_abstimed_wait_common"), kchain(r, "futex_wait", 5)), false
	}
	read := func(r *rng) ([]frame, bool) {
		return cat(j("Lorg/postgresql/core/VisibleBufferedInputStream;::readMore",
			"Ljava/net/Socket$SocketInputStream;::read", "Lsun/nio/ch/NioSocketImpl;::read",
			"Lsun/nio/ch/NioSocketImpl;::implRead", "Lsun/nio/ch/NioSocketImpl;::tryRead",
			"Lsun/nio/ch/SocketDispatcher;::read0"),
			in(libnio, "Java_sun_nio_ch_SocketDispatcher_read0"), in(libc, "__GI___libc_read"),
			kchain(r, "read_sock", 3)), false
	}
	write := func(r *rng) ([]frame, bool) {
		return cat(j("Lorg/apache/catalina/connector/OutputBuffer;::flush",
			"Lorg/apache/coyote/http11/Http11OutputBuffer;::flushBuffer",
			"Lorg/apache/tomcat/util/net/NioEndpoint$NioSocketWrapper;::doWrite",
			"Lsun/nio/ch/SocketChannelImpl;::write", "Lsun/nio/ch/IOUtil;::write",
			"Lsun/nio/ch/SocketDispatcher;::write0"),
			in(libnio, "Java_sun_nio_ch_SocketDispatcher_write0"), in(libc, "__GI___libc_write"),
			kchain(r, "write_sock", 3)), false
	}
	pageFault := func(r *rng) ([]frame, bool) {
		return cat([]frame{zipfPick(r, jleaf, 1)}, kchain(r, "pf_anon", 3)), false
	}
	timer := func(r *rng) ([]frame, bool) {
		return cat([]frame{zipfPick(r, jleaf, 1)}, kchain(r, "timer", 3)), false
	}
	unknownJIT := func(r *rng) ([]frame, bool) {
		f := make([]frame, r.between(1, 3))
		for i := range f {
			f[i] = frame{dso: jit}
		}
		return f, false
	}
	hash := func(r *rng) ([]frame, bool) {
		return cat(j("Ljava/lang/Object;::hashCode"), v("JVM_IHashCode", "ObjectSynchronizer::FastHashCode"))[:r.between(2, 3)], false
	}
	epoll := func(r *rng) ([]frame, bool) { return kchain(r, "epoll_wait", 7), true }

	javaTails := []weightedTail{{40, leaf}, {8, alloc}, {5, lock}, {7, read}, {5, write},
		{5, pageFault}, {5, timer}, {4, unknownJIT}, {2, hash}}
	roles := []*role{
		newRole("http-nio-8080-e", jpid, sequence(4300, 10), 0.20, tomcat, [][]frame{spring, app, jlib}, javaTails, 28, 60, 38),
		newRole("http-nio-8080-P", jpid, []int{4291}, 0.01, tomcatPoll, [][]frame{nil}, oneTail(epoll), 10, 40, 20),
	}
	sched := cat(javaEntry, j(
		"Ljava/util/concurrent/ThreadPoolExecutor$Worker;::run",
		"Ljava/util/concurrent/ThreadPoolExecutor;::runWorker",
		"Ljava/util/concurrent/ScheduledThreadPoolExecutor$ScheduledFutureTask;::run",
		"Ljava/util/concurrent/FutureTask;::runAndReset",
		"Lorg/springframework/scheduling/support/DelegatingErrorHandlingRunnable;::run",
		"Lorg/springframework/scheduling/support/ScheduledMethodRunnable;::run"))
	roles = append(roles, newRole("scheduling-1", jpid, []int{4288}, 0.02, sched, [][]frame{app, jlib}, javaTails, 18, 50, 30))

	c2spine := cat(threadBase, v("JavaThread::thread_main_inner", "CompileBroker::compiler_thread_loop",
		"CompileBroker::invoke_compiler_on_method", "C2Compiler::compile_method", "Compile::Compile"))
	c2pool := v(
		"Compile::Optimize", "Compile::Code_Gen", "PhaseIdealLoop::optimize",
		"PhaseIdealLoop::build_and_optimize", "PhaseIdealLoop::build_loop_late",
		"PhaseIdealLoop::build_loop_late_post_work", "PhaseIdealLoop::split_if_with_blocks",
		"PhaseIterGVN::optimize", "PhaseIterGVN::transform_old", "PhaseChaitin::Register_Allocate",
		"PhaseChaitin::Split", "PhaseChaitin::build_ifg_physical", "PhaseChaitin::gather_lrg_masks",
		"PhaseCFG::do_global_code_motion", "PhaseCFG::global_code_motion",
		"PhaseCFG::schedule_late", "PhaseLive::compute", "Matcher::match", "Matcher::xform",
		"Matcher::ReduceInst", "Matcher::Label_Root", "ParseGenerator::generate",
		"Parse::Parse", "Parse::do_all_blocks", "Parse::do_one_block",
		"Parse::do_one_bytecode", "Parse::do_call", "Compile::call_generator",
		"InlineTree::ok_to_inline", "ciMethod::ensure_method_data",
		"ciEnv::get_method_by_index_impl", "AddNode::Ideal", "CmpINode::Value",
		"PhaseGVN::transform_no_reclaim", "Node::Ideal", "PhaseOutput::Output",
		"PhaseOutput::fill_buffer", "IndexSetIterator::advance_and_next",
		"PhaseChaitin::interfere_with_live", "RegMask::is_bound", "Arena::Amalloc",
		"Arena::grow", "Node_Array::grow", "Dict::Insert", "ConnectionGraph::do_analysis",
		"ConnectionGraph::compute_escape", "PhaseMacroExpand::expand_macro_nodes")
	c2leaf := func(r *rng) ([]frame, bool) {
		if r.chance(0.15) {
			return cat(v("Arena::grow", "os::malloc"), in(libc, "malloc", "_int_malloc"))[:r.between(2, 4)], false
		}
		if r.chance(0.1) {
			return cat(in(libc, "__memset_avx2_unaligned_erms"), kchain(r, "pf_anon", 3)), false
		}
		return []frame{zipfPick(r, c2pool[30:], 0.7)}, false
	}
	c2 := newRole("C2 CompilerThre", jpid, []int{4260, 4261}, 0.04, c2spine, [][]frame{c2pool}, oneTail(c2leaf), 12, 45, 22)
	c2.recursion = true

	gcspine := cat(threadBase, v("WorkerThread::run", "G1EvacuateRegionsBaseTask::work",
		"G1EvacuateRegionsTask::evacuate_live_objects", "G1ParEvacuateFollowersClosure::do_void"))
	gcpool := v(
		"G1ParScanThreadState::steal_and_trim_queue",
		"G1ParScanThreadState::trim_queue_to_threshold",
		"G1ParScanThreadState::do_copy_to_survivor_space",
		"void G1ParScanThreadState::do_oop_evac<narrowOop>",
		"void OopOopIterateBackwardsDispatch<G1ScanEvacuatedObjClosure>::Table::oop_oop_iterate_backwards<InstanceKlass, narrowOop>",
		"void OopOopIterateBackwardsDispatch<G1ScanEvacuatedObjClosure>::Table::oop_oop_iterate_backwards<ObjArrayKlass, narrowOop>",
		"G1ParScanThreadState::copy_to_survivor_space", "TaskTerminator::offer_termination",
		"G1RemSet::scan_heap_roots", "G1ScanHRForRegionClosure::scan_heap_roots",
		"G1ScanHRForRegionClosure::do_claimed_block", "HeapRegion::oops_on_memregion_seq_iterate_careful<true, G1ScanCardClosure>",
		"G1CardTable::mark_range_dirty", "G1RootProcessor::evacuate_roots",
		"Threads::possibly_parallel_oops_do", "JavaThread::oops_do_frames", "frame::oops_do_internal",
		"OopMapSet::oops_do", "SpinPause")
	gc := newRole("GC Thread#", jpid, []int{4250, 4251, 4252, 4253}, 0.05, gcspine, [][]frame{gcpool},
		oneTail(func(r *rng) ([]frame, bool) { return []frame{zipfPick(r, gcpool, 1)}, false }), 10, 24, 14)
	gc.recursion = true
	roles = append(roles, c2, gc)
	return append(roles, batchRole(r))
}

// batchRole is the second JVM: a batch job whose JIT frames carry the
// JDK's -XX:+DumpPerfMapAtExit names, with spaces and parentheses.
func batchRole(r *rng) *role {
	const pid = 5150
	jit := fmt.Sprintf("/tmp/perf-%d.map", pid)
	k2 := func(syms ...string) []frame { return in(jit, syms...) }
	entry := cat(in(libc, "clone3", "start_thread"), in(libjvm, "thread_native_entry",
		"Thread::call_run", "JavaThread::thread_main_inner", "thread_entry",
		"JavaCalls::call_virtual", "JavaCalls::call_virtual", "JavaCalls::call_helper"),
		k2("StubRoutines (1)",
			"void java.lang.Thread.run()",
			"void java.util.concurrent.ThreadPoolExecutor$Worker.run()",
			"void java.util.concurrent.ThreadPoolExecutor.runWorker(java.util.concurrent.ThreadPoolExecutor$Worker)",
			"void java.util.concurrent.FutureTask.run()",
			"java.lang.Object java.util.concurrent.Executors$RunnableAdapter.call()"))
	mods := []string{"ingest", "transform", "enrich", "export", "dedupe"}
	classes := []string{"Reader", "Parser", "Mapper", "Writer", "Batch", "Rule", "Index"}
	type method struct{ ret, name, args string }
	methods := []method{{"void", "run", "()"}, {"java.util.List", "readBatch", "(int)"},
		{"com.acme.batch.Record", "parse", "(java.lang.String)"},
		{"boolean", "accept", "(com.acme.batch.Record)"},
		{"void", "write", "(java.util.List)"}, {"int", "flush", "()"},
		{"java.lang.Object", "lambda$apply$0", "(java.lang.Object)"},
		{"java.util.Map", "group", "(java.util.stream.Stream, int)"}}
	var app []frame
	for _, m := range mods {
		for _, c := range classes {
			for _, me := range sample(r, methods, 4) {
				app = append(app, frame{jit, fmt.Sprintf("%s com.acme.batch.%s.%s%s.%s%s",
					me.ret, m, strings.ToUpper(m[:1])+m[1:], c, me.name, me.args)})
			}
		}
	}
	lib := k2(
		"java.lang.Object java.util.HashMap.get(java.lang.Object)",
		"java.lang.Object java.util.HashMap.putVal(int, java.lang.Object, java.lang.Object, boolean, boolean)",
		"boolean java.util.ArrayList.add(java.lang.Object)", "int java.lang.String.hashCode()",
		"java.lang.String java.lang.String.substring(int, int)",
		"java.lang.String[] java.lang.String.split(java.lang.String, int)",
		"byte[] java.util.Arrays.copyOfRange(byte[], int, int)",
		"void java.util.TimSort.sort(java.lang.Object[], int, int, java.util.Comparator, java.lang.Object[], int, int)",
		"java.lang.Object java.util.stream.ReduceOps$ReduceOp.evaluateSequential(java.util.stream.PipelineHelper, java.util.Spliterator)",
		"void java.util.stream.ReferencePipeline$2$1.accept(java.lang.Object)",
		"java.math.BigDecimal java.math.BigDecimal.add(java.math.BigDecimal)",
		"java.lang.String java.lang.StringLatin1.newString(byte[], int, int)",
		"int java.lang.StringLatin1.indexOf(byte[], int, int)",
		"long java.util.zip.CRC32.updateBytes0(int, byte[], int, int)",
		"Interpreter")
	leaves := cat(lib[len(lib)-6:], k2("Interpreter", "StubRoutines (2)"), []frame{{dso: jit}})
	tail := func(r *rng) ([]frame, bool) {
		x := r.Float64()
		switch {
		case x < 0.7:
			return []frame{zipfPick(r, leaves, 1)}, false
		case x < 0.85:
			return cat([]frame{zipfPick(r, leaves, 1)}, kchain(r, "pf_anon", 3)), false
		}
		return in(libjvm, "OptoRuntime::new_array_nozero_C", "TypeArrayKlass::allocate_common",
			"MemAllocator::allocate", "MemAllocator::Allocation::notify_allocation_jvmti_sampler")[:r.between(2, 4)], false
	}
	return newRole("pool-1-thread-", pid, []int{5170, 5171, 5172, 5173}, 0.05, entry, [][]frame{app, lib}, oneTail(tail), 20, 55, 32)
}
