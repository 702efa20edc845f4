package cli

import (
	"context"
	"os"
	"syscall"
)

type reloadKey struct{}

// WithReloads returns a copy of ctx from which `latchkey serve` also takes
// reload requests: each value received on ch reloads as SIGHUP does. The
// Windows service handler uses it for the service manager's "paramchange"
// control, since Windows has no SIGHUP.
func WithReloads(ctx context.Context, ch <-chan struct{}) context.Context {
	return context.WithValue(ctx, reloadKey{}, ch)
}

// forwardReloads turns ctx's reload requests into SIGHUPs on hup until
// ctx is done. A request that arrives while one is pending is merged
// with it, as two SIGHUPs are.
func forwardReloads(ctx context.Context, hup chan<- os.Signal) {
	ch, _ := ctx.Value(reloadKey{}).(<-chan struct{})
	if ch == nil {
		return
	}
	for {
		select {
		case <-ch:
			select {
			case hup <- syscall.SIGHUP:
			default:
			}
		case <-ctx.Done():
			return
		}
	}
}
