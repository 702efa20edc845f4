// Package winevent sends the warnings and errors of a log/slog logger to
// the Windows event log, beside the logger's usual output: what a Windows
// administrator watches (Event Viewer, a SIEM's event forwarding) sees
// what the agent's log file says is wrong.
//
// The package is portable: the event log is reached through [Log], which
// golang.org/x/sys/windows/svc/eventlog's *Log satisfies, so the level
// mapping and the message text are tested on every system.
package winevent

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"
)

// Log is where events go: an event source of the Windows event log. Its
// methods may be called concurrently.
type Log interface {
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
}

// Event IDs, one per type, so that an administrator can filter on them.
const (
	WarningID uint32 = 2
	ErrorID   uint32 = 3
)

// Type is an event log entry type.
type Type uint8

// The entry types records map to.
const (
	None    Type = iota // not sent
	Warning             // EVENTLOG_WARNING_TYPE
	Error               // EVENTLOG_ERROR_TYPE
)

// TypeOf maps a record's level to an event type: ERROR and above to
// Error, WARN and above to Warning, anything lower to None (the log file
// keeps those; the event log is for what needs attention).
func TypeOf(l slog.Level) Type {
	switch {
	case l >= slog.LevelError:
		return Error
	case l >= slog.LevelWarn:
		return Warning
	}
	return None
}

// MaxMessage is the most bytes an event's text carries; ReportEvent
// refuses strings over 31,839 characters, and a longer message is cut
// (at a character boundary) and marked.
const MaxMessage = 31000

// Handler is a slog.Handler that sends records of level WARN and above to
// a [Log]. It is safe for concurrent use. Combine it with the file
// handler through slog.NewMultiHandler.
type Handler struct {
	log  Log
	text *slog.TextHandler // formats attributes and groups as the log file does
	mu   *sync.Mutex       // guards buf, shared by the handlers WithAttrs and WithGroup derive
	buf  *bytes.Buffer
}

// NewHandler returns a Handler sending to l.
func NewHandler(l Log) *Handler {
	h := &Handler{log: l, mu: new(sync.Mutex), buf: new(bytes.Buffer)}
	h.text = slog.NewTextHandler(h.buf, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 {
				switch a.Key {
				case slog.TimeKey, slog.LevelKey, slog.MessageKey:
					return slog.Attr{} // the event has its own time and type; the message leads
				}
			}
			return a
		},
	})
	return h
}

// Enabled reports whether l maps to an event type.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return TypeOf(l) != None }

// Handle sends r as one event: its message, then its attributes as the
// log file writes them (key=value, quoted where needed).
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	t := TypeOf(r.Level)
	if t == None {
		return nil
	}
	h.mu.Lock()
	h.buf.Reset()
	err := h.text.Handle(ctx, r)
	attrs := strings.TrimSpace(h.buf.String())
	h.mu.Unlock()
	if err != nil {
		return err
	}
	msg := Message(r.Message, attrs)
	if t == Error {
		return h.log.Error(ErrorID, msg)
	}
	return h.log.Warning(WarningID, msg)
}

// Message is an event's text: the record's message, then its formatted
// attributes on the same line, cut to MaxMessage bytes.
func Message(msg, attrs string) string {
	s := msg
	if attrs != "" {
		s += " " + attrs
	}
	if len(s) <= MaxMessage {
		return s
	}
	const mark = " …(cut; the log file has the whole record)"
	cut := MaxMessage - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// WithAttrs returns a Handler whose events carry attrs too.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.text = h.text.WithAttrs(attrs).(*slog.TextHandler)
	return &c
}

// WithGroup returns a Handler whose later attributes are in group name.
func (h *Handler) WithGroup(name string) slog.Handler {
	c := *h
	c.text = h.text.WithGroup(name).(*slog.TextHandler)
	return &c
}
