package runtime

// ScanIdleMemory calls fn with the whole linear memory of each idle
// instance in the module's pool and returns how many it scanned. It is for
// tests and forensics: a test proves with it that a value the host handled
// (a credential substituted into a request) never entered the guest's
// memory.
//
// While fn runs, the pool is locked: no call can take an instance, so the
// memory cannot change under fn. mem is a view of the guest's memory, valid
// only during fn: fn must neither keep nor modify it. An instance that is
// busy, or was discarded after a failed call, is not scanned; a pool of one
// instance (Limits.MaxInstances = 1) after a successful call holds exactly
// the instance that served it.
func (m *Module) ScanIdleMemory(fn func(mem []byte)) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, in := range m.idle {
		mem := in.mod.Memory()
		if mem == nil {
			continue
		}
		if b, ok := mem.Read(0, mem.Size()); ok {
			fn(b)
			n++
		}
	}
	return n
}
