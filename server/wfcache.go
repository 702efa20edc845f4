package server

import (
	"crypto/sha256"
	"sync"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/workflow"
)

// Decoded workflows are remembered by the digest of their name, format and
// text: an agent sends the same few workflows over and over, and decoding
// YAML costs more than answering from the cache. A workflow holds
// references and literals, never a fetched value.
const (
	wfCacheEntries  = 256
	wfCacheMaxBytes = 64 << 10 // larger documents are decoded each time
)

type wfKey [sha256.Size]byte

// wfCache is a fixed-size map of decoded workflows, evicting the oldest.
type wfCache struct {
	mu    sync.Mutex
	m     map[wfKey]resolver.Workflow
	order []wfKey // ring of keys, oldest at next
	next  int
}

func newWFCache() *wfCache {
	return &wfCache{m: make(map[wfKey]resolver.Workflow, wfCacheEntries), order: make([]wfKey, 0, wfCacheEntries)}
}

// decode returns the workflow doc decodes to, from the cache when it can.
func (c *wfCache) decode(name string, f workflow.Format, doc []byte) (resolver.Workflow, error) {
	if len(doc) > wfCacheMaxBytes {
		return workflow.Decode(name, f, doc)
	}
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(f))
	h.Write([]byte{0})
	h.Write(doc)
	var k wfKey
	h.Sum(k[:0])
	c.mu.Lock()
	wf, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return wf, nil
	}
	wf, err := workflow.Decode(name, f, doc)
	if err != nil {
		return wf, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return wf, nil
	}
	if len(c.order) < wfCacheEntries {
		c.order = append(c.order, k)
	} else {
		delete(c.m, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % wfCacheEntries
	}
	c.m[k] = wf
	return wf, nil
}
