package symbolize

import (
	"encoding/binary"
	"os"
)

// readBuildIDNote returns the hex GNU build-id in a file of raw native-endian
// ELF notes such as /sys/kernel/notes, or "" if it has none or cannot be
// read.
func readBuildIDNote(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return gnuBuildID(b, binary.NativeEndian)
}
