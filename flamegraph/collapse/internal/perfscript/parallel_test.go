package perfscript

import "testing"

// TestLastBlank finds where the dispatcher may cut a chunk: just past the
// last blank line (LF or CRLF) that ends at or after from.
func TestLastBlank(t *testing.T) {
	const two = "a 1 1.0: 1 ev:\n\t1 f (/x)\n\nb 2 1.0: 1 ev:\n\t1 g (/x)\n\n"
	for _, tt := range []struct {
		data string
		from int
		want int
	}{
		{two, 0, len(two)},
		{two[:len(two)-1], 0, 26},
		{two[:len(two)-1], 27, 0},
		{"a 1 1.0: 1 ev:\r\n\t1 f (/x)\r\n\r\nb", 0, 29},
		{"no blank line\n", 0, 0},
		{"\n", 0, 1},
	} {
		if got := lastBlank([]byte(tt.data), tt.from); got != tt.want {
			t.Errorf("lastBlank(%q, %d) = %d, want %d", tt.data, tt.from, got, tt.want)
		}
	}
}

// TestFirstEvent finds the event kept when no filter is given: that of the
// first header naming one, past comments, frames and headers without one.
func TestFirstEvent(t *testing.T) {
	for data, want := range map[string]string{
		"# perf script\nwork 15623   760.516881:          1 page-faults: \n\t1 f (/x)\n\nwork 15623 760.6: 1001001 cpu-clock: \n": "page-faults",
		"a b 12 x\n\t1 f (/x)\n\ncmd 1/2 3.0: 7 cycles:\r\n":                                                                      "cycles",
		"\t1 f (/x)\n\n":                "",
		"this line is junk\nnot either": "",
	} {
		if got := string(firstEvent([]byte(data))); got != want {
			t.Errorf("firstEvent(%q) = %q, want %q", data, got, want)
		}
	}
}
