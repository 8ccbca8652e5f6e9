package symbolize

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortedOrderIsStableByKey(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, spread := range []uint64{1, 7, 1 << 12, 1 << 30, 1<<64 - 1} {
		keys := make([]uint64, 5000)
		for i := range keys {
			keys[i] = 0x400000 + r.Uint64N(spread)
			if spread == 1<<64-1 {
				keys[i] = r.Uint64()
			}
		}
		want := make([]int32, len(keys))
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int {
			switch {
			case keys[a] < keys[b]:
				return -1
			case keys[a] > keys[b]:
				return 1
			}
			return 0
		})
		if got := sortedOrder(nil, keys); !slices.Equal(got, want) {
			t.Errorf("spread %#x: order differs from a stable sort", spread)
		}
	}
}

func TestAddressOrderSkipsSmallAndSortedBatches(t *testing.T) {
	if addressOrder([]uint64{3, 1, 2}) != nil {
		t.Error("a small batch was reordered")
	}
	sorted := make([]uint64, 1000)
	for i := range sorted {
		sorted[i] = uint64(i)
	}
	if addressOrder(sorted) != nil {
		t.Error("a sorted batch was reordered")
	}
	sorted[0], sorted[999] = sorted[999], sorted[0]
	order := addressOrder(sorted)
	if len(order) != 1000 || order[0] != 999 || order[999] != 0 {
		t.Errorf("order = %v...", order[:3])
	}
}
