package perfscript

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestHeaderMemo folds samples whose headers start like a header before
// them (up to the space after the TID) or almost (another TID, a longer
// one), end like the last one or not (another period, another event type,
// which is filtered out), and more distinct starts than the memo keeps:
// each sample must get the process frame, period and event type of its
// own header.
func TestHeaderMemo(t *testing.T) {
	const body = "\t1 f (/x)\n\n"
	headers := []string{
		"a b 1/2 [000] 1.0: 10 ev1:",
		"a b 1/3 [000] 1.1: 10 ev1:",
		"a b 1/2 [001] 1.2: 20 ev1:",
		"a b 1/2 [001] 1.3: 20 ev2:",
		"a b 1/2 [001] 1.4: 20 ev1:",
		"a b 1/22 [000] 1.5: 10 ev1:",
		"c 7 2.0: 10 ev1:",
		"c 8 2.1: 10 ev1:",
		"c 9 2.2: 10 ev1:",
		"c 10 2.3: 10 ev1:",
		"a b 1/2 [000] 3.0: 30 ev1:",
		"a b 1/2 [000] 3.1:: 30 ev1:",
	}
	var in strings.Builder
	for _, h := range headers {
		in.WriteString(h + "\n" + body)
	}
	counts := map[string]int{"a_b-1/2": 10 + 20 + 20 + 30 + 30, "a_b-1/3": 10, "a_b-1/22": 10, "c-?/7": 10, "c-?/8": 10, "c-?/9": 10, "c-?/10": 10}
	var lines []string
	for pname, n := range counts {
		lines = append(lines, fmt.Sprintf("%s;f %d\n", pname, n))
	}
	slices.Sort(lines)
	want := strings.Join(lines, "")
	p, got := fold(t, []byte(in.String()), Options{TID: true}, DefaultSizes.Memo)
	if got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	if p.filtered != 1 || string(p.filter) != "ev1" {
		t.Errorf("filtered %d samples, kept event %q; want 1 and ev1", p.filtered, p.filter)
	}
}
