package cfi

import (
	"fmt"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// parse reads the section's FDEs with their rows made, for tests that
// check each FDE's rows; buildTable makes them one FDE at a time.
func (s *frameSection) parse() ([]fdeRows, error) {
	fdes, err := s.entries(nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name(), err)
	}
	for i := range fdes {
		rows, err := fdes[i].make(&programBuffers{})
		if err != nil {
			return nil, err
		}
		fdes[i].rows, fdes[i].section = rows, nil
	}
	return fdes, nil
}
