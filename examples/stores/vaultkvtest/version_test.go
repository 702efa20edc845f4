package vaultkvtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/examples/stores/vaultkvtest"
	"github.com/latchkey/latchkey/internal/cli"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// TestCurrentVersion: the module answers version probes from KV v2
// metadata alone (the server counts metadata and data reads), through the
// same credential substitution, and returns the call in its result.
func TestCurrentVersion(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), DeniedMetadata: []string{"team a/api"}})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	st := newStore(t, srv.Settings(t, vaultkvtest.BuildModule(t), nil))
	tests := []struct {
		name, secret, version string
		want                  string
		err                   error
	}{
		{"current", "app/db", "", "2", nil},
		{"a named version", "app/db", "1", "1", nil},
		{"current after deleted and destroyed ones", "rotated", "", "3", nil},
		{"a deleted version", "rotated", "2", "", secret.ErrNotFound},
		{"a destroyed version", "rotated", "1", "", secret.ErrNotFound},
		{"a version past the last", "app/db", "9", "", secret.ErrNotFound},
		{"missing", "absent", "", "", secret.ErrNotFound},
		{"metadata not granted", "team a/api", "", "", secret.ErrPermissionDenied},
		{"a bad version", "app/db", "x", "", secret.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, meta := srv.DataCalls.Load(), srv.MetadataCalls.Load()
			ctx := context.Background()
			note, err := st.CurrentVersion(ctx, secret.Request{Name: tc.secret, Version: tc.version})
			got := note.Version()
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), `wasm module "vault": version`) {
					t.Fatalf("CurrentVersion = %q, %v; want %v naming the module", got, err, tc.err)
				}
				noLeak(t, "the error", err.Error())
			} else if err != nil || got != tc.want {
				t.Fatalf("CurrentVersion = %q, %v; want %q", got, err, tc.want)
			}
			if d := srv.DataCalls.Load() - data; d != 0 {
				t.Fatalf("a version probe read the data %d times", d)
			}
			wantMeta := int64(1)
			if tc.err == secret.ErrInvalidConfig {
				wantMeta = 0
			}
			if m := srv.MetadataCalls.Load() - meta; m != wantMeta {
				t.Fatalf("metadata reads = %d, want %d", m, wantMeta)
			}
			if out := note.Outbound; int64(len(out)) != wantMeta ||
				wantMeta == 1 && (!strings.Contains(out[0].Path, "/v1/secret/metadata/") || len(out[0].Credentials) != 1 || out[0].Credentials[0] != "vault_token") {
				t.Fatalf("probe outbound = %+v, want the one metadata read with credential vault_token", out)
			}
		})
	}
	vInfo, err := st.CurrentVersion(context.Background(), secret.Request{Name: "app/db"})
	v := vInfo.Version()
	if err != nil || v != "2" {
		t.Fatalf("CurrentVersion = %q, %v", v, err)
	}
	srv.Put("app/db", map[string]any{"password": "vault-v3-pw"})
	if v, err := st.CurrentVersion(context.Background(), secret.Request{Name: "app/db"}); err != nil || v.Version() != "3" {
		t.Fatalf("after a put, CurrentVersion = %q, %v; want 3", v.Version(), err)
	}
	if !srv.ReceivedToken() {
		t.Fatal("the server never received the token")
	}
}

// TestFetchRecordsVersion: a fetch records the version Vault returned with
// the data, in the same terms as the probe.
func TestFetchRecordsVersion(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets()})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	st := newStore(t, srv.Settings(t, vaultkvtest.BuildModule(t), nil))
	for _, tc := range []struct{ version, want string }{{"", "2"}, {"1", "1"}} {
		note, err := st.Get(context.Background(), secret.Request{Name: "app/db", Version: tc.version})
		if err != nil {
			t.Fatal(err)
		}
		if note.Version() != tc.want {
			t.Fatalf("fetch of version %q recorded %q, want %q", tc.version, note.Version(), tc.want)
		}
	}
}

