package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/workflow"
)

func TestWorkflowCache(t *testing.T) {
	c := newWFCache()
	doc := []byte("name: a\nfields:\n  x: secret://s/db#password\n")
	tests := []struct {
		name    string
		file    string
		doc     []byte
		wantErr string
	}{
		{"decoded", "wf.yaml", doc, ""},
		{"again, from the cache", "wf.yaml", doc, ""},
		{"same text, other name", "other.yaml", doc, ""},
		{"bad document", "wf.yaml", []byte("fields: [x"), "workflow wf.yaml"},
		{"bad document is not remembered", "wf.yaml", []byte("fields: [x"), "workflow wf.yaml"},
		{"the error names the file it came as", "b.yaml", []byte("fields: [x"), "workflow b.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wf, err := c.decode(tc.file, workflow.YAML, tc.doc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(wf.Fields) != 1 || wf.Fields[0].Source.Ref == nil || wf.Fields[0].Source.Ref.Name != "db" {
				t.Fatalf("%v %+v", err, wf)
			}
		})
	}
	// Bounded: many distinct documents keep at most wfCacheEntries.
	for i := 0; i < 3*wfCacheEntries; i++ {
		if _, err := c.decode("wf.yaml", workflow.YAML, fmt.Appendf(nil, "fields:\n  f%d: x\n", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.m) != wfCacheEntries || len(c.order) != wfCacheEntries {
		t.Fatalf("cache holds %d entries (%d keys), want %d", len(c.m), len(c.order), wfCacheEntries)
	}
}
