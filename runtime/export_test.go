package runtime

// SetDiscardHook makes m call fn with each instance's memory after it was
// overwritten and before the instance is closed.
func SetDiscardHook(m *Module, fn func(mem []byte)) { m.onDiscard = fn }
