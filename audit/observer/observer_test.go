package observer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/audit/audittest"
	"github.com/latchkey/latchkey/audit/observer"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// TestRecords turns events into records: the fetch info's cache status,
// upstream count, answered version and outbound requests (query cut off),
// refusals however deeply joined, and never an error's message.
func TestRecords(t *testing.T) {
	var buf bytes.Buffer
	o := observer.New(audit.New(&buf, audit.Options{}))
	note := &secret.FetchInfo{Cache: secret.CacheMiss, Upstream: 2,
		Outbound: []secret.Outbound{{Method: "GET", Host: "vault:8200", Path: "/v1/kv/db?token=pl4nted-query", Status: 200, Credentials: []string{"vault_token"}}}}
	note.SetVersion("v7")
	ctx := audit.WithRequest(context.Background(), "0123456789abcdef")
	caller := secret.Caller{Kind: secret.CallerUnix, UID: 1001, GID: 1001, PID: 42, Exe: "/usr/bin/etl"}
	start := time.Now()
	o.Fetched(ctx, resolver.FetchEvent{Caller: caller, Workflow: "w", Store: "v", StoreType: "wasm",
		Request: secret.Request{Name: "db", Version: "7"}, Fields: []string{"u", "p"}, Keys: []string{"user", "pass"},
		Start: start, Took: 1500 * time.Microsecond, Err: fmt.Errorf("module said pl4nted-message: %w", secret.ErrNotFound), Kind: "not_found", Info: note})
	refusal := &policy.Refusal{Field: "a", Origin: "stores.v.secrets", Store: "v", Secret: "db/admin", Deny: &policy.Entry{Name: "db/admin*"}}
	planErr := fmt.Errorf("workflow %q: %w", "w", errors.Join(errors.New("other problem"), fmt.Errorf("f: %w", refusal)))
	if err := o.Resolved(ctx, resolver.ResolutionEvent{Caller: caller, Workflow: "w", Fields: 2, Start: start, Took: time.Millisecond,
		Err: planErr, Kind: "not_allowed"}); err != nil {
		t.Fatal(err)
	}
	recs := audittest.Records(t, buf.Bytes(), []byte("pl4nted-query"), []byte("pl4nted-message"))
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	f, r := recs[0], recs[1]
	if f.Cache != "miss" || f.Upstream == nil || *f.Upstream != 2 || f.AnsweredVersion != "v7" || f.SecretVersion != "7" ||
		f.Outcome != "error" || f.ErrorKind != "not_found" || f.DurationMS != 1.5 || f.Request != "0123456789abcdef" ||
		len(f.Outbound) != 1 || f.Outbound[0].Path != "/v1/kv/db" || f.Outbound[0].Credentials[0] != "vault_token" ||
		*f.Caller.UID != 1001 || f.Caller.Exe != "/usr/bin/etl" || !f.Time.Equal(start.Add(1500*time.Microsecond)) {
		t.Errorf("fetch record %+v", f)
	}
	if len(r.Refused) != 1 || r.Refused[0] != (audit.Refused{Field: "a", Store: "v", Secret: "db/admin", Rule: "stores.v.secrets", Pattern: "db/admin*"}) ||
		r.ErrorKind != "not_allowed" || r.FieldCount != 2 {
		t.Errorf("resolution record %+v", r)
	}
}

// TestNoNoteNoCache: a store stack without a cache records "none", and a
// caller the context does not carry is "embedded".
func TestNoNoteNoCache(t *testing.T) {
	var buf bytes.Buffer
	o := observer.New(audit.New(&buf, audit.Options{}))
	o.Fetched(context.Background(), resolver.FetchEvent{Workflow: "w", Store: "s", StoreType: "env", Request: secret.Request{Name: "X"},
		Fields: []string{"f"}, Keys: []string{""}, Start: time.Now()})
	recs := audittest.Records(t, buf.Bytes())
	if len(recs) != 1 || recs[0].Cache != "none" || recs[0].Upstream != nil || recs[0].Caller.Kind != "embedded" || recs[0].Outcome != "ok" {
		t.Fatalf("records %+v", recs)
	}
}