// TestCacheRenewsWithMetadata: a cache in front of the store keeps an
// unchanged entry past its TTL with one metadata read and no data read,
// and fetches once the secret was rotated. A token allowed the data but
// not the metadata costs a fetch per expiry, never a wrong answer.
func TestCacheRenewsWithMetadata(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), DeniedMetadata: []string{"team a/api"}})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	st := newStore(t, srv.Settings(t, vaultkvtest.BuildModule(t), nil))
	now := time.Unix(1_800_000_000, 0)
	c := cache.New(st, cache.Options{Name: "vault", TTL: time.Minute, LeaveOpen: true, Now: func() time.Time { return now }})
	defer c.Close()
	get := func(name, wantIn string, data, meta int64) {
		t.Helper()
		v, err := c.Get(context.Background(), secret.Request{Name: name})
		if err != nil || !strings.Contains(v.Value.RevealString(), wantIn) {
			t.Fatalf("Get(%s) = %d bytes, %v; want it to hold %q", name, len(v.Value.RevealString()), err, wantIn)
		}
		if d, m := srv.DataCalls.Load(), srv.MetadataCalls.Load(); d != data || m != meta {
			t.Fatalf("after Get(%s): data reads %d, metadata reads %d; want %d and %d", name, d, m, data, meta)
		}
	}
	get("app/db", pwV2, 1, 0)
	get("app/db", pwV2, 1, 0) // fresh
	for range 3 {
		now = now.Add(2 * time.Minute)
		get("app/db", pwV2, 1, srv.MetadataCalls.Load()+1) // expired, unchanged: metadata only
	}
	if s := c.Stats(); s.VersionChecks != 3 || s.VersionUnchanged != 3 {
		t.Fatalf("cache stats %+v, want 3 checks, 3 unchanged", s)
	}
	srv.Put("app/db", map[string]any{"password": "vault-v3-rotated"})
	now = now.Add(2 * time.Minute)
	get("app/db", "vault-v3-rotated", 2, 4) // changed: probe, then fetch

	data, meta := srv.DataCalls.Load(), srv.MetadataCalls.Load()
	get("team a/api", apiK, data+1, meta)
	now = now.Add(2 * time.Minute)
	get("team a/api", apiK, data+2, meta+1) // the probe is refused: fetched
}

// TestVersionUnderPolicy: a probe goes through the host functions of a
// fetch: a token reflected by the server reaches the module redacted (and
// so its error), and a credential not bound to the server is refused
// before anything is sent.
func TestVersionUnderPolicy(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets(), DeniedMetadata: []string{"app/db"}, EchoToken: true})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	module := vaultkvtest.BuildModule(t)
	st := newStore(t, srv.Settings(t, module, nil))
	_, err := st.CurrentVersion(context.Background(), secret.Request{Name: "app/db"})
	if !errors.Is(err, secret.ErrPermissionDenied) || !strings.Contains(err.Error(), "[REDACTED:vault_token]") {
		t.Fatalf("CurrentVersion = %v; want permission denied quoting the token redacted", err)
	}
	noLeak(t, "the error", err.Error())

	s := srv.Settings(t, module, nil)
	s["credentials"] = map[string]any{"vault_token": map[string]any{"env": vaultkvtest.TokenEnv, "hosts": []any{"https://vault.example.com"}}}
	unbound := newStore(t, s)
	before := srv.MetadataCalls.Load()
	_, err = unbound.CurrentVersion(context.Background(), secret.Request{Name: "app/db"})
	if !errors.Is(err, secret.ErrNotAllowed) || srv.MetadataCalls.Load() != before {
		t.Fatalf("CurrentVersion with an unbound credential = %v (metadata reads %d → %d); want not allowed, nothing sent",
			err, before, srv.MetadataCalls.Load())
	}
	noLeak(t, "the error", err.Error())
}

