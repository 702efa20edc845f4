package wasm

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
	lkruntime "github.com/latchkey/latchkey/runtime"
)

// TestDescribeCapabilities checks what `latchkey check` shows of a module's
// capability declaration: a note when it has none, what it declares, and a
// warning for each declared credential the store does not configure.
func TestDescribeCapabilities(t *testing.T) {
	env := setupBenchT(t)
	goWasm, err := os.ReadFile(wasmstoretest.BuildHTTPJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	annotated, err := lkruntime.AppendCapabilities(goWasm, &lkruntime.Capabilities{Version: 1,
		Hosts: []string{"config:store_url"}, Credentials: []string{"store_token"}, Config: []string{"store_url", "header"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		wasm     []byte
		summary  []string
		warnings []string
	}{
		{"no section", goWasm, []string{"capabilities: none declared"}, nil},
		{"declared", annotated, []string{"module declares hosts config:store_url; credentials store_token; config keys store_url, header"},
			[]string{`module declares credential "store_token", which the store does not configure`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := NewFromBytes(context.Background(), "caps", tc.wasm, env.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			id := st.Describe()
			for _, s := range tc.summary {
				if !strings.Contains(id.Summary, s) {
					t.Errorf("summary lacks %q: %s", s, id.Summary)
				}
			}
			got := strings.Join(id.Warnings, "\n")
			for _, w := range tc.warnings {
				if !strings.Contains(got, w) {
					t.Errorf("warnings lack %q:\n%s", w, got)
				}
			}
			if tc.warnings == nil && strings.Contains(got, "declares credential") {
				t.Errorf("unexpected warning:\n%s", got)
			}
		})
	}
}
