package gcp_test

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/secret"
)

func TestSecretKey(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	st := build(t, srv.Settings(project)).(secret.Describer).Describe()
	noProject := srv.Settings("")
	delete(noProject, "project")
	anon := build(t, noProject).(secret.Describer).Describe()
	full := "projects/" + project + "/secrets/plain"
	tests := []struct {
		name  string
		keyer secret.Description
		a, b  secret.Request
		same  bool
	}{
		{"short and full name", st, secret.Request{Name: "plain"}, secret.Request{Name: full}, true},
		{"latest is the empty version", st, secret.Request{Name: "plain"}, secret.Request{Name: "plain", Version: "latest"}, true},
		{"version in the name or the request", st, secret.Request{Name: full + "/versions/3"}, secret.Request{Name: "plain", Version: "3"}, true},
		{"versions/latest", st, secret.Request{Name: full + "/versions/latest"}, secret.Request{Name: "plain"}, true},
		{"a pinned version is not latest", st, secret.Request{Name: "plain", Version: "1"}, secret.Request{Name: "plain"}, false},
		{"an alias is not latest", st, secret.Request{Name: "plain", Version: "prod"}, secret.Request{Name: "plain"}, false},
		{"another project", st, secret.Request{Name: "projects/other/secrets/plain"}, secret.Request{Name: "plain"}, false},
		{"a location", st, secret.Request{Name: "projects/" + project + "/locations/europe-west1/secrets/plain"}, secret.Request{Name: "plain"}, false},
		{"short without a configured project", anon, secret.Request{Name: "plain"}, secret.Request{Name: full}, false},
		{"invalid names key apart", st, secret.Request{Name: "a/b"}, secret.Request{Name: "a/b", Version: "x"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := tc.keyer.Key(tc.a), tc.keyer.Key(tc.b)
			if (ka == kb) != tc.same {
				t.Fatalf("keys %q and %q: same = %v, want %v", ka, kb, ka == kb, tc.same)
			}
		})
	}
}

// TestCachedSpellings: short name, full name, versions/latest and
// Version "latest", through the cache in front of the real store and its
// loopback server, are one AccessSecretVersion.
func TestCachedSpellings(t *testing.T) {
	srv := gcptest.Start(t, gcptest.Options{Secrets: seed()})
	c := cache.New(build(t, srv.Settings(project)), cache.Options{Name: "gcp", TTL: time.Minute})
	t.Cleanup(func() { _ = c.Close() })
	full := "projects/" + project + "/secrets/plain"
	before := srv.Count("AccessSecretVersion")
	for _, req := range []secret.Request{{Name: "plain"}, {Name: full}, {Name: full + "/versions/latest"}, {Name: "plain", Version: "latest"}} {
		if _, err := c.Get(ctx(t), req); err != nil {
			t.Fatalf("Get(%+v): %v", req, err)
		}
	}
	if n := srv.Count("AccessSecretVersion") - before; n != 1 {
		t.Fatalf("four spellings made %d AccessSecretVersion calls, want 1", n)
	}
}
