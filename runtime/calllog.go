package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"time"

	"github.com/latchkey/latchkey/secret"
)

// callLog holds what a guest logs during one call — its log calls, its
// stdout and stderr, the host's refusals — until the call ends, and then
// passes it on with the secret the call returned blanked out. A module may
// well print what it fetched while debugging; the agent's logs must not
// carry it. The per-call caps on logs and output bound what is held.
type callLog struct {
	next  slog.Handler
	attrs []slog.Attr
	held  *held
}

// held is what a call log holds, shared by its WithAttrs copies.
type held struct {
	records []slog.Record
	bytes   int // an estimate of what records hold
	dropped int // records not held: over maxHeldBytes
}

// maxHeldBytes bounds what one call's log holds. The guest's own log and
// output have caps of their own, and the host's refusals are capped per
// call; this bounds what is left, whatever it is.
const maxHeldBytes = 64 << 10

func newCallLog(next slog.Handler) *callLog {
	return &callLog{next: next, held: &held{}}
}

func (h *callLog) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *callLog) Handle(_ context.Context, r slog.Record) error {
	size := len(r.Message) + 64
	r.Attrs(func(a slog.Attr) bool {
		size += len(a.Key) + len(a.Value.String())
		return true
	})
	if h.held.bytes+size > maxHeldBytes {
		h.held.dropped++
		return nil
	}
	h.held.bytes += size
	r = r.Clone()
	if len(h.attrs) > 0 {
		r.AddAttrs(h.attrs...)
	}
	h.held.records = append(h.held.records, r)
	return nil
}

func (h *callLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

// WithGroup is not used by the host's call logging; attributes after it
// stay ungrouped, which only changes how they print.
func (h *callLog) WithGroup(string) slog.Handler { return h }

// flush passes the held records on, with every occurrence of the values in
// result (see secretsIn) replaced by [secret.Redacted].
func (h *callLog) flush(ctx context.Context, result []byte) {
	defer func() { *h.held = held{records: h.held.records[:0]} }()
	if d := h.held.dropped; d > 0 {
		r := slog.NewRecord(time.Now(), slog.LevelWarn, "log records of the call over its cap were dropped", 0)
		r.AddAttrs(slog.Int("records", d), slog.Int("cap_bytes", maxHeldBytes))
		r.AddAttrs(h.attrs...)
		defer func() { _ = h.next.Handle(ctx, r) }()
	}
	if len(h.held.records) == 0 {
		return
	}
	values := secretsIn(result)
	for _, r := range h.held.records {
		if len(values) == 0 {
			_ = h.next.Handle(ctx, r)
			continue
		}
		out := slog.NewRecord(r.Time, r.Level, replaceValues(r.Message, values), r.PC)
		r.Attrs(func(a slog.Attr) bool {
			out.AddAttrs(redactAttr(a, values))
			return true
		})
		_ = h.next.Handle(ctx, out)
	}
}

// minRedact is the shortest value blanked out: shorter ones would match
// ordinary words.
const minRedact = 4

// secretsIn returns the strings to blank out of a call's logs: the result
// itself and, when it is a JSON object, every string and number in it —
// the values a workflow's keys pick.
func secretsIn(result []byte) []string {
	if len(result) < minRedact {
		return nil
	}
	out := []string{string(result)}
	dec := json.NewDecoder(bytes.NewReader(result))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return out
	}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		case string:
			if len(t) >= minRedact {
				out = append(out, t)
			}
		case json.Number:
			if len(t) >= minRedact {
				out = append(out, t.String())
			}
		}
	}
	walk(doc)
	return out
}

// replaceValues replaces each of values found verbatim in s with secret.Redacted.
func replaceValues(s string, values []string) string {
	for _, v := range values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, secret.Redacted)
		}
	}
	return s
}

func redactAttr(a slog.Attr, values []string) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		return slog.String(a.Key, replaceValues(a.Value.String(), values))
	case slog.KindGroup:
		g := a.Value.Group()
		out := make([]any, len(g))
		for i, c := range g {
			out[i] = redactAttr(c, values)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny, slog.KindLogValuer:
		return slog.String(a.Key, replaceValues(a.Value.Resolve().String(), values))
	}
	return a
}
