package cli

import (
	"context"
	"log/slog"
)

type logTeeKey struct{}

// WithLogHandler returns a copy of ctx under which the command's logger
// also sends its records to h, beside stderr. The Windows service handler
// uses it to copy warnings and errors to the event log
// (internal/winevent); h's Enabled decides what it receives.
func WithLogHandler(ctx context.Context, h slog.Handler) context.Context {
	return context.WithValue(ctx, logTeeKey{}, h)
}

// teeLog adds ctx's extra log handler, if any, to h.
func teeLog(ctx context.Context, h slog.Handler) slog.Handler {
	if extra, ok := ctx.Value(logTeeKey{}).(slog.Handler); ok && extra != nil {
		return slog.NewMultiHandler(h, extra)
	}
	return h
}
