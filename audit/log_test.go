package audit_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/audit/audittest"
	"github.com/latchkey/latchkey/audit/observer"
	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

func TestOpenCreates0600AndAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for i := 0; i < 2; i++ {
		l, err := audit.Open(path, audit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Write(audit.Record{Event: audit.EventResolution, Workflow: "w", Outcome: audit.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if recs := audittest.Records(t, b); len(recs) != 2 {
		t.Fatalf("%d records after two opens, want 2 (appended)", len(recs))
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real")
	os.WriteFile(target, nil, 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	open := filepath.Join(dir, "open")
	os.WriteFile(open, nil, 0o600)
	os.Chmod(open, 0o666)
	tests := []struct {
		name, path, want string
	}{
		{"symlink", link, "symbolic link"},
		{"directory", dir, "is a directory"},
		{"world writable", open, "anyone may write to it"},
		{"missing directory", filepath.Join(dir, "nope", "a.log"), "no such file or directory"},
		{"empty", "", "empty path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := audit.Open(tc.path, audit.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open(%q) = %v, want an error containing %q", tc.path, err, tc.want)
			}
		})
	}
}

// TestReopenAfterRotation: logrotate renames the file, then the agent is
// sent SIGHUP and calls Reopen; later records go to a new file at the path.
func TestReopenAfterRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	l, err := audit.Open(path, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rec := audit.Record{Event: audit.EventResolution, Workflow: "before", Outcome: audit.OutcomeOK}
	l.Write(rec)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	rec.Workflow = "still-old-file"
	l.Write(rec)
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	rec.Workflow = "after"
	l.Write(rec)
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if got := audittest.Records(t, old); len(got) != 2 || got[1].Workflow != "still-old-file" {
		t.Errorf("rotated file: %s", old)
	}
	if got := audittest.Records(t, cur); len(got) != 1 || got[0].Workflow != "after" {
		t.Errorf("new file: %s", cur)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("reopened file mode %v", st.Mode().Perm())
	}
}

// TestConcurrentLinesDoNotInterleave writes from many goroutines and
// checks that every line is whole.
func TestConcurrentLinesDoNotInterleave(t *testing.T) {
	var buf logbuf.Buffer
	l := audit.New(&buf, audit.Options{})
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				l.Write(audit.Record{Event: audit.EventFetch, Workflow: strings.Repeat("w", 200), Store: "s", StoreType: "env",
					Secret: "x", Fields: []string{"f"}, Keys: []string{""}, Cache: "none", Outcome: audit.OutcomeOK})
			}
		}()
	}
	wg.Wait()
	if recs := audittest.Records(t, buf.Bytes()); len(recs) != 32*50 {
		t.Fatalf("%d records, want %d", len(recs), 32*50)
	}
}

// failing fails every write after the first n.
type failing struct {
	mu sync.Mutex
	n  int
}

func (f *failing) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n <= 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

type store map[string]string

func (s store) Get(_ context.Context, req secret.Request) (secret.Result, error) {
	v, ok := s[req.Name]
	if !ok {
		return secret.Result{}, secret.ErrNotFound
	}
	return secret.Result{Value: secret.StringValue(v)}, nil
}

func (store) Close() error { return nil }

// TestRequiredFailsClosed: a required log that cannot write a resolution's
// fetch record, or its resolution record, fails the resolution and hands
// out nothing; a best-effort one only reports.
func TestRequiredFailsClosed(t *testing.T) {
	wf := resolver.Workflow{Name: "w", Fields: []resolver.Field{{Name: "f", Source: secret.Source{Ref: &secret.Ref{Store: "s", Name: "db"}}}}}
	tests := []struct {
		name     string
		required bool
		okWrites int
		fail     bool
	}{
		{"required, fetch record fails", true, 0, true},
		{"required, resolution record fails", true, 1, true},
		{"required, all written", true, 2, false},
		{"best effort, all fail", false, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logged bytes.Buffer
			l := audit.New(&failing{n: tc.okWrites}, audit.Options{Required: tc.required, Logger: slogTo(&logged)})
			r, err := resolver.New(context.Background(), resolver.Config{
				Stores:   map[string]resolver.StoreConfig{"s": {Store: store{"db": "pl4nted"}}},
				Observer: observer.New(l),
			})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Resolve(context.Background(), wf)
			if tc.fail {
				if err == nil || res != nil || !strings.Contains(err.Error(), "audit log is required") || !errors.Is(err, secret.ErrUnavailable) {
					t.Fatalf("Resolve = %v, %v; want it refused by the audit log", res, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tc.okWrites < 2 && !strings.Contains(logged.String(), "audit record not written") {
				t.Errorf("a failed write was not reported: %q", logged.String())
			}
			if strings.Contains(logged.String(), "pl4nted") {
				t.Error("the report of a failed write holds the value")
			}
		})
	}
}

func TestNowAndRequestID(t *testing.T) {
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	var buf bytes.Buffer
	l := audit.New(&buf, audit.Options{Now: func() time.Time { return fixed }})
	l.Write(audit.Record{Event: audit.EventResolution, Outcome: audit.OutcomeOK, Request: audit.NewRequestID()})
	recs := audittest.Records(t, buf.Bytes())
	if len(recs) != 1 || !recs[0].Time.Equal(fixed) || recs[0].Time.Location() != time.UTC {
		t.Fatalf("records %+v", recs)
	}
	if !strings.Contains(buf.String(), `"time":"2026-01-02T02:04:05Z"`) {
		t.Errorf("time not written in UTC: %s", buf.String())
	}
}
