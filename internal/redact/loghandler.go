package redact

import (
	"context"
	"log/slog"
)

// LogHandler returns a handler that passes every record to next with
// redact applied to its message and to every attribute's text (groups
// included; a value that is not a string, a number, a boolean, a time or
// a duration is rendered as its text first). The host module's call
// logging (hostfuncs) and a Wasm module's logger (runtime) go through it, so that what a server or a guest sent cannot carry a
// credential into a log line. Its methods may be called concurrently when
// next's may.
func LogHandler(next slog.Handler, redact func([]byte) []byte) slog.Handler {
	return &redactHandler{next: next, redact: redact}
}

type redactHandler struct {
	next   slog.Handler
	redact func([]byte) []byte
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.str(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(red), redact: h.redact}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(h.str(name)), redact: h.redact}
}

func (h *redactHandler) str(s string) string {
	if s == "" {
		return s
	}
	if out := h.redact([]byte(s)); string(out) != s {
		return string(out)
	}
	return s
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	a.Key = h.str(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.str(v.String()))
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool, slog.KindTime, slog.KindDuration:
		return slog.Attr{Key: a.Key, Value: v}
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, c := range g {
			out[i] = h.attr(c)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	}
	return slog.String(a.Key, h.str(v.String()))
}
