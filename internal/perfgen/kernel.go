package perfgen

// Objects frames are in.
const (
	kern      = "[kernel.kallsyms]"
	libc      = "/usr/lib/x86_64-linux-gnu/libc.so.6"
	libstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30"
	libjvm    = "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so"
	libnio    = "/usr/lib/jvm/java-17-openjdk-amd64/lib/libnio.so"
	unknown   = "[unknown]"
	vdso      = "[vdso]"
)

var syscallEntry = []string{"entry_SYSCALL_64_after_hwframe", "do_syscall_64"}

func sys(syms ...string) []string { return append(append([]string(nil), syscallEntry...), syms...) }

// kernelChains are kernel paths, root to leaf, that stacks end in.
var kernelChains = map[string][]string{
	"read_sock": sys("__x64_sys_read", "ksys_read", "vfs_read", "sock_read_iter",
		"sock_recvmsg", "inet_recvmsg", "tcp_recvmsg", "tcp_recvmsg_locked",
		"skb_copy_datagram_iter", "__skb_datagram_iter",
		"simple_copy_to_iter", "_copy_to_iter", "rep_movs_alternative"),
	"recvfrom": sys("__x64_sys_recvfrom", "__sys_recvfrom", "sock_recvmsg",
		"inet_recvmsg", "tcp_recvmsg", "tcp_recvmsg_locked",
		"tcp_cleanup_rbuf", "__tcp_cleanup_rbuf", "tcp_send_ack",
		"__tcp_send_ack.part.0", "__tcp_transmit_skb", "ip_queue_xmit",
		"__ip_queue_xmit", "ip_finish_output2", "__dev_queue_xmit"),
	"write_sock": sys("__x64_sys_write", "ksys_write", "vfs_write", "sock_write_iter",
		"sock_sendmsg", "tcp_sendmsg", "tcp_sendmsg_locked", "tcp_push",
		"__tcp_push_pending_frames", "tcp_write_xmit",
		"__tcp_transmit_skb", "ip_queue_xmit", "__ip_queue_xmit",
		"ip_finish_output2", "__local_bh_enable_ip", "do_softirq.part.0",
		"__do_softirq", "net_rx_action", "__napi_poll",
		"process_backlog", "__netif_receive_skb_one_core",
		"ip_local_deliver_finish", "ip_protocol_deliver_rcu",
		"tcp_v4_rcv", "tcp_v4_do_rcv", "tcp_rcv_established",
		"tcp_data_queue", "sock_def_readable", "__wake_up_sync_key",
		"__wake_up_common", "ep_poll_callback",
		"_raw_spin_unlock_irqrestore"),
	"sendto": sys("__x64_sys_sendto", "__sys_sendto", "sock_sendmsg", "tcp_sendmsg",
		"tcp_sendmsg_locked", "tcp_push", "__tcp_push_pending_frames",
		"tcp_write_xmit", "__tcp_transmit_skb", "ip_queue_xmit",
		"__ip_queue_xmit", "ip_finish_output2", "__dev_queue_xmit",
		"dev_hard_start_xmit", "start_xmit", "virtqueue_add_outbuf",
		"virtqueue_add_split"),
	"futex_wait": sys("__x64_sys_futex", "do_futex", "futex_wait", "futex_wait_queue",
		"schedule", "__schedule", "finish_task_switch.isra.0"),
	"futex_wake": sys("__x64_sys_futex", "do_futex", "futex_wake", "wake_up_q",
		"try_to_wake_up", "_raw_spin_unlock_irqrestore"),
	"epoll_wait": sys("__x64_sys_epoll_wait", "do_epoll_wait", "ep_poll",
		"schedule_hrtimeout_range_clock", "schedule", "__schedule",
		"finish_task_switch.isra.0"),
	"nanosleep": sys("__x64_sys_clock_nanosleep", "common_nsleep",
		"hrtimer_nanosleep", "do_nanosleep", "schedule", "__schedule",
		"finish_task_switch.isra.0"),
	"openat": sys("__x64_sys_openat", "do_sys_openat2", "do_filp_open", "path_openat",
		"link_path_walk.part.0.constprop.0", "walk_component", "lookup_fast",
		"__d_lookup_rcu"),
	"fsync": sys("__x64_sys_fdatasync", "do_fsync", "ext4_sync_file",
		"jbd2_complete_transaction", "jbd2_log_wait_commit", "schedule",
		"__schedule", "finish_task_switch.isra.0"),
	"write_file": sys("__x64_sys_write", "ksys_write", "vfs_write",
		"ext4_buffered_write_iter", "generic_perform_write",
		"ext4_da_write_begin", "__filemap_get_folio",
		"filemap_add_folio", "__filemap_add_folio",
		"_raw_spin_unlock_irq"),
	"munmap": sys("__x64_sys_munmap", "__vm_munmap", "do_vmi_munmap",
		"do_vmi_align_munmap", "unmap_region", "unmap_vmas",
		"unmap_page_range", "zap_pmd_range.isra.0", "zap_pte_range",
		"tlb_flush_mmu", "free_pages_and_swap_cache", "release_pages",
		"free_unref_page_list"),
	"madvise": sys("__x64_sys_madvise", "do_madvise.part.0", "madvise_vma_behavior",
		"zap_page_range_single", "unmap_page_range", "zap_pmd_range.isra.0",
		"zap_pte_range", "page_remove_rmap"),
	"pf_anon": {"asm_exc_page_fault", "exc_page_fault", "do_user_addr_fault",
		"handle_mm_fault", "__handle_mm_fault", "do_anonymous_page",
		"vma_alloc_folio", "__folio_alloc", "__alloc_pages",
		"get_page_from_freelist", "clear_page_erms"},
	"pf_file": {"asm_exc_page_fault", "exc_page_fault", "do_user_addr_fault",
		"handle_mm_fault", "__handle_mm_fault", "do_fault", "do_read_fault",
		"filemap_map_pages", "next_uptodate_folio"},
	"timer": {"asm_sysvec_apic_timer_interrupt", "sysvec_apic_timer_interrupt",
		"__sysvec_apic_timer_interrupt", "hrtimer_interrupt",
		"__hrtimer_run_queues", "tick_nohz_highres_handler", "tick_sched_handle",
		"update_process_times", "scheduler_tick", "task_tick_fair", "update_curr"},
	"ipi": {"asm_sysvec_call_function_single", "sysvec_call_function_single",
		"__sysvec_call_function_single", "__flush_smp_call_function_queue",
		"flush_tlb_func", "native_flush_tlb_one_user"},
}

// kchain returns the first k frames of a kernel chain, k drawn from
// [keepMin, its length].
func kchain(r *rng, name string, keepMin int) []frame {
	ch := kernelChains[name]
	return in(kern, ch[:r.between(min(keepMin, len(ch)), len(ch))]...)
}
