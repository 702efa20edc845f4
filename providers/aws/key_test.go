package aws

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

func TestSecretKey(t *testing.T) {
	e := start(t)
	st := build(t, e.settings())
	arn := e.srv.ARN("rotating")
	partial := arn[:len(arn)-7]
	other := "arn:aws:secretsmanager:" + awstest.DefaultRegion + ":999999999999:secret:rotating"
	key := func(name, version string) string {
		return st.Describe().Key(secret.Request{Name: name, Version: version})
	}

	// Before any answer: exact where no I/O is needed, distinct otherwise.
	tests := []struct {
		name string
		a, b secret.Request
		same bool
	}{
		{"AWSCURRENT is the current version", secret.Request{Name: "rotating"}, secret.Request{Name: "rotating", Version: "AWSCURRENT"}, true},
		{"stage:AWSCURRENT too", secret.Request{Name: "rotating"}, secret.Request{Name: "rotating", Version: "stage:AWSCURRENT"}, true},
		{"AWSPREVIOUS is not", secret.Request{Name: "rotating"}, secret.Request{Name: "rotating", Version: "AWSPREVIOUS"}, false},
		{"a version ID is not", secret.Request{Name: "rotating"}, secret.Request{Name: "rotating", Version: "id:0123456789abcdef0123456789abcdef"}, false},
		{"UUID and id: are one", secret.Request{Name: "rotating", Version: "01234567-89ab-cdef-0123-456789abcdef"},
			secret.Request{Name: "rotating", Version: "id:01234567-89ab-cdef-0123-456789abcdef"}, true},
		{"another account's ARN", secret.Request{Name: partial}, secret.Request{Name: other}, false},
		{"names are case sensitive", secret.Request{Name: "rotating"}, secret.Request{Name: "Rotating"}, false},
		{"an invalid name keys apart", secret.Request{Name: "bad name"}, secret.Request{Name: "bad", Version: "name"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := st.Describe().Key(tc.a), st.Describe().Key(tc.b)
			if (ka == kb) != tc.same {
				t.Fatalf("keys %q and %q: same = %v, want %v", ka, kb, ka == kb, tc.same)
			}
		})
	}
	if key(partial, "") == key("rotating", "") || key(arn, "") == key("rotating", "") {
		t.Fatal("the store merged a name with an ARN before it knew its account")
	}

	// One answer to the bare name teaches the account and the full ARN.
	e.srv.PutString("rotating", "v")
	if _, err := st.Get(ctx(t), secret.Request{Name: "rotating"}); err != nil {
		t.Fatal(err)
	}
	want := key("rotating", "")
	for _, n := range []string{arn, partial} {
		if got := key(n, ""); got != want {
			t.Errorf("key of %q = %q, want the name's %q", n, got, want)
		}
		if key(n, "AWSCURRENT") != want || key(n, "AWSPREVIOUS") == want {
			t.Errorf("versions of %q keyed wrongly", n)
		}
	}
	if key(other, "") == want {
		t.Fatal("another account's secret of the same name got the store's own key")
	}
	if want != partial+"\x00" {
		t.Fatalf("canonical key %q, want the partial ARN", want)
	}
}

// TestCachedSpellings is the check: a secret named by name, full
// ARN and partial ARN, with or without AWSCURRENT, through the cache in
// front of the real store and its loopback server, is one GetSecretValue.
func TestCachedSpellings(t *testing.T) {
	e := start(t)
	e.srv.PutString("svc/db", "planted-db-password")
	arn := e.srv.ARN("svc/db")
	c := cache.New(build(t, e.settings()), cache.Options{Name: "sm", TTL: time.Minute})
	t.Cleanup(func() { _ = c.Close() })
	before := e.srv.Count("GetSecretValue")
	for _, req := range []secret.Request{
		{Name: "svc/db"}, {Name: arn}, {Name: arn[:len(arn)-7]},
		{Name: "svc/db", Version: "AWSCURRENT"}, {Name: arn, Version: "stage:AWSCURRENT"},
	} {
		v, err := c.Get(ctx(t), req)
		if err != nil || v.Value.RevealString() != "planted-db-password" {
			t.Fatalf("Get(%+v): %v", req, err)
		}
	}
	if n := e.srv.Count("GetSecretValue") - before; n != 1 {
		t.Fatalf("five spellings of one secret made %d GetSecretValue calls, want 1", n)
	}
	if n := c.Invalidate(secret.Request{Name: arn}); n != 1 {
		t.Fatalf("invalidating by full ARN dropped %d entries, want the one", n)
	}
}

