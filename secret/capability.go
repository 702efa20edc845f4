package secret

import "context"

// Versioner is an optional [Store] capability: it reports the current
// version of a secret without fetching its payload, where the backend
// allows it (AWS DescribeSecret, GCP GetSecretVersion on "latest", Azure's
// cheapest metadata call, a Wasm module's optional export). Caches and
// `--watch` use it so that an unchanged secret costs a metadata call.
//
// CurrentVersion returns what the probe learned: the version, an opaque
// string that changes whenever the value req names changes, recorded with
// [FetchInfo.SetVersion] (so checked; [FetchInfo.Version] is "" when it was
// refused), and the calls made to the backing service. As with Get, the
// FetchInfo may carry what is known beside an error. A missing secret is an
// error wrapping [ErrNotFound]. It may be called concurrently and must
// honour ctx.
type Versioner interface {
	CurrentVersion(ctx context.Context, req Request) (FetchInfo, error)
}

// Unwrapper is implemented by a [Store] that wraps another: a decorator
// such as protection (package protect) or a cache (package cache). A
// decorator implements the data path — Get, Close, and CurrentVersion,
// which it forwards (answering an error wrapping [errors.ErrUnsupported]
// when the store beneath cannot) — and Unwrap. It declares no [Describer]
// of its own: callers reach the store beneath's through [As] (or
// [DescriptionOf]), as net/http.ResponseController reaches a wrapped
// ResponseWriter's, so that a decorator never re-shapes itself to keep
// it.
type Unwrapper interface {
	Unwrap() Store
}

// As returns the first store in st's chain — st, then what each Unwrap
// returns ([Unwrapper]) — that implements T, as [errors.As] does along an
// error's chain. T is an interface type, usually a capability such as
// [Describer].
func As[T any](st Store) (T, bool) {
	for st != nil {
		if t, ok := st.(T); ok {
			return t, true
		}
		u, ok := st.(Unwrapper)
		if !ok {
			break
		}
		st = u.Unwrap()
	}
	var zero T
	return zero, false
}

// Base returns the store at the bottom of st's chain: the one that wraps
// nothing, st itself when st is no [Unwrapper].
func Base(st Store) Store {
	for {
		u, ok := st.(Unwrapper)
		if !ok {
			return st
		}
		next := u.Unwrap()
		if next == nil {
			return st
		}
		st = next
	}
}

// VersionerOf returns st's version probe when the store at the bottom of
// its chain ([Base]) answers version probes — it implements [Versioner]
// and its [Description] does not say NoProbe: the first CurrentVersion in
// the chain, so that a probe goes through st's decorators (protection's
// probe rate, …). Decorators forward CurrentVersion whether or not the
// store beneath can answer, so asserting st.(Versioner) cannot tell.
func VersionerOf(st Store) (Versioner, bool) {
	base := Base(st)
	if _, ok := base.(Versioner); !ok {
		return nil, false
	}
	if d, ok := base.(Describer); ok && d.Describe().NoProbe {
		return nil, false
	}
	return As[Versioner](st)
}
