package protect

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/time/rate"

	"github.com/latchkey/latchkey/secret"
)

// BenchmarkGet measures what protection adds to a fetch (token bucket,
// in-flight slot, breaker check) over an in-memory store, as a ratio to
// the bare store in the same run:
//
//	go test -run '^$' -bench BenchmarkGet -count 5 ./protect/
func BenchmarkGet(b *testing.B) {
	s := settings()
	// The token bucket with an infinite rate: the bookkeeping (limiter,
	// in-flight slot, breaker check) without any waiting. At a finite
	// rate the benchmark would measure the rate (100,000/s at most).
	unlimited := Wrap("b", plainStore{}, s, nil)
	unlimited.(*Store).fetches = rate.NewLimiter(rate.Inf, 0)
	for _, bc := range []struct {
		name  string
		store secret.Store
	}{
		{"bare", plainStore{}},
		{"protected", unlimited},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.store.Get(ctx, secret.Request{Name: "x"}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// FuzzParse: any protection section is a value or errors naming the
// store and a protection setting, never a panic.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{`{"rate": 5}`, `{"retry": {"max": 3, "base_delay": "1ms"}}`, `false`, `{"breaker": {"cool_off": "x"}}`, `[1,2]`, `"s"`, `{"rate": 1e309}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var raw any
		if err := jsonUnmarshal([]byte(doc), &raw); err != nil {
			return
		}
		s, err := Parse("st", "aws", raw)
		if err != nil {
			if !containsAll(err.Error(), `store "st"`, "protection") {
				t.Fatalf("error does not name the store and the section: %v", err)
			}
			return
		}
		if verr := s.Validate("st"); verr != nil {
			t.Fatalf("Parse accepted settings Validate refuses: %v", verr)
		}
	})
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
