package cfi

import "errors"

// ErrMalformed reports a .eh_frame, .eh_frame_hdr or .debug_frame whose
// bytes do not follow the format: a length past the end of the section, a
// pointer encoding or opcode that does not exist, an FDE naming no CIE.
// The error wrapping it says where.
var ErrMalformed = errors.New("malformed call frame information")

// ErrNoTable reports an ELF file with neither .eh_frame (nor a
// PT_GNU_EH_FRAME segment leading to one) nor .debug_frame: its code can
// be unwound by frame pointers only.
var ErrNoTable = errors.New("no call frame information")
