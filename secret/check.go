package secret

// RequestChecker is an optional [Store] capability: CheckRequest reports,
// without I/O, a request the store can never serve — a version on a store
// that has none, a name it cannot hold — so that the resolver refuses it
// while planning (and `latchkey check --offline` reports it as a
// configuration problem) instead of failing the fetch. The error says what
// to write instead and wraps [ErrInvalidConfig]. CheckRequest may be called
// concurrently.
type RequestChecker interface {
	CheckRequest(req Request) error
}