// TestResolverSpellings: through the resolver, a workflow that names one
// secret by name, full ARN and partial ARN. Cold, with nothing learned,
// the spellings the store cannot yet prove equal are fetched apart; once
// an answer taught the store its account, one resolution of all three is
// one fetch, and with a cache the next resolutions are none.
func TestResolverSpellings(t *testing.T) {
	e := start(t)
	e.srv.PutString("svc/db", `{"user":"svc","password":"planted-pw-5150"}`)
	arn := e.srv.ARN("svc/db")
	enc := func(s string) string { return strings.ReplaceAll(s, "/", "%2F") }
	w := resolver.Workflow{Name: "etl"}
	for i, n := range []string{"svc/db", arn, arn[:len(arn)-7]} {
		src, err := secret.ParseSource("secret://sm/" + enc(n) + "#password")
		if err != nil {
			t.Fatal(err)
		}
		w.Fields = append(w.Fields, resolver.Field{Name: fmt.Sprintf("f%d", i), Source: src})
	}
	for _, tc := range []struct {
		name  string
		cache *cache.Options
		// GetSecretValue calls of the first resolution (at least minFirst,
		// at most 3), of the next three. Cached, the first resolution's
		// fetches race: one that starts after another's answer taught the
		// store its account is a cache hit, so it makes 1 to 3 calls.
		minFirst, more int
	}{
		{"uncached", nil, 3, 3},
		{"cached", &cache.Options{TTL: time.Minute}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := resolver.New(ctx(t), resolver.Config{Stores: map[string]resolver.StoreConfig{
				"sm": {Type: "aws", Settings: e.settings(), Cache: tc.cache},
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			resolve := func() int {
				before := e.srv.Count("GetSecretValue")
				res, err := r.Resolve(ctx(t), w)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range res.Fields {
					if f.Value.RevealString() != "planted-pw-5150" {
						t.Fatalf("field %s: wrong value", f.Name)
					}
				}
				return e.srv.Count("GetSecretValue") - before
			}
			if n := resolve(); n < tc.minFirst || n > 3 {
				t.Fatalf("first resolution: %d GetSecretValue calls, want %d to 3 (one per spelling at most)", n, tc.minFirst)
			}
			more := 0
			for range 3 {
				more += resolve()
			}
			if more != tc.more {
				t.Fatalf("next three resolutions: %d calls, want %d (one per resolution uncached)", more, tc.more)
			}
		})
	}
}

// FuzzValidSecretName checks the hand-written name check against the
// regular expression it replaced, byte boundaries included.
func FuzzValidSecretName(f *testing.F) {
	re := regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	for _, s := range []string{"", "a", "prod/db", "a b", "x\n", "é", "@-+=._/", strings.Repeat("a", 512), strings.Repeat("a", 513), "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validSecretName(s), re.MatchString(s); got != want {
			t.Fatalf("validSecretName(%q) = %v, the expression says %v", s, got, want)
		}
	})
}

// TestCacheWhenDown: the aws store behind a cache while its endpoint
// fails: the cached value is served stale until max_stale, then the cache
// fails closed naming the store and how stale the value was. A revoked
// permission is never answered stale.
func TestCacheWhenDown(t *testing.T) {
	e := start(t)
	e.srv.PutString("svc/db", "planted-db-password")
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := cache.New(build(t, e.settings()), cache.Options{Name: "sm", TTL: time.Minute, MaxStale: 10 * time.Minute, RefreshAhead: -1, Now: clock})
	t.Cleanup(func() { _ = c.Close() })
	req := secret.Request{Name: "svc/db"}
	if _, err := c.Get(ctx(t), req); err != nil {
		t.Fatal(err)
	}

	// Unchanged after the TTL: one DescribeSecret, no GetSecretValue.
	advance(2 * time.Minute)
	gets := e.srv.Count("GetSecretValue")
	if _, err := c.Get(ctx(t), req); err != nil || e.srv.Count("GetSecretValue") != gets || e.srv.Count("DescribeSecret") != 1 {
		t.Fatalf("version check: %v, %d gets, %d describes", err, e.srv.Count("GetSecretValue")-gets, e.srv.Count("DescribeSecret"))
	}

	e.srv.FailNext("svc/db", 1000, awstest.InternalServiceError)
	advance(time.Minute + 5*time.Minute) // 5 min past the renewed TTL
	v, err := c.Get(ctx(t), req)
	note := v.FetchInfo
	if err != nil || v.Value.RevealString() != "planted-db-password" || note.Cache != secret.CacheStale {
		t.Fatalf("down, within max_stale: %v, status %q", err, note.Cache)
	}
	advance(6 * time.Minute) // 11 min past
	_, err = c.Get(ctx(t), req)
	var se *cache.StaleError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), `store "sm"`) || !strings.Contains(err.Error(), "expired 11m0s ago, beyond max_stale 10m0s") {
		t.Fatalf("down, beyond max_stale: %v", err)
	}
	noLeak(t, err.Error())
	t.Logf("the error: %v", err)

	// Access revoked while the store answers: no stale answer.
	e2 := start(t)
	e2.srv.PutString("svc/db", "planted-db-password")
	c2 := cache.New(build(t, e2.settings()), cache.Options{Name: "sm", TTL: time.Minute, RefreshAhead: -1, Now: clock})
	t.Cleanup(func() { _ = c2.Close() })
	if _, err := c2.Get(ctx(t), req); err != nil {
		t.Fatal(err)
	}
	e2.srv.Deny(e2.srv.UserARN("alice"), "svc/db")
	advance(2 * time.Minute)
	if _, err := c2.Get(ctx(t), req); !errors.Is(err, secret.ErrPermissionDenied) {
		t.Fatalf("revoked: %v; want permission denied, not a stale value", err)
	}
}
