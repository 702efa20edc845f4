package resolver

import (
	"context"
	"errors"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// Observer is told about every fetch and every resolution a [Resolver]
// makes: the audit log and the resident agent's metrics implement it. It is
// never given a value.
//
// Its methods may be called concurrently from many goroutines and must not
// block for long: they run on the resolution's path. An Observer that must
// fail a resolution (an audit log that is required but cannot be written)
// returns an error from Resolved; Fetched cannot fail anything.
type Observer interface {
	Fetched(ctx context.Context, ev FetchEvent)
	Resolved(ctx context.Context, ev ResolutionEvent) error
}

// FetchEvent describes one fetch of one secret from one store.
type FetchEvent struct {
	Caller    secret.Caller
	Workflow  string
	Store     string
	StoreType string
	Request   secret.Request
	// Fields and Keys name the workflow fields the secret feeds and the
	// JSON keys they read (empty string: the whole secret).
	Fields []string
	Keys   []string
	Start  time.Time
	Took   time.Duration
	// Err is nil on success. Kind classifies it ([ErrorKind]).
	Err  error
	Kind string
	// Info is what the store stack learned while answering (the version,
	// cache status, upstream calls, a Wasm module's outbound requests),
	// also when the fetch failed. The resolver always sets it; nil says
	// the event carries none.
	Info *secret.FetchInfo
}

// ResolutionEvent describes one resolution or check of a workflow.
type ResolutionEvent struct {
	Caller   secret.Caller
	Workflow string
	// Check is true for [Resolver.Check], false for [Resolver.Resolve].
	Check  bool
	Fields int
	// Failed names the fields that failed.
	Failed []string
	Start  time.Time
	Took   time.Duration
	Err    error
	Kind   string
}

// ErrorKind classifies err for audit records and metrics labels: "" for
// nil, else one of "not_found", "permission_denied", "unavailable",
// "invalid_config", "not_allowed", "canceled", "deadline", "other".
func ErrorKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, secret.ErrNotFound):
		return "not_found"
	case errors.Is(err, secret.ErrPermissionDenied):
		return "permission_denied"
	case errors.Is(err, secret.ErrNotAllowed):
		return "not_allowed"
	case errors.Is(err, secret.ErrInvalidConfig):
		return "invalid_config"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, secret.ErrUnavailable):
		return "unavailable"
	default:
		return "other"
	}
}

// Observers returns an [Observer] that tells each of obs in turn (nil ones
// are skipped). Its Resolved returns the first error any of them returns,
// after telling all of them.
func Observers(obs ...Observer) Observer {
	var list multiObserver
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	return list
}

type multiObserver []Observer

func (m multiObserver) Fetched(ctx context.Context, ev FetchEvent) {
	for _, o := range m {
		o.Fetched(ctx, ev)
	}
}

func (m multiObserver) Resolved(ctx context.Context, ev ResolutionEvent) error {
	var first error
	for _, o := range m {
		if err := o.Resolved(ctx, ev); err != nil && first == nil {
			first = err
		}
	}
	return first
}
