// Package bpf holds flamekit's BPF programs and their Go bindings, generated
// by bpf2go. The generated object and Go files are committed, so building
// and testing need no clang; `go generate` needs clang and libbpf's headers
// (Debian: clang, libbpf-dev, linux-libc-dev). The programs read kernel
// structures through CO-RE, so they need no vmlinux.h.
package bpf

//go:generate go tool bpf2go -tags linux -target amd64 -type count_key -type count_value -type stack -type timed_sample -type process_event -type process_kind -type failure -type count_kind -type blocked_thread -type unwind_process -type unwind_mapping -type cfa_kind -type save_kind Profile profile.bpf.c -- -O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu
