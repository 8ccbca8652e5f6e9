package scope

import (
	"bytes"
	"sync"
)

// keyTable gives each distinct sample key (perfSample.key) a stack id, for
// the goroutines that parse chunks of the input at the same time.
type keyTable struct {
	mu   sync.RWMutex
	ids  map[string]uint32
	keys []string // by id
	idle []bool   // by id
}

func newKeyTable() *keyTable { return &keyTable{ids: map[string]uint32{}} }

// id returns the id of key, adding it when new; class is the header class
// of the sample it came from.
func (kt *keyTable) id(key []byte, class headerClass) uint32 {
	kt.mu.RLock()
	id, ok := kt.ids[string(key)]
	kt.mu.RUnlock()
	if ok {
		return id
	}
	k := string(key)
	idle := bodyIdle(class, key[bytes.IndexByte(key, '\n')+1:])
	kt.mu.Lock()
	defer kt.mu.Unlock()
	if id, ok := kt.ids[k]; ok {
		return id
	}
	id = uint32(len(kt.keys))
	kt.ids[k] = id
	kt.keys = append(kt.keys, k)
	kt.idle = append(kt.idle, idle)
	return id
}
