package fleet

import (
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
