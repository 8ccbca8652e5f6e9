package symbolize

import "math/bits"

// minOrdered is the batch size from which lookups go in address order.
const minOrdered = 256

// addressOrder returns the indexes of addrs in ascending address order, or
// nil when the batch is small or already sorted. Looking addresses up in
// order walks the tables front to back, so a big batch hits the cache where
// its own order would miss on every lookup.
func addressOrder(addrs []uint64) []int32 {
	if len(addrs) < minOrdered || len(addrs) > 1<<31-1 {
		return nil
	}
	sorted := true
	for i := 1; i < len(addrs) && sorted; i++ {
		sorted = addrs[i-1] <= addrs[i]
	}
	if sorted {
		return nil
	}
	return sortedOrder(nil, addrs)
}

// sortedOrder sorts order, a permutation of the indexes of keys (the
// identity when nil), stably by key, and returns it. It is an LSD radix sort
// on the keys' offsets from the smallest, with as many 11-bit passes as
// their spread needs: two or three for the addresses in one binary's text.
// len(keys) must be below 2³¹.
func sortedOrder(order []int32, keys []uint64) []int32 {
	if order == nil {
		order = make([]int32, len(keys))
		for i := range order {
			order[i] = int32(i)
		}
	}
	if len(keys) == 0 {
		return order
	}
	lo, hi := keys[0], keys[0]
	for _, k := range keys {
		lo, hi = min(lo, k), max(hi, k)
	}
	const digitBits = 11
	const digits = 1 << digitBits
	tmp := make([]int32, len(order))
	var count [digits + 1]int
	for shift := 0; shift < bits.Len64(hi-lo); shift += digitBits {
		clear(count[:])
		for _, i := range order {
			count[1+int((keys[i]-lo)>>shift)&(digits-1)]++
		}
		for d := 1; d <= digits; d++ {
			count[d] += count[d-1]
		}
		for _, i := range order {
			d := int((keys[i]-lo)>>shift) & (digits - 1)
			tmp[count[d]] = i
			count[d]++
		}
		order, tmp = tmp, order
	}
	return order
}
