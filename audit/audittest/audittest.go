// Package audittest checks audit logs in tests: every line parses as JSON
// and validates against the published schema, and no planted secret
// appears anywhere in the log.
package audittest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/latchkey/latchkey/audit"
)

var (
	once   sync.Once
	schema *jsonschema.Schema
	errC   error
)

func compiled() (*jsonschema.Schema, error) {
	once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(audit.JSONSchema))
		if err != nil {
			errC = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("schema.json", doc); err != nil {
			errC = err
			return
		}
		schema, errC = c.Compile("schema.json")
	})
	return schema, errC
}

// Records parses log, failing t for any line that is not JSON valid
// against the schema, and for any planted value found anywhere in log. It
// returns the records, in order.
func Records(t testing.TB, log []byte, planted ...[]byte) []audit.Record {
	t.Helper()
	sch, err := compiled()
	if err != nil {
		t.Fatalf("compiling the audit schema: %v", err)
	}
	for _, p := range planted {
		if len(p) > 0 && bytes.Contains(log, p) {
			t.Errorf("the audit log holds a planted secret or credential (%d bytes)", len(p))
		}
	}
	var out []audit.Record
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(nil, 1<<20)
	bad := 0
	errorf := func(format string, args ...any) {
		if bad++; bad <= 5 {
			t.Errorf(format, args...)
		}
	}
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
		if err != nil {
			errorf("audit line %d is not JSON: %v", n, err)
			continue
		}
		if err := sch.Validate(v); err != nil {
			errorf("audit line %d does not match the schema: %v\n%s", n, err, line)
			continue
		}
		var rec audit.Record
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			errorf("audit line %d: %v", n, err)
			continue
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		t.Errorf("reading the audit log: %v", err)
	}
	return out
}

// Fetches returns the fetch records of recs for store and secret.
func Fetches(recs []audit.Record, store, name string) []audit.Record {
	var out []audit.Record
	for _, r := range recs {
		if r.Event == audit.EventFetch && r.Store == store && r.Secret == name {
			out = append(out, r)
		}
	}
	return out
}
