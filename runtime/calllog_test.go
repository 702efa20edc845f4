package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestCallLogRedactsTheResult(t *testing.T) {
	tests := []struct {
		name   string
		result string
		logged string
		leaks  []string
	}{
		{"raw value", "tok-4f9a-planted", "fetched tok-4f9a-planted ok", []string{"tok-4f9a-planted"}},
		{"json leaves", `{"user":"admin","password":"pw-planted-77","port":5432,"n":{"k":"deep-planted"}}`,
			"got password pw-planted-77 and deep-planted on 5432", []string{"pw-planted-77", "deep-planted", "5432"}},
		{"short values kept", `{"a":"xy"}`, "xy is short", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			cl := newCallLog(slog.NewTextHandler(&buf, nil))
			log := slog.New(cl).With("module", "m")
			log.Info(tc.logged, "attr", tc.logged, slog.Group("g", "x", tc.logged))
			if buf.Len() != 0 {
				t.Fatal("records must be held until the call ends")
			}
			cl.flush(context.Background(), []byte(tc.result))
			out := buf.String()
			for _, leak := range tc.leaks {
				if strings.Contains(out, leak) {
					t.Errorf("log leaks %q: %s", leak, out)
				}
			}
			if len(tc.leaks) == 0 && !strings.Contains(out, tc.logged) {
				t.Errorf("log lost its text: %s", out)
			}
			if !strings.Contains(out, "module=m") {
				t.Errorf("log lost the module attribute: %s", out)
			}
		})
	}
}

// TestCallLogBounded checks that what one call's log holds is bounded in
// bytes, whoever logs, and that the records dropped are counted in one
// line at the end.
func TestCallLogBounded(t *testing.T) {
	var buf bytes.Buffer
	cl := newCallLog(slog.NewTextHandler(&buf, nil))
	log := slog.New(cl)
	line := strings.Repeat("x", 100)
	for range 100_000 {
		log.Warn(line, "k", line)
	}
	if cl.held.bytes > maxHeldBytes {
		t.Errorf("the call log holds %d bytes, over %d", cl.held.bytes, maxHeldBytes)
	}
	cl.flush(context.Background(), nil)
	out := buf.String()
	lines := strings.Count(out, "\n")
	if lines > maxHeldBytes/200+2 || !strings.Contains(out, "log records of the call over its cap were dropped") {
		t.Errorf("%d lines; want the cap's worth and a summary: %.300s", lines, out)
	}
	if !strings.Contains(out, "records=") {
		t.Errorf("the summary does not count the records: %s", out[len(out)-300:])
	}
	buf.Reset()
	log.Info("next call")
	cl.flush(context.Background(), nil)
	if strings.Contains(buf.String(), "dropped") {
		t.Errorf("the count carried over to the next call: %s", buf.String())
	}
}
