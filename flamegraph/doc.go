// Package flamegraph holds the folded-stack model of a profile and draws it
// as an interactive SVG flame graph, frame for frame as Brendan Gregg's
// flamegraph.pl does.
//
// This package imports nothing else of flamekit: a program can render flame
// graphs without the profilers. Package collapse turns other tools' output
// (perf script, pprof, bpftrace) into a [Profile]; package profile records
// one.
//
// # The folded model
//
// A folded profile is a list of stacks, each with a count: one line a
// stack, its frames from the root to the leaf separated by ';', then a space
// and the count ("main;run;work 42"). A line with two counts is a
// differential pair (before, after), as difffolded.pl writes it.
//
// [Parse] reads that text into a [Profile], whose [Stack] values keep the
// input order (a flame chart needs it; a flame graph merges duplicates);
// [ParseString] parses text already in memory (a mapped file) without
// copying it.
// Lines that are not folded stacks are counted in [Skipped], not fatal.
// [Profile.WriteTo] writes the canonical form: duplicates summed, sorted, so
// identical profiles give identical bytes. [Merge] concatenates profiles
// and [Diff] pairs two of them into a differential one. A Profile's Unit
// says what the counts measure when they are not samples.
//
// # The dialect
//
// A frame name may end with an annotation that says what kind of frame it
// is: [KernelSuffix] ("_[k]"), [JITSuffix] ("_[j]"), [InlinedSuffix]
// ("_[i]") or [WakerSuffix] ("_[w]"). Readers and profilers write them; the
// java, js, perl and chain palettes colour frames by them, and no graph
// shows them. Separator frames join the stacks of one line:
// [StackSeparator] ("-") and, before the stack of a thread's waker,
// [WakerSeparator] ("--"); they are drawn grey. [UnknownFrame] stands for a
// function that is not known, and [FrameName] makes any name safe as one
// frame (no ';', no line break, never empty).
//
// # Rendering
//
// [Render] writes the SVG: the same frames, geometry, colours and tooltips
// as flamegraph.pl for the same input and options, in a smaller file, with
// embedded JavaScript (zoom, search, a details line) that needs no
// network. [Options] carries every option flamegraph.pl
// has, each field named after its flag, and the zero Options is
// flamegraph.pl's defaults ([Options.SetDefaults] fills them in, for a
// command line's help). [Options.Validate] checks the options, and Render
// calls it first. Colours come from a [Palette] and the background from a
// [Background], typed values whose parsers ([ParsePalette],
// [ParseBackground]) reject unknown names; both are flag.Values.
//
// Without a palette map, a frame's colour follows from its name (the shade
// flamegraph.pl's perl picks, to the bit) or, with Options.Random, from a
// sequence of fixed seed, so the same input gives the same graph.
// With [Options.PaletteMap], a [PaletteMap] keeps colours across graphs as
// flamegraph.pl's --cp does: names it holds keep their colour, and new names
// are added to it. [Options.NameAttrs], a [NameAttrs], gives the frames of
// chosen functions links, tooltips or other attributes, as flamegraph.pl's
// --nameattr file does.
//
// A stack deeper than [Options.MaxDepth] ([DefaultMaxDepth] by default) is
// drawn cut, topped by a [CutFrame] frame, so that runaway recursion still
// gives a drawable graph; [RenderStats] (Options.Stats) reports what was
// cut. A profile without a positive count gives an SVG that says so, and
// [ErrEmpty].
//
// # Differential graphs
//
// A differential [Profile] (from [Diff], or a folded file with two counts a
// line) is drawn with the widths of the after counts and coloured by change:
// red where a frame grew, blue where it shrank, white where it did not
// (Options.Negate swaps red and blue). Tooltips add the change in percent
// of the total.
//
// # No file I/O
//
// Render reads and writes nothing but its arguments: it opens no file, not
// even palette.map. A caller that keeps the palette map or the name
// attributes in files, as flamegraph.pl's --cp and --nameattr do, reads them
// with [ReadPaletteMap] and [ReadNameAttrs], passes them in Options, and
// writes the palette map back with [PaletteMap.WriteTo] after rendering;
// flamekit's command line does so.
package flamegraph