// TestWatchProbes: built from its settings as the agent builds it (the
// wasm factory, upstream protection, a cache), the store answers the
// resolver's version probes — what exec --watch and resolve --watch ask
// every interval — with metadata reads only, and they move on a put.
func TestWatchProbes(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets()})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	r, err := resolver.New(context.Background(), resolver.Config{Stores: map[string]resolver.StoreConfig{
		"vault": {Type: "wasm", Settings: roundTrip(srv.Settings(t, vaultkvtest.BuildModule(t), nil)), Cache: &cache.Options{TTL: time.Minute}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wf := workflow(t, map[string]string{"password": "secret://vault/app/db#password", "user": "secret://vault/app/db#username"})
	v1, err := r.Versions(context.Background(), wf)
	if err != nil || v1.Unprobed != 0 || len(v1.ByFetch) != 1 {
		t.Fatalf("Versions = %+v, %v; want one probed secret", v1, err)
	}
	again, _ := r.Versions(context.Background(), wf)
	if !v1.Same(again) {
		t.Fatalf("unchanged secret: %v then %v", v1, again)
	}
	srv.Put("app/db", map[string]any{"username": "etl", "password": "vault-v3-watch"})
	v3, _ := r.Versions(context.Background(), wf)
	if v1.Same(v3) || !strings.HasSuffix(v3.String(), "@3") {
		t.Fatalf("after a put: %v then %v", v1, v3)
	}
	if d, m := srv.DataCalls.Load(), srv.MetadataCalls.Load(); d != 0 || m != 3 {
		t.Fatalf("data reads %d, metadata reads %d; want 0 and 3", d, m)
	}
}

func roundTrip(s map[string]any) map[string]any {
	b, _ := json.Marshal(s)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// TestResolveWatch runs `latchkey resolve -o FILE --watch=1s` (in process)
// on the Vault store: while the secret is unchanged each check is one
// metadata read and no data read, and a put rewrites the file within an
// interval, with one more data read.
func TestResolveWatch(t *testing.T) {
	srv := vaultkvtest.Start(t, vaultkvtest.Options{Secrets: secrets()})
	t.Setenv(vaultkvtest.TokenEnv, srv.Token)
	dir := t.TempDir()
	s := srv.Settings(t, vaultkvtest.BuildModule(t), nil)
	s["type"] = "wasm"
	b, _ := json.Marshal(map[string]any{"stores": map[string]any{"vault": s}})
	agent, wf, out := filepath.Join(dir, "agent.json"), filepath.Join(dir, "wf.yaml"), filepath.Join(dir, "out.json")
	os.WriteFile(agent, b, 0o600)
	os.WriteFile(wf, []byte("fields:\n  password: secret://vault/app/db#password\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	var errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- cli.Main(ctx, []string{"resolve", "-c", agent, "-w", wf, "-o", out, "--watch=1s"},
			cli.IO{In: strings.NewReader(""), Out: io.Discard, Err: &errb})
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("resolve --watch did not stop when its context ended")
		}
		noLeak(t, "stderr", errb.String())
	}()
	waitFile := func(want string, d time.Duration) {
		t.Helper()
		for start := time.Now(); time.Since(start) < d; time.Sleep(20 * time.Millisecond) {
			if b, _ := os.ReadFile(out); strings.Contains(string(b), want) {
				return
			}
		}
		t.Fatalf("%s does not hold the expected value after %s; stderr:\n%s", out, d, errb.String())
	}
	waitFile(pwV2, 15*time.Second)
	data, meta := srv.DataCalls.Load(), srv.MetadataCalls.Load()
	time.Sleep(2500 * time.Millisecond)
	if d, m := srv.DataCalls.Load()-data, srv.MetadataCalls.Load()-meta; d != 0 || m < 2 {
		t.Fatalf("in 2.5 unchanged intervals: %d data reads, %d metadata reads; want 0 and a probe per interval", d, m)
	}
	srv.Put("app/db", map[string]any{"password": "vault-v3-watched"})
	waitFile("vault-v3-watched", 3*time.Second)
	if d := srv.DataCalls.Load() - data; d != 1 {
		t.Fatalf("%d data reads for one rotation, want 1", d)
	}
}
