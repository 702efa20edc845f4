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
