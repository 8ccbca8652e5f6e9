// Package pmc names and counts performance monitoring events, vendor-neutrally,
// the way perf does: generic hardware events (cycles, instructions, ...),
// hardware cache events (L1-dcache-load-misses, LLC-loads, dTLB-load-misses,
// ...), software events (page-faults, context-switches, task-clock, ...), raw
// events (r003c) and PMU events as /sys/bus/event_source/devices describes them
// (cpu/event=0x3c,umask=0x0/, msr/tsc/, software/config=2/), each with perf's
// modifiers (:u, :k, :h, :p, :pp, :ppp, :G, :H, :I, :S, :D), in lists and
// groups as perf's -e takes them ("cycles,instructions", "{cycles,instructions}").
//
// Parsing an event never needs the hardware: "cycles" parses on a machine
// without a PMU, and opening it there fails with an error wrapping
// [ErrNotSupported].
package pmc
