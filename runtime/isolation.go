package runtime

import (
	"context"
	"fmt"
)

// Isolation says whether a module's instances serve more than one fetch.
// The zero value is [IsolationPooled].
type Isolation int

const (
	// IsolationPooled keeps healthy instances in a pool and reuses them:
	// fast (no instantiation per fetch), but an instance keeps its memory
	// — whatever the guest stored, and the freed heap it did not
	// overwrite — from one fetch to the next, across secrets and the
	// workflows or callers the agent serves.
	IsolationPooled Isolation = iota
	// IsolationPerCall gives every fetch a fresh instance and drops it
	// after the call: no fetch can see what an earlier one left in
	// memory, at the price of an instantiation (and _initialize) per
	// fetch.
	IsolationPerCall
)

// String returns the setting's spelling in a store's config.
func (i Isolation) String() string {
	switch i {
	case IsolationPooled:
		return "pooled"
	case IsolationPerCall:
		return "per_call"
	}
	return fmt.Sprintf("Isolation(%d)", int(i))
}

// ParseIsolation reads "pooled" (or "") and "per_call".
func ParseIsolation(s string) (Isolation, error) {
	switch s {
	case "", "pooled":
		return IsolationPooled, nil
	case "per_call":
		return IsolationPerCall, nil
	}
	return 0, fmt.Errorf("%q is not an isolation: want pooled or per_call", s)
}

// discard overwrites the instance's whole linear memory with zeros and
// closes it. The memory is a Go byte slice that the garbage collector
// frees but does not clear; overwriting it first means that a later reader
// of the agent's memory (a core dump, a swapped page, a debugger) finds no
// secret the guest held there.
func (m *Module) discard(in *instance) {
	if mem := in.mod.Memory(); mem != nil {
		if b, ok := mem.Read(0, mem.Size()); ok {
			clear(b)
			if m.onDiscard != nil {
				m.onDiscard(b)
			}
		}
	}
	// Closing a module the runtime already closed is harmless.
	_ = in.mod.Close(context.Background())
}
