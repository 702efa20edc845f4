package resolver

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/cache"
	"github.com/latchkey/latchkey/internal/logbuf"
	"github.com/latchkey/latchkey/secret"
)

// badVersionStore reports versions that break secret.CheckVersion, from
// its fetches and its probes, as a compromised or buggy store would.
type badVersionStore struct{ version string }

func (s badVersionStore) Get(ctx context.Context, req secret.Request) (secret.Result, error) {
	r := secret.Result{Value: secret.StringValue("value-of-" + req.Name)}
	r.SetVersion(s.version)
	return r, nil
}

func (s badVersionStore) CurrentVersion(context.Context, secret.Request) (secret.FetchInfo, error) {
	var info secret.FetchInfo
	info.SetVersion(s.version)
	return info, nil
}

func (badVersionStore) Close() error { return nil }

// TestStoreVersionsAreChecked: whatever a (non-Wasm) store reports as a
// version — a forged audit line, a space-separated field, an overlong or
// non-ASCII string — neither the resolution's fields nor the probes'
// versions carry it, and a warning names the store and the rule, never
// the text.
func TestStoreVersionsAreChecked(t *testing.T) {
	for name, v := range map[string]string{
		"newline":  "v1\n{\"forged\":true}",
		"space":    "v1 forged=1",
		"overlong": strings.Repeat("forged", 100),
		"bidi":     "v1\u202eforged",
	} {
		for _, withCache := range []bool{false, true} {
			testBadVersion(t, name, v, withCache)
		}
	}
}

func testBadVersion(t *testing.T, name, v string, withCache bool) {
	if withCache {
		name += "/cached"
	}
	t.Run(name, func(t *testing.T) {
		var logs logbuf.Buffer
		sc := StoreConfig{Store: badVersionStore{v}}
		if withCache {
			sc.Cache = &cache.Options{}
		}
		r, err := New(context.Background(), Config{Stores: map[string]StoreConfig{"bad": sc},
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		f, err := ParseField("p", "secret://bad/db")
		if err != nil {
			t.Fatal(err)
		}
		wf := Workflow{Name: "wf", Fields: []Field{f}}
		res, err := r.Resolve(context.Background(), wf)
		if err != nil {
			t.Fatal(err)
		}
		if res.Fields[0].Version != "" {
			t.Errorf("the field carries the store's version: %q", res.Fields[0].Version)
		}
		vers, err := r.Versions(context.Background(), wf)
		if err != nil || len(vers.ByFetch) != 0 || vers.Unprobed != 1 {
			t.Errorf("Versions = %+v, %v; want the secret unprobed", vers, err)
		}
		out := logs.String()
		if strings.Count(out, "store=bad") < 2 || !strings.Contains(out, "version refused") {
			t.Errorf("the log lacks warnings naming the store and the rule: %s", out)
		}
		if strings.Contains(out, "forged") {
			t.Errorf("the log holds the refused version: %s", out)
		}
	})
}
