package scope

import (
	"errors"
	"fmt"
	"html"
	"io"
	"time"

	"github.com/flamekit/flamekit/profile"
)

// HandlerFormats returns scope's pages as formats of profile.Handler, to
// put in profile.HandlerOptions.Formats:
//
//	profile.Handler(profile.HandlerOptions{Formats: scope.HandlerFormats()})
//
// Each records every sample with its time and answers with what flamekit
// scope writes of a recording:
//
//   - format=scope: the heat map page (WritePage) of a CPU recording
//     (mode=cpu), shown inline; rows (10 to 100, default 50) is the rows
//     the page opens with, and the page offers the row counts that divide
//     100 (or rows). The flame graph parameters title, width, height,
//     minwidth, fonttype, fontsize, countname, colors (or color), hash and
//     random apply to its flame graphs, title heading the page.
//   - format=latency: the off-CPU latency heat map page (WriteLatencyPage)
//     of an off-CPU recording: mode=off-cpu is implied, mode=wall allowed
//     (its on-CPU samples are left out), mode=cpu refused; step is its
//     columns' width (a duration; default: 1, 2 or 5 times a power of ten,
//     for at most 60 columns), by-func adds a histogram per function, and
//     title heads it.
//   - format=latency-hist: bcc's log2 histogram of the same blocks, as
//     text (Blocks.WriteHistograms), with by-func.
//
// A recording without a sample (or without a block) answers with a page
// (or a line) that says so. Off-CPU recording's own parameters (min-block,
// max-block, state, threads, wakeups) choose the blocks.
func HandlerFormats() map[string]profile.HandlerFormat {
	return map[string]profile.HandlerFormat{
		"scope": {
			ContentType: "text/html; charset=utf-8", Extension: "scope.html", Inline: true, Timed: true,
			Modes:       []profile.Mode{profile.ModeCPU},
			Params:      []string{"rows"},
			GraphParams: []string{"title", "width", "height", "minwidth", "fonttype", "fontsize", "countname", "colors", "color", "hash", "random"},
			Prepare:     prepareScopePage,
		},
		"latency": {
			ContentType: "text/html; charset=utf-8", Extension: "latency.html", Inline: true, Timed: true,
			Modes:       []profile.Mode{profile.ModeOffCPU, profile.ModeWall},
			Params:      []string{"step", "by-func"},
			GraphParams: []string{"title"},
			Prepare:     prepareLatencyPage,
		},
		"latency-hist": {
			ContentType: "text/plain; charset=utf-8", Extension: "latency.txt", Timed: true,
			Modes:   []profile.Mode{profile.ModeOffCPU, profile.ModeWall},
			Params:  []string{"by-func"},
			Prepare: prepareLatencyHist,
		},
	}
}

// prepareScopePage reads format=scope's parameters.
func prepareScopePage(q profile.HandlerQuery) (profile.HandlerWriter, error) {
	rows, err := q.IntParam("rows", DefaultRows)
	if err != nil {
		return nil, err
	}
	if rows < MinRows || rows > MaxRows {
		return nil, q.BadParam("rows", fmt.Sprintf("want %d to %d rows a second", MinRows, MaxRows))
	}
	page := PageOptions{Rows: rows, Title: q.Graph.Title, Graph: q.Graph}
	page.Graph.Title = ""
	index := Options{Rows: rows}
	if 100%rows == 0 {
		index.Rows = 100 // the page offers every row count that divides 100
	}
	return func(w io.Writer, rec *profile.Profile) error {
		if page.Title == "" {
			page.Title = "flamekit scope: " + recordingName(rec)
		}
		p, err := FromRecording(rec, profile.FoldOptions{})
		if errors.Is(err, ErrNoSamples) {
			return writeNoDataPage(w, page.Title, fmt.Sprintf("No sample was taken in the %v recorded.", rec.Duration.Round(time.Millisecond)))
		}
		if err != nil {
			return err
		}
		ix, err := NewIndex(p, index)
		if err != nil {
			return err
		}
		return WritePage(w, ix, page)
	}, nil
}

// prepareLatencyPage reads format=latency's parameters.
func prepareLatencyPage(q profile.HandlerQuery) (profile.HandlerWriter, error) {
	step, err := latencyStep(q)
	if err != nil {
		return nil, err
	}
	byFunc, err := q.BoolParam("by-func")
	if err != nil {
		return nil, err
	}
	opts := LatencyPageOptions{Title: q.Graph.Title, Map: LatencyOptions{Step: step}, ByFunc: byFunc}
	return func(w io.Writer, rec *profile.Profile) error {
		if opts.Title == "" {
			opts.Title = "flamekit scope: off-CPU latency, " + recordingName(rec)
		}
		b, err := BlocksFromRecording(rec)
		if errors.Is(err, ErrNoOffCPU) {
			return writeNoDataPage(w, opts.Title, noBlocks(rec))
		}
		if err != nil {
			return err
		}
		return WriteLatencyPage(w, b, opts)
	}, nil
}

// prepareLatencyHist reads format=latency-hist's parameters.
func prepareLatencyHist(q profile.HandlerQuery) (profile.HandlerWriter, error) {
	byFunc, err := q.BoolParam("by-func")
	if err != nil {
		return nil, err
	}
	return func(w io.Writer, rec *profile.Profile) error {
		b, err := BlocksFromRecording(rec)
		if errors.Is(err, ErrNoOffCPU) {
			_, err = fmt.Fprintln(w, noBlocks(rec))
			return err
		}
		if err != nil {
			return err
		}
		return b.WriteHistograms(w, byFunc)
	}, nil
}

// latencyStep reads step=: a positive duration that makes at most
// MaxLatencyColumns columns of the time recorded (blocks that end in it,
// from a column's start).
func latencyStep(q profile.HandlerQuery) (time.Duration, error) {
	step, err := q.DurationParam("step", 0)
	if err != nil || !q.Params.Has("step") {
		return step, err
	}
	if step <= 0 {
		return 0, q.BadParam("step", "want a positive duration")
	}
	// A column a step, and one more each side: the first block's end
	// rounded down, the session's last read after the time recorded.
	least := (q.Duration + MaxLatencyColumns - 3) / (MaxLatencyColumns - 2)
	least = (least + time.Microsecond - 1).Truncate(time.Microsecond)
	if step < least {
		return 0, q.BadParam("step", fmt.Sprintf("more than %d columns of the %v recorded; want %v or more", MaxLatencyColumns, q.Duration, least))
	}
	return step, nil
}

// recordingName names a recording in a page's title: its event, how long
// and from when.
func recordingName(rec *profile.Profile) string {
	return fmt.Sprintf("%s, %v from %s", rec.Event.Name, rec.Duration.Round(time.Millisecond), rec.Start.Format("2006-01-02 15:04:05 MST"))
}

// noBlocks says that rec holds no off-CPU block.
func noBlocks(rec *profile.Profile) string {
	return fmt.Sprintf("No thread blocked (as the recording's min-block, max-block, state and threads choose them) in the %v recorded.", rec.Duration.Round(time.Millisecond))
}

// writeNoDataPage writes a page titled title that says msg.
func writeNoDataPage(w io.Writer, title, msg string) error {
	t := html.EscapeString(title)
	_, err := fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n</head>\n<body>\n<h1>%s</h1>\n<p>%s</p>\n</body>\n</html>\n", t, t, html.EscapeString(msg))
	if err != nil {
		return fmt.Errorf("scope: page: %w", err)
	}
	return nil
}
