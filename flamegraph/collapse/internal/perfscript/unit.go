package perfscript

import "strings"

// modifiers are the letters of perf's event modifiers ("cycles:u",
// "cpu-clock:pppH").
const modifiers = "ukhpPGHSDIWebR"

// unit names what the counts measure: "" for samples, when no kept sample
// was weighted (see Read).
func unit(event []byte, weighted bool) string {
	if !weighted || len(event) == 0 {
		return ""
	}
	name := string(event)
	if i := strings.LastIndexByte(name, ':'); i > 0 && i < len(name)-1 && strings.Trim(name[i+1:], modifiers) == "" {
		name = name[:i]
	}
	switch name {
	case "cpu-clock", "task-clock":
		return "nanoseconds"
	}
	return name
}
