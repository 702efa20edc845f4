package wasm

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/internal/wasmtest"
	"github.com/latchkey/latchkey/secret"
)

// TestPlaceholderWithoutCredentials: a store with no credentials section
// runs a module that sends {{latchkey.credential:api}} in a header, in
// its URL (raw and percent-encoded) and in its body. Each request is
// refused (the fetch fails naming the placeholder, and the log does), and
// the loopback server receives nothing.
func TestPlaceholderWithoutCredentials(t *testing.T) {
	srv := startEcho(t)
	module := wasmtest.Build(t, "providers/wasm/testdata/guests/credprobe")
	tests := []struct {
		name   string
		config map[string]any
		secret string // appended to the URL by the guest
		where  string
	}{
		{"header", map[string]any{"url": srv.URL, "header": map[string]any{"X-Token": "{{latchkey.credential:api}}"}}, "/echo", "header X-Token"},
		{"URL path", map[string]any{"url": srv.URL}, "/{{latchkey.credential:api}}", "the URL"},
		{"percent-encoded URL", map[string]any{"url": srv.URL}, "/x?t=%7B%7Blatchkey.credential%3Aapi%7D%7D", "the URL"},
		{"body", map[string]any{"url": srv.URL, "method": "POST", "body": `{"k":"{{latchkey.credential:api|json}}"}`}, "/echo", "the body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs logbuf.Buffer
			spec := secret.Spec{Name: "nocreds", Type: "wasm", Logger: slog.New(slog.NewTextHandler(&logs, nil)), Settings: map[string]any{
				"module": module, "allow_unpinned": true, "config": tc.config,
				"allowed_hosts": []any{srv.host}, "allow_http": []any{srv.host}, "allow_networks": []any{"127.0.0.1/32"},
			}}
			st, err := fromSpec(context.Background(), spec, sharedCache)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			_, err = st.Get(context.Background(), secret.Request{Name: tc.secret})
			if err == nil {
				t.Fatal("the fetch succeeded: the placeholder was not refused")
			}
			for what, text := range map[string]string{"error": err.Error(), "log": logs.String()} {
				if !strings.Contains(text, "{{latchkey.credential:api}}") || !strings.Contains(text, tc.where) {
					t.Errorf("the %s does not name the placeholder and where it sat (%s): %s", what, tc.where, text)
				}
			}
			if got := srv.received(); len(got) > 0 {
				t.Fatalf("the server received %q", got)
			}
		})
	}
}
