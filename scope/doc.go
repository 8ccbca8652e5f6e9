// Package scope is the library behind FlameScope-style views of a profile:
// a sub-second offset heat map, whose columns are the seconds of the
// profile and whose rows are offsets within a second, coloured by sample
// count, and the flame graph of any time range selected on it. It follows
// Netflix's FlameScope, whose heat maps it reproduces cell for cell. It
// also draws the latency of off-CPU recordings: a heat map of when threads
// blocked and for how long, and bcc's log2 histograms (see Off-CPU
// latency below).
//
// # Timed input
//
// A Profile is every sample of a timed profile, with its time in seconds
// and its stack among the profile's distinct Stacks. The readers:
//
//   - ReadPerfScript: `perf script` text (gzipped or not) of a capture made
//     with call graphs, with its time field (perf's default);
//   - ReadCPUProfile: V8's .cpuprofile JSON (node --cpu-prof, Chrome
//     DevTools): nodes, samples, timeDeltas, startTime;
//   - ReadPprof: a pprof profile whose samples carry a numeric "timestamp"
//     or "time" label;
//   - FromRecording: a profile.Profile recorded by flamekit with
//     profile.Options.Timed.
//
// Read detects the format. Input without times fails with an error
// wrapping ErrNoTimestamp that names the first line or sample without one.
// Stack names are those of flamekit's other flame graphs: perf script
// stacks are named by collapse.Perf, pprof stacks by collapse.Pprof,
// recordings by profile.Profile.Folded (see ReadPerfScript for how that
// is done one stack at a time).
//
// # Heat map
//
// Profile.HeatMap returns FlameScope's heat map, in the JSON of its
// heat-map API (HeatMap). Columns count whole seconds from the profile's
// first whole second, floor(Start()); rows cut a second into Options.Rows
// offsets (10 to 100, 50 by default: 20 ms), the last offset first; a
// sample at t goes to column floor(t - floor(Start())) and row rows -
// floor(rows * (t mod 1)) - 1, computed in float64 as FlameScope computes
// it, so the maps are the same cell for cell (the tests compare them with
// what FlameScope's code answered on the same files, perf script and
// .cpuprofile alike).
//
// Idle samples are left out unless Options.Idle is set. FlameScope's rule
// (app/perf/regexp.py) is applied: a sample is idle when its text has
// "swapper" and, after it, one of cpuidle, cpu_idle, cpu_bringup_and_idle,
// native_safe_halt, xen_hypercall_sched_op, xen_hypercall_vcpu_op. For
// perf script the text is the sample's header and frame lines joined, as
// FlameScope's heat map joins them; for recordings the folded stack. In a
// .cpuprofile, samples of the "(idle)" node are idle, as in FlameScope's
// heat map; pprof samples never are.
//
// # Ranges
//
// A Range is START,END in seconds from the profile's first whole second,
// as FlameScope's range API counts them, both ends included.
// Profile.Range returns its samples' stacks as a flamegraph.Profile,
// which flamegraph.Render and the pprof writers take from there;
// Index.Diff makes the differential profile of two ranges with
// flamegraph.Diff, as flamekit diff does. A range outside the profile (negative, reversed, or
// ending past the profile's last whole second: FlameScope's 416) fails with
// ErrRangeOutside, one without a counted sample with ErrRangeEmpty.
//
// A range counts the samples FlameScope's range flame graph counts, with
// these differences, on purpose:
//
//   - Frame names are collapse.Perf's, not FlameScope's: the process frame
//     is the whole comm ("kworker/0:1", spaces as '_'), where FlameScope
//     cuts the header at its first digit ("kworker/"); offsets and argument
//     lists go, where FlameScope cuts a name at its first '+' ("operator"
//     of "operator+"); [unknown] symbols are named after their dso
//     ("[bash]"); ';' in names becomes ':'; in java processes only class
//     names lose their leading 'L' (FlameScope drops it from every frame:
//     "inkResolver::resolve"); inlined frames carry "_[i]".
//   - Idle is decided by the heat map's rule above. FlameScope's range code
//     judges the comm and frames only, so it counts a swapper sample whose
//     header alone is idle (the event power:cpu_idle), and it counts the
//     file's last sample even when idle; flamekit keeps a range consistent
//     with the cells it covers.
//   - Every sample is placed by its time, in any order: FlameScope stops
//     reading 0.1 s past the range's end and skips lines by a sparse index,
//     which loses samples that perf script prints out of order.
//   - A .cpuprofile sample is at its own time (FlameScope's range code
//     gives each sample the time of the next one and drops the last), and
//     "(program)" and "(garbage collector)" samples are kept as frames.
//   - A profile whose last sample is on a whole second gets a column for
//     it (FlameScope's heat map fails there).
//
// # One heat map, one range
//
// ReadHeatMap, ReadRange and WriteRangeFolded answer what Read's
// profile's HeatMap and Range answer, for a caller that wants only that
// (flamekit scope --format json, --range), without keeping the profile. Of perf script text,
// ReadHeatMap keeps no stack: one pass reads each header's time and decides
// idleness from the sample's lines as they go by (looking for "swapper" by
// its rarer 'w'), and counts a cell per sample, so its memory is the chunks
// in flight and a count a cell. ReadRange, in one pass over a file, hands
// the samples in the range (their frame lines without addresses, as
// stacks are named below) to collapse.Perf as they are parsed, and keeps
// only what collapse.Perf folds of them; WriteRangeFolded writes that as
// collapse.PerfWriteFolded does, without the stacks' texts in memory at
// once. The range's samples depend on the
// profile's first second, known only at the end: the pass takes the first
// sample's, and reads the file again when perf script wrote an earlier
// second's sample later. Input that cannot be read again (a pipe) and the
// other formats are read whole, as Read reads them.
//
// # Big profiles
//
// NewIndex prepares a profile for a page that shows its heat map and the
// flame graphs of many ranges: the heat map, and for each cell and each
// column its distinct stacks with their counts (Index.Cell). A range is
// assembled from the lists of the columns and cells it covers whole and
// the samples of the two cells it cuts. A profile holds 12 bytes a sample
// and one entry a distinct stack. ReadPerfScript reads its input in
// chunks of 256 KiB, cut before sample headers and parsed by a goroutine per
// CPU; samples share a stack when their frame lines differ only in the
// addresses and offsets that collapse.Perf drops (the leaf's vary from
// sample to sample), and each distinct stack is named once, at the end.
//
// # The page
//
// WritePage writes an Index as one self-contained HTML file (no network,
// no other file: it opens offline and as a CI artifact): the heat map, a
// colour scale with the largest count, a rows selector (the row counts
// from MinRows up that divide the index's: flamekit scope indexes at 100
// rows, so 10, 20, 25, 50 and 100 are offered), and the flame graph of
// the range selected on it. Every cell is an element with its start in
// seconds from the profile's first whole second (data-t, as Range counts)
// and its count (data-n). A click on a start cell and one on an end cell
// select a range, and its flame graph is drawn; two more select a second
// range, and the differential graph from the first range to the second is
// drawn (the second's counts, coloured by the change), as Index.Diff makes
// it. The selection is kept in the URL's fragment (rows=50&range=S,E&vs=S,E),
// so a link reopens the view, and the ranges are those flamekit scope
// --range and --vs take.
//
// The page holds no samples. It holds the index: the counted stacks, each
// as the indexes of its frames' names in a table of distinct names,
// numbered in the order of their frames (the order in which Render
// merges them), and for each cell of the index its stacks with their
// counts, gzipped (the browser's DecompressionStream unpacks it) and
// base64-encoded. A range's counts are the sums of its cells' lists: a
// page's range is whole cells, and a sample exactly at its end, which
// Range counts too, is left to the next cell.
//
// The flame graph is Render's, with as little drawn twice as possible:
// Go renders a one-frame SVG with the page's options when it writes the
// page, and the page keeps that SVG's head, style sheet and script
// (flamegraph.js: search, zoom, the details line) and replaces its frames
// with the range's, each element as Render writes it (data-x, data-w,
// title, rect, label) and coloured with the colours FrameColors gives the
// names, computed in Go; the page's script lays out the frames as
// Render's merger does (stacks in order, each merged with the frames it
// shares with the previous one, frames narrower than MinWidth dropped) and
// shows the SVG in a frame of its own, which parses it as XML, as a file
// of it is parsed, and runs Render's script on it in the frame's window; a
// link downloads it. Only that layout, the label
// cut, the tooltips' numbers and the differential colours are written a
// second time, in JavaScript; the browser tests check that the page draws
// frame for frame what Render draws for the same range. A 10-minute
// system-wide recording at 99 Hz on 64 CPUs (3.8 M samples, 50,000
// stacks) makes a page of about 10 MiB that Chromium opens in about a
// second; a range's graph is drawn in 0.1 to 0.3 s.
//
// # Off-CPU latency
//
// Blocks are the times threads were off CPU, each with when it ended and
// how long it lasted (Block), read from perf script text by ReadOffCPU:
// the offcpu-time samples `perf record --off-cpu` (perf 6.15 and later,
// with --off-cpu-thresh 0 so that every block is written with its time)
// and `flamekit record --off-cpu -o FILE.perf` write, whose time is when
// the thread ran again and whose period is the nanoseconds it was
// blocked. Older perf versions write only each stack's sum, under a
// placeholder time: those samples are counted (Blocks.Untimed), not read
// as blocks. BlocksFromRecording takes the same blocks from a flamekit
// recording made with profile.Options{Mode: profile.ModeOffCPU (or
// ModeWall), Timed: true}.
//
// Durations are counted in log2 buckets of whole microseconds, as bcc's
// tools count them (LatencyBucket): 1024 -> 2047 µs holds a 1.1 ms sleep,
// 65536 -> 131071 µs a 100 ms one. Histogram.WriteTo prints bcc's text
// histogram (usecs : count distribution, 40 stars for the largest count),
// Blocks.WriteHistograms one per function as well: the leaf-most user
// function of the blocked stack, usually the libc call that blocked
// (ppoll, read, futex wait). Blocks.LatencyMap is the heat map: columns
// of time (when blocks ended; 1, 2 or 5 times a power of ten wide, for at
// most 60 columns, or LatencyOptions.Step), rows the buckets from the
// shortest block's to the longest's, each cell the number of blocks.
// WriteLatencyPage writes it as a self-contained page in the scope page's
// style, with the histograms below; a click on a cell lists its blocks'
// count, bucket, summed and mean duration and functions.
//
// # In a Go service
//
// HandlerFormats gives profile.Handler these pages as formats of its own:
// format=scope, the heat map page, and format=latency and latency-hist,
// the latency page and histogram, each of a recording of the serving
// process made when it is asked for (see HandlerFormats for their
// parameters).
package scope
